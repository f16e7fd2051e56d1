"""DJA507: ATOMIC_REQUESTS with async views (a project-wide rule).

``BaseHandler.make_view_atomic`` (django/core/handlers/base.py) raises
RuntimeError("You cannot use ATOMIC_REQUESTS with async views.") for every
async view not marked ``@transaction.non_atomic_requests`` for that database.

Per file, ``AtomicRequestsFacts`` records: settings lines that set
``ATOMIC_REQUESTS`` to True, modules that assign ``DATABASES``, the
``DJANGO_SETTINGS_MODULE`` a manage.py/asgi.py/wsgi.py names, the
``ROOT_URLCONF`` a settings module names, async function views and async
class-based views, the views urlpatterns and DRF routers point at, and the
URLconfs ``include()`` names.  ``AtomicRequestsCheck`` joins them over the
project.

Only async code and a setting of ``ATOMIC_REQUESTS`` get a full pass for
their text. Once such a setting is known (in a whole run, or a run given
only the settings file: a pre-commit hook after a settings change), the
check declares what else it needs (``needs``): the URLconfs and views the
settings lead to, and the other files that can hold these facts, so the
engine analyses them; a project that never sets it costs nothing more.

An async function counts as a view on evidence only: a urlpattern points at
it, or it is a module-level ``async def`` taking ``request`` first in a views
module (``views.py`` or a ``views/`` package). Async helpers elsewhere,
methods and Channels consumers are not views.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import PurePath

from async_lint import lazy_libcst

from async_lint.checks.base import Check, ProjectCheck, finding_at
from async_lint.checks.django_structure_classes import ClassRegistry, literal_value, positional_params
from async_lint.checks.django_structure_views import handler_kinds
from async_lint.facts import ATOMIC_FACTS, Fact, ProjectFacts
from async_lint.project import ROOT_MARKERS, find_project_root
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

NON_ATOMIC = "django.db.transaction.non_atomic_requests"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
# Decorators after which the function is no longer an async view.
NOT_ASYNC_AFTER = frozenset({"asgiref.sync.sync_to_async", "django.db.transaction.atomic", "channels.db.database_sync_to_async"})
URL_FUNCTIONS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
ASYNC_VIEW_FRAMEWORKS = {"django", "adrf"}
INCLUDE_FUNCTIONS = frozenset({"django.urls.include", "django.conf.urls.include"})
ROUTER_SUFFIX = "Router"
# Text of a file that can hold one of the facts below besides an async view
# (views modules are found by name): a URLconf, a router, a settings
# module, or an entry point naming the settings module.
FACT_TEXT = re.compile(rb"\burlpatterns\b|Router\(|\bDATABASES\b|ATOMIC_REQUESTS|DJANGO_SETTINGS_MODULE|ROOT_URLCONF")


@dataclass(frozen=True, kw_only=True)
class DatabasesSetting(Fact):
    """The module assigns ``DATABASES`` (a settings module)."""

    kind = "structure.databases"


@dataclass(frozen=True, kw_only=True)
class AtomicRequestsSetting(Fact):
    kind = "structure.atomic_requests"
    # Set inside ``DATABASES`` itself (else in a dict a settings module may use for it).
    strong: bool
    alias: str | None = None  # the database's alias, when known


@dataclass(frozen=True, kw_only=True)
class SettingsModuleNamed(Fact):
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", module)``."""

    kind = "structure.settings_module"
    module: str


@dataclass(frozen=True, kw_only=True)
class RootUrlconf(Fact):
    kind = "structure.root_urlconf"
    module: str


@dataclass(frozen=True, kw_only=True)
class UrlInclude(Fact):
    """``include("shop.urls")`` in a URLconf."""

    kind = "structure.url_include"
    module: str


@dataclass(frozen=True, kw_only=True)
class UrlRoute(Fact):
    """A urlpattern's (or a DRF router's) view, by qualified name."""

    kind = "structure.url_view"
    target: str
    non_atomic: bool


@dataclass(frozen=True, kw_only=True)
class AsyncView(Fact):
    kind = "structure.async_view"
    name: str
    takes_request: bool
    in_views_module: bool
    non_atomic: bool


