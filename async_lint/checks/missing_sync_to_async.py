"""DJA401: async code calls a project function that blocks the event loop
through sync calls, possibly in other modules.

The per-file blocking checks (DJA1xx, DJA2xx) record the blocking operations
of sync functions in each module summary, and each call made on the event
loop as a call site; the project index resolves the callee and finds the
chain of sync calls to the most severe operation it reaches.  This check
words the finding, with the chain as evidence, and attaches the fix
(``await sync_to_async(f)(...)``): the summary prepares it for every call
site where it is certainly right (``thread_recipe``, ``ThreadFix``, below),
as plain data, since whether the callee blocks is known only later.
"""

from __future__ import annotations

import re

from typing import Any

from async_lint import lazy_libcst

from async_lint.analysis.context import FileContext
from async_lint.catalog import level_of
from async_lint.checks.base import IndexCheck, finding_at
from async_lint.findings import Finding
from async_lint.fixes import ImportRequest, can_await_here, comprehension_depth, reference
from async_lint.index import ProjectIndex, split_key

cst = lazy_libcst.bind(globals())

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class MissingSyncToAsyncCheck(IndexCheck):
    codes = ("DJA401",)
    follows_blocking_calls = True

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list[Finding]:
        index = self.index
        module = index.module_of(path, summary)
        out = []
        for site in summary["sites"]:
            if not site["async"]:
                continue
            receiver = index.receiver_of(site["ref"], module)
            target = index.resolve(site["ref"], module, receiver)
            function = index.function(target) if target is not None else None
            chain = None
            if target is not None and index.runs_at(function, site):
                if site.get("awaited") and function.get("decorated") and not function.get("celery_task"):
                    # ``await fn()`` of a def under a decorator the analysis does
                    # not know (a project's own thread adapter, ``database_sync_to_async``
                    # re-exported): an awaited sync def would be a TypeError, so the
                    # decorator made it awaitable.  A Celery task is no such
                    # decorator: calling it runs its body here, then awaits what it returns.
                    continue
                chain = self._unmocked(index.chain(target, orm_ok=not orm_opt_out, receiver=receiver, site=site, module=module), site)
            if chain is not None:
                out.append(_finding(index, path, site, target, chain))
            elif site.get("entered"):
                # ``with Cls(...)``: the class's sync ``__enter__``/``__exit__`` run here.
                for key, cls in index.entered_methods(site["ref"], module):
                    chain = self._unmocked(index.chain(key, orm_ok=not orm_opt_out, receiver=cls), site)
                    if chain is not None:
                        out.append(_finding(index, path, site, key, chain, entered=True))
                        break
        return out

    @staticmethod
    def _unmocked(chain: list[Any] | None, site: dict) -> list[Any] | None:
        return None if chain is None or (site.get("patched") and mocked(chain, site["patched"])) else chain


def mocked(chain: list[Any], patched: list[str]) -> bool:
    """Whether ``mock.patch`` replaces the blocking call a chain ends at
    while the test runs: the call is spelled ``a.b()`` and the target is
    ``a.b`` (or ``x.a.b``: the same object reached through a module that
    imported ``a``), or the target is the name in the module of the call
    (``app.services.requests`` for ``requests.get()`` there,
    ``app.services.gethostbyname`` for a ``gethostbyname()`` imported there).
    A patch of a project function on the way is not followed: the caller may
    hold its own reference to the function."""
    text = chain[-1][2]
    if not text.endswith("()"):
        return False
    spelled = text[:-2]
    if not _DOTTED.fullmatch(spelled):
        return False
    module, _ = split_key(chain[-2])
    head = spelled.partition(".")[0]
    for target in patched:
        if "." in spelled and (target == spelled or target.endswith("." + spelled)):
            return True
        if target in (f"{module}.{head}", f"{module}.{spelled}"):
            return True
    return False


