"""DJA301-DJA304: coroutine and task misuse.

DJA301 dangling-task: a Task whose only strong reference is dropped.
DJA302 unawaited-coroutine: a coroutine made and never awaited or handed on.
DJA303 get-event-loop-in-async: ``asyncio.get_event_loop()`` in a coroutine.
DJA304 nested-event-loop: starting or re-entering an event loop on a running one.

What is a coroutine, a loop or a task comes only from evidence in the file
(``rules/coroutine_apis.toml``, the file's own ``async def``s, classes and
bindings); Django's coroutines are the async twins of
``rules/django_async_twins.toml``, on receivers the shared Django inference
places (the one the DJA2xx rules ask). An unknown receiver stays silent.
Coroutines defined in other project modules are found through the project
index (``CrossModuleUnawaitedCheck``), worded by the same ``unawaited_message``;
so are ``@async_to_sync`` functions of other modules called on the loop
(``CrossModuleLoopReentryCheck``).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from async_lint import lazy_libcst

from async_lint import fixes
from async_lint.analysis.coroutine_uses import (
    ARGUMENT,
    ATTRIBUTE,
    COMPARED,
    DROPPED,
    INDEXED,
    ITERATED,
    KEY,
    NO_AWAIT_FIX,
    NONE_TESTED,
    OPERAND,
    NOT_FOR_FUTURES,
    RAISED,
    TEXT,
    THREAD_RETURNED,
    TRUTH,
    UNPACKED,
    CoroutineUse,
    coroutine_use,
    unpacked,
    use_message,
)
from async_lint.analysis.django_models import (
    DjangoRequestValue,
    InstanceValue,
    LazyUserValue,
    ManagerValue,
    QuerySetValue,
    SessionValue,
    django_inference,
    static_or_class_method,
)
from async_lint.analysis.context import adapters
from async_lint.analysis.django_twins import SHORTCUT, coroutine_twins, sync_names, twin, twin_call_hints
from async_lint.analysis.pass_through import keeps_coroutine
from async_lint.analysis.reaching import ends_in, is_none_literal, reaching_bindings
from async_lint.analysis.scopes import ASSIGN, CLASS, DEF, IMPORT, PARAM, Binding, Scope
from async_lint.catalog import load_table
from async_lint.index import split_key
from async_lint.checks.base import Check, IndexCheck, finding_at
from async_lint.facts import Fact
from async_lint.checks.django_request import is_user_value
from async_lint.walk import children, visit_fast

cst = lazy_libcst.bind(globals())

if TYPE_CHECKING:
    from async_lint.checks import _coroutine_scans as coroutine_scans

# Decorators that leave an ``async def`` a coroutine function.
TRANSPARENT_DECORATORS = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "abc.abstractmethod",
        "functools.wraps",
        "typing.override",
        "typing_extensions.override",
    }
)
_MAX_DEPTH = 6  # how far a name/class chain is followed before giving up
# The twin kinds (django_async_twins.toml) whose coroutine methods a kind of
# Django value has; managers and user instances are told apart in code.
_VALUE_TWIN_KINDS = {
    QuerySetValue: ("queryset",),
    InstanceValue: ("model",),
    LazyUserValue: ("user",),
    SessionValue: ("session",),
    DjangoRequestValue: ("request",),
}
SIGNAL_CLASS = "django.dispatch.Signal"


def _app_signal_name(name: str) -> bool:
    """A name imported from a project app's ``signals`` module
    (``orders.signals.order_paid``): a signal by Django's convention."""
    module, _, short = name.rpartition(".")
    return module.rpartition(".")[2] == "signals" and not module.startswith("django.") and short[:1].islower()


RECEIVER_TWIN_KINDS = ("queryset", "related", "model", "user", "user_manager", "session", "request")
# QuerySet methods a Manager does not copy (``queryset_only = True`` in Django).
QUERYSET_ONLY = ("delete",)


# -- the API table -----------------------------------------------------------
@dataclass(frozen=True)
class ClientKind:
    what: str
    methods: frozenset[str]
    # method -> the table name of the client its result is, awaited or
    # entered (``async with session.get(url) as response``).
    gives: tuple[tuple[str, str], ...] = ()


# Django's test cases: each instance has ``async_client`` (django/test/testcases.py).
DJANGO_TEST_CASES = frozenset(f"django.test.{module}{name}" for module in ("", "testcases.") for name in ("SimpleTestCase", "TransactionTestCase", "TestCase", "LiveServerTestCase"))


@dataclass(frozen=True)
class CoroutineApis:
    task_factories: frozenset[str]
    loop_factories: frozenset[str]
    loop_types: frozenset[str]
    loop_task_methods: frozenset[str]
    get_event_loop: frozenset[str]
    runners: frozenset[str]
    run_until_complete: str
    loop_only_methods: frozenset[str]
    reentrant_patches: tuple[str, ...]
    raises_guards: frozenset[str]
    async_to_sync: frozenset[str]
    sync_to_async: frozenset[str]
    coroutines: frozenset[str]
    futures: frozenset[str]
    clients: dict[str, ClientKind]  # constructor/type -> kind
    objects: dict[str, ClientKind]  # module-level object -> kind
    object_prefixes: tuple[tuple[str, ClientKind], ...]
    consumers: dict[str, frozenset[str]]  # consumer base -> its coroutine methods
    django_twins: dict[str, frozenset[str]]  # twin kind -> its coroutine methods
    django_twin_names: frozenset[str]  # all of them, to skip the inference for other names


@functools.lru_cache(maxsize=None)
def coroutine_apis() -> CoroutineApis:
    data = load_table("coroutine_apis")
    tasks, loops, adapters = data["tasks"], data["loops"], data["adapters"]
    coroutines: set[str] = set(coroutine_twins(SHORTCUT))
    futures: set[str] = set()
    for row in data.get("coroutine", []):
        (futures if row.get("future") else coroutines).update(row["names"])

    def methods(row) -> frozenset[str]:
        return coroutine_twins(row["twins"]) if "twins" in row else frozenset(row["methods"])

    clients: dict[str, ClientKind] = {}
    for row in data.get("client", []):
        kind = ClientKind(row["what"], methods(row), tuple(sorted(row.get("gives", {}).items())))
        clients.update(dict.fromkeys(row["names"], kind))
    objects: dict[str, ClientKind] = {}
    prefixes: list[tuple[str, ClientKind]] = []
    for row in data.get("object", []):
        kind = ClientKind(row["what"], methods(row))
        objects.update(dict.fromkeys(row.get("names", ()), kind))
        prefixes.extend((prefix, kind) for prefix in row.get("prefixes", ()))
    django = {kind: coroutine_twins(kind) for kind in RECEIVER_TWIN_KINDS}
    consumers: dict[str, frozenset[str]] = {}
    for row in data["channels"]["consumer"]:
        consumers.update(dict.fromkeys(row["names"], frozenset(row["methods"])))
    return CoroutineApis(
        task_factories=frozenset(tasks["factories"]),
        loop_factories=frozenset(tasks["loop_factories"]),
        loop_types=frozenset(tasks["loop_types"]),
        loop_task_methods=frozenset(tasks["loop_task_methods"]),
        get_event_loop=frozenset(loops["get_event_loop"]),
        runners=frozenset(loops["runners"]),
        run_until_complete=loops["run_until_complete"],
        loop_only_methods=frozenset(loops["loop_only_methods"]),
        reentrant_patches=tuple(loops["reentrant_patches"]),
        raises_guards=frozenset(loops["raises_guards"]),
        async_to_sync=frozenset(adapters["async_to_sync"]),
        sync_to_async=frozenset(adapters["sync_to_async"]),
        coroutines=frozenset(coroutines),
        futures=frozenset(futures),
        clients=clients,
        objects=objects,
        object_prefixes=tuple(prefixes),
        consumers=consumers,
        django_twins=django,
        django_twin_names=frozenset().union(*django.values()),
    )


def _async_helper(ctx, func: cst.BaseExpression) -> tuple[cst.FunctionDef, Scope] | None:
    """The undecorated ``async def`` of this module a call runs: a name bound
    only to it, or a method of the caller's class (``self.make()``)."""
    from async_lint.analysis.receivers import self_class_scope
    from async_lint.analysis.scopes import defined_function, own_function

    found = None
    if type(func) is cst.Name:
        found = defined_function(ctx.scope, func.value)
    elif type(func) is cst.Attribute and type(func.value) is cst.Name:
        owner = self_class_scope(func.value.value, ctx.scope)
        found = own_function(owner, func.attr.value) if owner is not None else None
    if found is None or found[0].asynchronous is None or found[0].decorators:
        return None
    return found


