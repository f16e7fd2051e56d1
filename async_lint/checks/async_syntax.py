"""DJA000 for async syntax that CPython parses but refuses to compile.

``ast.parse`` (and libcst) accept ``await`` in a plain ``def``; the compiler
does not: ``SyntaxError: 'await' outside async function`` when the module is
imported, so none of its code runs.  The same holds for ``async for`` and
``async with`` statements, and for list, set and dict comprehensions with
``await`` or ``async for``, outside an ``async def`` (an ``await`` in a
generator expression makes an async generator, which any function may
build).  Read on the full pass of files with async code.
"""

from __future__ import annotations

from async_lint import lazy_libcst
from async_lint.checks.base import Check
from async_lint.file_analysis import ASYNC_DEF_HINT

cst = lazy_libcst.bind(globals())


class AsyncSyntaxCheck(Check):
    """One finding per function (lambda, class body, module) that holds
    async syntax outside an ``async def``, at its first use, counting the
    others: the fix is the function's (``async def``), and Python stops at
    the first anyway (a file with 28 such ``await`` read as 28 problems)."""

    codes = ("DJA000",)
    text_hints = (ASYNC_DEF_HINT,)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # id(scope) -> [the finding made at its first use, how many uses in all].
        self._found: dict[int, list] = {}

    def visit_Await(self, node: cst.Await) -> None:
        self._check(node, "`await`", comprehensions_count=True)

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._check(node, "`async for`")

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._check(node, "`async with`")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._check(node, "`async for` in a comprehension", comprehensions_count=True)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._count(id(node))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._count(id(node))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._count(id(node))

    def leave_Module(self, node: cst.Module) -> None:
        self._count(0)

    def _check(self, node: cst.CSTNode, what: str, comprehensions_count: bool = False) -> None:
        found = _outside_async_function(self.ctx.ancestors(), comprehensions_count)
        if found is None:
            return
        where, scope = found
        reports = self.ctx.reports
        before = len(reports)
        self.ctx.report(
            node,
            "DJA000",
            f"{what} {where}: Python raises SyntaxError when it compiles this module, so importing it fails; make the function `async def`, or call the coroutine from async code",
        )
        if len(reports) == before:
            return  # not reported here (dead code, a rule not enabled)
        key = id(scope) if scope is not None else 0
        first = self._found.get(key)
        if first is None:
            self._found[key] = [reports[-1], 1]
        else:
            reports.pop()  # counted on the scope's first finding
            first[1] += 1

    def _count(self, key: int) -> None:
        found = self._found.pop(key, None)
        if found is None or found[1] == 1:
            return
        report, count = found
        head, _, tail = report.message.partition(":")
        more = count - 1
        report.message = f"{head} ({more} more `await` or `async` use{'s' if more > 1 else ''} there):{tail}"


def _outside_async_function(ancestors, comprehensions_count: bool) -> tuple[str, object] | None:
    """Where a node with ``ancestors`` (innermost first) sits, when that is
    not an ``async def``'s body: ("in a plain function", the def), "in a
    lambda", "in a class body", ("at module level", None); None where it is
    allowed (an ``async def``, or a generator expression, which may be
    asynchronous anywhere)."""
    for ancestor in ancestors:
        kind = type(ancestor)
        if comprehensions_count and kind is cst.GeneratorExp:
            return None
        if kind is cst.FunctionDef:
            return None if ancestor.asynchronous is not None else ("in a plain function", ancestor)
        if kind is cst.Lambda:
            return "in a lambda", ancestor
        if kind is cst.ClassDef:
            return "in a class body", ancestor
    return "at module level", None