def _finding(index: ProjectIndex, path: str, site: dict, target: str, chain: list[Any], entered: bool = False) -> Finding:
    """``entered``: the chain starts at the ``__enter__``/``__exit__`` of the
    class ``site`` constructs in a ``with`` statement."""
    op = chain[-1]
    # RULES.md: an error when the chain ends at an error-level operation.
    level = "error" if level_of(op[0]) == "error" else "warning"
    callee = site["callee"].removesuffix("()")
    if entered or index.entered_at(index.function(target), site) or (site.get("entered") and index.returned_contexts(target)):
        # A thread cannot enter it for this ``with`` (nor the context manager a factory returns): the block must move.
        message = (
            f"`with {site['callee']}` runs sync code that blocks the event loop: {chain_text(index, chain)}; move the `with` block into a sync function and run that with `await sync_to_async(fn)()`"
        )
        return finding_at(path, site, "DJA401", message, level=level, extra=_extra(index, target, chain, callee))
    if index.consumed_at(index.function(target), site):
        # ``sync_to_async(gen)`` would only make the generator in the thread.
        message = (
            f"iterating `{site['callee']}` runs sync code that blocks the event loop (a generator function): {chain_text(index, chain)}; "
            f"iterate it in a thread: `await sync_to_async(lambda: list({callee}(...)))()`"
        )
        return finding_at(path, site, "DJA401", message, level=level, extra=_extra(index, target, chain, callee))
    if site.get("formats"):
        shown = site["formats"]
        message = f"formatting `{shown}` runs sync code that blocks the event loop (its `__str__`): {chain_text(index, chain)}; format it in a thread: `await sync_to_async(str)({shown})`"
        return finding_at(path, site, "DJA401", message, level=level, extra=_extra(index, target, chain, callee))
    if site["ref"].startswith("p:"):
        message = f"reading `{site['callee']}` runs sync code that blocks the event loop (a property): {chain_text(index, chain)}; read it in a thread: `await sync_to_async(lambda: {callee})()`"
    else:
        message = f"`{site['callee']}` runs sync code that blocks the event loop: {chain_text(index, chain)}; call it in a thread: `await sync_to_async({callee})(...)`"
    return finding_at(path, site, "DJA401", message, level=level, extra=_extra(index, target, chain, callee), fix=site.get("fix"))


def _extra(index: ProjectIndex, target: str, chain: list[Any], callee: str) -> dict:
    return {
        "callee": callee,
        "callee_qualname": target.replace(":", "."),
        "chain": [k.replace(":", ".") for k in chain[:-1]],
        "blocking_code": chain[-1][0],
        "steps": chain_steps(index, chain),
    }


def chain_text(index: ProjectIndex, chain: list[Any]) -> str:
    """``view() -> helper() -> time.sleep() at shop/helpers.py:12``."""
    *keys, op = chain
    names = []
    for key in keys:
        _, qualname = split_key(key)
        is_property = (index.function(key) or {}).get("binding") == "property"
        names.append(qualname.split(".<locals>.")[-1] + ("" if is_property else "()"))
    module, _ = split_key(keys[-1])
    return " -> ".join([*names, op[2]]) + f" at {index.display_module(module)}:{op[1]}"


def chain_steps(index: ProjectIndex, chain: list[Any]) -> list[dict]:
    """Where each step of a chain is, for SARIF's relatedLocations and
    codeFlows: each function (its ``def`` line is looked up by the SARIF
    writer: summaries keep no position for a function), then the blocking line."""
    *keys, op = chain
    steps = []
    for key in keys:
        module, qualname = split_key(key)
        paths = index.paths_of.get(module)
        if paths:
            steps.append({"path": paths[0], "line": None, "def": qualname.rpartition(".")[2], "text": qualname.split(".<locals>.")[-1] + "()"})
    paths = index.paths_of.get(split_key(keys[-1])[0])
    if paths:
        steps.append({"path": paths[0], "line": op[1], "text": op[2]})
    return steps