# -- small sub-tree scans (one function body at a time, cached) ------------------
class CoroutineEvidence:
    """What the file proves about an expression: a coroutine call, a loop, a
    model class, a Channels consumer. Shared by the DJA3xx checks of one file."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.apis = coroutine_apis()
        self._attributes: dict[tuple[int, str], list[cst.Call] | None] = {}
        # id(value) -> the method whose ``self.<attr> = value`` it is (instance_attribute_values).
        self._assigned_in: dict[int, cst.FunctionDef] = {}
        self._class_members: dict[int, tuple[cst.ClassDef, dict[str, list[cst.CSTNode]]]] = {}
        self._nested_loops_allowed: bool | None = None
        self._resolving: set[str] = set()
        # The names ``client_kind`` is resolving (a value built from one is not followed back to it).
        self._kinds_resolving: set[str] = set()

    # -- bindings ----------------------------------------------------------------
    def bindings(self, name: cst.Name) -> list[Binding]:
        return self.ctx.lookup(name.value) or []

    def assigned_values(self, name: cst.Name) -> list[cst.BaseExpression] | None:
        """The values a name is bound to, when every binding is an assignment
        (or ``with ... as name``) with a known value; else None."""
        bindings = self.bindings(name)
        if not bindings or any(b.kind != ASSIGN or b.value is None for b in bindings):
            return None
        return [b.value for b in bindings]  # type: ignore[misc]

    def all_values(self, name: cst.Name, test, depth: int) -> bool:
        """Whether every value the name is bound to passes ``test``. A value
        built from the name itself (``qs = qs.filter(...)``) defers to the
        others, and so does ``None`` (``loop = None`` where getting the loop
        failed): where the name's method is called, it is not None."""
        if name.value in self._resolving:
            return True
        values = [v for v in self.assigned_values(name) or () if not is_none_literal(v)]
        if not values:
            return False
        self._resolving.add(name.value)
        try:
            return all(test(self._unwrap(v), depth + 1) for v in values)
        finally:
            self._resolving.discard(name.value)

    @staticmethod
    def _unwrap(value: cst.BaseExpression) -> cst.BaseExpression:
        return value.expression if isinstance(value, cst.Await) else value

    def call_name(self, node: cst.BaseExpression) -> str | None:
        return self.ctx.qualified_name(node.func) if isinstance(node, cst.Call) else None

    def param_annotation(self, name: cst.Name) -> str | None:
        bindings = self.bindings(name)
        if len(bindings) == 1 and bindings[0].kind == PARAM:
            param = bindings[0].node
            if isinstance(param, cst.Param) and param.annotation is not None:
                annotation = param.annotation.annotation
                if isinstance(annotation, (cst.Name, cst.Attribute)):
                    return self.ctx.qualified_name(annotation)
        return None

    def local_defs(self, name: cst.Name) -> list[cst.FunctionDef] | None:
        """The defs a name is bound to in this file, when it is bound only by defs."""
        bindings = self.bindings(name)
        if not bindings or any(b.kind != DEF for b in bindings):
            return None
        return [b.node for b in bindings]  # type: ignore[misc]

    def decorator_names(self, node: cst.FunctionDef) -> list[str]:
        info = self.ctx.function_info(node)
        if info is not None:
            return list(info.decorators)
        names = []
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            names.append(self.ctx.qualified_name(expr) or "")
        return names

    # -- uses of a variable ------------------------------------------------------
    def _scan(self, function: cst.FunctionDef, visitor: type):
        """Run a small visitor over one function body, once per file (and,
        in an editor, once for the functions edits do not touch)."""

        def scan(node: cst.FunctionDef):
            found = visitor()
            visit_fast(node.body, found)
            return found

        return self.ctx.subtree_memo.get(visitor, function, scan)

    def name_loads(self, function: cst.FunctionDef) -> coroutine_scans.NameLoads:
        from async_lint.checks import _coroutine_scans as coroutine_scans

        return self._scan(function, coroutine_scans.NameLoads)

    def discarded_by_assignment(self, call: cst.Call) -> cst.Name | None:
        """For ``x = <call>`` whose variable is never read again: the ``x``.

        ``_`` is a discard anywhere; another name only when it is a local of
        the current function (not global/nonlocal) that nothing in the
        function (nested functions included) reads."""
        parent = self.ctx.parent
        if isinstance(parent, cst.Assign):
            if len(parent.targets) != 1:
                return None
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is call:
            target = parent.target
        else:
            return None
        if not isinstance(target, cst.Name):
            return None
        if target.value == "_":
            return target
        function = self.ctx.current_function
        if function is None or self.ctx.scope is not function.scope:
            return None
        loads = self.name_loads(function.node)
        if loads.loads[target.value] or loads.out_of_sight(target.value):
            return None
        return target

    # -- coroutine functions ---------------------------------------------------------
    def is_generator(self, node: cst.FunctionDef) -> bool:
        from async_lint.checks import _coroutine_scans as coroutine_scans

        return self._scan(node, coroutine_scans.YieldFinder).found

    def is_coroutine_def(self, node: cst.FunctionDef) -> bool:
        """An ``async def`` whose call returns a coroutine: not an async
        generator, and decorated (if at all) only by transparent decorators."""
        if node.asynchronous is None or self.is_generator(node):
            return False
        return all(name in TRANSPARENT_DECORATORS or keeps_coroutine(self.ctx, decorator) for name, decorator in zip(self.decorator_names(node), node.decorators))

    def is_thread_wrapped_def(self, node: cst.FunctionDef) -> bool:
        """A plain def decorated ``@sync_to_async`` (or ``@sync_to_async(...)``,
        under transparent decorators only, such as ``@staticmethod``): calling
        it gives a coroutine."""
        if node.asynchronous is not None:
            return False
        for name in self.decorator_names(node):
            if name in self.apis.sync_to_async:
                return True
            if name not in TRANSPARENT_DECORATORS:
                return False
        return False

    def is_wrapper_call(self, node: cst.BaseExpression, wrappers: frozenset[str]) -> bool:
        """``sync_to_async(f)`` / ``async_to_sync(f)`` (the wrapping, not the call)."""
        return isinstance(node, cst.Call) and self.call_name(node) in wrappers and bool(node.args)

    def coroutine_call(self, call: cst.Call) -> bool | None:
        """Whether the call evidently returns a future that must be awaited
        (True) or a coroutine (False); None without evidence."""
        apis = self.apis
        func = call.func
        if self.is_wrapper_call(func, apis.sync_to_async):
            return False
        name = self.ctx.qualified_name(func)
        if name is not None:
            if name in apis.coroutines:
                return False
            if name in apis.futures:
                return True
        if isinstance(func, cst.Name):
            defs = self.local_defs(func)
            if defs is not None:
                if all(self.is_coroutine_def(d) or self.is_thread_wrapped_def(d) for d in defs):
                    return False
                return None
            values = self.assigned_values(func)
            if values and all(self.is_wrapper_call(v, apis.sync_to_async) for v in values):
                return False
            return None
        if isinstance(func, cst.Attribute) and self.is_coroutine_method(func.value, func.attr.value, 0):
            return False
        return None

    def is_coroutine_method(self, receiver: cst.BaseExpression, method: str, depth: int) -> bool:
        known = self.api_coroutine_method(receiver, method, depth)
        if known is not None:
            return known
        owner = self.method_owner(receiver)
        if owner is not None:
            classdef, skip_own = owner
            return self.class_method_is_coroutine(classdef, method, skip_own)
        return False

    def api_coroutine_method(self, receiver: cst.BaseExpression, method: str, depth: int) -> bool | None:
        """Whether the API tables make ``receiver.method`` a coroutine
        function: an async client's kind decides (True or False), or one of
        Django's a-twins on a receiver the Django inference knows (True);
        None where they say nothing (a project class's method may)."""
        kind = self.client_kind(receiver, depth)
        if kind is not None:
            return method in kind.methods
        if method in self.apis.django_twin_names and self.is_django_coroutine_method(receiver, method):
            return True
        # ``llm.chat.completions.create``: a method of an async SDK client's
        # resource, listed with its path (``chat.completions.create``).
        path = [method]
        while type(receiver) is cst.Attribute and len(path) < 4:
            path.insert(0, receiver.attr.value)
            receiver = receiver.value
            kind = self.client_kind(receiver, depth)
            if kind is not None:
                return True if ".".join(path) in kind.methods else None
        return None

    # -- receivers ---------------------------------------------------------------
    def client_kind(self, receiver: cst.BaseExpression, depth: int) -> ClientKind | None:
        """The async client/object a receiver is known to be, or None."""
        apis = self.apis
        if depth > _MAX_DEPTH:
            return None
        if isinstance(receiver, cst.Call):
            name = self.call_name(receiver)
            if name and name in apis.clients:
                return apis.clients[name]
            func = receiver.func
            if type(func) is cst.Attribute:
                # ``response`` of ``async with session.get(url) as response``
                # (or ``await session.get(url)``): what the client's method gives.
                maker = self.client_kind(func.value, depth + 1)
                if maker is not None and maker.gives:
                    given = dict(maker.gives).get(func.attr.value)
                    if given is not None:
                        return apis.clients.get(given)
            return self._returned_client(receiver, depth)
        if isinstance(receiver, cst.Subscript):
            # caches["default"]
            name = self.ctx.qualified_name(receiver.value)
            return apis.clients.get(name) if name else None
        name = self.ctx.qualified_name(receiver)
        if name is not None:
            if name in apis.objects:
                return apis.objects[name]
            for prefix, kind in apis.object_prefixes:
                if name.startswith(prefix):
                    return kind
            if _app_signal_name(name) and django_inference(self.ctx).imports_django:
                # ``from orders.signals import order_paid``: a project signal (as DJA209 reads it).
                return apis.clients.get(SIGNAL_CLASS)
            return self._class_attribute_kind(receiver, depth) if type(receiver) is cst.Attribute else None
        if isinstance(receiver, cst.Name):
            annotated = self.param_annotation(receiver)
            if annotated is not None:
                return apis.clients.get(annotated)
            if receiver.value in self._kinds_resolving:
                # ``jobs = jobs.filter(...)``: a value built from the name itself
                # says no more than the name's other values (each binding
                # would otherwise be followed again at every depth).
                return None
            values = _not_none(self.assigned_values(receiver))
            if values:
                self._kinds_resolving.add(receiver.value)
                try:
                    kinds = {self._awaited_helper_client(v, depth + 1) if type(v) is cst.Await else self.client_kind(v, depth + 1) for v in values}
                finally:
                    self._kinds_resolving.discard(receiver.value)
                if len(kinds) == 1:
                    return kinds.pop()
            return None
        if isinstance(receiver, cst.Attribute):
            owner = self.method_owner(receiver.value)
            if owner is None:
                return self._class_attribute_kind(receiver, depth)
            if receiver.attr.value == "channel_layer" and self.consumer_methods(owner[0]) is not None:
                return apis.clients["channels.layers.get_channel_layer"]
            values = self.instance_attribute_values(owner[0], receiver.attr.value)
            if values:
                kinds = {self.client_kind(v, depth + 1) for v in values}
                if len(kinds) == 1:
                    return kinds.pop()
            elif receiver.attr.value == "async_client" and self._django_test_case(owner[0]):
                return apis.clients["django.test.AsyncClient"]
        return None

    def _awaited_helper_client(self, value: cst.Await, depth: int) -> ClientKind | None:
        """``await make(...)``/``await self.make(...)``: the client an ``async
        def`` of this module returns (``return communicator``, the name bound
        to a client there); else the client the awaited call itself is."""
        call = value.expression
        if type(call) is not cst.Call:
            return self.client_kind(call, depth)
        found = _async_helper(self.ctx, call.func)
        if found is None:
            return self.client_kind(call, depth)
        from async_lint.analysis.receivers import returned_values
        from async_lint.analysis.scopes import lookup

        function, parent = found
        kinds = set()
        for returned, scope in returned_values(self.ctx, function, parent) or ():
            if type(returned) is cst.Name:
                bound = lookup(scope, returned.value)
                bindings = bound[1] if bound is not None else []
                if not bindings or any(b.kind != ASSIGN or type(b.value) is not cst.Call for b in bindings):
                    return None
                kinds.update(self.client_kind(b.value, depth + 1) for b in bindings)
            elif type(returned) is cst.Call:
                kinds.add(self.client_kind(returned, depth + 1))
            else:
                return None
        return kinds.pop() if len(kinds) == 1 else None

    def _django_test_case(self, classdef: cst.ClassDef) -> bool:
        """A test case of Django's (``self.async_client`` is its AsyncClient)."""
        return any(isinstance(owner, str) and owner in DJANGO_TEST_CASES for owner in self.class_hierarchy(classdef))

    def _class_attribute_kind(self, receiver: cst.Attribute, depth: int) -> ClientKind | None:
        """``Scheduler.running``: the client a class of this module binds the
        attribute to in its body (``running = asyncio.Event()``)."""
        classdef = self.local_class(receiver.value) if type(receiver.value) is cst.Name else None
        values = _class_level_values(classdef, receiver.attr.value) if classdef is not None else []
        if not values or any(type(value) is not cst.Call for value in values):
            return None
        kinds = {self.client_kind(value, depth + 1) for value in values}
        return kinds.pop() if len(kinds) == 1 else None

    def _returned_client(self, call: cst.Call, depth: int) -> ClientKind | None:
        """The async client a plain def of this module returns
        (``client = self.get_client()``): its return annotation, else what
        every ``return`` of its body agrees on."""
        from async_lint.analysis.receivers import annotation_target, local_callee, returned_values

        callee = local_callee(self.ctx, call.func, self.ctx.scope)
        if callee is None:
            return None
        function, parent = callee
        if function.returns is not None:
            target = annotation_target(function.returns.annotation)
            qualified = self.ctx.qualified_name(target, parent) if target is not None else None
            return self.apis.clients.get(qualified) if qualified else None
        kinds = {self.client_kind(self._unwrap(value), depth + 1) for value, _ in returned_values(self.ctx, function, parent) or ()}
        return kinds.pop() if len(kinds) == 1 else None

    def is_django_coroutine_method(self, receiver: cst.BaseExpression, method: str) -> bool:
        """A twin of django_async_twins.toml on the kind of receiver it belongs
        to, as the Django inference the DJA2xx rules use knows the receiver."""
        value = django_inference(self.ctx).infer(receiver)
        if isinstance(value, ManagerValue):
            # Managers lack the queryset-only methods (`Model.objects.adelete()`
            # is an AttributeError); related managers add their own.
            kinds = ("queryset", "related") if value.relation is not None else ("queryset",)
            if method in self._queryset_only:
                return False
            sync = self._user_manager_sync_names.get(method)
            if sync is not None:
                # ``User.objects.acreate_user(...)``: where the manager has Django's method.
                custom = django_inference(self.ctx).custom_method(value, sync)
                return custom is not None and custom[0] == "django"
        else:
            kinds = _VALUE_TWIN_KINDS.get(type(value), ())
            if isinstance(value, InstanceValue) and is_user_value(value):
                kinds = ("model", "user")
        return any(method in self.apis.django_twins[kind] for kind in kinds)

    @functools.cached_property
    def _user_manager_sync_names(self) -> dict[str, str]:
        """The user managers' coroutine methods, and the sync name of each."""
        return {twin("user_manager", sync, None): sync for sync in sync_names("user_manager", coroutine_twins_only=True)}

    @functools.cached_property
    def _queryset_only(self) -> frozenset[str]:
        return frozenset(name for name in (twin("queryset", sync, None) for sync in QUERYSET_ONLY) if name)

    def is_loop(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if isinstance(expr, cst.Call):
            return self.call_name(expr) in self.apis.loop_factories
        if isinstance(expr, cst.Name):
            annotated = self.param_annotation(expr)
            if annotated is not None:
                return annotated in self.apis.loop_types
            return self.all_values(expr, self.is_loop, depth)
        if isinstance(expr, cst.Attribute):
            values = self.self_attribute_values(expr)
            return bool(values) and all(self.is_loop(v, depth + 1) or self._loop_made_in_method(v) for v in values)
        return False

    def _loop_made_in_method(self, value: cst.Call) -> bool:
        """``self.loop = asyncio.get_event_loop()`` in a method that imports
        ``asyncio`` itself: the call read with that method's names."""
        method = self._assigned_in.get(id(value))
        info = self.ctx.function_info(method) if method is not None else None
        return info is not None and self.ctx.qualified_name(value.func, info.scope) in self.apis.loop_factories

    # -- classes -----------------------------------------------------------------
    def local_class(self, name: cst.Name) -> cst.ClassDef | None:
        bindings = self.bindings(name)
        if len(bindings) == 1 and bindings[0].kind == CLASS:
            return bindings[0].node  # type: ignore[return-value]
        return None

    def method_owner(self, receiver: cst.BaseExpression) -> tuple[cst.ClassDef, bool] | None:
        """For ``self``/``cls`` (the first parameter of a method) or ``super()``:
        (the class, whether to skip its own body)."""
        if isinstance(receiver, cst.Call):
            if self.ctx.qualified_name(receiver.func) == "builtins.super" and not receiver.args:
                classdef = self.ctx.enclosing_class()
                return (classdef, True) if classdef is not None else None
            return None
        if not isinstance(receiver, cst.Name):
            return None
        found = self.ctx.lookup_with_scope(receiver.value)
        if found is None:
            return None
        scope, bindings = found
        if len(bindings) != 1 or bindings[0].kind != PARAM or scope.kind != "function":
            return None
        function = scope.node
        parent = scope.parent
        if not isinstance(function, cst.FunctionDef) or parent is None or parent.kind != "class":
            return None
        positional = (*function.params.posonly_params, *function.params.params)
        if not positional or positional[0] is not bindings[0].node:
            return None
        if "builtins.staticmethod" in self.decorator_names(function):
            return None
        return parent.node, False  # type: ignore[return-value]

    def class_hierarchy(self, classdef: cst.ClassDef, skip_own: bool = False):
        """The file's classes and external base names of a class, own first
        (a depth-first approximation of the MRO)."""
        # A method, not a nested function: a function that calls itself
        # holds itself in a cycle, which would keep the file's analyses
        # alive until the next garbage collection.
        yield from self._hierarchy(classdef, 0, not skip_own, set())

    def _hierarchy(self, node: cst.ClassDef, depth: int, include: bool, seen: set[int]):
        if id(node) in seen or depth > _MAX_DEPTH:
            return
        seen.add(id(node))
        if include:
            yield node
        for base in node.bases:
            value = base.value
            if not isinstance(value, (cst.Name, cst.Attribute)) or base.keyword is not None:
                continue
            local = self.local_class(value) if isinstance(value, cst.Name) else None
            if local is not None:
                yield from self._hierarchy(local, depth + 1, True, seen)
            else:
                name = self.ctx.qualified_name(value)
                yield name or ""

    def _members(self, classdef: cst.ClassDef) -> dict[str, list[cst.CSTNode]]:
        """name -> the class-body statements that bind it, in order (read
        once per class: asked at every method call on ``self``)."""
        known = self._class_members.get(id(classdef))
        if known is None:
            members: dict[str, list[cst.CSTNode]] = {}
            for statement in _class_body(classdef):
                for name in dict.fromkeys(_bound_names(statement)):
                    members.setdefault(name, []).append(statement)
            known = self._class_members[id(classdef)] = (classdef, members)
        return known[1]

    def class_method_is_coroutine(self, classdef: cst.ClassDef, method: str, skip_own: bool) -> bool:
        for owner in self.class_hierarchy(classdef, skip_own):
            if isinstance(owner, cst.ClassDef):
                defined = self._members(owner).get(method, [])
                if defined:
                    return all(isinstance(s, cst.FunctionDef) and (self.is_coroutine_def(s) or self.is_thread_wrapped_def(s)) for s in defined)
            else:
                methods = self.apis.consumers.get(owner)
                # An unknown base may define the method either way: no evidence.
                return methods is not None and method in methods
        return False

    def instance_attribute_values(self, classdef: cst.ClassDef, attr: str) -> list[cst.Call] | None:
        """What ``self.<attr>`` is assigned in the class's own methods, when
        every assignment is a call (``self.client = httpx.AsyncClient()``),
        but a ``None`` placeholder (``self.client = None`` in ``__init__``,
        the client made later, in ``__aenter__``)."""
        key = (id(classdef), attr)
        if key not in self._attributes:
            from async_lint.checks import _coroutine_scans as coroutine_scans

            values: list[cst.BaseExpression] = []
            for statement in _class_body(classdef):
                if isinstance(statement, cst.FunctionDef):
                    assigned = self._scan(statement, coroutine_scans.SelfAssignments).values.get(attr, ())
                    values.extend(assigned)
                    self._assigned_in.update((id(value), statement) for value in assigned)
            # ``running = asyncio.Event()`` in the class body: what ``self.running`` reads
            # where no method assigns it, and beside the methods' values.
            values.extend(_class_level_values(classdef, attr))
            values = _not_none(values)
            calls = [v for v in values if isinstance(v, cst.Call)]
            self._attributes[key] = calls if values and len(calls) == len(values) else None
        return self._attributes[key]

    def self_attribute_values(self, expr: cst.Attribute) -> list[cst.Call] | None:
        """``instance_attribute_values`` of ``self.<attr>`` read in a method
        of a class of this file (None for any other receiver)."""
        owner = self.method_owner(expr.value)
        return self.instance_attribute_values(owner[0], expr.attr.value) if owner is not None else None

    def consumer_methods(self, classdef: cst.ClassDef) -> frozenset[str] | None:
        for owner in self.class_hierarchy(classdef):
            if isinstance(owner, str) and owner in self.apis.consumers:
                return self.apis.consumers[owner]
        return None

    # -- nested loops ------------------------------------------------------------
    def nested_loops_allowed(self) -> bool:
        if self._nested_loops_allowed is None:
            self._nested_loops_allowed = nested_loops_allowed(self.ctx)
        return self._nested_loops_allowed


def _class_level_values(classdef: cst.ClassDef, attr: str) -> list[cst.BaseExpression]:
    """The values a class's body binds ``attr`` to (``running = asyncio.Event()``)."""
    values: list[cst.BaseExpression] = []
    for statement in _class_body(classdef):
        if type(statement) is not cst.SimpleStatementLine:
            continue
        for small in statement.body:
            if type(small) is cst.Assign and any(type(t.target) is cst.Name and t.target.value == attr for t in small.targets):
                values.append(small.value)
            elif type(small) is cst.AnnAssign and type(small.target) is cst.Name and small.target.value == attr and small.value is not None:
                values.append(small.value)
    return values


def _class_body(classdef: cst.ClassDef) -> list[cst.CSTNode]:
    body = classdef.body
    return list(body.body) if isinstance(body, cst.IndentedBlock) else []


def _bound_names(statement: cst.CSTNode) -> list[str]:
    """The names a class-body statement binds (a def or an assignment)."""
    # ``type() is``: these classes have no subclasses, and isinstance on
    # them goes through abc.
    kind = type(statement)
    if kind is cst.FunctionDef or kind is cst.ClassDef:
        return [statement.name.value]  # type: ignore[attr-defined]
    names: list[str] = []
    if kind is cst.SimpleStatementLine:
        for small in statement.body:  # type: ignore[attr-defined]
            targets = []
            if type(small) is cst.Assign:
                targets = [t.target for t in small.targets]
            elif type(small) is cst.AnnAssign:
                targets = [small.target]
            names.extend(t.value for t in targets if type(t) is cst.Name)
    return names


# What a thread without a loop of its own cannot get (RuntimeError there).
CURRENT_LOOP_GETTERS = frozenset({"asyncio.get_running_loop", "asyncio.get_event_loop", "asyncio.events.get_running_loop", "asyncio.events.get_event_loop"})


def await_fix_at(line: int, column: int, end: tuple[int, int] | None = None) -> dict:
    """DJA302's "Add `await`" as plain data (the index check reports from
    summaries): ``await `` inserted where the call starts; with ``end``
    (where it ends), ``(await `` and ``)``, for a call indexed or read for
    an attribute (``(await f())[0]``: ``await`` binds looser)."""
    if end is None:
        return {"message": "Add `await`", "applicability": "safe", "edits": [["await ", line, column, line, column]]}
    return {"message": "Add `await`", "applicability": "safe", "edits": [["(await ", line, column, line, column], [")", *end, *end]]}


def call_spelling(expr: cst.BaseExpression) -> str:
    """How DJA302's messages spell a call or its receiver (``self.check(...)``),
    in a file's own findings and in those the project index reports there."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{call_spelling(expr.value)}.{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return f"{call_spelling(expr.func)}({'...' if expr.args else ''})"
    return "..."


# The asyncio module used: ``asyncio.<name>``, ``import asyncio``, ``from
# asyncio ...``, ``asyncio as name``; not another module of that name
# (``django.utils.asyncio``'s ``async_unsafe``, ``pytest.mark.asyncio``) nor
# the word in prose ("the current thread or asyncio task").
ASYNCIO_USE = (r"asyncio(?<![\w.]asyncio)\s*\.", r"\bimport\s+asyncio\b", r"\bfrom\s+asyncio\b", r"asyncio(?<![\w.]asyncio)\s+as\b")


class _CoroutineCheck(Check):
    """Base of this module's checks: each keeps the file's evidence cache."""

    # Tasks and coroutines exist only where the module uses asyncio, async
    # defs, or the asgiref/Channels adapters.
    text_hints = (r"\basync\s+def\b", *ASYNCIO_USE, r"sync_to_async", r"async_to_sync", r"AsyncClient|ClientSession")

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.evidence = ctx.shared(CoroutineEvidence)


# -- the checks ----------------------------------------------------------------
class DanglingTaskCheck(_CoroutineCheck):
    """DJA301: the Task returned by ``create_task``/``ensure_future`` is dropped.

    The loop keeps only a weak reference to a task, so a task nobody holds can
    be garbage-collected mid-flight, and its exception is never seen."""

    codes = ("DJA301",)

    def visit_Call(self, node: cst.Call) -> None:
        evidence = self.evidence
        factory = self._factory(evidence, node)
        foreign = self._foreign_loop(evidence, node) if factory is None else None
        if factory is None and foreign is None:
            return
        parent = self.ctx.parent
        if isinstance(parent, cst.Expr):
            what = "its result is discarded"
        elif isinstance(parent, cst.Attribute) and parent.attr.value == "add_done_callback" and self._chained_statement():
            what = "only a done-callback refers to it"
        else:
            target = evidence.discarded_by_assignment(node)
            if target is None:
                return
            what = f"`{target.value}` is never used again"
        if factory is not None and self._current_loop_in_thread(evidence, node):
            return
        if foreign is not None:
            from async_lint.checks.foreign_loops import LoopTaskCall

            self.ctx.add_fact(LoopTaskCall(target=foreign, spelled=call_spelling(node), dropped=what), node)
            return
        function = self.ctx.current_function
        if function is not None and function.runs_in_thread and not self.ctx.in_lambda and self.ctx.qualified_name(node.func) in evidence.apis.task_factories:
            # ``@sync_to_async def``: a worker thread, where no loop runs.
            self.ctx.report(
                node,
                "DJA301",
                f"`{factory}` runs in a worker thread (the def is handed to a thread), where no event loop runs: it raises RuntimeError "
                "and the task never starts; create the task in the async caller, or pass it the loop and use `asyncio.run_coroutine_threadsafe(coro, loop)`",
            )
            return
        from async_lint.checks.foreign_loops import dropped_task_message

        self.ctx.report(node, "DJA301", dropped_task_message(factory, what))

    def _factory(self, evidence: CoroutineEvidence, node: cst.Call) -> str | None:
        name = self.ctx.qualified_name(node.func)
        if name in evidence.apis.task_factories:
            if name.endswith("ensure_future") and not (node.args and self._makes_task(evidence, node.args[0].value)):
                # ensure_future(task_or_future) returns its argument: nothing new is dropped.
                return None
            return call_spelling(node)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in evidence.apis.loop_task_methods:
            if evidence.is_loop(func.value):
                return call_spelling(node)
        return None

    @staticmethod
    def _makes_task(evidence: CoroutineEvidence, argument: cst.BaseExpression) -> bool:
        """Whether ``ensure_future(argument)`` wraps a coroutine in a new task:
        a call, or a name every assignment of which is a call known to make a
        coroutine (``coro = fetch(); asyncio.ensure_future(coro)``).  A name
        holding a task or a future is returned as it is."""
        if isinstance(argument, cst.Call):
            return True
        if type(argument) is not cst.Name:
            return False
        values = evidence.assigned_values(argument)
        return bool(values) and all(type(value) is cst.Call and evidence.coroutine_call(value) is False for value in values)

    def _current_loop_in_thread(self, evidence: CoroutineEvidence, node: cst.Call) -> bool:
        """``loop.create_task(...)`` in a def handed to a thread, ``loop``
        got there from ``get_running_loop()``/``get_event_loop()``: a worker
        thread runs no loop, so getting it raises RuntimeError and no task
        is ever made (``@sync_to_async def``, guarded by ``except RuntimeError``)."""
        function = self.ctx.current_function
        func = node.func
        if function is None or not function.runs_in_thread or self.ctx.in_lambda or type(func) is not cst.Attribute or type(func.value) is not cst.Name:
            return False
        values = evidence.assigned_values(func.value)
        return bool(values) and all(evidence.call_name(evidence._unwrap(value)) in CURRENT_LOOP_GETTERS for value in values)

    def _foreign_loop(self, evidence: CoroutineEvidence, node: cst.Call) -> str | None:
        """``name.create_task(...)`` (or ``module.name.create_task``), ``name``
        imported from another module of the project and not known here: the
        qualified name a module-level loop there may have (foreign_loops.py)."""
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value not in evidence.apis.loop_task_methods:
            return None
        receiver = func.value
        root = receiver
        while type(root) is cst.Attribute:
            root = root.value
        if type(root) is not cst.Name:
            return None
        return self.ctx.imported_from_elsewhere(receiver)

    def _chained_statement(self) -> bool:
        """``create_task(...).add_done_callback(cb)`` as a whole statement."""
        stack = self.ctx.stack
        return len(stack) >= 4 and isinstance(stack[-3], cst.Call) and isinstance(stack[-4], cst.Expr)


class UnawaitedCoroutineCheck(_CoroutineCheck):
    """DJA302: a coroutine is created and never awaited nor handed on, so its
    body never runs (Python only warns "coroutine ... was never awaited")."""

    codes = ("DJA302",)
    text_hints = (*_CoroutineCheck.text_hints, *twin_call_hints())

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # id(function) -> name -> the coroutine call assigned to it, to
        # report once the function shows every read of it as a plain value.
        self._held: dict[int, dict[str, list[_Held]]] = {}
        # id(function) -> name -> each read of it in that function, and how
        # it uses the value (None: awaited, handed on, or anything else).
        # The read's ancestors too (``_first_read_after``).
        self._reads: dict[int, dict[str, list[tuple[cst.Name, CoroutineUse | None, tuple]]]] = {}
        # The file's text names no property: no attribute read runs a getter (``visit_Attribute``).
        self._no_properties: bool | None = None
        # id(class) -> (call, attribute, callee, fix) of each coroutine stored on ``self``.
        self._held_on_self: dict[int, list[tuple]] = {}
        # id(function) -> name -> (call, assignment, fix) of each coroutine in a dict bound to the name.
        self._tables: dict[int, dict[str, list[tuple]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        parent = ctx.parent
        bare = isinstance(parent, cst.Expr)
        use = None
        if not bare and not isinstance(parent, (cst.Assign, cst.AnnAssign)) or unpacked(parent, node):
            use = coroutine_use(ctx, node)
            if use is None:
                if type(parent) is cst.DictElement and parent.value is node and ctx.in_async_context:
                    self._hold_in_dispatch_table(node, parent)
                return
        evidence = self.evidence
        is_future = evidence.coroutine_call(node)
        if is_future and use is not None and use.kind in NOT_FOR_FUTURES:
            return
        if is_future is None:
            # Its callee may be a coroutine function of another module: the
            # project index decides once the function shows how it is used.
            if use is None and not bare and ctx.in_async_context and not ctx.in_lambda:
                target = evidence.discarded_by_assignment(node)
                if target is None:
                    self._hold(node, call_spelling(node), None)
                else:
                    # ``answer = generate_answer(q)``, ``answer`` never used again.
                    ctx.add_fact(HeldCall(name=target.value, callee=call_spelling(node), use=(UNUSED, "")), node)
            return
        name = call_spelling(node)
        if use is None and not bare:
            if not ctx.in_async_context:
                # ``r = self._execute_trade(...)`` then ``if r:`` in a plain def:
                # the reads decide (a known coroutine, not a future, which sync code may keep).
                if is_future is False and not ctx.in_lambda:
                    target = evidence.discarded_by_assignment(node)
                    if target is not None:
                        # ``comment = Comment.objects.acreate(...)`` in a sync view, never read again.
                        ctx.report(node, "DJA302", unawaited_message(name, future=False, use=None, in_async=False, stored_in=target.value))
                    else:
                        self._hold(node, name, is_future)
                return
            target = evidence.discarded_by_assignment(node)
            if target is None:
                self._hold(node, name, is_future)
                return
            ctx.report(node, "DJA302", unawaited_message(name, future=is_future, use=None, in_async=True, stored_in=target.value))
            return
        if bare and is_future and not ctx.in_async_context:
            # ``asyncio.gather(task)`` dropped in a plain def (a protocol's
            # callback the loop calls): the awaitables are scheduled already
            # and run; that code cannot await the future, and asyncio.run
            # there would raise (a dropped task is DJA301's).
            return
        fix = fixes.await_call(ctx, node, message="Add `await`") if ctx.in_async_context and (use is None or use.kind not in NO_AWAIT_FIX) else None
        ctx.report(node, "DJA302", unawaited_message(name, future=is_future, use=use, in_async=ctx.in_async_context), fix=fix)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        """``self.config`` in async code, ``config`` an ``@property async def``
        of the class: reading it makes a coroutine, as calling a coroutine
        function does."""
        ctx = self.ctx
        parent = ctx.parent
        if not ctx.in_async_context or type(node.value) is not cst.Name or type(parent) is cst.Await or (type(parent) is cst.Call and parent.func is node):
            return
        if type(parent) is cst.AssignTarget or type(parent) is cst.Del or (type(parent) in (cst.AugAssign, cst.AnnAssign) and parent.target is node):
            return
        if self._no_properties is None:
            text = getattr(ctx.source, "text", None)
            self._no_properties = text is not None and "property" not in text
        if self._no_properties or not _async_property(ctx, node):
            return
        use = None if isinstance(parent, cst.Expr) else coroutine_use(ctx, node)
        if use is None and not isinstance(parent, cst.Expr):
            return  # stored or handed on: not followed
        spelled = f"{node.value.value}.{node.attr.value}"
        ctx.report(node, "DJA302", unawaited_message(spelled, future=False, use=use, in_async=True))

    # -- a coroutine held in a local and then only used as a plain value -------------
    def _hold(self, call: cst.Call, callee: str, future: bool | None) -> None:
        """``x = coro()`` in a function: a candidate until the function's reads of ``x`` are known."""
        ctx = self.ctx
        parent, function = ctx.parent, ctx.current_function
        if function is None or ctx.scope is not function.scope or not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
            return
        target = parent.targets[0].target
        if type(target) is cst.Attribute:
            self._hold_on_self(call, callee, future, target)
            return
        if not isinstance(target, cst.Name):
            return
        # The name's bindings in the function (the scope knows every one
        # already): bound once, every read sees the coroutine; bound more
        # often (``user = None``, or a parameter, then ``user = acreate()``
        # in an ``if``), the reads this binding reaches do.
        bindings = self.evidence.bindings(target)
        values = self.evidence.assigned_values(target)
        if values is not None and len(values) == 1:
            binding = None
        else:
            binding = next((b for b in bindings if b.kind == ASSIGN and b.value is call), None)
            if binding is None:
                return
        fix = fixes.await_call(ctx, call, message="Add `await`") if future is not None else None
        below = tuple(ctx.stack[ctx.stack.index(function.node) + 1 :])
        in_loop = any(type(n) is cst.For or type(n) is cst.While for n in below)
        self._held.setdefault(id(function.node), {}).setdefault(target.value, []).append(
            _Held(call, target, callee, future, fix, function.scope, binding, bindings, in_loop, below, ctx.in_async_context)
        )

    def _hold_in_dispatch_table(self, call: cst.Call, element: cst.DictElement) -> None:
        """``commands = {"a": self.fetch_a(x), "b": self.fetch_b(x)}`` in an
        async function: a candidate until the function's reads of
        ``commands`` are known (only one entry looked up: the others never run)."""
        ctx = self.ctx
        function = ctx.current_function
        stack = ctx.stack
        if function is None or len(stack) < 4 or type(stack[-3]) is not cst.Dict or type(stack[-4]) is not cst.Assign or ctx.scope is not function.scope:
            return
        assign = stack[-4]
        if len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name or assign.value is not stack[-3]:
            return
        if self.evidence.coroutine_call(call) is not False:
            return  # a coroutine the file knows (not a future): only those
        name = assign.targets[0].target.value
        fix = fixes.await_call(ctx, call, message="Add `await`")
        self._tables.setdefault(id(function.node), {}).setdefault(name, []).append((call, assign, fix))

    def _report_dispatch_tables(self, function: cst.FunctionDef) -> None:
        """DJA302 on each coroutine of a dict bound once in ``function``
        (two coroutines at least) that the function only looks entries up in."""
        tables = self._tables.pop(id(function), None)
        if not tables:
            return
        uses = _dict_name_uses(self.ctx, function, set(tables))
        lookups = _lookup_only_names(uses)
        consumed = _consumed_only_names(uses)
        for name, calls in tables.items():
            if len({id(assign) for _call, assign, _fix in calls}) != 1:
                continue
            use = consumed.get(name)
            if use is not None:
                for call, _assign, fix in calls:
                    self.ctx.report(call, "DJA302", held_message(call_spelling(call), False, name, use, container="the dict "), fix=fix)
                continue
            if len(calls) < 2 or name not in lookups:
                continue
            for call, _assign, _fix in calls:
                self.ctx.report(
                    call,
                    "DJA302",
                    f"`{call_spelling(call)}` returns a coroutine that is stored in the dict `{name}`, of which only the entry "
                    "looked up is used: the others are made and never awaited (their bodies never run); map the keys to "
                    "the functions and call the one looked up (`await table[key](...)`)",
                )

    def _hold_on_self(self, call: cst.Call, callee: str, future: bool | None, target: cst.Attribute) -> None:
        """``self.room = database_sync_to_async(get_room)(pk)`` in a method:
        a candidate until the class's reads of ``self.room`` are known (a
        future or task kept on ``self`` is a reference kept on purpose)."""
        function = self.ctx.current_function
        if future is not False or function is None or function.class_name is None or type(target.value) is not cst.Name:
            return
        params = function.node.params.params
        cls = self.ctx.enclosing_class()
        if not params or params[0].name.value != target.value.value or cls is None or static_or_class_method(function.node):
            return
        fix = fixes.await_call(self.ctx, call, message="Add `await`")
        self._held_on_self.setdefault(id(cls), []).append((call, target.attr.value, callee, fix))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        held = self._held_on_self.pop(id(node), None)
        if not held:
            return
        reads = _self_attribute_uses(self.ctx, node, {attr for _call, attr, _callee, _fix in held})
        for call, attr, callee, fix in held:
            uses = reads.get(attr, [])
            if None in uses:
                continue  # awaited, handed on, or stored elsewhere somewhere in the class
            if uses:
                self.ctx.report(call, "DJA302", held_message(callee, False, f"self.{attr}", uses[0]), fix=fix)
            else:
                self.ctx.report(call, "DJA302", unawaited_message(callee, future=False, use=None, in_async=True, stored_in=f"self.{attr}"), fix=fix)

    def visit_Name(self, node: cst.Name) -> None:
        ctx = self.ctx
        function = ctx.current_function
        if function is None or node.value not in self._held.get(id(function.node), ()):
            return
        parent = ctx.parent
        if isinstance(parent, cst.AssignTarget) and parent.target is node:
            return  # the assignment itself (the name is bound only there)
        if (type(parent) is cst.Attribute and parent.attr is node) or (type(parent) is cst.Arg and parent.keyword is node):
            return  # ``obj.uplink``, ``f(uplink=1)``: a name, not the variable
        self._reads.setdefault(id(function.node), {}).setdefault(node.value, []).append((node, coroutine_use(ctx, node), tuple(ctx.stack)))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._tables:
            self._report_dispatch_tables(node)
        held = self._held.pop(id(node), None)
        reads = self._reads.pop(id(node), {})
        if not held:
            return
        loads = self.evidence.name_loads(node)
        nested: set[str] | None = None
        for name, stores in held.items():
            read = reads.get(name, [])
            if not read or loads.out_of_sight(name):
                continue
            for found in stores:
                if found.binding is None:
                    # Bound once: every read is in this function (none in a nested one).
                    if loads.loads[name] == len(read):
                        self._report_held(found, name, read)
                elif not found.in_loop:
                    if nested is None:
                        nested = _names_in_nested_scopes(node)
                    if name not in nested:
                        # Bound more often, not in a loop: the reads before the
                        # store (not recorded) cannot see it; those after are recorded.
                        self._report_held(found, name, read)

    def _report_held(self, found: _Held, name: str, read: list[tuple[cst.Name, CoroutineUse | None, tuple]]) -> None:
        """DJA302 where every read the coroutine's store reaches uses it as a
        plain value: it is never awaited; or where the read that runs first
        after the store, on every path, fails on a coroutine (``user.name =
        ...``: AttributeError), whatever the later ones do with it."""
        if found.binding is not None:
            read = [entry for entry in read if found.binding in reaching_bindings(self.ctx, found.scope, found.bindings, entry[0])]
        uses = [entry[1] for entry in read]
        if not uses:
            return
        if None in uses:
            first = None if found.future is not False or found.in_loop else _first_read_after(found.path, read)
            if first is None or first[1] is None or first[1].kind not in FAILING_USES:
                return
            uses = [first[1]]
        if found.future is None:
            self.ctx.add_fact(HeldCall(name=name, callee=found.callee, use=tuple(uses[0].as_data())), found.call)
            return
        if found.future and any(use.kind in NOT_FOR_FUTURES for use in uses):
            return
        self.ctx.report(found.call, "DJA302", held_message(found.callee, found.future, name, uses[0], found.in_async), fix=found.fix)


@dataclass(frozen=True)
class _Held:
    call: cst.Call
    target: cst.Name
    callee: str
    future: bool | None  # None: whether the callee makes a coroutine is for the project index
    fix: object
    scope: Scope
    # The store's binding where the name has others (its reads are those it
    # reaches), and all of them; None where it is the only one.
    binding: Binding | None
    bindings: list[Binding]
    in_loop: bool  # the store is in a loop of the function: reads before it may see it
    path: tuple  # the store's ancestors below its function
    in_async: bool = True  # made in code that may ``await``


# How a dict's reads may use it where the coroutines in it are then never
# awaited: given to a sync consumer (or in a literal given to one), formatted,
# tested for truth.
_CONSUMING_USES = frozenset({ARGUMENT, TEXT, TRUTH})


def _dict_name_uses(ctx, function: cst.FunctionDef, names: set[str]) -> dict[str, list[CoroutineUse | str]]:
    """How each occurrence of ``names`` in the function, nested scopes
    included, uses the dict it names: ``"store"`` (bound), ``"lookup"``
    (``table[key]``, ``table.get(key)``), ``"entry"`` (``context["user"] =
    user``, ``del context[k]``, ``context.update(...)`` as a statement: no
    entry read), the use where it is handed to a callable that never awaits
    it, formats or tests it (``render(request, t, context)``), or ``"other"``."""
    uses: dict[str, list[CoroutineUse | str]] = {}
    for node, stack in _with_ancestors(function, [function]):
        if type(node) is not cst.Name or node.value not in names:
            continue
        parent, above = stack[-2], stack[-3] if len(stack) > 2 else None
        if (type(parent) is cst.Attribute and parent.attr is node) or (type(parent) is cst.Arg and parent.keyword is node):
            continue  # ``obj.context``, ``f(context=...)``: a name, not the variable
        found: CoroutineUse | str
        if type(parent) is cst.AssignTarget and parent.target is node:
            found = "store"
        elif type(parent) is cst.Subscript and parent.value is node:
            found = "entry" if type(above) in (cst.AssignTarget, cst.Del) else "lookup"
        elif type(parent) is cst.Attribute and parent.value is node and parent.attr.value == "get" and type(above) is cst.Call and above.func is parent:
            found = "lookup"
        elif type(parent) is cst.Attribute and parent.value is node and parent.attr.value == "update" and type(above) is cst.Call and len(stack) > 3 and type(stack[-4]) is cst.Expr:
            found = "entry"
        else:
            use = coroutine_use(_StackView(ctx, list(stack)), node)
            found = use if use is not None and use.kind in _CONSUMING_USES else "other"
        uses.setdefault(node.value, []).append(found)
    return uses


def _lookup_only_names(uses: dict[str, list[CoroutineUse | str]]) -> set[str]:
    """Of the names ``_dict_name_uses`` read, those bound once and read only
    to look an entry up."""
    return {name for name, found in uses.items() if found.count("store") == 1 and "lookup" in found and all(kind in ("store", "lookup") for kind in found)}


def _consumed_only_names(uses: dict[str, list[CoroutineUse | str]]) -> dict[str, CoroutineUse]:
    """Of the names ``_dict_name_uses`` read, those bound once and otherwise
    only handed to callables that never await what they are given, or
    added entries to, with the first such use."""
    out: dict[str, CoroutineUse] = {}
    for name, found in uses.items():
        consumers = [use for use in found if isinstance(use, CoroutineUse)]
        if found.count("store") == 1 and consumers and all(isinstance(kind, CoroutineUse) or kind in ("store", "entry") for kind in found):
            out[name] = consumers[0]
    return out


def _not_none(values):
    """The values but a ``None`` placeholder, where another value is assigned too."""
    if not values:
        return values
    return [v for v in values if not is_none_literal(v)] or values


class _StackView:
    """The file's context as seen with ``stack`` as the nodes being visited
    (``coroutine_use`` reads a node's ancestors from ``ctx.stack``)."""

    def __init__(self, ctx, stack: list) -> None:
        self._ctx, self.stack = ctx, stack

    @property
    def parent(self):
        return self.stack[-2] if len(self.stack) >= 2 else None

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)


