"""DJA507: ATOMIC_REQUESTS with async views (a project-wide rule).

``BaseHandler.make_view_atomic`` (django/core/handlers/base.py) raises
RuntimeError("You cannot use ATOMIC_REQUESTS with async views.") for every
async view not marked ``@transaction.non_atomic_requests`` for that database.

Per file, ``AtomicRequestsFacts`` records: settings lines that set
``ATOMIC_REQUESTS`` to True, modules that assign ``DATABASES``, the
``DJANGO_SETTINGS_MODULE`` a manage.py/asgi.py/wsgi.py names, async function
views and async class-based views, and the views urlpatterns point at.
``AtomicRequestsCheck`` joins them over the project.

An async function counts as a view on evidence only: a urlpattern points at
it, or it is a module-level ``async def`` taking ``request`` first in a views
module (``views.py`` or a ``views/`` package). Async helpers elsewhere,
methods and Channels consumers are not views.
"""

from __future__ import annotations

import os
from pathlib import PurePath

import libcst as cst

from async_lint.catalog import catalog
from async_lint.checks.base import Check, ProjectCheck
from async_lint.checks.django_structure_classes import ClassRegistry, literal_value, positional_params
from async_lint.checks.django_structure_views import handler_kinds
from async_lint.findings import Finding

NON_ATOMIC = "django.db.transaction.non_atomic_requests"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
# Decorators after which the function is no longer an async view.
NOT_ASYNC_AFTER = frozenset({"asgiref.sync.sync_to_async", "django.db.transaction.atomic", "channels.db.database_sync_to_async"})
URL_FUNCTIONS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
ASYNC_VIEW_FRAMEWORKS = {"django", "adrf"}


class AtomicRequestsFacts(Check):
    codes = ("DJA507",)
    # Settings (DATABASES), async views and the urlpatterns that name them.
    text_hints = (r"\basync\s+def\b", r"\bDATABASES\b", r"ATOMIC_REQUESTS", r"DJANGO_SETTINGS_MODULE", r"\burlpatterns\b")

    def __init__(self, ctx):
        super().__init__(ctx)
        self.registry = ClassRegistry.of(ctx)
        self.in_views_module = _is_views_module(ctx.path)

    # -- settings --------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.scope.kind != "module":
            return
        self.registry.add_module_assignment(node)
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name) and t.value == "DATABASES":
                self.ctx.add_fact("structure.databases")
                if isinstance(node.value, cst.Dict):
                    self._atomic_entries(node.value, strong=True)
            elif isinstance(t, cst.Subscript) and _subscript_key(t) == "ATOMIC_REQUESTS" and literal_value(node.value) is True:
                if _subscript_root(t) == "DATABASES":
                    self.ctx.add_fact("structure.atomic_requests", node, strong=True, alias=_subscript_alias(t))
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
                self.ctx.add_fact("structure.atomic_requests", element, strong=strong, alias=alias)
            elif isinstance(element.value, cst.Dict):
                self._atomic_entries(element.value, strong=strong, alias=key if isinstance(key, str) else alias)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name == "os.environ.setdefault" and len(node.args) >= 2 and literal_value(node.args[0].value) == "DJANGO_SETTINGS_MODULE":
            module = literal_value(node.args[1].value)
            if isinstance(module, str):
                self.ctx.add_fact("structure.settings_module", node, module=module)
        elif name in URL_FUNCTIONS and len(node.args) >= 2:
            self._url_target(node.args[1].value, non_atomic=False)

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
            self.ctx.add_fact("structure.url_view", expr, target=target, non_atomic=non_atomic)

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
        self.ctx.add_fact(
            "structure.async_view",
            node.name,
            name=node.name.value,
            takes_request=params[0] == "request",
            in_views_module=self.in_views_module,
            non_atomic=NON_ATOMIC in decorators,
        )

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
        self.ctx.add_fact(
            "structure.async_view",
            node.name,
            name=facts.name,
            takes_request=True,
            in_views_module=self.in_views_module,
            non_atomic=non_atomic,
        )

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

    def run(self, facts: dict[str, list[dict]]) -> list[Finding]:
        settings_modules = {f["module"] for records in facts.values() for f in records if f["kind"] == "structure.settings_module"}
        referenced: dict[str, bool] = {}  # dotted target -> wrapped in non_atomic_requests
        for url_path, records in facts.items():
            for fact in records:
                if fact["kind"] == "structure.url_view":
                    # A urlconf's own functions are only known by name within that file.
                    target = f"{url_path}::{fact['target']}" if fact["target"].startswith("<module>.") else fact["target"]
                    referenced[target] = referenced.get(target, True) and fact["non_atomic"]
        view = self._first_async_view(facts, referenced)
        if view is None:
            return []
        path, fact = view
        level = catalog()["DJA507"].level
        findings = []
        for settings_path, records in sorted(facts.items()):
            has_databases = any(f["kind"] == "structure.databases" for f in records)
            named = any(_module_matches(settings_path, m) for m in settings_modules)
            for record in records:
                if record["kind"] != "structure.atomic_requests" or "line" not in record:
                    continue
                if not (record["strong"] or has_databases or named):
                    continue
                database = f" on database '{record['alias']}'" if record.get("alias") else ""
                findings.append(
                    Finding(
                        path=settings_path,
                        code="DJA507",
                        message=(
                            f"ATOMIC_REQUESTS is True{database} while `{fact['name']}` ({_shown(path)}:{fact['line']}) is an "
                            "async view: Django raises RuntimeError on every request to it (\"You cannot use "
                            "ATOMIC_REQUESTS with async views\"); drop ATOMIC_REQUESTS, or decorate the async views "
                            "with `@transaction.non_atomic_requests`"
                        ),
                        line=record["line"],
                        column=record["column"],
                        end_line=record["end_line"],
                        end_column=record["end_column"],
                        level=level,
                    )
                )
        return findings

    @staticmethod
    def _first_async_view(facts: dict[str, list[dict]], referenced: dict[str, bool]):
        for path, records in sorted(facts.items()):
            for fact in records:
                if fact["kind"] != "structure.async_view" or fact["non_atomic"] or "line" not in fact:
                    continue
                routed = [non_atomic for target, non_atomic in referenced.items() if _names_definition(target, path, fact["name"])]
                if routed:
                    if not all(routed):
                        return path, fact
                elif fact["in_views_module"] and fact["takes_request"]:
                    return path, fact
        return None


def _shown(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path


def _is_views_module(path: str) -> bool:
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
