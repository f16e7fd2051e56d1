"""Whether a middleware of the project loads ``request.user`` before views run.

Under ASGI Django runs a sync middleware (and a ``MiddlewareMixin``'s
``process_request``/``process_view``) in a thread: where one listed after
``AuthenticationMiddleware`` reads ``request.user`` before handing the
request on (a login-required redirect, a theme or timezone read), the lazy
user is evaluated there, and with it the session it is read from.  An async
view's later ``request.user.pk`` then reads what is cached: no query runs
on the event loop (DJANGO-ASYNC-FACTS: middleware adaptation).  The view
cannot tell which paths such a middleware skips, so the user counts as
possibly loaded for every view: DJA205 stays silent on it, as it does where
the code may have set the user itself.

Read with CPython's ``ast``: the ``MIDDLEWARE`` lists of the project's
settings modules (literals, ``+=`` and ``.append``), then the listed classes
and functions of the project's own modules.  Django's own
``LoginRequiredMiddleware`` (5.1) reads the user in ``process_view``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable

AUTH_MIDDLEWARE_SUFFIX = "AuthenticationMiddleware"
# Middleware of installed packages known to read ``request.user`` in a sync
# hook before the view runs.
USER_LOADING_MIDDLEWARE = frozenset({"django.contrib.auth.middleware.LoginRequiredMiddleware"})
# The hooks that run before the view, each taking the request second.
REQUEST_HOOKS = ("process_request", "process_view")


def parsed(text: str) -> ast.Module | None:
    """``text``'s tree, None where CPython cannot parse it."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def listed_after_auth(text: str) -> list[str]:
    """The dotted names a settings module lists in ``MIDDLEWARE`` after an
    authentication middleware (Django's, or one named like it), in order."""
    tree = parsed(text)
    if tree is None:
        return []
    names: list[str] = []
    for statement in tree.body:
        value = None
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MIDDLEWARE" for t in statement.targets):
            names = []
            value = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and statement.target.id == "MIDDLEWARE":
            names = []
            value = statement.value
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name) and statement.target.id == "MIDDLEWARE":
            value = statement.value
        elif (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute)
            and statement.value.func.attr == "append"
            and isinstance(statement.value.func.value, ast.Name)
            and statement.value.func.value.id == "MIDDLEWARE"
        ):
            value = ast.List(elts=list(statement.value.args), ctx=ast.Load())
        if isinstance(value, (ast.List, ast.Tuple)):
            names.extend(element.value for element in value.elts if isinstance(element, ast.Constant) and isinstance(element.value, str))
    for index, name in enumerate(names):
        if name.rpartition(".")[2].endswith(AUTH_MIDDLEWARE_SUFFIX):
            return names[index + 1 :]
    return []


def loads_user(dotted: str, tree_of: Callable[[str], ast.Module | None]) -> bool:
    """Whether the middleware ``dotted`` (``app.middleware.ThemeMiddleware``)
    reads ``request.user`` in sync code before the view runs.
    ``tree_of(module)``: the tree of a project module, None when it is not
    one (or cannot be parsed)."""
    if dotted in USER_LOADING_MIDDLEWARE:
        return True
    module, _, name = dotted.rpartition(".")
    tree = tree_of(module) if module else None
    if tree is None:
        return False
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef) and statement.name == name:
            return _class_loads_user(statement)
        if isinstance(statement, ast.FunctionDef) and statement.name == name:
            # A factory: ``def mw(get_response): def middleware(request): ...; return middleware``.
            inner = [s for s in statement.body if isinstance(s, ast.FunctionDef)]
            return any(_reads_user_before_handing_on(function, 0) for function in inner)
    return False


def _class_loads_user(cls: ast.ClassDef) -> bool:
    if any(
        isinstance(node, (ast.AsyncFunctionDef, ast.Await)) or (isinstance(node, ast.Name) and "coroutine" in node.id) or (isinstance(node, ast.Attribute) and "coroutine" in node.attr)
        for node in ast.walk(cls)
    ):
        return False  # async or both: its own reads would run on the loop
    for statement in cls.body:
        if isinstance(statement, ast.FunctionDef):
            if statement.name == "__call__" and _reads_user_before_handing_on(statement, 1):
                return True
            if statement.name in REQUEST_HOOKS and _reads_user(statement.body, _param(statement, 1)):
                return True
    return False


def _param(function: ast.FunctionDef, index: int) -> str | None:
    params = [*function.args.posonlyargs, *function.args.args]
    return params[index].arg if len(params) > index else None


def _reads_user_before_handing_on(function: ast.FunctionDef, index: int) -> bool:
    """``request.user`` read in the statements before the first one that
    hands the request on whatever happens (``return self.get_response(request)``)."""
    request = _param(function, index)
    if request is None:
        return False
    for statement in function.body:
        if _reads_user([statement], request):
            return True
        if not isinstance(statement, (ast.If, ast.Try, ast.For, ast.While, ast.With)) and any(_hands_on(node) for node in ast.walk(statement)):
            return False
    return False


def _hands_on(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "get_response") or (isinstance(func, ast.Name) and func.id == "get_response")


def _reads_user(statements: Iterable[ast.stmt], request: str | None) -> bool:
    if request is None:
        return False
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute) and node.attr == "user" and isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name) and node.value.id == request:
                return True
    return False