def _self_attribute_uses(ctx, cls: cst.ClassDef, attrs: set[str]) -> dict[str, list[CoroutineUse | None]]:
    """How each read of ``self.<attr>`` (``attrs``) in the class's methods,
    nested defs included, uses the value (``coroutine_use``; None: awaited,
    handed on or anything else).  A store (``self.attr = ...``) is no read."""
    out: dict[str, list[CoroutineUse | None]] = {}
    body = cls.body.body if type(cls.body) is cst.IndentedBlock else ()
    for method in body:
        if type(method) is not cst.FunctionDef or not method.params.params:
            continue
        self_name = method.params.params[0].name.value
        for node, stack in _with_ancestors(method, [cls, method]):
            if type(node) is cst.Attribute and type(node.value) is cst.Name and node.value.value == self_name and node.attr.value in attrs:
                parent = stack[-2]
                stored = (type(parent) is cst.AssignTarget and parent.target is node) or (type(parent) in (cst.AugAssign, cst.AnnAssign) and parent.target is node) or type(parent) is cst.Del
                if not stored:
                    use = None if type(parent) is cst.Await else coroutine_use(_StackView(ctx, stack), node)
                    out.setdefault(node.attr.value, []).append(use)
    return out


def _with_ancestors(root: cst.CSTNode, above: list):
    """Each node below ``root`` in libcst's order, with the list of its
    ancestors and itself (``above``: those of ``root``, ``root`` last),
    the same list reused: read it before the next node."""
    stack = above
    base = len(above)
    pending = [(child, base) for child in reversed(children(root))]
    while pending:
        node, depth = pending.pop()
        del stack[depth:]
        stack.append(node)
        yield node, stack
        pending.extend((child, depth + 1) for child in reversed(children(node)))


