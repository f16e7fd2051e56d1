"""DJA205 in django-ninja operations: whose request an authentication ran on.

Ninja runs an operation's authentication before the operation
(``AsyncOperation.run``: ``_run_checks`` then the view): ``django_auth``'s
``SessionAuth`` reads ``request.user`` in a thread (``sync_to_async`` around a
sync callback), and a project's async auth sees the request first and may set
``request.user`` itself.  So where an operation has an auth (its decorator's
``auth=``, its router's, or the API's), ``request.user`` in it is no evidence of
a lazy user; where it has none (``auth=None``, or no auth anywhere in the
project) the lazy user is still the one Django's middleware set.

django-ninja-extra runs a route's auth and permissions (the route's, or
else its controller's) before the route, a sync permission in a thread
(``sync_to_async(permission.has_permission)``): a permission other than
``AllowAny`` asks about the user, which is then loaded.

The operation's own decorator and a router or API built in the same module
with an ``auth=`` decide in the file (``route_auth``); a router without one,
which an API of the project may give its auth when it adds the router, is
decided by ``NinjaRouteAuth`` over the ``NinjaAuthedRouters`` facts of the
whole project.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.analysis.model_skeleton import resolve_relative
from async_lint.analysis.reaching import is_none_literal
from async_lint.analysis.scopes import ASSIGN, IMPORT, lookup, positional_params
from async_lint.checks.base import Check, ProjectCheck, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.file_analysis import ASYNC_DEF_HINT
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

OPERATION_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "api_operation"})
ROUTERS = frozenset({"ninja.Router", "ninja.router.Router"})
APIS = frozenset({"ninja.NinjaAPI", "ninja.main.NinjaAPI"})
# django-ninja-extra's route decorators, and its controller decorators.
EXTRA_OPERATIONS = frozenset({"http_get", "http_post", "http_put", "http_patch", "http_delete", "http_generic"})
EXTRA_CONTROLLERS = frozenset({"api_controller", "ApiController", "router"})  # router: its older name
# A file that may build a router or an API with an auth.
AUTH_TEXT = re.compile(rb"\b(?:NinjaAPI|Router|add_router)\s*\(")
ASYNC_DEF = re.compile(rb"\basync\s+def\b")

# What ``route_auth`` finds.
AUTH = "auth"  # an auth runs before the operation
NO_AUTH = "none"  # none does
ELSEWHERE = "elsewhere"  # the API that adds the router decides


def route_auth(ctx, function) -> tuple[str, str] | None:
    """Whether an auth runs before the ninja operation ``function`` (a
    ``FunctionInfo``): (AUTH or NO_AUTH, ""), or (ELSEWHERE, the router's
    qualified name) for a router with no ``auth=`` of its own, which an API
    may give one; None where it is no ninja operation (by a decorator
    ``<router>.get(...)`` in a module that imports ninja)."""
    if function is None or not _imports_ninja(ctx):
        return None
    extra = _extra_operation_auth(ctx, function)
    if extra is not None:
        return extra, ""
    for decorator in function.node.decorators:
        call = decorator.decorator
        if type(call) is not cst.Call or type(call.func) is not cst.Attribute or call.func.attr.value not in OPERATION_METHODS:
            continue
        own = _auth_argument(call)
        if own is not None:
            return own, ""
        binding = _router_binding(ctx, call)
        if binding is None:
            continue
        if binding.kind == IMPORT:
            return ELSEWHERE, binding.target or ""  # a router (or API) of another module
        if ctx.qualified_name(binding.value.func) in ROUTERS:
            own_router = _auth_argument(binding.value)
            if own_router is not None:
                return own_router, ""
            router = f"{ctx.module_name or '<module>'}.{call.func.value.value}"
            # Added to an API with an auth in this module: decided here.
            return (AUTH, "") if router in _own_authed_routers(ctx) else (ELSEWHERE, router)
        return _auth_argument(binding.value) or NO_AUTH, ""  # an API's
    return None


def ninja_request_param(ctx, function) -> str | None:
    """The request parameter of a django-ninja operation (its first
    positional one, after ``self`` in a controller's method); None for
    another function."""
    if function is None or not function.node.decorators or not _imports_ninja(ctx) or _operation_route(ctx, function) is None:
        return None
    params = positional_params(function.node.params)
    if function.class_name and params:
        params = params[1:]
    return params[0] if params else None


def _own_authed_routers(ctx) -> frozenset[str]:
    """The routers this module adds to an API of its own with an auth."""
    return frozenset(router for fact in ctx.shared(_module_authed_routers) for router in fact.routers)


def _module_authed_routers(ctx) -> list[Fact]:
    """The module's ``NinjaAuthedRouters``, read once a file (``route_auth``
    and ``NinjaAuthFacts`` both ask)."""
    tree = getattr(ctx.source, "python_tree", None)
    text = getattr(ctx.source, "text", "")
    if tree is None or not ("NinjaAPI" in text or "Router" in text or "add_router" in text):
        return []
    return authed_routers(tree, ctx.module_name, ctx.is_package)


def _router_binding(ctx, call: cst.Call):
    """The one module-level binding of the owner of an operation decorator
    (``router`` of ``@router.get(...)``) where it is an import (a router or
    API of another module) or a ``Router(...)``/``NinjaAPI(...)`` built
    here; None for another decorator."""
    owner = call.func.value if type(call.func) is cst.Attribute and call.func.attr.value in OPERATION_METHODS else None
    if type(owner) is not cst.Name:
        return None
    found = lookup(ctx.module_scope, owner.value)
    if found is None or len(found[1]) != 1:
        return None
    binding = found[1][0]
    if binding.kind == IMPORT or (binding.kind == ASSIGN and type(binding.value) is cst.Call and ctx.qualified_name(binding.value.func) in ROUTERS | APIS):
        return binding
    return None


def _extra_route(ctx, function) -> cst.Call | None:
    """The route decorator's call of a django-ninja-extra route
    (``@http_get(...)``, ``@route.get(...)`` in a controller), or None."""
    return next((d.decorator for d in function.node.decorators if type(d.decorator) is cst.Call and _is_extra_operation(ctx.qualified_name(d.decorator.func, function.scope.parent) or "")), None)


def _operation_route(ctx, function) -> cst.Call | None:
    """The route decorator's call of a django-ninja operation
    (``@router.get(...)``, ``@api.post(...)`` on a router or API built here or
    imported) or of a django-ninja-extra route; None for another function."""
    extra = _extra_route(ctx, function)
    if extra is not None:
        return extra
    return next((d.decorator for d in function.node.decorators if type(d.decorator) is cst.Call and _router_binding(ctx, d.decorator) is not None), None)


def validates_response(ctx, function) -> bool:
    """An ``async def`` django-ninja operation with a response schema and no
    ``@paginate``: ninja validates what it returns against the schema on
    the event loop, synchronously (``AsyncOperation.run`` awaits the view,
    then ``_result_to_response``), so a lazy QuerySet returned is iterated
    there.  ``@paginate`` takes the QuerySet and, for an async operation,
    fetches the page with ``async for``."""
    if function is None or not function.is_async or not function.node.decorators or not _imports_ninja(ctx):
        return False
    route = _operation_route(ctx, function)
    if route is None:
        return False
    response = next((arg.value for arg in route.args if arg.keyword is not None and arg.keyword.value == "response"), None)
    if response is None or is_none_literal(response):
        return False
    for decorator in function.node.decorators:
        named = decorator.decorator.func if type(decorator.decorator) is cst.Call else decorator.decorator
        last = named.attr.value if type(named) is cst.Attribute else named.value if type(named) is cst.Name else ""
        if "paginate" in last:
            return False
    return True


def returned_body(ctx, value: cst.BaseExpression) -> cst.BaseExpression:
    """What ninja validates of an operation's return value: the body of
    ``Status(200, body)`` or of a ``(200, body)`` tuple, else the value."""
    if type(value) is cst.Tuple and len(value.elements) == 2 and type(value.elements[0].value) is cst.Integer:
        return value.elements[1].value
    if type(value) is cst.Call and len(value.args) == 2:
        qualified = ctx.qualified_name(value.func) or ""
        if qualified.startswith("ninja") and qualified.rpartition(".")[2] == "Status":
            return value.args[1].value
    return value


def _extra_operation_auth(ctx, function) -> str | None:
    """AUTH or NO_AUTH for a django-ninja-extra route (``@http_get(...)``,
    ``@route.post(...)`` in a controller): ninja-extra runs the route's, or
    else its controller's, auth and permissions before it (a sync
    permission in a thread, ``sync_to_async(permission.has_permission)``),
    and a permission asks about the user.  None where it is no such route."""
    route = _extra_route(ctx, function)
    if route is None:
        return None
    auth, permissions = _auth_argument(route), _permissions_argument(route)
    scope = function.scope.parent
    if scope is not None and scope.kind == "class":
        for decorator in scope.node.decorators:
            call = decorator.decorator
            controller = (ctx.qualified_name(call.func, scope.parent) or "") if type(call) is cst.Call else ""
            if controller.partition(".")[0] == "ninja_extra" and controller.rpartition(".")[2] in EXTRA_CONTROLLERS:
                auth = auth or _auth_argument(call)
                permissions = permissions if permissions is not None else _permissions_argument(call)
        if permissions is None:
            # ``permission_classes = [IsAuthenticated]`` in the controller's body.
            for statement in scope.node.body.body:
                if type(statement) is cst.SimpleStatementLine and type(statement.body[0]) is cst.Assign:
                    assign = statement.body[0]
                    if any(type(t.target) is cst.Name and t.target.value == "permission_classes" for t in assign.targets):
                        permissions = _permissions_value(assign.value)
    return AUTH if auth == AUTH or permissions else NO_AUTH


def _is_extra_operation(qualified: str) -> bool:
    if qualified.partition(".")[0] != "ninja_extra":
        return False
    owner, _, last = qualified.rpartition(".")
    return last in EXTRA_OPERATIONS or (last in OPERATION_METHODS and owner.rpartition(".")[2] == "route")


def _permissions_argument(call) -> bool | None:
    """Whether a call's ``permissions=`` names a permission other than
    ``AllowAny``; None without the argument."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "permissions":
            return _permissions_value(arg.value)
    return None


