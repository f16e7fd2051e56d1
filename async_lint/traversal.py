"""One walk per file: every node is dispatched to every enabled check."""

from __future__ import annotations

import sys
import traceback
from collections import defaultdict
from typing import Any, Callable

import libcst as cst

from async_lint.analysis.context import FileContext
from async_lint.checks.base import Check
from async_lint.walk import leaf_type, may_be_layout, walk


class CheckCrashed(Exception):
    def __init__(self, check: str, error: BaseException):
        super().__init__(f"{check}: {type(error).__name__}: {error}")
        self.check = check
        self.error = error


class FileTraversal(cst.CSTVisitor):
    """Maintains the shared FileContext and fans each node out to the checks.

    A check that raises is switched off for the rest of the file and the
    failure is recorded; the other checks and files go on."""

    def __init__(self, ctx: FileContext, checks: list[Check]):
        super().__init__()
        self.ctx = ctx
        self.crashes: list[CheckCrashed] = []
        self._visit: dict[str, list[tuple[Check, Callable[[Any], Any]]]] = defaultdict(list)
        self._leave: dict[str, list[tuple[Check, Callable[[Any], Any]]]] = defaultdict(list)
        self._disabled: set[int] = set()
        for check in checks:
            for kind, node_type in type(check).handlers():
                table = self._visit if kind == "visit" else self._leave
                table[node_type].append((check, getattr(check, f"{kind}_{node_type}")))
        # Node classes with nothing below them and no handler (whitespace,
        # newlines, comments: about half of a file's nodes): entering and
        # leaving one changes nothing a check can see, so it is passed over.
        # A node that opens a scope's body (a lambda's) is still entered.
        self._quiet: dict[type, bool] = {}
        self._scope_bodies = ctx.scope_bodies

    def run(self, module: cst.Module) -> None:
        """Walk ``module``: the layout nodes (whitespace, newlines, comments,
        and the commas, dots, operators and brackets holding them: a third
        of the nodes a walk enters) are not even visited when no check
        handles such a class, since entering one then changes nothing (no
        scope's body is such a node, and no handler runs while one is on the
        context's stack)."""
        if any(may_be_layout(name) for name in (*self._visit, *self._leave)):
            walk(module, self.on_visit, self.on_leave, self)
        else:
            # Only leaves are ever quiet: the walk that passes over all
            # layout needs no test for it at each node.
            walk(module, self._enter, self._exit, self, layout=False)

    def _is_quiet(self, node_type: type) -> bool:
        quiet = self._quiet[node_type] = leaf_type(node_type) and node_type.__name__ not in self._visit and node_type.__name__ not in self._leave
        return quiet

    def on_visit(self, node: cst.CSTNode) -> bool:
        quiet = self._quiet.get(type(node))
        if quiet is None:
            quiet = self._is_quiet(type(node))
        if quiet and id(node) not in self._scope_bodies:
            return True
        return self._enter(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self._quiet.get(type(original_node)) and id(original_node) not in self._scope_bodies:
            return
        self._exit(original_node)

    def _enter(self, node: cst.CSTNode) -> bool:
        self.ctx.enter(node)
        handlers = self._visit.get(type(node).__name__)
        if handlers:
            self._run(handlers, node)
        return True

    def _exit(self, node: cst.CSTNode) -> None:
        handlers = self._leave.get(type(node).__name__)
        if handlers:
            self._run(handlers, node)
        self.ctx.leave(node)

    def _run(self, handlers: list[tuple[Check, Callable[[Any], Any]]], node: cst.CSTNode) -> None:
        for check, handler in handlers:
            if id(check) in self._disabled:
                continue
            try:
                handler(node)
            except RecursionError:
                raise
            except Exception as exc:  # a bug in one check must not lose the file
                self._disabled.add(id(check))
                crash = CheckCrashed(type(check).__name__, exc)
                crash.__traceback__ = exc.__traceback__
                self.crashes.append(crash)
                if "ASYNC_LINT_DEBUG" in __import__("os").environ:
                    traceback.print_exception(exc, file=sys.stderr)