# Uses that raise on a coroutine: the code stops there.
FAILING_USES = frozenset({ATTRIBUTE, INDEXED, ITERATED, UNPACKED, RAISED})


def _first_read_after(store: tuple, reads: list[tuple[cst.Name, CoroutineUse | None, tuple]]):
    """The read of ``reads`` (in source order, each with its ancestors) that
    runs first after the store whose ancestors below its function are
    ``store``, on every path: in the first statement after it, in its block
    or, that block ending, in the blocks around it, that reads the name,
    where that statement is a simple one (the read not under ``and``/``or``,
    a conditional expression, a lambda or a comprehension), or the test of
    an ``if``/``while``, or the iterable of a ``for``.  None where control
    may go elsewhere first (a ``try``, a one-line suite) or no such read is
    found."""
    position = len(store) - 1
    while position > 0 and type(store[position]) is not cst.SimpleStatementLine:
        position -= 1
    while position > 0:
        statement, block = store[position], store[position - 1]
        if type(block) is not cst.IndentedBlock:
            return None
        following = block.body[next(i for i, s in enumerate(block.body) if s is statement) + 1 :]
        found, entry = _first_read_in(following, reads)
        if found:
            return entry
        # The block ends: on after the statement that holds it (an ``if``
        # with its ``elif``/``else`` branches, a ``with``), not out of a
        # ``try``, a loop or the function.
        position -= 2
        while position > 0 and type(store[position]) in (cst.If, cst.Else) and type(store[position - 1]) in (cst.If, cst.Else):
            position -= 1
        if position <= 0 or type(store[position]) not in (cst.If, cst.With):
            return None
    return None