def _permissions_value(value) -> bool:
    """A list of permissions holds one other than ``AllowAny`` (what cannot be read counts as one)."""
    if type(value) not in (cst.List, cst.Tuple):
        return not is_none_literal(value)
    for element in value.elements:
        named = element.value.func if type(element.value) is cst.Call else element.value
        last = named.attr.value if type(named) is cst.Attribute else named.value if type(named) is cst.Name else ""
        if last != "AllowAny":
            return True
    return False


def _auth_argument(call) -> str | None:
    """AUTH or NO_AUTH by a call's ``auth=`` argument; None without one."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "auth":
            return NO_AUTH if is_none_literal(arg.value) else AUTH
    return None


def _imports_ninja(ctx) -> bool:
    return ctx.shared(_module_imports_ninja)


def _module_imports_ninja(ctx) -> bool:
    return any(binding.kind == IMPORT and (binding.target or "").partition(".")[0] in ("ninja", "ninja_extra") for bindings in ctx.module_scope.bindings.values() for binding in bindings)


@dataclass(frozen=True, kw_only=True)
class NinjaRequestUse(Fact):
    """DJA205 in a ninja operation of a router whose API is built in
    another module: reported unless an API or router of the project has an auth."""

    kind = "ninja.request_use"
    message: str
    router: str  # the router's qualified name (as this module imports it)


@dataclass(frozen=True, kw_only=True)
class HelperRequestUse(Fact):
    """DJA205 in an async function that is no operation, on its request
    parameter (``services.update_profile(request)``, or the wrapper of a
    decorator): reported unless every call of the function, or every use
    of the decorator, that the project's async code makes with its request
    (``RequestHandedOn``) is a django-ninja operation's whose auth ran
    before it (set or loaded the user)."""

    kind = "ninja.helper_request_use"
    message: str
    # The function's qualified name, or the module-level def (a decorator) it is nested in.
    name: str


@dataclass(frozen=True, kw_only=True)
class RequestHandedOn(Fact):
    """What the async functions of a module hand their request parameter to:
    (the qualified name of a project function called with it, or of a
    decorator on the function, what ran before: AUTH, NO_AUTH, or the
    qualified name of a router whose API decides)."""

    kind = "ninja.request_handed_on"
    uses: tuple[tuple[str, str], ...]
    module: str = ""  # the recording module's name (its routers' names start with it)


@dataclass(frozen=True, kw_only=True)
class NinjaAuthedRouters(Fact):
    """Routers whose operations run an auth of their own or of the API that
    adds them: ``r = Router(auth=...)`` at module level, and the routers
    ``api.add_router(prefix, r)`` adds to an API built with an auth (or
    with ``auth=`` in that call), each by its qualified name as this module
    imports it (``"items.routes.router"``, or the dotted string ninja takes)."""

    kind = "ninja.authed_routers"
    routers: tuple[str, ...]


def authed_routers(tree: ast.Module, module_name: str | None, is_package: bool) -> list[Fact]:
    """The ``NinjaAuthedRouters`` of a module that imports ninja, read with
    CPython's ``ast``: an auth is any ``auth=`` argument but ``None``."""
    module = module_name or "<module>"
    ninja: dict[str, str] = {}  # local name -> "NinjaAPI" | "Router" | "ninja"
    imported: dict[str, str] = {}  # local name -> what it imports
    starred: list[str] = []  # the modules of its ``from module import *``
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            source = resolve_relative(node.module, node.level, module, is_package)
            for alias in node.names:
                if alias.name == "*":
                    starred.append(source)
                    continue
                imported[alias.asname or alias.name] = f"{source}.{alias.name}"
                if source.partition(".")[0] == "ninja" and alias.name in ("NinjaAPI", "Router"):
                    ninja[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.partition(".")[0]] = alias.name if alias.asname else alias.name.partition(".")[0]
                if alias.name.partition(".")[0] == "ninja" and alias.asname is None:
                    ninja["ninja"] = "ninja"
    if not ninja:
        return []
    built: dict[str, tuple[str, bool]] = {}  # module-level name -> (what it builds, with an auth)
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            kind = _built(node.value.func, ninja)
            if kind is not None:
                built.update({target.id: (kind, _has_auth(node.value)) for target in node.targets if isinstance(target, ast.Name)})

    def qualified(expr: ast.expr) -> list[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value]
        if isinstance(expr, ast.Name):
            found = imported.get(expr.id) or (f"{module}.{expr.id}" if expr.id in built else None)
            if found is not None:
                return [found]
            # Bound nowhere here: ``from app.views import *`` brought it
            # (which of those modules binds it is theirs to say).
            return [f"{source}.{expr.id}" for source in starred]
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in imported:
            return [f"{imported[expr.value.id]}.{expr.attr}"]
        return []

    routers = [f"{module}.{name}" for name, (kind, auth) in built.items() if kind == "Router" and auth]
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_router"):
            continue
        # ``add_router(prefix, router, *, auth=..., tags=...)``
        added = node.args[1] if len(node.args) >= 2 else next((k.value for k in node.keywords if k.arg == "router"), None)
        owner = node.func.value
        api_auth = isinstance(owner, ast.Name) and built.get(owner.id, ("", False))[1]
        if added is not None and (api_auth or _has_auth(node)):
            routers.extend(qualified(added))
    return [NinjaAuthedRouters(routers=tuple(dict.fromkeys(routers)))] if routers else []


