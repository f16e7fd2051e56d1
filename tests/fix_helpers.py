"""Run fix builders on source snippets through the real traversal."""

from __future__ import annotations

import textwrap
from typing import Callable

import libcst as cst

from async_lint.analysis.context import FileContext
from async_lint.apply_fixes import apply_edits
from async_lint.checks.base import Check
from async_lint.fixes import FixResolver
from async_lint.source import decode_source, parse_source
from async_lint.traversal import FileTraversal


def fix_snippet(source: str, node_type: str, builder: Callable, *, where: Callable[[cst.CSTNode], bool] = lambda node: True, dedent: bool = True) -> str | None:
    """Call ``builder(ctx, node)`` while visiting each ``node_type`` node that
    ``where`` accepts, and return the source with every fix built applied, or
    None when the builder declined every node."""
    text = textwrap.dedent(source) if dedent else source
    module = parse_source(decode_source("snippet.py", text.encode("utf-8")))
    built: list = []

    def visit(self, node):
        if where(node):
            built.append(builder(self.ctx, node))

    probe = type("Probe", (Check,), {"codes": ("DJA101",), f"visit_{node_type}": visit})
    ctx = FileContext(path="snippet.py", module=module, source=None, enabled=frozenset({"DJA101"}))
    module.visit(FileTraversal(ctx, [probe(ctx)]))
    resolver = FixResolver(module, text)
    fixes = [resolver.resolve(fix) for fix in built if fix is not None]
    if not any(fixes):
        return None
    edits = [edit for fix in fixes if fix is not None for edit in fix.edits]
    return apply_edits(text, edits)


def is_call_to(name: str) -> Callable[[cst.CSTNode], bool]:
    def match(node: cst.CSTNode) -> bool:
        func = node.func  # type: ignore[attr-defined]
        shown = cst.Module([]).code_for_node(func)
        return shown == name

    return match
