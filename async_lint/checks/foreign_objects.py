"""DJA101-DJA106 for a module-level object of another module of the project.

``redis_server = redis.from_url(...)`` in ``cache.py``, then
``from .cache import redis_server`` and ``redis_server.set(k, v)`` in async
code blocks the event loop, but the calling file cannot see what
``redis_server`` is.  Where a method the blocking table knows for some type
is called in async code on a name imported from elsewhere and of unknown
kind here, the calling file records an ``object_call`` fact; each module
records the types of its module-level objects that have blocking methods
(``module_objects``); the project check joins the two, asking for the
defining modules' analysis.  A name no module of the project binds to such
an object stays silent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.analysis.scopes import ASSIGN
from async_lint.checks.base import Check, ProjectCheck, defining_paths, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

BLOCKING_CODES = ("DJA101", "DJA102", "DJA103", "DJA104", "DJA105", "DJA106")


@dataclass(frozen=True, kw_only=True)
class ObjectCall(Fact):
    """``<name>.<method>(...)`` in async code, ``name`` imported from another
    module and of unknown kind here."""

    kind = "object_call"
    target: str  # the qualified name the receiver resolves to
    method: str
    spelled: str  # the called expression as written (for the message)


@dataclass(frozen=True, kw_only=True)
class ModuleObjects(Fact):
    """The module's module-level objects whose type has blocking methods: (name, type)."""

    kind = "module_objects"
    module: str
    objects: tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=None)
def _blocking_method_names() -> tuple[frozenset[str], bool]:
    """Every method name a ``[[method]]`` row of the blocking table lists,
    and whether some row takes any name (``names = ["*"]``: a sync redis client's)."""
    from async_lint.checks.blocking import blocking_table

    methods = blocking_table().methods.values()
    return frozenset(name for patterns in methods for name in patterns.exact), any(patterns.patterns for patterns in methods)


def may_block(method: str) -> bool:
    """Some type's method of that name blocks."""
    exact, any_name = _blocking_method_names()
    return method in exact or (any_name and not method.startswith("_"))


def record_object_call(check, call: cst.Call) -> None:
    """Record an ``ObjectCall`` for ``call`` (``name.method(...)``, not awaited,
    in async code) when ``name`` is imported from another module and the
    file knows nothing of it."""
    ctx = check.ctx
    func = call.func
    if type(func) is not cst.Attribute or type(func.value) is not cst.Name or not may_block(func.attr.value):
        return
    target = ctx.imported_from_elsewhere(func.value)
    if target is None or check.receivers.infer(func.value) is not None:
        return
    ctx.add_fact(ObjectCall(target=target, method=func.attr.value, spelled=check._spelling(func)), call)


def record_object_op(check, call: cst.Call) -> None:
    """``name.method(...)`` in a sync function, ``name`` imported from
    another module and unknown here: an operation of the function where the
    project index finds a module-level object there whose method blocks (a
    shared ``redis_client``), for the DJA401 chains that reach the function."""
    from async_lint.analysis.context import BlockingOp

    ctx = check.ctx
    func = call.func
    function = ctx.current_function
    if ctx.in_async_context or function is None or function.runs_on_loop or ctx.in_lambda:
        return
    if type(func) is not cst.Attribute or type(func.value) is not cst.Name or not may_block(func.attr.value) or ctx.only_without_loop():
        return
    target = ctx.imported_from_elsewhere(func.value)
    if target is None or check.receivers.infer(func.value) is not None:
        return
    function.ops.append(BlockingOp("", "", call, ancestors=tuple(ctx.stack), object_call=(f"q:{target}", func.attr.value)))


def blocking_objects(ctx) -> dict[str, str]:
    """The module's module-level objects whose type has blocking methods:
    name -> type (``redis_client = redis.Redis(...)``: ``redis.Redis``).
    Read once a file (the facts and the summary both ask)."""
    return ctx.shared(_BlockingObjects).objects


class _BlockingObjects:
    def __init__(self, ctx) -> None:
        from async_lint.analysis.receivers import ReceiverInference
        from async_lint.checks.blocking import blocking_table

        table = blocking_table()
        receivers = None
        self.objects: dict[str, str] = {}
        for name, bindings in ctx.module_scope.bindings.items():
            if len(bindings) != 1 or bindings[0].kind != ASSIGN or type(bindings[0].value) is not cst.Call:
                continue
            receivers = receivers or ReceiverInference(ctx)
            found = receivers.infer(bindings[0].value, ctx.module_scope)
            if found is not None and found.type in table.methods:
                self.objects[name] = found.type


class ModuleObjectFacts(Check):
    """Records the module's objects with blocking methods (in files given a
    full pass: those with async code, and the modules ``ForeignObjectCallCheck`` needs)."""

    codes = BLOCKING_CODES
    text_hints = (r"\basync\s+def\b",)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.ctx
        if ctx.module_name is None:
            return
        objects = blocking_objects(ctx)
        if objects:
            ctx.add_fact(ModuleObjects(module=ctx.module_name, objects=tuple(sorted(objects.items()))))


class ForeignObjectCallCheck(ProjectCheck):
    codes = BLOCKING_CODES
    fact_kinds = (ObjectCall, ModuleObjects)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """The modules the objects are imported from."""
        return defining_paths((fact.target for _, fact in facts.of(ObjectCall)), project)

    def run(self, facts: ProjectFacts) -> list[Finding]:
        from async_lint.checks.blocking import blocking_table

        table = blocking_table()
        types = {f"{module}.{name}": type_name for path, fact in facts.of(ModuleObjects) for module in facts.names_of(path, fact.module) for name, type_name in fact.objects}
        out = []
        for path, call in facts.of(ObjectCall):
            type_name = types.get(call.target)
            entry = table.match_method(type_name, call.method) if type_name is not None and call.positioned else None
            if entry is None:
                continue
            what = entry.receiver or f"`{type_name}.{call.method}`"
            shown = call.spelled if "…" not in call.spelled else f"{entry.called}.{call.method}"
            message = f"`{call.spelled}()` ({what}, made in `{call.target.rpartition('.')[0]}`) {entry.blocks}; use {entry.use.replace('{call}', shown)}"
            out.append(finding_at(path, call.where, entry.code, message))
        return out