class AtomicRequestsFacts(Check):
    codes = ("DJA507",)
    # Async views, and settings that set ATOMIC_REQUESTS: only then do the
    # project's other settings, URLconfs and routers matter, and
    # ``AtomicRequestsCheck.needs`` asks for them.
    text_hints = (r"\basync\s+def\b", r"ATOMIC_REQUESTS")
    # DJA507 needs async views.
    async_code_only = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self.registry = ClassRegistry.of(ctx)
        self.in_views_module = _is_views_module(ctx.path)
        # Module-level names bound to a DRF router (``router = DefaultRouter()``).
        self.routers: set[str] = set()

    # -- settings --------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.scope.kind != "module":
            return
        self.registry.add_module_assignment(node)
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name) and t.value == "DATABASES":
                self.ctx.add_fact(DatabasesSetting())
                if isinstance(node.value, cst.Dict):
                    self._atomic_entries(node.value, strong=True)
            elif isinstance(t, cst.Name) and t.value == "ROOT_URLCONF" and isinstance(literal_value(node.value), str):
                self.ctx.add_fact(RootUrlconf(module=literal_value(node.value)), node)
            elif isinstance(t, cst.Name) and isinstance(node.value, cst.Call) and (self.ctx.qualified_name(node.value.func) or "").endswith(ROUTER_SUFFIX):
                self.routers.add(t.value)
            elif isinstance(t, cst.Subscript) and _subscript_key(t) == "ATOMIC_REQUESTS" and literal_value(node.value) is True:
                if _subscript_root(t) == "DATABASES":
                    self.ctx.add_fact(AtomicRequestsSetting(strong=True, alias=_subscript_alias(t)), node)
        if not (len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == "DATABASES"):
            # ``_db = {..., "ATOMIC_REQUESTS": True}`` in a settings module.
            if isinstance(node.value, cst.Dict):
                self._atomic_entries(node.value, strong=False)

    def _atomic_entries(self, value: cst.Dict, *, strong: bool, alias: str | None = None) -> None:
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = literal_value(element.key)
            if key == "ATOMIC_REQUESTS" and literal_value(element.value) is True:
                self.ctx.add_fact(AtomicRequestsSetting(strong=strong, alias=alias), element)
            elif isinstance(element.value, cst.Dict):
                self._atomic_entries(element.value, strong=strong, alias=key if isinstance(key, str) else alias)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name == "os.environ.setdefault" and len(node.args) >= 2 and literal_value(node.args[0].value) == "DJANGO_SETTINGS_MODULE":
            module = literal_value(node.args[1].value)
            if isinstance(module, str):
                self.ctx.add_fact(SettingsModuleNamed(module=module), node)
        elif name in URL_FUNCTIONS and len(node.args) >= 2:
            self._url_target(node.args[1].value, non_atomic=False)
        elif name in INCLUDE_FUNCTIONS and node.args:
            included = node.args[0].value
            module = literal_value(included) if isinstance(included, cst.SimpleString) else self.ctx.qualified_name(included)
            if isinstance(module, str):
                self.ctx.add_fact(UrlInclude(module=module), node)
        elif self._router_registration(node):
            self._url_target(node.args[1].value, non_atomic=False)

    def _router_registration(self, node: cst.Call) -> bool:
        """``router.register("orders", OrderViewSet)`` on a module-level router."""
        func = node.func
        # A plain test, not a libcst matcher: importing libcst's matchers
        # costs a worker a quarter of a second, and any module-level
        # ``*Router()`` (Django's own ``router = ConnectionRouter()``) gets here.
        return type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value in self.routers and func.attr.value == "register" and len(node.args) >= 2

    def _url_target(self, expr: cst.BaseExpression, *, non_atomic: bool) -> None:
        if isinstance(expr, cst.Call):
            func_name = self.ctx.qualified_name(expr.func)
            if func_name == NON_ATOMIC and expr.args:
                self._url_target(expr.args[-1].value, non_atomic=True)
                return
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "as_view":
                expr = expr.func.value
            else:
                return
        target = self.ctx.qualified_name(expr)
        if target:
            self.ctx.add_fact(UrlRoute(target=target, non_atomic=non_atomic), expr)

    # -- views ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None or self.ctx.scope.kind != "module":
            return
        params = positional_params(node.params)
        if not params:
            return
        decorators = self.ctx.function_info(node).decorators if self.ctx.function_info(node) else ()
        if any(d in NOT_ASYNC_AFTER for d in decorators):
            return
        view = AsyncView(name=node.name.value, takes_request=params[0] == "request", in_views_module=self.in_views_module, non_atomic=NON_ATOMIC in decorators)
        self.ctx.add_fact(view, node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.registry.add_class(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        if self.ctx.scope.kind != "module":
            return
        facts = self.registry.add_class(node)
        if not (self.registry.frameworks(facts) & ASYNC_VIEW_FRAMEWORKS) or "drf" in self.registry.frameworks(facts) and "adrf" not in self.registry.frameworks(facts):
            return
        kinds = handler_kinds(self.registry, facts, self.ctx.settings)
        if not kinds or not all(is_async for is_async, _ in kinds.values()):
            return
        non_atomic = any(self._marks_non_atomic(d) for d in node.decorators)
        dispatch = facts.methods.get("dispatch")
        if dispatch is not None:
            non_atomic = non_atomic or any(self._marks_non_atomic(d) for d in dispatch.node.decorators)
        self.ctx.add_fact(AsyncView(name=facts.name, takes_request=True, in_views_module=self.in_views_module, non_atomic=non_atomic), node.name)

    def _marks_non_atomic(self, decorator: cst.Decorator) -> bool:
        expr = decorator.decorator
        if self.ctx.qualified_name(expr) == NON_ATOMIC:
            return True
        if isinstance(expr, cst.Call):
            name = self.ctx.qualified_name(expr.func)
            if name == NON_ATOMIC:
                return True
            if name == METHOD_DECORATOR and expr.args:
                inner = expr.args[0].value
                inner = inner.func if isinstance(inner, cst.Call) else inner
                return self.ctx.qualified_name(inner) == NON_ATOMIC
        return False


class AtomicRequestsCheck(ProjectCheck):
    codes = ("DJA507",)
    fact_kinds = (DatabasesSetting, AtomicRequestsSetting, SettingsModuleNamed, RootUrlconf, UrlInclude, UrlRoute, AsyncView)
    # The files ``needs`` names without async code of their own hold only
    # settings, URLconf and router facts: read with ``ast`` (atomic_facts_ast.py).
    ast_facts = ATOMIC_FACTS
    async_code_only = True

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """With ATOMIC_REQUESTS set, the views of its project: the URLconfs the
        settings lead to (ROOT_URLCONF, what they ``include()``), the modules of
        the views they and DRF routers name, the views modules, and every
        other file that can route a view or name the settings module."""
        roots = {_project_root(path) for path, _ in facts.of(AtomicRequestsSetting)}
        if not roots:
            return set()
        modules = {fact.module for _, fact in facts.of(RootUrlconf)} | {fact.module for _, fact in facts.of(UrlInclude)}
        for _, route in facts.of(UrlRoute):
            modules.update(_defining_modules(route.target))
        out = {path for module in modules for path in project.paths_of(module)}
        for root in roots:
            out.update(path for path in project.unanalysed(root) if _is_views_module(path))
            out.update(project.files_matching(FACT_TEXT, root))
        return out

    def run(self, facts: ProjectFacts) -> list[Finding]:
        settings_modules = {fact.module for _, fact in facts.of(SettingsModuleNamed)}
        with_databases = {settings_path for settings_path, _ in facts.of(DatabasesSetting)}
        views: dict[str, tuple[str, AsyncView] | None] = {}
        findings = []
        for settings_path, record in facts.of(AtomicRequestsSetting):
            named = any(_module_matches(settings_path, m) for m in settings_modules)
            if not record.positioned or not (record.strong or settings_path in with_databases or named):
                continue
            # The views of the settings' own project: a run over several
            # projects (a folder of samples) does not mix them.
            root = _project_root(settings_path)
            if root not in views:
                views[root] = self._first_async_view(facts, root)
            view = views[root]
            if view is None:
                continue
            path, found = view
            database = f" on database '{record.alias}'" if record.alias else ""
            message = (
                f"ATOMIC_REQUESTS is True{database} while `{found.name}` ({_shown(path)}:{found.line}) is an "
                'async view: Django raises RuntimeError on every request to it ("You cannot use '
                'ATOMIC_REQUESTS with async views"); drop ATOMIC_REQUESTS, or decorate the async views '
                "with `@transaction.non_atomic_requests`"
            )
            findings.append(finding_at(settings_path, record.where, "DJA507", message))
        return findings

    @staticmethod
    def _first_async_view(facts: ProjectFacts, root: str) -> tuple[str, AsyncView] | None:
        referenced: dict[str, bool] = {}  # dotted target -> wrapped in non_atomic_requests
        for url_path, route in facts.of(UrlRoute):
            if not _is_under(url_path, root):
                continue
            # A urlconf's own functions are only known by name within that file.
            target = f"{url_path}::{route.target}" if route.target.startswith("<module>.") else route.target
            referenced[target] = referenced.get(target, True) and route.non_atomic
        for path, view in facts.of(AsyncView):
            if view.non_atomic or not view.positioned or not _is_under(path, root):
                continue
            routed = [non_atomic for target, non_atomic in referenced.items() if _names_definition(target, path, view.name)]
            if routed:
                if not all(routed):
                    return path, view
            elif view.in_views_module and view.takes_request:
                return path, view
        return None


# Files that mark a distribution's root, which a package (a folder with an
# ``__init__.py``) cannot be: a ``setup.py`` there is a module of the package.
_DISTRIBUTION_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")


def _project_root(path: str) -> str:
    """The project a settings module belongs to: the nearest folder upwards
    with a root marker, passing over packages whose only markers are a
    distribution's (``config/setup.py`` beside ``config/__init__.py``)."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        markers = [m for m in ROOT_MARKERS if os.path.exists(os.path.join(folder, m))]
        package = os.path.exists(os.path.join(folder, "__init__.py"))
        if markers and not (package and all(m in _DISTRIBUTION_MARKERS for m in markers)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return find_project_root([path])
        folder = parent


def _is_under(path: str, root: str) -> bool:
    return os.path.abspath(path).startswith(root.rstrip(os.sep) + os.sep)


def _defining_modules(target: str) -> list[str]:
    """The modules a dotted view name can be defined in: ``shop.views.home``'s
    module, or for a class's view (``shop.api.OrderViewSet``) the one above."""
    parts = target.split(".")
    return [".".join(parts[:cut]) for cut in range(len(parts) - 1, 0, -1) if not parts[0].startswith("<")]


def _shown(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path


@functools.lru_cache(maxsize=None)
def _is_views_module(path: str) -> bool:
    # Cached: asked of every file of the project at each round of the run's project-wide needs.
    parts = PurePath(path).parts
    return PurePath(path).name == "views.py" or "views" in parts[:-1]


def _module_matches(path: str, dotted: str) -> bool:
    """Whether the file at ``path`` can be the module ``dotted`` (by path suffix)."""
    module = dotted.lstrip(".").replace(".", "/")
    posix = PurePath(path).as_posix()
    return any(posix == tail or posix.endswith("/" + tail) for tail in (f"{module}.py", f"{module}/__init__.py"))


def _names_definition(target: str, path: str, name: str) -> bool:
    """Whether the dotted ``target`` from a urlpattern names ``name`` defined in ``path``."""
    if "::" in target:
        url_path, _, target = target.partition("::")
        if url_path != path:
            return False
    module, _, attr = target.rpartition(".")
    if attr != name:
        return False
    return module == "<module>" or _module_matches(path, module)


def _subscript_key(node: cst.Subscript) -> object:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return literal_value(node.slice[0].slice.value)
    return None


def _subscript_root(node: cst.BaseExpression) -> str | None:
    while isinstance(node, cst.Subscript):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _subscript_alias(node: cst.Subscript) -> str | None:
    inner = node.value
    if isinstance(inner, cst.Subscript):
        key = _subscript_key(inner)
        return key if isinstance(key, str) else None
    return None