def _first_read_in(statements, reads) -> tuple[bool, tuple | None]:
    """``_first_read_after`` within a run of statements: (whether control
    stops here, the read that runs first on every path or None).  A ``try``
    runs its body's statements first, in order: the first read there
    counts as one of the run's own."""
    for later in statements:
        here = [entry for entry in reads if _has_ancestor(entry[2], later)]
        if not here:
            if type(later) is cst.SimpleStatementLine and any(type(small) in (cst.Return, cst.Raise, cst.Break, cst.Continue) for small in later.body):
                return True, None
            continue
        entry = here[0]
        path = entry[2][next(i for i, n in enumerate(entry[2]) if n is later) :]
        if type(later) is cst.Try and type(later.body) is cst.IndentedBlock and _has_ancestor(path, later.body):
            found, first = _first_read_in(later.body.body, here)
            return True, first if found else None
        unconditional = not any(
            type(n) in (cst.IfExp, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp) or (type(n) is cst.BooleanOperation and n.left is not child)
            for n, child in itertools.pairwise(path)
        )
        if type(later) is cst.SimpleStatementLine:
            return True, entry if unconditional else None
        if (type(later) in (cst.If, cst.While) and path[1] is later.test) or (type(later) is cst.For and path[1] is later.iter):
            return True, entry if unconditional else None
        return True, None
    return False, None