# -- the fix ---------------------------------------------------------------------------------
def thread_recipe(ctx: FileContext, node: cst.Call, wrappers: dict[int, Any]) -> tuple[str, ImportRequest | None, bool] | None:
    """How to run the call being visited in a thread, if that is certainly
    right here: (the ``sync_to_async`` expression, the import it needs,
    whether the ``await`` needs parentheses).  None where an ``await`` is
    not valid or would run at another moment (a generator expression, a
    lambda, a nested def, a nested comprehension), where the call is
    already awaited, or where no name for ``sync_to_async`` is certain
    (a local shadows it, a star import).  ``wrappers``: the name found
    per scope, kept by the caller for the file."""
    parent = ctx.parent
    if node.lpar or isinstance(parent, cst.Await) or not can_await_here(ctx) or comprehension_depth(ctx) > 1:
        return None
    scope = id(ctx.scope)
    if scope not in wrappers:
        found = reference(ctx, "asgiref.sync.sync_to_async", style="from")
        wrappers[scope] = (cst.Module([]).code_for_node(found[0]), found[1]) if found is not None else None
    wrapper = wrappers[scope]
    if wrapper is None:
        return None
    tighter = isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is node or isinstance(parent, cst.Call) and parent.func is node
    return wrapper[0], wrapper[1], tighter


class ThreadFix:
    """Text edits for ``f(args)`` -> ``await sync_to_async(f)(args)`` at the
    call sites of a file (DJA401's fix, attached by the project index when
    the callee turns out to block), as plain data.

    The call's text is left as it is: ``await <wrapper>(`` goes before the
    called expression and ``)`` after it (with parentheses around the whole
    ``await`` where the call's parent binds tighter: ``(await ...).attr``), so
    its arguments, comments and layout survive; the import comes from the
    shared fix machinery, positioned on the module's import block alone."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.text = ctx.source.text if ctx.source is not None else None
        self._offsets: list[int] | None = None
        self._imports: dict[ImportRequest, Any] = {}

    def _offset(self, line: int, column: int) -> int:
        from async_lint.fixes import line_offsets

        if self._offsets is None:
            self._offsets = line_offsets(self.text or "")
        return self._offsets[line - 1] + column - 1

    def _import_edits(self, request: ImportRequest) -> list[list[Any]] | None:
        if request not in self._imports:
            from async_lint.fixes import FixResolver, NodeFix

            # Its positions are those of the module's head alone (FixResolver._where).
            fix = FixResolver(self.ctx.module, self.text or "").resolve(NodeFix("import", (), (request,)))
            self._imports[request] = [[e.content, e.row, e.column, e.end_row, e.end_column] for e in fix.edits] if fix is not None and fix.edits else None
        return self._imports[request]

    def fix(self, node: cst.Call, where: Any, recipe: tuple[str, ImportRequest | None, bool]) -> dict | None:
        if self.text is None:
            return None
        wrapper, request, tighter = recipe
        func = cst.Module([]).code_for_node(node.func)
        if "\n" in func or "\r" in func:
            return None
        line, column = where.start.line, where.start.column + 1
        start = self._offset(line, column)
        if self.text[start : start + len(func)] != func:
            return None
        shown = " ".join(func.split())
        edits: list[list[Any]] = [
            [f"{'(' if tighter else ''}await {wrapper}(", line, column, line, column],
            [")", line, column + len(func), line, column + len(func)],
        ]
        if tighter:
            edits.append([")", where.end.line, where.end.column + 1, where.end.line, where.end.column + 1])
        if request is not None:
            imports = self._import_edits(request)
            if imports is None:
                return None
            edits.extend(imports)
        edits.sort(key=lambda e: e[1:])
        return {"message": f"Run it in a thread: `await {wrapper}({shown})(...)`", "applicability": "safe", "edits": edits}