def _built(func: ast.expr, names: dict[str, str]) -> str | None:
    """ "NinjaAPI" or "Router" where ``func`` names ninja's class."""
    if isinstance(func, ast.Name):
        return names.get(func.id) if names.get(func.id) != "ninja" else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and names.get(func.value.id) == "ninja" and func.attr in ("NinjaAPI", "Router"):
        return func.attr
    return None


def _has_auth(call: ast.Call) -> bool:
    return any(keyword.arg == "auth" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is None) for keyword in call.keywords)


class NinjaAuthFacts(Check):
    """Records ``NinjaAuthedRouters`` for a module that builds a ninja
    router with an auth or adds routers to an API with one (a light pass
    reads it with ``ast``)."""

    codes = ("DJA205",)
    text_hints = (ASYNC_DEF_HINT,)
    light_fact_hints = (r"\bNinjaAPI\s*\(", r"\bRouter\s*\(", r"\badd_router\s*\(")
    light_facts_reader = "async_lint.checks.django_ninja:authed_routers"

    def leave_Module(self, node) -> None:
        for fact in self.ctx.shared(_module_authed_routers):
            self.ctx.add_fact(fact)


class NinjaRouteAuth(ProjectCheck):
    codes = ("DJA205",)
    fact_kinds = (NinjaRequestUse, NinjaAuthedRouters, HelperRequestUse, RequestHandedOn)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """Where a request use waits on the project's APIs: the files that
        may build or add its router; for a helper's, also the async code
        that may call it (or use the decorator it is the wrapper of)."""
        helpers = sorted({fact.name for _path, fact in facts.of(HelperRequestUse)})
        # A router's auth decides: a use in an operation of one, or a call of a helper from one.
        # (By the function's own name: a module may go by several, see ``run``.)
        functions = {helper.rpartition(".")[2] for helper in helpers}
        uses = (before for _path, fact in facts.of(RequestHandedOn) for name, before in fact.uses if name.rpartition(".")[2] in functions)
        routers = any(True for _ in facts.of(NinjaRequestUse)) or any(before not in (AUTH, NO_AUTH) for before in uses)
        needed = set(project.files_matching(AUTH_TEXT)) if routers else set()
        if helpers:
            # Another module's call names the function and imports its module
            # (``from app.services import f``, ``from . import services``).
            wanted = [(_word(qualified.rpartition(".")[2]), _word(qualified.rpartition(".")[0].rpartition(".")[2])) for qualified in helpers]
            for path in project.files_matching(ASYNC_DEF):
                if any(project.file_matches(path, name) and project.file_matches(path, module) for name, module in wanted):
                    needed.add(path)
        return needed

    def run(self, facts: ProjectFacts) -> list[Finding]:
        authed = {router for _path, fact in facts.of(NinjaAuthedRouters) for router in fact.routers}
        findings = [finding_at(path, fact.where, "DJA205", fact.message) for path, fact in facts.of(NinjaRequestUse) if fact.positioned and fact.router not in authed]
        # A module may go by several names (a namespace package, a folder on
        # sys.path: ``profile.routes`` is also ``api.profile.routes``): each counts.
        uses: dict[str, list[set[str]]] = {}
        for path, fact in facts.of(RequestHandedOn):
            names = facts.names_of(path, fact.module) if fact.module else []
            for name, before in fact.uses:
                local = fact.module and before.startswith(fact.module + ".")
                uses.setdefault(name, []).append({f"{alias}{before[len(fact.module) :]}" for alias in names} if local else {before})
        for path, fact in facts.of(HelperRequestUse):
            module, _, function = fact.name.rpartition(".")
            before = [what for alias in facts.names_of(path, module) for what in uses.get(f"{alias}.{function}", ())]
            if fact.positioned and not (before and all(AUTH in what or what & authed for what in before)):
                findings.append(finding_at(path, fact.where, "DJA205", fact.message))
        return findings


@functools.lru_cache(maxsize=None)
def _word(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"\b" + re.escape(name.encode()) + rb"\b")


def handed_on_before(ctx, function) -> str:
    """What ran before an async function's body of what its request's user
    needs (``RequestHandedOn``): AUTH, the router of an operation whose API
    decides, or NO_AUTH (not an operation, or no auth)."""
    found = route_auth(ctx, function)
    if found is None:
        return NO_AUTH
    auth, router = found
    return router if auth == ELSEWHERE and router else auth if auth == AUTH else NO_AUTH