def _has_ancestor(path: tuple, node: cst.CSTNode) -> bool:
    return any(n is node for n in path)


def _names_in_nested_scopes(function: cst.FunctionDef) -> set[str]:
    """The names a def, class or lambda inside the function uses (where a
    store's reads are not recorded): read once per function, not once per
    stored name (a 20,000-line module of long views asked it 460 times)."""
    from async_lint.checks.django_structure_classes import nodes_in

    names: set[str] = set()
    stack = list(nodes_in(function.body, (cst.FunctionDef, cst.ClassDef, cst.Lambda)))
    while stack:
        current = stack.pop()
        if type(current) is cst.Name:
            names.add(current.value)
        stack.extend(children(current))
    return names


# A ``HeldCall``'s use where the name is never read again.
UNUSED = "unused"


@dataclass(frozen=True, kw_only=True)
class HeldCall(Fact):
    """A call in async code whose value is stored in a local bound once and
    then only used as a plain value, its callee unknown to the file: DJA302
    when the project index finds a coroutine function there."""

    kind = "held_call"
    summary_key = "held_calls"
    name: str
    callee: str  # as the file's own DJA302 spells it
    use: tuple[str, str]


def held_message(callee: str, future: bool, name: str, use: CoroutineUse, in_async: bool = True, container: str = "") -> str:
    """``container``: what ``name`` holds the coroutine in (``"the dict "``), where not the coroutine itself."""
    made = "a future" if future else "a coroutine"
    lost = "its results and exceptions are lost" if future else "its body never runs"
    how = {
        TRUTH: "only tested for truth (always true)",
        TEXT: "only formatted into text",
        DROPPED: "only the value of a dropped expression",
        INDEXED: "indexed (TypeError)",
        ATTRIBUTE: f"used for its attribute `.{use.consumer}` (AttributeError)",
        ITERATED: "iterated by a `for` loop (TypeError)",
        RAISED: "raised (TypeError)",
        KEY: "used as a key or index itself",
        NONE_TESTED: "only compared with None (never None)",
        COMPARED: "only compared with a value (never equal)",
        OPERAND: f"used as an operand of `{use.consumer}` (TypeError)",
        THREAD_RETURNED: "only returned by this def, which runs in a thread (its async caller gets the coroutine object),",
    }.get(use.kind, f"only passed to {use.consumer}")
    advice = "add `await`" if in_async else "`await` it from async code, or run it with `async_to_sync(...)`"
    if use.kind == THREAD_RETURNED:
        advice = "use the sync call here (the def runs in a thread), or await the call in the async caller"
    return f"`{callee}` returns {made} that is stored in {container}`{name}`, which is {how} and never awaited: {lost}; {advice}"


