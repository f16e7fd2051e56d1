"""DJA205 (request.user / request.session used synchronously) and DJA206
(sync Django shortcuts and auth functions) in async code.

``request`` counts as Django's HttpRequest only on evidence (see
``DjangoInference._param_value``): an annotation, or a view/method parameter
named ``request`` in a module that imports Django and no other web framework.
"""

from __future__ import annotations

import libcst as cst

from async_lint.analysis.django_models import (
    EVALUATING_METHODS,
    LAZY_METHODS,
    InstanceValue,
    LazyUserValue,
    ManagerValue,
    ModelClass,
    QuerySetValue,
    SessionValue,
)
from async_lint.analysis.django_twins import twin_table
from async_lint.checks.django_orm import DjangoCheck, shown

USER_BASES = frozenset(
    {
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
        "django.contrib.auth.models.PermissionsMixin",
        "django.contrib.auth.models.User",
    }
)
# Builtins that look inside the lazy user (its class, its str, its truth).
FORCING_BUILTINS = frozenset({"isinstance", "str", "repr", "bool", "getattr", "hasattr", "hash", "int", "issubclass"})
# Session methods that never load the session data.
SESSION_NON_LOADING = frozenset({"is_empty", "clear", "get_session_cookie_age", "encode", "decode"})


def _user_methods() -> frozenset[str]:
    return frozenset(name for kind, name in twin_table() if kind == "user")


def _session_methods() -> frozenset[str]:
    return frozenset(name for kind, name in twin_table() if kind == "session" and not name.startswith("__"))


def _shortcuts() -> frozenset[str]:
    return frozenset(name for kind, name in twin_table() if kind == "shortcut")


class RequestUserCheck(DjangoCheck):
    """DJA205: forcing the lazy ``request.user``, or using ``request.session``
    synchronously, on the event loop."""

    codes = ("DJA205",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.user_methods = _user_methods()
        self.session_methods = _session_methods()

    def _is_lazy_user(self, expr: cst.BaseExpression) -> bool:
        return isinstance(self.inference.infer(expr), LazyUserValue)

    def _user(self, node: cst.CSTNode, expr: cst.BaseExpression, how: str) -> None:
        fix = self.suggestion("request", "user", "`user = await request.{twin}()` and use `user`", "`await sync_to_async(...)` around the code that reads the user")
        self.flag(node, "DJA205", f"{how} `{shown(self.ctx, expr)}` loads the lazy `request.user` from the database synchronously (SynchronousOnlyOperation in async code); use {fix}")

    def _session(self, node: cst.CSTNode, name: str, what: str) -> None:
        fix = self.suggestion("session", name, "`await request.session.{twin}(...)`", "`await sync_to_async(...)` around the session access")
        self.flag(node, "DJA205", f"`{what}` loads or saves the session synchronously (SynchronousOnlyOperation in async code with a database-backed session); use {fix}")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._is_lazy_user(node.value):
            return
        parent = self.ctx.parent
        if isinstance(parent, cst.Call) and parent.func is node and node.attr.value in self.user_methods:
            return  # DJA206 reports the permission/password call
        self._user(node, node, "reading")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left] + [c.comparator for c in node.comparisons]
        forcing = any(isinstance(c.operator, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)) for c in node.comparisons)
        for index, operand in enumerate(operands):
            if forcing and self._is_lazy_user(operand):
                self._user(operand, operand, "comparing")
            if index > 0 and isinstance(node.comparisons[index - 1].operator, (cst.In, cst.NotIn)) and isinstance(self.inference.infer(operand), SessionValue):
                self._session(node, "__contains__", shown(self.ctx, node))

    def _truth(self, expr: cst.BaseExpression) -> None:
        if self._is_lazy_user(expr):
            self._user(expr, expr, "testing")

    def visit_If(self, node: cst.If) -> None:
        self._truth(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._truth(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._truth(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._truth(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._truth(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._truth(node.left)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        if self._is_lazy_user(node.expression):
            self._user(node.expression, node.expression, "formatting")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(self.inference.infer(node.value), SessionValue):
            parent = self.ctx.parent
            name = "__setitem__" if isinstance(parent, cst.AssignTarget) else "__delitem__" if isinstance(parent, cst.Del) else "__getitem__"
            self._session(node, name, shown(self.ctx, node))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.session_methods and isinstance(self.inference.infer(func.value), SessionValue):
            self._session(node, func.attr.value, f"{shown(self.ctx, func)}()")
            return
        if not any(self._is_lazy_user(arg.value) for arg in node.args):
            return
        if self._call_forces_arguments(node):
            for arg in node.args:
                if self._is_lazy_user(arg.value):
                    self._user(arg.value, arg.value, "passing")

    def _call_forces_arguments(self, node: cst.Call) -> bool:
        """Calls that inspect an argument on the spot: building a query
        (``filter(owner=request.user)``), a model constructor, isinstance/str.
        The ``a``-methods hand their arguments to a thread, so they do not."""
        func = node.func
        name = self.ctx.qualified_name(func)
        if name is not None and name.startswith("builtins."):
            return name[9:] in FORCING_BUILTINS
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in LAZY_METHODS or method in EVALUATING_METHODS:
                return isinstance(self.inference.infer(func.value), (ManagerValue, QuerySetValue))
            return False
        return isinstance(self.inference.infer(func), ModelClass)


class SyncShortcutCheck(DjangoCheck):
    """DJA206: ``get_object_or_404``, the auth functions, and the user's
    password/permission methods, called on the event loop."""

    codes = ("DJA206",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.shortcuts = _shortcuts()
        self.user_methods = _user_methods()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = self.ctx.qualified_name(func)
        if name in self.shortcuts:
            short = name.rpartition(".")[2]
            module = name.rpartition(".")[0]
            fix = self.suggestion("shortcut", name, f"`await {{twin}}(...)` (from {module})", f"`await sync_to_async({short})(...)`")
            self.flag(node, "DJA206", f"`{short}()` queries the database synchronously (SynchronousOnlyOperation in async code); use {fix}")
            return
        if isinstance(func, cst.Attribute) and func.attr.value in self.user_methods and self._is_user(func.value):
            method = func.attr.value
            what = "hashes the password on the event loop and may save the user" if method == "check_password" else "queries the user's permissions synchronously (SynchronousOnlyOperation in async code)"
            fix = self.suggestion("user", method, f"`await {shown(self.ctx, func.value, 30)}.{{twin}}(...)`", f"`await sync_to_async({shown(self.ctx, func, 40)})(...)`")
            self.flag(node, "DJA206", f"`{shown(self.ctx, node)}` {what}; use {fix}")

    def _is_user(self, expr: cst.BaseExpression) -> bool:
        value = self.inference.infer(expr)
        if isinstance(value, LazyUserValue):
            return True
        if not isinstance(value, InstanceValue) or value.model is None:
            return False
        model = value.model
        return model.name == "User" or bool(USER_BASES & set(model.bases)) or any(base.endswith("User") for base in model.bases)
