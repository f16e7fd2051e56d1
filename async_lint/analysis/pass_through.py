"""Decorators of the module that hand back what the decorated function's
call gives, so an ``async def`` under one is still called for a coroutine.

``@omit_exception`` (django-async-redis) wraps each cache method in a
plain ``def _decorator(self, *args, **kwargs): return method(self, *args,
**kwargs)`` (the coroutine, created and returned); a retry or logging
decorator's wrapper is often an ``async def`` itself.  Either way calling
the decorated method gives a coroutine, which a caller that drops it never
runs (DJA302).  Evidence, from this module's source only: a module-level
plain ``def`` taking the function first, that returns a function defined
in its body (a ``wrapper``) which is an ``async def`` (not an async
generator), or a plain ``def`` each of whose calls returned is a call of
the function it was given (at least one; other returns hand back plain
values, such as a default on an exception).  A decorator of another module,
or any other shape, is not known to keep the coroutine.
"""

from __future__ import annotations

from async_lint import lazy_libcst
from async_lint.analysis.django_models import return_statements
from async_lint.analysis.scopes import defined_function, positional_params

cst = lazy_libcst.bind(globals())


def keeps_coroutine(ctx, decorator: cst.Decorator) -> bool:
    """``decorator`` (bare, ``@name``) is a def of this module whose wrapper
    hands back the decorated function's coroutine (memoised per file)."""
    expr = decorator.decorator
    if type(expr) is not cst.Name:
        return False
    found = defined_function(ctx.module_scope, expr.value)
    if found is None:
        return False
    node = found[0]
    memo = ctx.shared(_Memo).found
    if id(node) not in memo:
        memo[id(node)] = (node, _keeps_coroutine(node))
    return memo[id(node)][1]


class _Memo:
    def __init__(self, ctx) -> None:
        # id -> (the def, whether it keeps the coroutine); the def is held so the id stays its own.
        self.found: dict[int, tuple[cst.FunctionDef, bool]] = {}


def _keeps_coroutine(node: cst.FunctionDef) -> bool:
    params = positional_params(node.params)
    if node.asynchronous is not None or not params or type(node.body) is not cst.IndentedBlock:
        return False
    given = params[0]
    wrappers = {statement.name.value: statement for statement in node.body.body if type(statement) is cst.FunctionDef}
    names = [ret.value.value for ret in return_statements(node.body) if type(ret.value) is cst.Name and ret.value.value in wrappers]
    if len(names) != 1:
        return False
    wrapper = wrappers[names[0]]
    if wrapper.asynchronous is not None:
        return not _yields(wrapper)
    calls = [ret.value for ret in return_statements(wrapper.body) if type(ret.value) is cst.Call]
    return bool(calls) and all(type(call.func) is cst.Name and call.func.value == given for call in calls)


def _yields(function: cst.FunctionDef) -> bool:
    """An ``async def`` with a ``yield`` of its own: an async generator."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Yield:
            return True
        if kind is not cst.FunctionDef and kind is not cst.ClassDef and kind is not cst.Lambda:
            stack.extend(current.children)  # a nested scope's yield is its own
    return False