def unawaited_message(callee: str, *, future: bool, use: CoroutineUse | None, in_async: bool, stored_in: str | None = None) -> str:
    """DJA302's message: how the coroutine (or future) is lost and what to do.
    ``use``: the value is used as is (None: the statement drops it, or it is
    ``stored_in`` a name never awaited); ``in_async``: code that may ``await``."""
    if use is not None:
        return use_message(callee, use, future, in_async)
    made = "a future" if future else "a coroutine"
    lost = "its results and exceptions are lost" if future else "its body never runs"
    if stored_in is not None:
        advice = "add `await`" if in_async else "`await` it from async code, or run it with `async_to_sync(...)`"
        return f"`{callee}` returns {made} that is stored in `{stored_in}` and never awaited: {lost}; {advice}"
    if in_async:
        return f"`{callee}` returns {made} that is never awaited: {lost}; add `await`"
    return f"`{callee}` returns {made} that is dropped here: {lost}; `await` it from async code, or run it with `async_to_sync(...)`/`asyncio.run(...)`"


def nested_loops_allowed(ctx) -> bool:
    """``nest_asyncio`` imported in the file makes re-entering the loop legal."""
    patches = coroutine_apis().reentrant_patches
    return any(b.kind == IMPORT and (b.target or "").split(".")[0] in patches for bindings in ctx.module_scope.bindings.values() for b in bindings)


def expects_an_error(ctx) -> bool:
    """Inside ``with pytest.raises(...)`` (within the function): a test that
    the RuntimeError happens."""
    guards = coroutine_apis().raises_guards
    for ancestor in ctx.ancestors():
        if isinstance(ancestor, cst.FunctionDef):
            return False
        if isinstance(ancestor, cst.With):
            for item in ancestor.items:
                call = item.item
                if isinstance(call, cst.Call) and ctx.qualified_name(call.func) in guards:
                    return True
    return False


# What raises RuntimeError where no loop runs (never in a coroutine).
_RUNNING_LOOP_GETTERS = frozenset(name for name in CURRENT_LOOP_GETTERS if name.endswith(".get_running_loop"))


def _may_test_the_loop(ctx) -> bool:
    """The file's text asks whether a loop runs (once per file: the summary
    asks ``dead_in_a_coroutine`` at every call site in async code)."""
    text = getattr(ctx.source, "text", None)
    return text is None or "is_running" in text or "get_running_loop" in text


def dead_in_a_coroutine(ctx) -> bool:
    """The node being visited, in the body of the coroutine it runs in,
    sits where code on a running loop never goes: after ``if
    asyncio.get_event_loop().is_running(): return ...`` (or in its
    ``else``, or under ``if not ...is_running():``), or in the ``except
    RuntimeError`` handler of a ``try`` that only calls
    ``asyncio.get_running_loop()`` (the fallback for callers without a loop)."""
    if not ctx.shared(_may_test_the_loop):
        return False
    stack = ctx.stack
    for i in range(len(stack) - 1, 0, -1):
        node, parent = stack[i], stack[i - 1]
        kind = type(parent)
        if kind is cst.FunctionDef or kind is cst.Lambda:
            return False
        if kind is cst.ExceptHandler and node is parent.body and i >= 2 and _catches_runtime_error(ctx, parent) and _only_gets_the_running_loop(ctx, stack[i - 2]):
            return True
        if kind is cst.If and (node is parent.orelse) and _tests_loop_running(ctx, parent.test) is True:
            return True
        if kind is cst.If and node is parent.body and _tests_loop_running(ctx, parent.test) is False:
            return True
        if kind is cst.IndentedBlock:
            for earlier in parent.body:
                if earlier is node:
                    break
                if type(earlier) is cst.If and earlier.orelse is None and _tests_loop_running(ctx, earlier.test) is True and ends_in(earlier.body, (cst.Return, cst.Raise)):
                    return True
    return False


