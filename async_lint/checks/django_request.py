"""DJA205 (request.user / request.session used synchronously) and DJA206
(sync Django shortcuts and auth functions) in async code.

``request`` counts as Django's HttpRequest only on evidence (see
``DjangoInference._param_value``): an annotation, or a view/method parameter
named ``request`` in a module that imports Django and no other web framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from async_lint import lazy_libcst

from async_lint.analysis.context import SYNC_TO_ASYNC_DECORATORS as THREAD_DECORATORS
from async_lint.analysis.context import handed_callable
from async_lint.analysis.django_models import (
    AUTH_LOGINS,
    AUTH_TEST_DECORATORS,
    EVALUATING_METHODS,
    LAZY_METHODS,
    DjangoRequestValue,
    InstanceValue,
    LazyUserValue,
    ManagerValue,
    ModelClass,
    QuerySetValue,
    ScopeSessionValue,
    SessionValue,
    auth_tested,
    auth_tests_load_session,
    module_def,
    wrapper_sets_user,
)
from async_lint.analysis.django_twins import sync_names, twin_table
from async_lint.analysis.dominance import EvaluatedPoint
from async_lint.analysis.django_vocabulary import USER_BASES
from async_lint.analysis.scopes import PARAM, Scope, defined_function, lookup, parameter_for, positional_params
from async_lint.checks.base import ProjectCheck, defining_paths, finding_at
from async_lint.checks.django_ninja import AUTH, ELSEWHERE, HelperRequestUse, NinjaRequestUse, RequestHandedOn, handed_on_before, ninja_request_param, route_auth
from async_lint.checks.django_orm import DjangoCheck, shown
from async_lint.checks.foreign_results import USER, package_reexports, record_foreign_use, reexported_name, sole_local_binding
from async_lint.facts import Fact, ProjectFacts
from async_lint.file_analysis import ASYNC_DEF_HINT
from async_lint.findings import Finding
from async_lint.walk import children

# A comment runs to its line's end (the lookahead), so the comment and
# whitespace alternatives never share a character: a dot then a long
# comment of spaces is read once, not once per way of splitting it.
_USER_ATTRIBUTE = re.compile(r"\.(?:\s|\\|#[^\r\n]*(?![^\r\n]))*user\b")

cst = lazy_libcst.bind(globals())

# Builtins that look inside the lazy user (its class, its str, its truth).
FORCING_BUILTINS = frozenset({"isinstance", "str", "repr", "bool", "getattr", "hasattr", "hash", "int", "issubclass"})
# Awaited with the request, they read its session with ``aget``.
AUTH_USER_GETTERS = frozenset({"django.contrib.auth.aget_user"})
# Session methods that never load the session data.
SESSION_NON_LOADING = frozenset({"is_empty", "clear", "get_session_cookie_age", "encode", "decode"})
# Session methods that only read or write the loaded data (``_session_cache``)
# and so run no query once the session is loaded; save/flush/cycle_key/... still write.
SESSION_CACHED = frozenset(
    "get pop setdefault update keys values items has_key set_expiry get_expiry_age get_expiry_date "
    "get_expire_at_browser_close set_test_cookie test_cookie_worked delete_test_cookie "
    "__getitem__ __setitem__ __delitem__ __contains__".split()
)


def session_loaded_request(ctx, function) -> str | None:
    """The request parameter whose session the view's decorators load before
    its body runs: on an ``async def``, Django's ``login_required``/
    ``user_passes_test``/``permission_required`` (5.1+) await
    ``request.auser()``, which reads the session with ``aget``; else None."""
    if function is None or not function.is_async or not AUTH_TEST_DECORATORS.intersection(function.decorators):
        return None
    params = function.node.params.params
    if not auth_tests_load_session(ctx) or not params or function.node.params.posonly_params:
        return None
    return params[0].name.value


def is_user_value(value: object) -> bool:
    """A model instance of a user model (the contrib User or a subclass of its bases)."""
    if not isinstance(value, InstanceValue) or value.model is None:
        return False
    model = value.model
    return model.name == "User" or bool(USER_BASES & set(model.bases)) or any(base.endswith("User") for base in model.bases)


def _user_methods() -> frozenset[str]:
    return sync_names("user")


def _session_methods() -> frozenset[str]:
    return frozenset(name for name in sync_names("session") if not name.startswith("__"))


def _session_loading_twins() -> frozenset[str]:
    """Async session methods that leave the data loaded (``_aget_session``):
    the twins of the cache-only methods, plus ``acycle_key`` and ``aflush``."""
    table = twin_table()
    twins = {table[("session", name)][0] for name in SESSION_CACHED if ("session", name) in table}
    return frozenset(twins | {table[("session", "cycle_key")][0], table[("session", "flush")][0]})


def _shortcuts() -> frozenset[str]:
    return sync_names("shortcut")


# The methods of Django's database connection that open or use it
# (``@async_unsafe`` in django/db/backends/base/base.py, and those that call
# one: ``set_autocommit``/``get_autocommit`` ensure the connection,
# ``chunked_cursor`` opens a cursor); none has an async twin.
CONNECTION_METHODS = frozenset(
    {
        "cursor",
        "chunked_cursor",
        "connect",
        "ensure_connection",
        "commit",
        "rollback",
        "close",
        "savepoint",
        "savepoint_rollback",
        "savepoint_commit",
        "clean_savepoints",
        "set_autocommit",
        "get_autocommit",
    }
)


def _decorators_only(inherited: tuple[str, ...]) -> bool:
    """No view base of another module among what may prepare the request:
    only decorators (``@name``: see ``DjangoInference._decorators_set_user``), or nothing."""
    return all(name.startswith("@") for name in inherited)


class RequestUserCheck(DjangoCheck):
    """DJA205: forcing the lazy ``request.user``, or using ``request.session``
    synchronously, on the event loop."""

    codes = ("DJA205",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.user_methods = _user_methods()
        self.session_methods = _session_methods()
        self.session_loading = _session_loading_twins()
        # Per function: ``request.user`` / ``request.session`` expressions
        # already loaded off the loop by earlier code of that function (a
        # thread that read the user, an awaited session method): the
        # SimpleLazyObject and the session cache then answer without a query.
        self._loaded: dict[int, set[str]] = {}
        # How the code names a request -> where its lazy user was reported
        # loaded in async code (analysis/dominance.py).
        self._user_loads: dict[str, list[EvaluatedPoint]] = {}
        # (id(helper def), parameter) -> what awaiting the helper loads of that parameter.
        self._helpers_load: dict[tuple[int, str], tuple[str, ...]] = {}
        # The lazy user is only ever the value of an attribute spelled
        # ``user`` (``request.user``, see DjangoInference._infer_attribute),
        # of this file: a file whose text has no such attribute (a dot, then
        # whitespace, line continuations or comments, then the name) has
        # none, and its every call's arguments need not be inferred.
        text = getattr(ctx.source, "text", None)
        self._user_possible = text is None or _USER_ATTRIBUTE.search(text) is not None
        # (callee or decorator, what ran before): ``RequestHandedOn``, where the project has a ninja API.
        self._handed_on: list[tuple[str, str]] = []
        self._ninja_api = bool(getattr(self.inference.table, "ninja_api", False))

    def _loaded_here(self) -> set[str]:
        function = self.ctx.current_function
        key = id(function.node) if function else 0
        loaded = self._loaded.get(key)
        if loaded is None:
            loaded = self._loaded[key] = self._loaded_on_entry(function)
        return loaded

    def _loaded_on_entry(self, function) -> set[str]:
        """What runs before the view's body loaded of its request: the session,
        by its decorators; the user, by the auth of a django-ninja operation
        (``route_auth``: it loaded the lazy user or set its own)."""
        request = session_loaded_request(self.ctx, function)
        loaded = {f"{request}.session"} if request is not None else set()
        operation = ninja_request_param(self.ctx, function)
        if operation is not None and (route_auth(self.ctx, function) or (None, ""))[0] == AUTH:
            loaded.add(f"{operation}.user")
        return loaded

    def _text(self, expr: cst.BaseExpression) -> str:
        return "".join(self.ctx.module.code_for_node(expr).split())

    def _is_lazy_user(self, expr: cst.BaseExpression) -> bool:
        if not self._user_possible or not isinstance(self.inference.infer(expr), LazyUserValue):
            return False
        return self._text(expr) not in self._loaded_here()

    def _inherited(self, expr: cst.BaseExpression, what: str) -> tuple[str, ...]:
        """``request.user`` (``what="session"``: ``request.session``) in a
        method of a view that only a base class of another module may have
        prepared (an async login mixin's ``dispatch``): those bases, which a
        project check asks their modules about; else ()."""
        if type(expr) is cst.Name and (what != "user" or self._user_possible):
            # ``session = request.session`` (one assignment reaching here), then ``session["k"]``.
            binding = sole_local_binding(self.ctx, expr, lambda b: type(b.value) is cst.Attribute and b.value.attr.value == what)
            value = binding.value if binding is not None else None
            return self._inherited(value, what) if type(value) is cst.Attribute and self.inference.infer(expr) is None else ()
        if type(expr) is not cst.Attribute or expr.attr.value != what or (what == "user" and not self._user_possible):
            return ()
        if self.inference.infer(expr) is not None:
            return ()
        bases = self.inference.inherited_setters.get(id(expr.value), ())
        return () if bases and what == "user" and self._text(expr) in self._loaded_here() else bases

    def _report(self, node: cst.CSTNode, message: str, inherited: tuple[str, ...], what: str, session_param: str | None = None, user_param: str | None = None, helper_param: str | None = None) -> None:
        ctx = self.ctx
        if what == "user" and _decorators_only(inherited):
            # A django-ninja operation: an auth that runs before it loaded or set the user.
            found = route_auth(ctx, ctx.current_function)
            auth, router = found or (None, "")
            if auth == AUTH:
                return
            if auth == ELSEWHERE:
                self._record_use(NinjaRequestUse(message=message, router=router), node)
                return
            helper = self._helper_name() if found is None and helper_param is not None and not inherited else None
            if helper is not None:
                # A function an operation may hand its request to: its callers decide.
                self._record_use(HelperRequestUse(message=message, name=helper), node)
                return
        if not inherited:
            self.flag(node, "DJA205", message, session_param=session_param, user_param=user_param)
            return
        self._record_use(InheritedRequestUse(bases=inherited, what=what, message=message), node)

    def _record_use(self, fact: Fact, node: cst.CSTNode) -> None:
        """A use a project check reports or not: recorded where ``flag`` would report it."""
        ctx = self.ctx
        if not ctx.in_async_context or self.inference.async_unsafe_opt_out or self._in_attribute_error_fallback() or ctx.only_without_loop() or not ctx.reportable("DJA205"):
            return
        ctx.add_fact(fact, node)

    def _user(self, node: cst.CSTNode, expr: cst.BaseExpression, how: str, inherited: tuple[str, ...] = ()) -> None:
        request = _request_spelling(self.ctx, expr)
        # A read a decorator of another module may prepare has the same verdict as the first.
        first = _decorators_only(inherited) and self.ctx.in_async_context
        if first:
            # The lazy user loads once: a read that runs only after one
            # reported already is not another query (nor runs, if that raised).
            loads = self._user_loads.setdefault(request, [])
            if any(point.dominates(self.ctx.stack) for point in loads):
                return
            loads.append(EvaluatedPoint.at(self.ctx.stack))
        fix = self.suggestion("request", "user", lambda twin: f"`user = await {request}.{twin}()` and use `user`", "`await sync_to_async(...)` around the code that reads the user")
        # A read of the user on a request parameter of a sync helper: no query
        # where the caller's request has its user loaded (summary: a guard).
        param = self._request_parameter(_user_of_request(expr))
        self._report(
            node,
            f"{how} `{shown(self.ctx, expr)}` loads the lazy `request.user` from the database synchronously (SynchronousOnlyOperation in async code); use {fix}",
            inherited,
            "user",
            user_param=param if not self.ctx.in_async_context else None,
            helper_param=param if self.ctx.in_async_context else None,
        )

    def _helper_name(self) -> str | None:
        """Where the project has a django-ninja API: the qualified name of
        the async function being analysed, a module-level one, or of the
        module-level def it is nested in (a decorator's wrapper); None for
        a method, or without a module name."""
        function = self.ctx.current_function
        if function is None or not function.is_async or self.ctx.module_name is None or not self._ninja_api:
            return None
        while function.parent is not None:
            function = function.parent
        if function.class_name is not None or function.scope.parent is None or function.scope.parent.kind != "module":
            return None
        return f"{self.ctx.module_name}.{function.name}"

    def _note_handed_on(self, node: cst.Call) -> None:
        """A call in an async function with its request parameter among the
        arguments (``services.update_profile(request)``): the callee's
        qualified name, with what ran before the function (``RequestHandedOn``)."""
        function = self.ctx.current_function
        if function is None or not function.is_async:
            return
        params = set(positional_params(function.node.params))
        if not any(type(arg.value) is cst.Name and arg.value.value in params for arg in node.args):
            return
        callee = self._project_name(node.func, function.scope)
        if callee is not None:
            self._handed_on.append((callee, handed_on_before(self.ctx, function)))

    def _project_name(self, expr: cst.BaseExpression, scope) -> str | None:
        """The qualified name of a function ``expr`` names: imported, or a module-level def of this module."""
        qualified = self.ctx.qualified_name(expr, scope)
        if qualified is not None:
            return qualified
        if type(expr) is cst.Name and self.ctx.module_name is not None:
            found = lookup(scope, expr.value)
            if found is not None and found[0].kind == "module" and any(isinstance(b.node, cst.FunctionDef) for b in found[1]):
                return f"{self.ctx.module_name}.{expr.value}"
        return None

    def leave_Module(self, node: cst.Module) -> None:
        if not self._ninja_api:
            return
        # The decorators on the module's async functions: their wrappers get the request first.
        for function in self.ctx.functions:
            if function.is_async and function.node.decorators:
                before = None
                for decorator in function.node.decorators:
                    named = decorator.decorator.func if type(decorator.decorator) is cst.Call else decorator.decorator
                    name = self._project_name(named, function.scope.parent or function.scope)
                    if name is not None:
                        before = before or handed_on_before(self.ctx, function)
                        self._handed_on.append((name, before))
        if self._handed_on:
            self.ctx.add_fact(RequestHandedOn(uses=tuple(dict.fromkeys(self._handed_on)), module=self.ctx.module_name or ""))

    def _session(self, node: cst.CSTNode, name: str, what: str, session: cst.BaseExpression | None = None, inherited: tuple[str, ...] = ()) -> None:
        if session is not None and name in SESSION_CACHED and self._text(session) in self._loaded_here():
            return
        if self.inference.table.session_without_io:
            return  # the settings' signed-cookie sessions: the data is in the cookie, no query
        if session is not None and isinstance(self.inference.infer(session), ScopeSessionValue):
            self._scope_session(node, name, what, session)
            return
        request = _request_spelling(self.ctx, session)
        fix = self.suggestion("session", name, lambda twin: f"`await {request}.session.{twin}(...)`", "`await sync_to_async(...)` around the session access")
        # A read of the session's cache, on a request parameter of a sync helper: no
        # query where the caller's decorator loaded the session (summary: a guard).
        param = self._request_parameter(session) if name in SESSION_CACHED and not self.ctx.in_async_context else None
        self._report(
            node, f"`{what}` loads or saves the session synchronously (SynchronousOnlyOperation in async code with a database-backed session); use {fix}", inherited, "session", session_param=param
        )

    def _request_parameter(self, session: cst.BaseExpression | None) -> str | None:
        """``request`` of ``request.session``, where it is a parameter the
        current function never rebinds."""
        if type(session) is not cst.Attribute or type(session.value) is not cst.Name:
            return None
        function = self.ctx.current_function
        name = session.value.value
        bindings = function.scope.bindings.get(name) if function is not None else None
        return name if bindings is not None and len(bindings) == 1 and bindings[0].kind == PARAM else None

    def _scope_session(self, node: cst.CSTNode, name: str, what: str, session: cst.BaseExpression) -> None:
        """A Channels consumer's ``self.scope["session"]``: its data is read
        and set without a query (AuthMiddleware's user lookup loaded it in a
        thread); ``save()``, ``flush()``, ``cycle_key()``... write to the
        session store synchronously."""
        if name in SESSION_CACHED or name in SESSION_NON_LOADING:
            return
        spelled = shown(self.ctx, session)
        fix = self.suggestion("session", name, lambda twin: f"`await {spelled}.{twin}()`", f"`await database_sync_to_async({spelled}.{name})()`")
        self.flag(node, "DJA205", f"`{what}` writes the session synchronously (SynchronousOnlyOperation in async code with a database-backed session); use {fix}")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        inherited: tuple[str, ...] = ()
        if not self._is_lazy_user(node.value):
            inherited = self._inherited(node.value, "user")
            if not inherited:
                return
        parent = self.ctx.parent
        if isinstance(parent, cst.Call) and parent.func is node and node.attr.value in self.user_methods:
            return  # DJA206 reports the permission/password call
        if self._handed_to_a_thread(node):
            # ``sync_to_async(request.user.has_perms)(...)``: the bound method is read here, on the loop.
            shown_node = shown(self.ctx, node)
            message = (
                f"reading `{shown_node}` to hand it to a thread loads the lazy `request.user` from the database on the event loop first "
                f"(SynchronousOnlyOperation in async code); read it in the thread: `sync_to_async(lambda: {shown_node}(...))`"
            )
            self._report(node, message, inherited, "user")
            return
        self._user(node, node, "reading", inherited)

    def _handed_to_a_thread(self, node: cst.Attribute) -> bool:
        """``node`` is the callable a ``sync_to_async(...)`` call wraps."""
        stack = self.ctx.stack
        if len(stack) < 3 or type(stack[-2]) is not cst.Arg or stack[-2].value is not node or stack[-2].keyword is not None:
            return False
        call = stack[-3]
        return type(call) is cst.Call and call.args[0] is stack[-2] and self.ctx.qualified_name(call.func) in THREAD_DECORATORS

    def visit_Comparison(self, node: cst.Comparison) -> None:
        operands = [node.left] + [c.comparator for c in node.comparisons]
        forcing = any(isinstance(c.operator, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)) for c in node.comparisons)
        for index, operand in enumerate(operands):
            if forcing and self._is_lazy_user(operand):
                self._user(operand, operand, "comparing")
            if index > 0 and isinstance(node.comparisons[index - 1].operator, (cst.In, cst.NotIn)) and isinstance(self.inference.infer(operand), SessionValue):
                self._session(node, "__contains__", shown(self.ctx, node), operand)

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
        session = isinstance(self.inference.infer(node.value), SessionValue)
        inherited = () if session else self._inherited(node.value, "session")
        if session or inherited:
            parent = self.ctx.parent
            name = "__setitem__" if isinstance(parent, cst.AssignTarget) else "__delitem__" if isinstance(parent, cst.Del) else "__getitem__"
            self._session(node, name, shown(self.ctx, node), node.value, inherited)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.session_methods:
            session = isinstance(self.inference.infer(func.value), SessionValue)
            inherited = () if session else self._inherited(func.value, "session")
            if session or inherited:
                self._session(node, func.attr.value, f"{shown(self.ctx, func)}()", func.value, inherited)
                return
        if self.ctx.in_async_context:
            self._note_request_loads_at(node)
            self._note_loads(node)
            if self._ninja_api:
                self._note_handed_on(node)
        if not any(self._is_lazy_user(arg.value) for arg in node.args):
            return
        if self._call_forces_arguments(node):
            for arg in node.args:
                if self._is_lazy_user(arg.value):
                    self._user(arg.value, arg.value, "passing")

    def _note_request_loads_at(self, node: cst.Call) -> None:
        """What of each request this call passes on by name is loaded here
        (``FileContext.request_loads_at``): a sync helper's read of it runs
        no query then (the project index rules its finding out)."""
        loaded = self._loaded_here()
        if not loaded:
            return
        found: dict[str, list[str]] = {}
        for arg in node.args:
            if type(arg.value) is cst.Name and not arg.star:
                name = arg.value.value
                parts = [what for what in ("session", "user") if f"{name}.{what}" in loaded]
                if parts:
                    found[name] = parts
        if found:
            self.ctx.request_loads_at[id(node)] = found

    def _note_loads(self, node: cst.Call) -> None:
        """Record what this call leaves loaded for the rest of the function:
        ``await request.session.aget(...)`` fills the session cache;
        ``sync_to_async(lambda: request.user.is_authenticated)()`` evaluates
        the lazy user in the thread, so later reads of it run no query."""
        func = node.func
        if isinstance(self.ctx.parent, cst.Await) and isinstance(func, cst.Attribute) and func.attr.value in self.session_loading and isinstance(self.inference.infer(func.value), SessionValue):
            self._loaded_here().add(self._text(func.value))
            return
        if isinstance(self.ctx.parent, cst.Await):
            awaited = self._request_loading(node)
            if awaited is not None:
                request, loads = awaited
                self._loaded_here().update(f"{self._text(request)}.{what}" for what in loads)
                return
        handed = handed_callable(self.ctx, node)
        if handed is None:
            return
        for arg in self._thread_arguments(node, handed):
            if isinstance(self.inference.infer(arg.value), LazyUserValue):
                # ``sync_to_async(get_object_or_404)(Progress, user=user)``:
                # the thread builds its query from the lazy user, or reads it
                # otherwise; later reads of it here may run no query.
                user = self._text(arg.value)
                self._loaded_here().update((user, user.removesuffix(".user") + ".session"))
        method = handed.value
        if type(method) is cst.Attribute and method.attr.value in self.session_methods and isinstance(self.inference.infer(method.value), SessionValue):
            # ``await sync_to_async(request.session.get)("k")``: the thread filled the session's cache.
            self._loaded_here().add(self._text(method.value))
            return
        found = self._thread_body(handed.value)
        if found is None:
            return
        body, scope = found
        for attribute in _attributes(body):
            inferred = self.inference.infer(attribute.value, scope)
            if isinstance(inferred, LazyUserValue):
                # Django's lazy user reads the session to find the user: both are loaded.
                user = self._text(attribute.value)
                self._loaded_here().update((user, user.removesuffix(".user") + ".session"))
            elif isinstance(inferred, SessionValue) and attribute.attr.value in self.session_methods:
                self._loaded_here().add(self._text(attribute.value))

    def _thread_arguments(self, node: cst.Call, handed: cst.Arg) -> list[cst.Arg]:
        """The arguments the callable ``node`` hands to a thread is called
        with: the next call's (``sync_to_async(f)(user)``), or those after
        it in the same call (``asyncio.to_thread(f, user)``, ``run_in_executor``)."""
        parent = self.ctx.parent
        if type(parent) is cst.Call and parent.func is node:
            return list(parent.args)
        if self.ctx.qualified_name(node.func) in THREAD_DECORATORS:
            return []  # the adapted callable, called elsewhere
        return list(node.args[node.args.index(handed) + 1 :])

    def _request_loading(self, call: cst.Call) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
        """An awaited call that leaves the request's session loaded, and its
        user set (``_loads``), or an awaited helper of this module that
        awaits one on the request it is given (``_loading_helper``)."""
        found = self._loads(call, self.ctx.scope, lambda expr: isinstance(self.inference.infer(expr), DjangoRequestValue))
        if found is None and type(call.func) in (cst.Name, cst.Attribute):
            return self._loading_helper(call)
        return found

    def _loads(self, call: cst.Call, scope: Scope, is_request) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
        """(the request, what the awaited ``call`` loads of it), where
        ``is_request`` accepts the request it is made on:
        ``await alogin(request, user)`` and ``alogout`` set ``request.user``
        and go through the session's async methods; ``await request.auser()``
        (and ``aget_user(request)``, what it runs) reads the session with
        ``aget`` (the lazy ``request.user`` keeps a cache of its own)."""
        func = call.func
        if type(func) is cst.Attribute and func.attr.value == "auser":
            return (func.value, ("session",)) if is_request(func.value) else None
        first = call.args[0] if call.args else None
        if first is None or first.keyword is not None or first.star:
            return None
        qualified = self.ctx.qualified_name(func, scope)
        loads = ("session",) if qualified in AUTH_USER_GETTERS else ("session", "user") if qualified in AUTH_LOGINS else None
        return (first.value, loads) if loads is not None and is_request(first.value) else None

    def _loading_helper(self, call: cst.Call) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
        """``await require_login(request)``: an ``async def`` of this module
        that awaits what loads the request it is given (``auser()``,
        ``aget_user``, ``alogin``/``alogout``) leaves it loaded for its caller
        too; so does a def run in a thread (``@sync_to_async``, a method of
        the view: ``await self._get_user(request)``) that reads the user of
        the request it is given (``if request.user:``, ``request.user.pk``)."""
        found = self._helper_def(call.func)
        if found is None:
            return None
        helper, scope = found
        in_thread = helper.asynchronous is None
        if in_thread and not any(self.ctx.qualified_name(d.decorator, scope) in THREAD_DECORATORS for d in helper.decorators):
            return None
        for arg in call.args:
            if arg.star or not isinstance(self.inference.infer(arg.value), DjangoRequestValue):
                continue
            param = parameter_for(helper, call, arg, bound=0 if type(call.func) is cst.Name else 1)
            if param is None:
                continue
            loads = _thread_user_loads(helper, param) if in_thread else self._helper_loads(helper, scope, param)
            if loads:
                return arg.value, loads
        return None

    def _helper_def(self, func: cst.BaseExpression) -> tuple[cst.FunctionDef, Scope] | None:
        """The def a call names: a function of this module, or a method of
        the class of ``self`` (the method's first parameter)."""
        from async_lint.analysis.receivers import self_class_scope

        if type(func) is cst.Name:
            return defined_function(self.ctx.scope, func.value)
        if type(func) is not cst.Attribute or type(func.value) is not cst.Name:
            return None
        class_scope = self_class_scope(func.value.value, self.ctx.scope)
        if class_scope is None:
            return None
        classdef = class_scope.node
        body = classdef.body.body if type(classdef.body) is cst.IndentedBlock else ()
        methods = [s for s in body if type(s) is cst.FunctionDef and s.name.value == func.attr.value]
        return (methods[0], class_scope.parent or class_scope) if len(methods) == 1 else None

    def _helper_loads(self, helper: cst.FunctionDef, scope: Scope, param: str) -> tuple[str, ...]:
        """What the helper's own awaited calls load of its parameter ``param``
        (nested defs are not its own code)."""
        key = (id(helper), param)
        known = self._helpers_load.get(key)
        if known is not None:
            return known
        loads: set[str] = set()
        stack: list[cst.CSTNode] = [helper.body]
        while stack:
            node = stack.pop()
            if type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                continue
            if type(node) is cst.Await and type(node.expression) is cst.Call:
                found = self._loads(node.expression, scope, lambda expr: type(expr) is cst.Name and expr.value == param)
                if found is not None:
                    loads.update(found[1])
            stack.extend(children(node))
        found = self._helpers_load[key] = tuple(sorted(loads))
        return found

    def _thread_body(self, handed: cst.BaseExpression) -> tuple[cst.CSTNode, Scope] | None:
        """The code a callable handed to a thread runs, with the scope its
        names resolve in: a lambda without parameters, or a def of the
        current function."""
        if isinstance(handed, cst.Lambda):
            return (handed.body, self.ctx.scope) if not _lambda_params(handed) else None
        function = self.ctx.current_function
        if isinstance(handed, cst.Name) and function is not None:
            for local in function.local_defs(handed.value):
                if local.asynchronous is None:
                    info = self.ctx.function_info(local)
                    return (local.body, info.scope) if info is not None else None
        return None

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


def _request_spelling(ctx, expr: cst.BaseExpression | None) -> str:
    """How the code names the request whose ``.user``/``.session`` ``expr``
    is (``self.request``, ``django_request``); ``request`` where it cannot tell."""
    while isinstance(expr, cst.Attribute):
        if expr.attr.value in ("user", "session"):
            return shown(ctx, expr.value)
        expr = expr.value
    return "request"


def _lambda_params(node: cst.Lambda) -> bool:
    params = node.params
    return bool(params.params or params.posonly_params or params.kwonly_params or isinstance(params.star_arg, cst.Param) or params.star_kwarg)


def _attributes(root: cst.CSTNode) -> list[cst.Attribute]:
    found: list[cst.Attribute] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute):
            found.append(node)
        stack.extend(children(node))
    return found


# -- views whose bases are another module's -------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class InheritedRequestUse(Fact):
    """DJA205 in a method of a view whose request only bases of other
    modules may have prepared (set ``request.user``, loaded the session):
    reported unless one of those may."""

    kind = "request.inherited_use"
    bases: tuple[str, ...]  # their qualified names, as the file imports them
    what: str  # "user" | "session"
    message: str


@dataclass(frozen=True, kw_only=True)
class RequestSetupClasses(Fact):
    """What the module's classes do to the request before a view's handler
    runs: per class, for the user and for the session, "sets" (a method
    sets ``request.user``; loads the session), "no", or "maybe" (a base of
    another module may)."""

    kind = "request.setup_classes"
    module: str
    classes: tuple[tuple[str, str, str], ...]
    # A package's names bound by importing them from another module
    # (``from .auth_decorators import async_with_auth``): (name, what it names).
    reexports: tuple[tuple[str, str], ...] = ()


_SETS_REQUEST = re.compile(r"\.user\s*(?:=(?!=)|:|,)|\bauser\b|\balog(?:in|out)\b|\baget_user\b|\b(?:login_required|user_passes_test|permission_required)\b|sync_to_async\(\s*lambda\b[^\n]*\.user\b")


_VIEW_SETUP_METHODS = frozenset({"dispatch", "setup", "get", "post", "put", "patch", "delete", "head", "options"})


def _may_prepare_a_view(cls: cst.ClassDef) -> bool:
    """A class a view may derive from: a mixin or view by its name, or one
    with a method a view runs (``dispatch``, ``setup``, a handler).  The
    others are left out of the record (a view deriving from one stays silent)."""
    name = cls.name.value
    if "Mixin" in name or "View" in name:
        return True
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return any(type(statement) is cst.FunctionDef and statement.name.value in _VIEW_SETUP_METHODS for statement in body)


def _verdict(found: bool, foreign: tuple[str, ...]) -> str:
    return "sets" if found else "maybe" if foreign else "no"


class RequestSetupFacts(DjangoCheck):
    """Records ``RequestSetupClasses`` for the modules a file's views
    inherit from (analysed because ``InheritedRequestSetup`` needs them)."""

    codes = ("DJA205",)
    text_hints = (ASYNC_DEF_HINT,)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.ctx
        if ctx.module_name is None:
            return
        scope = ctx.module_scope
        # No ``.user = ``, ``auser``, ``alogin``/``alogout`` or a thread's
        # lambda reading ``.user`` in the text: no method sets or loads the
        # user or loads the session (only bases may).
        text = getattr(ctx.source, "text", None)
        methods = text is None or _SETS_REQUEST.search(text) is not None
        classes = []
        for statement in node.body:
            if type(statement) is cst.ClassDef and _may_prepare_a_view(statement):
                user = self.inference.view_sets_user(statement, scope, 0, "user", methods=methods)
                session = self.inference.view_sets_user(statement, scope, 0, "session", methods=methods)
                classes.append((statement.name.value, _verdict(*user), _verdict(*session)))
            elif type(statement) is cst.FunctionDef and methods:
                # A decorator whose wrapper sets the user before the view runs.
                delegate = module_def(scope)
                user_set, session_loaded = wrapper_sets_user(statement, "user", module_def=delegate), wrapper_sets_user(statement, "session", auth_tested(ctx, scope), delegate)
                if user_set or session_loaded:
                    classes.append((statement.name.value, _verdict(user_set, ()), _verdict(session_loaded, ())))
        reexports = package_reexports(ctx) if ctx.is_package else ()
        if classes or reexports:
            ctx.add_fact(RequestSetupClasses(module=ctx.module_name, classes=tuple(classes), reexports=reexports))


class InheritedRequestSetup(ProjectCheck):
    codes = ("DJA205",)
    fact_kinds = (InheritedRequestUse, RequestSetupClasses)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """The modules the views' bases are imported from, and once a
        package is read, the modules it re-exports them from."""
        reexports = _setup_reexports(facts)
        return defining_paths({reexported_name(base.lstrip("@"), reexports) for _, fact in facts.of(InheritedRequestUse) for base in fact.bases}, project)

    def run(self, facts: ProjectFacts) -> list[Finding]:
        verdicts = facts.by_qualified_name(RequestSetupClasses, lambda fact: ((name, (user, session)) for name, user, session in fact.classes))
        reexports = _setup_reexports(facts)
        out = []
        for path, fact in facts.of(InheritedRequestUse):
            which = 0 if fact.what == "user" else 1
            # A base no module of the project declares (a library's) may
            # prepare it; a decorator (``@name``) is recorded only where its
            # wrapper sets the user.
            if fact.positioned and all(verdicts.get(reexported_name(base.lstrip("@"), reexports), ("no", "no") if base.startswith("@") else ("maybe", "maybe"))[which] == "no" for base in fact.bases):
                out.append(finding_at(path, fact.where, "DJA205", fact.message))
        return out


def _setup_reexports(facts: ProjectFacts) -> dict[str, str]:
    """``package.name`` -> what it names, of the packages read for a view's bases."""
    return facts.by_qualified_name(RequestSetupClasses, lambda fact: fact.reexports)


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
            fix = self.suggestion("shortcut", name, lambda twin: f"`await {twin}(...)` (from {module})", f"`await sync_to_async({short})(...)`")
            self.flag(node, "DJA206", f"`{short}()` queries the database synchronously (SynchronousOnlyOperation in async code); use {fix}")
            return
        if type(func) is cst.Attribute and func.attr.value in CONNECTION_METHODS and self._django_connection(func.value):
            self.flag(
                node,
                "DJA206",
                f"`{shown(self.ctx, node)}` uses Django's database connection synchronously (SynchronousOnlyOperation in async code); "
                + ("run the raw SQL in a sync function" if "cursor" in func.attr.value else "call it in a sync function")
                + ": `await sync_to_async(fn)()`",
            )
            return
        if isinstance(func, cst.Attribute) and func.attr.value in self.user_methods:
            if self._is_user(func.value):
                self.flag(node, "DJA206", self._user_method_message(node, func))
            elif self.inference.infer(func.value) is None:
                # Perhaps a user another module's function returned: the project check decides.
                record_foreign_use(self, func.value, USER, "DJA206", lambda: self._user_method_message(node, func), node)

    def _django_connection(self, expr: cst.BaseExpression, bound: bool = True) -> bool:
        """``connection`` (``django.db.connection``), ``connections[alias]``,
        ``transaction.get_connection()``, or (``bound``) a local bound only to one."""
        kind = type(expr)
        if kind is cst.Subscript:
            return self.ctx.qualified_name(expr.value) == "django.db.connections"
        if kind is cst.Call:
            return self.ctx.qualified_name(expr.func) == "django.db.transaction.get_connection"
        if self.ctx.qualified_name(expr) == "django.db.connection":
            return True
        if kind is not cst.Name or not bound:
            return False
        found = self.ctx.lookup_with_scope(expr.value)
        if found is None or found[0].kind != "function":
            return False
        from async_lint.analysis.reaching import reaching_assigned_values

        values = reaching_assigned_values(self.ctx, found[0], found[1], expr)
        return values is not None and all(self._django_connection(value, bound=False) for value in values)

    def _user_method_message(self, node: cst.Call, func: cst.Attribute) -> str:
        method = func.attr.value
        what = "hashes the password on the event loop and may save the user" if method == "check_password" else "queries the user's permissions synchronously (SynchronousOnlyOperation in async code)"
        fix = self.suggestion("user", method, lambda twin: f"`await {shown(self.ctx, func.value)}.{twin}(...)`", f"`await sync_to_async({shown(self.ctx, func)})(...)`")
        return f"`{shown(self.ctx, node)}` {what}; use {fix}"

    def _is_user(self, expr: cst.BaseExpression) -> bool:
        value = self.inference.infer(expr)
        return isinstance(value, LazyUserValue) or is_user_value(value)


def _thread_user_loads(helper: cst.FunctionDef, param: str) -> tuple[str, ...]:
    """``("session", "user")`` where the body of a def run in a thread evaluates the
    lazy user of its request parameter ``param`` in a statement of its own
    body, not under a branch: ``if request.user:`` (the test),
    ``request.user.pk``; else ()."""
    body = helper.body.body if type(helper.body) is cst.IndentedBlock else ()
    for statement in body:
        if type(statement) is cst.If:
            tested = statement.test
            if _is_user_of(tested, param) or (type(tested) is cst.Attribute and _is_user_of(tested.value, param)):
                return USER_AND_SESSION
            continue
        if type(statement) is not cst.SimpleStatementLine:
            continue
        stack: list[cst.CSTNode] = list(statement.body)
        while stack:
            node = stack.pop()
            if type(node) in (cst.Lambda, cst.IfExp, cst.BooleanOperation, cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp):
                continue
            if type(node) is cst.Attribute and _is_user_of(node.value, param):
                return USER_AND_SESSION
            stack.extend(children(node))
    return ()


# Evaluating Django's lazy user reads the session (``get_user(request)``): both are loaded.
USER_AND_SESSION = ("session", "user")


def _is_user_of(expr: cst.BaseExpression, param: str) -> bool:
    return type(expr) is cst.Attribute and expr.attr.value == "user" and type(expr.value) is cst.Name and expr.value.value == param


def _user_of_request(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """``request.user`` in ``request.user.profile.pk`` (the lazy user an
    attribute chain starts from), where it is a name's ``user``."""
    while type(expr) is cst.Attribute:
        if expr.attr.value == "user" and type(expr.value) is cst.Name:
            return expr
        expr = expr.value
    return None
