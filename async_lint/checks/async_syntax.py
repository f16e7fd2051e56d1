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
    codes = ("DJA000",)
    text_hints = (ASYNC_DEF_HINT,)

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

    def _check(self, node: cst.CSTNode, what: str, comprehensions_count: bool = False) -> None:
        where = _outside_async_function(self.ctx.ancestors(), comprehensions_count)
        if where is not None:
            self.ctx.report(
                node,
                "DJA000",
                f"{what} {where}: Python raises SyntaxError when it compiles this module, so importing it fails; make the function `async def`, or call the coroutine from async code",
            )


def _outside_async_function(ancestors, comprehensions_count: bool) -> str | None:
    """Where a node with ``ancestors`` (innermost first) sits, when that is
    not an ``async def``'s body: "in a plain function", "in a lambda", "in
    a class body", "at module level"; None where it is allowed (an ``async
    def``, or a generator expression, which may be asynchronous anywhere)."""
    for ancestor in ancestors:
        kind = type(ancestor)
        if comprehensions_count and kind is cst.GeneratorExp:
            return None
        if kind is cst.FunctionDef:
            return None if ancestor.asynchronous is not None else "in a plain function"
        if kind is cst.Lambda:
            return "in a lambda"
        if kind is cst.ClassDef:
            return "in a class body"
    return "at module level"