def _tests_loop_running(ctx, test: cst.BaseExpression) -> bool | None:
    """True: ``test`` is ``<loop>.is_running()`` of the current loop (so true
    in a coroutine); False: its negation; None: neither."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = _tests_loop_running(ctx, test.expression)
        return None if inner is None else not inner
    if type(test) is not cst.Call or test.args or type(test.func) is not cst.Attribute or test.func.attr.value != "is_running":
        return None
    loop = test.func.value
    return True if type(loop) is cst.Call and not loop.args and ctx.qualified_name(loop.func) in CURRENT_LOOP_GETTERS else None


def _catches_runtime_error(ctx, handler: cst.ExceptHandler) -> bool:
    caught = handler.type
    names = [element.value for element in caught.elements] if type(caught) is cst.Tuple else [caught]
    return any(name is not None and ctx.qualified_name(name) == "builtins.RuntimeError" for name in names)


def _only_gets_the_running_loop(ctx, statement: cst.CSTNode) -> bool:
    """A ``try`` whose body only calls ``asyncio.get_running_loop()``
    (``asyncio.get_running_loop()``, ``loop = asyncio.get_running_loop()``)."""
    if type(statement) is not cst.Try or type(statement.body) is not cst.IndentedBlock:
        return False
    for line in statement.body.body:
        if type(line) is not cst.SimpleStatementLine:
            return False
        for small in line.body:
            value = small.value if type(small) in (cst.Expr, cst.Assign) else None
            if type(value) is not cst.Call or value.args or ctx.qualified_name(value.func) not in _RUNNING_LOOP_GETTERS:
                return False
    return True


def loop_reentry_message(spelled: str, use: str) -> str:
    """DJA304 for a call that runs ``async_to_sync`` on the loop."""
    return f"`{spelled}` runs `async_to_sync` on the event loop, which raises RuntimeError (you cannot use AsyncToSync in the same thread as an async event loop); {use}"


class CrossModuleLoopReentryCheck(IndexCheck):
    """DJA304 where the function decorated ``@async_to_sync`` is defined in
    another module of the project: its summary says so (``loop_reentry``),
    the call site in async code is the file's."""

    codes = ("DJA304",)

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list:
        index = self.index
        module = index.module_of(path, summary)
        out = []
        for site in summary["sites"]:
            if not site["async"] or site.get("loop_ok") or site["ref"][:2] in ("c:", "p:"):
                continue
            where = self._made_elsewhere(site["ref"], module)
            if where is not None:
                message = loop_reentry_message(site["callee"], "`await` the async function directly") + f" ({where})"
                out.append(finding_at(path, site, "DJA304", message, extra={"callee": site["callee"].removesuffix("()")}))
        return out

    def _made_elsewhere(self, ref: str, module: str) -> str | None:
        """Where the sync entry point ``ref`` calls was made, in another
        module than ``module`` (the file's own check reports its own): a
        function decorated ``@async_to_sync``, or a module-level
        ``broadcast = async_to_sync(_broadcast)``; None for anything else."""
        index = self.index
        target = index.resolve(ref, module, index.receiver_of(ref, module))
        if target is None:
            wrapped_in = index.loop_wrapper_module(ref[2:]) if ref.startswith("q:") else None
            return f"an `async_to_sync` wrapper of {index.display_module(wrapped_in)}" if wrapped_in is not None and wrapped_in != module else None
        function = index.function(target)
        defined_in, _ = split_key(target)
        if function is None or not function.get("loop_reentry") or defined_in == module:
            return None
        return f"`@async_to_sync` in {index.display_module(defined_in)}"


class CrossModuleUnawaitedCheck(IndexCheck):
    """DJA302 where the coroutine function is defined in another module of
    the project: the file's summary records each call whose value is dropped
    or used as is; the index says whether the callee is a coroutine function."""

    codes = ("DJA302",)

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list:
        index = self.index
        module = index.module_of(path, summary)
        held = {(record["line"], record["column"]): record for record in summary.get("held_calls", ())}
        out = []
        for site in summary["sites"]:
            stored = held.get((site["line"], site["column"])) if site["async"] else None
            # A call through an object of a project class (``manager =
            # RoomManager()`` then ``manager.remove_room(pk)``): the class's
            # ``async def`` (a subclass that made it a plain def would break
            # every caller that awaits it).  Not a parameter's.
            through_object = site["ref"][:2] == "c:"
            if not (site["discarded"] or site.get("use") or stored) or site["ref"][:2] == "p:":
                continue
            receiver = index.receiver_of(site["ref"], module)
            target = index.resolve(site["ref"], module, receiver)
            function = index.function(target) if target is not None else None
            if function is None and site.get("object_coroutine") and site["async"] and not stored:
                out.extend(self._object_coroutine(path, site, module))
                continue
            if function is None or not function.get("coroutine") or (site["async"] and index.callable_sync(function)):
                continue
            defined_in, _ = split_key(target)
            if defined_in == module and not through_object:
                continue  # the file's own check reports it (calls through objects it does not follow)
            kind = "`async def`" if function["async"] else "a `@sync_to_async` def"
            fix = site.get("await_fix")
            if stored is not None:
                use = CoroutineUse.from_data(stored["use"])
                if use.kind == UNUSED:
                    message = unawaited_message(stored["callee"], future=False, use=None, in_async=True, stored_in=stored["name"])
                else:
                    message = held_message(stored["callee"], False, stored["name"], use)
                # ``name = await callee(...)``: the await goes before the call.
                fix = await_fix_at(site["line"], site["column"])
            else:
                use = CoroutineUse.from_data(site["use"]) if site.get("use") else None
                message = unawaited_message(site.get("spelled", site["callee"]), future=False, use=use, in_async=site["async"])
            message += f" ({kind} in {index.display_module(defined_in)})"
            out.append(finding_at(path, site, "DJA302", message, extra={"callee": site["callee"].removesuffix("()")}, fix=fix))
        return out

    def _object_coroutine(self, path: str, site: dict, module: str) -> list:
        """``redis.sadd(...)`` dropped (or only tested), ``redis`` a
        module-level object of another module made a client whose methods
        are coroutine functions (summary ``coroutine_objects``)."""
        owner, _, method = site["ref"][2:].rpartition(".")
        made_with = self.index.coroutine_object(owner)
        kind = coroutine_apis().clients.get(made_with) if made_with is not None else None
        if kind is None or method not in kind.methods:
            return []
        use = CoroutineUse.from_data(site["use"]) if site.get("use") else None
        message = unawaited_message(site.get("spelled", site["callee"]), future=False, use=use, in_async=site["async"])
        message += f" ({kind.what} made in {self.index.display_module(owner.rpartition('.')[0])})"
        return [finding_at(path, site, "DJA302", message, extra={"callee": site["callee"].removesuffix("()")}, fix=site.get("await_fix"))]


class EventLoopCheck(_CoroutineCheck):
    """DJA303 (``get_event_loop()`` in a coroutine) and DJA304 (starting or
    re-entering an event loop from code running on one)."""

    codes = ("DJA303", "DJA304")

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        if not ctx.in_async_context:
            return
        evidence = self.evidence
        apis = evidence.apis
        func = node.func
        name = ctx.qualified_name(func)
        if name in apis.get_event_loop:
            ctx.report(
                node,
                "DJA303",
                "`asyncio.get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`, which says what it means and never creates a new loop",
                fix=fixes.replace_func(ctx, node, "asyncio.get_running_loop"),
            )
            return
        nested = self._nested_loop(evidence, node, name)
        if nested is not None and not evidence.nested_loops_allowed() and not self._expects_an_error() and not dead_in_a_coroutine(ctx):
            ctx.report(node, "DJA304", nested)

    def _expects_an_error(self) -> bool:
        return expects_an_error(self.ctx)

    def _nested_loop(self, evidence: CoroutineEvidence, node: cst.Call, name: str | None) -> str | None:
        apis = evidence.apis
        func = node.func
        if name in apis.runners:
            return f"`{call_spelling(node)}` on the running event loop raises RuntimeError (cannot be called from a running event loop); `await` the coroutine directly"
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == apis.run_until_complete or (method in apis.loop_only_methods and evidence.is_loop(func.value)):
                return f"`{call_spelling(node)}` on the running event loop raises RuntimeError (this event loop is already running); `await` the coroutine directly"
        if evidence.is_wrapper_call(func, apis.async_to_sync):
            wrapped = call_spelling(func.args[0].value)  # type: ignore[attr-defined]
            use = f"use `await {wrapped}(...)`"
        elif self._names_async_to_sync(evidence, func):
            use = "`await` the async function directly"
        else:
            return None
        return loop_reentry_message(call_spelling(node), use)

    def _names_async_to_sync(self, evidence: CoroutineEvidence, func: cst.BaseExpression) -> bool:
        """A name bound to ``async_to_sync(f)`` or a def decorated
        ``@async_to_sync``; ``self.send_group`` every method of the class
        assigns ``async_to_sync(...)`` (``self.send_group =
        async_to_sync(self.channel_layer.group_send)`` in ``connect``)."""
        apis = evidence.apis
        if type(func) is cst.Attribute:
            values = evidence.self_attribute_values(func)
            return bool(values) and all(evidence.is_wrapper_call(v, apis.async_to_sync) for v in values)
        if not isinstance(func, cst.Name):
            return False
        defs = evidence.local_defs(func)
        if defs is not None:
            # ``@sync_to_async`` above the ``@async_to_sync`` makes it awaitable again.
            return all(adapters(evidence.decorator_names(node), apis.async_to_sync)[:1] == ["async_to_sync"] for node in defs)
        values = evidence.assigned_values(func)
        return bool(values) and all(evidence.is_wrapper_call(v, apis.async_to_sync) for v in values)


def _async_property(ctx, node: cst.Attribute) -> bool:
    """``self.<name>`` where the method's class defines ``name`` only as an
    ``@property``-decorated ``async def``."""
    from async_lint.analysis.context import PROPERTY_DECORATORS
    from async_lint.analysis.receivers import self_class_scope

    class_scope = self_class_scope(node.value.value, ctx.scope)
    bindings = class_scope.bindings.get(node.attr.value) if class_scope is not None else None
    if not bindings:
        return False
    for binding in bindings:
        function = binding.node
        if binding.kind != DEF or type(function) is not cst.FunctionDef or function.asynchronous is None:
            return False
        names = [ctx.qualified_name(d.decorator, class_scope.parent or class_scope) or "" for d in function.decorators]
        if not any(name in PROPERTY_DECORATORS for name in names):
            return False
    return True
