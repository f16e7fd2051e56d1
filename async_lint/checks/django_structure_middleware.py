"""DJA501, DJA502, DJA506: middleware Django will run the wrong way.

How Django runs middleware (django/core/handlers/base.py ``load_middleware``):
each middleware's ``sync_capable``/``async_capable`` flags (default True/False)
decide whether it is handed a sync or an async ``get_response``, and
``iscoroutinefunction(instance)`` decides whether its result is awaited.
``process_view``/``process_exception``/``process_template_response`` are
adapted by their own ``iscoroutinefunction``, so an ``async def`` hook works on
any middleware and is not reported; ``MiddlewareMixin`` however calls
``process_request``/``process_response`` itself, synchronously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

from async_lint import lazy_libcst
from async_lint.analysis.django_twins import target_version

from async_lint.checks.base import Check
from async_lint.checks.django_structure_classes import (
    GET_RESPONSE_PARAMETER,
    LEGACY_MARKER,
    MARK_COROUTINE,
    MARK_COROUTINE_NAME,
    MIDDLEWARE_DECORATORS,
    UNKNOWN,
    ClassFacts,
    ClassRegistry,
    MethodFacts,
    MiddlewareMixinClass,
    nodes_in,
    positional_params,
)

cst = lazy_libcst.bind(globals())

ASGI_CALL = ("scope", "receive", "send")
MIXIN_SYNC_HOOKS = ("process_request", "process_response")
FIX_FLAGS = "set `async_capable = True` and `sync_capable = False` on the class (or decorate it with `@async_only_middleware`)"


@dataclass(eq=False)
class Factory:
    node: cst.FunctionDef
    decorators: tuple[str, ...]
    inner: list[cst.FunctionDef]


class MiddlewareCheck(Check):
    codes = ("DJA501", "DJA502", "DJA506")
    # Async middleware needs an async def; the `__call__(self, request,
    # get_response)` mistake needs get_response.
    text_hints = (r"\basync\s+def\b", GET_RESPONSE_PARAMETER)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.registry = ClassRegistry.of(ctx)
        self.factories: list[Factory] = []
        # Names the module hands to another framework's middleware list
        # (django-bolt's ``BoltAPI(middleware=[RequestIdMiddleware])``): that
        # framework, not Django's handler, calls them.
        self.elsewhere: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "middleware" and isinstance(arg.value, (cst.List, cst.Tuple)):
                self.elsewhere.update(element.value.value for element in arg.value.elements if isinstance(element.value, cst.Name))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.registry.add_class(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.ctx.scope.kind == "module":
            self.registry.add_module_assignment(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.ctx.scope.kind != "module":
            return
        params = positional_params(node.params)
        # Django calls a middleware factory with the next handler; by
        # convention (and in all of Django's docs) that parameter is get_response.
        if not params or params[0] != "get_response":
            return
        # name -> every def of it (branches may define one name twice: sync and async).
        inner: dict[str, list[cst.FunctionDef]] = {}
        for definition in nodes_in(node.body, cst.FunctionDef):
            inner.setdefault(definition.name.value, []).append(definition)
        returned: list[cst.FunctionDef] = []
        for ret in nodes_in(node.body, cst.Return):
            if not (isinstance(ret.value, cst.Name) and ret.value.value in inner):
                return  # returns something else too: not a plain factory
            returned.extend(inner[ret.value.value])
        if returned:
            decorators = tuple(self.ctx.qualified_name(d.decorator) or "" for d in node.decorators)
            self.factories.append(Factory(node, decorators, returned))

    def leave_Module(self, node: cst.Module) -> None:
        for factory in self.factories:
            if factory.node.name.value not in self.elsewhere:
                self._check_factory(factory)
        for facts in self.registry:
            if facts.name not in self.elsewhere:
                self._check_class(facts)

    # -- DJA501 --------------------------------------------------------------------
    def _factory_flags(self, factory: Factory) -> dict:
        flags: dict = {"sync_capable": True, "async_capable": False}
        for decorator in reversed(factory.decorators):
            flags.update(MIDDLEWARE_DECORATORS.get(decorator, {}))
        for key, value in self.registry.assigned_attributes.get(factory.node.name.value, {}).items():
            if key in flags:
                flags[key] = value
        return flags

    def _check_factory(self, factory: Factory) -> None:
        flags = self._factory_flags(factory)
        if UNKNOWN in flags.values():
            return
        name = factory.node.name.value
        if all(d.asynchronous is not None for d in factory.inner) and flags["async_capable"] is not True:
            self.ctx.report(
                factory.node.name,
                "DJA501",
                f"Middleware factory `{name}` returns an `async def` but is not async-capable: Django hands it a sync "
                "`get_response` and wraps it with `sync_to_async`, which raises TypeError on every request; decorate "
                "it with `@async_only_middleware` (or `@sync_and_async_middleware` and branch on "
                "`iscoroutinefunction(get_response)`)",
            )
        elif flags["async_capable"] is True and all(d.asynchronous is None for d in factory.inner):
            if all(self._only_passes_through(inner) for inner in factory.inner):
                return
            marked = "@async_only_middleware" if flags["sync_capable"] is False else "async-capable"
            self.ctx.report(
                factory.node.name,
                "DJA501",
                f"Middleware factory `{name}` is {marked} but returns a plain `def`: under ASGI Django hands it an "
                "async `get_response`, so `get_response(request)` is a coroutine, not a response; make the inner "
                "function `async def` and `await get_response(request)`",
            )

    @staticmethod
    def _only_passes_through(inner: cst.FunctionDef) -> bool:
        """True when every return hands back ``get_response(...)`` untouched
        (the coroutine is then awaited by Django, and nothing breaks)."""
        returns = list(nodes_in(inner.body, cst.Return))
        return bool(returns) and all(isinstance(r.value, cst.Call) and isinstance(r.value.func, cst.Name) and r.value.func.value == "get_response" for r in returns)

    # -- DJA502 / DJA506 -----------------------------------------------------------------
    def _check_class(self, facts: ClassFacts) -> None:
        version = target_version(self.ctx)
        for target, code, message in class_middleware_problems(self.registry, facts, lambda owner, m: init_summary(self.ctx, m.node, own_methods(owner)), version):
            self.ctx.report(target.node.name, code, message)


Target = Union[ClassFacts, MethodFacts]
Problem = tuple[Target, str, str]


def init_summary(ctx, node: cst.FunctionDef, methods: dict[str, cst.FunctionDef] | None = None) -> tuple[Any, bool]:
    """What an ``__init__`` does: whether it marks the instance a coroutine
    function (True, "legacy" for ``self._is_coroutine = ...``, or False), and
    whether it calls ``super().__init__``.  ``methods``: the class's own
    methods, where a ``self.<method>()`` call from ``__init__`` marks it
    (Django's ``MiddlewareMixin._async_check``)."""
    delegates = False
    for call in nodes_in(node.body, cst.Call):
        if _marks_self(ctx, call):
            return True, delegates
        if _is_super_init(call):
            delegates = True
    for assign in nodes_in(node.body, cst.Assign):
        for target in assign.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value == LEGACY_MARKER and _is_marker(assign.value):
                return "legacy", delegates
    for call in nodes_in(node.body, cst.Call):
        helper = _own_method_called(call, methods)
        if helper is not None and any(_marks_self(ctx, inner) for inner in nodes_in(helper.body, cst.Call)):
            return True, delegates
    return False, delegates


def _is_marker(value: cst.BaseExpression) -> bool:
    """Whether the value assigned to ``self._is_coroutine`` is asyncio's
    marker (``asyncio.coroutines._is_coroutine``, however imported, also in
    a conditional expression): a flag of the middleware's own under that
    name (``= iscoroutinefunction(get_response)``, a bool) marks nothing."""
    if type(value) is cst.Name:
        return value.value == LEGACY_MARKER
    if type(value) is cst.Attribute:
        return value.attr.value == LEGACY_MARKER
    return type(value) is cst.IfExp and (_is_marker(value.body) or _is_marker(value.orelse))


def _marks_self(ctx, call: cst.Call) -> bool:
    """``markcoroutinefunction(self)``: asgiref's or inspect's, or a function
    of that name however it was imported (a project's re-export or shim)."""
    if not call.args or not isinstance(call.args[0].value, cst.Name) or call.args[0].value.value != "self" or call.args[0].keyword is not None or call.args[0].star:
        return False
    func = call.func
    last = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
    return last == MARK_COROUTINE_NAME or ctx.qualified_name(func) in MARK_COROUTINE


def _own_method_called(call: cst.Call, methods: dict[str, cst.FunctionDef] | None) -> cst.FunctionDef | None:
    """The class's own method a ``self.<name>()`` call runs (not ``__init__``)."""
    func = call.func
    if not methods or not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name) or func.value.value != "self":
        return None
    name = func.attr.value
    return methods.get(name) if name != "__init__" else None


# Django 3.1-4.1 run on Python 3.11 at most, where ``asyncio.iscoroutinefunction``
# (which they call) honours ``_is_coroutine``; 4.2 is the first to need
# asgiref 3.6, which has ``markcoroutinefunction``.
MARK_COROUTINE_SINCE = (4, 2)


def class_middleware_problems(registry: ClassRegistry, facts: ClassFacts, summarize: Callable[[Any, MethodFacts], tuple[Any, bool]], target: tuple[int, ...] | None = None) -> list[Problem]:
    """DJA502/DJA506 for one class: (the class or method to report at, code,
    message). ``summarize(owner, init)`` gives ``init_summary`` of an
    ``__init__`` of the class ``owner``; ``target``: the Django version the
    project targets (None: the newest)."""
    own_call = facts.methods.get("__call__")
    if own_call is not None and own_call.params[1:3] == ("request", "get_response"):
        return [
            (
                own_call,
                "DJA502",
                f"`{facts.name}.__call__` takes `get_response`, but Django calls middleware with the request only: take `get_response` in `__init__` and keep it on the instance",
            )
        ]
    found_call = registry.method(facts, "__call__")
    if found_call is not None and found_call[1] is not None and found_call[1].params[1:4] == ASGI_CALL:
        return []  # raw ASGI middleware, not Django's
    if not _is_django_middleware(registry, facts):
        return []
    if found_call is not None and isinstance(found_call[0], MiddlewareMixinClass):
        out: list[Problem] = []
        for hook in MIXIN_SYNC_HOOKS:
            method = facts.methods.get(hook)
            if method is not None and method.is_async:
                out.append(
                    (
                        method,
                        "DJA502",
                        f"`MiddlewareMixin` calls `{hook}` synchronously (through `sync_to_async` under ASGI), so "
                        f"`async def {hook}` returns a coroutine and every request fails; make it a plain `def`, or "
                        f"give the middleware an `async def __call__` and {FIX_FLAGS}",
                    )
                )
        return out
    if found_call is None or found_call[1] is None or facts.subclassed:
        return []
    # ``def __call__``: ``if self._is_async: return self.__acall__(request)``,
    # MiddlewareMixin's shape: async where Django hands it an async get_response.
    dispatching = not found_call[1].is_async and _dispatches_to_async(registry, facts, found_call[1])
    if not found_call[1].is_async and not dispatching:
        return []
    where: Target = own_call if own_call is not None else facts
    async_capable = registry.attribute(facts, "async_capable", False)
    sync_capable = registry.attribute(facts, "sync_capable", True)
    if UNKNOWN in (async_capable, sync_capable):
        return []
    if dispatching:
        if async_capable is not True:
            return []  # never handed an async get_response: its sync path runs
    elif async_capable is not True:
        return [
            (
                where,
                "DJA502",
                f"`{facts.name}` has an `async def __call__` but is not async-capable: Django hands it a sync `get_response` and gets a coroutine back, so every request fails; {FIX_FLAGS}",
            )
        ]
    elif sync_capable is not False:
        return [
            (
                where,
                "DJA502",
                f"`{facts.name}` has an `async def __call__` but is also sync-capable: under WSGI (and with Django's "
                "sync test `Client`) Django hands it a sync `get_response` and gets a coroutine back; set "
                "`sync_capable = False`",
            )
        ]
    state, init = _marks_itself(registry, facts, summarize)
    if state is True or state is UNKNOWN:
        return []
    older = target is not None and tuple(target) < MARK_COROUTINE_SINCE
    if state == "legacy" and older:
        return []  # the idiom Django itself used then, on the Pythons it ran on
    if older:
        message = (
            f"`{facts.name}` is async but its `__init__` never marks it as a coroutine function: requests "
            "work, but exceptions raised in it escape Django's error handling (no 500 response, no "
            "`process_exception`); add `if asyncio.iscoroutinefunction(self.get_response): "
            "self._is_coroutine = asyncio.coroutines._is_coroutine` (`markcoroutinefunction` needs asgiref 3.6)"
        )
    elif state == "legacy":
        message = (
            f"`{facts.name}` marks itself with `self._is_coroutine = asyncio.coroutines._is_coroutine`, which "
            "only works before Python 3.12 (asgiref checks `inspect.iscoroutinefunction` since): exceptions "
            "raised in it then escape Django's error handling; call `markcoroutinefunction(self)` from "
            "`asgiref.sync` instead"
        )
    else:
        message = (
            f"`{facts.name}` is async{' (its `__call__` returns a coroutine under ASGI)' if dispatching else ''} but its `__init__` never calls `markcoroutinefunction(self)`: requests "
            "work, but exceptions raised in it escape Django's error handling (no 500 response, no "
            "`process_exception`); add `if iscoroutinefunction(self.get_response): markcoroutinefunction(self)`"
        )
    return [(init if init is not None else where, "DJA506", message)]


def _dispatches_to_async(registry: ClassRegistry, facts: ClassFacts, call: MethodFacts) -> bool:
    """A sync ``__call__`` that returns the call of an ``async def`` method
    of the class (``return self.__acall__(request)``)."""
    if call.node is None:
        return False
    for ret in nodes_in(call.node.body, cst.Return):
        value = ret.value
        if type(value) is cst.Call and type(value.func) is cst.Attribute and type(value.func.value) is cst.Name and value.func.value.value == "self":
            found = registry.method(facts, value.func.attr.value)
            if found is not None and found[1] is not None and found[1].is_async:
                return True
    return False


def _is_django_middleware(registry: ClassRegistry, facts: ClassFacts) -> bool:
    found = registry.method(facts, "__init__")
    if found is None:
        return False
    entry, method = found
    if isinstance(entry, MiddlewareMixinClass):
        return True
    return method is not None and method.params[1:2] == ("get_response",)


def _marks_itself(registry: ClassRegistry, facts: ClassFacts, summarize: Callable[[Any, MethodFacts], tuple[Any, bool]]):
    """(True | False | "legacy" | UNKNOWN, the __init__ found) following super().__init__ chains."""
    after = None
    first_init = None
    for _ in range(16):
        found = registry.method(facts, "__init__", after=after)
        if found is None:
            return False, first_init
        entry, method = found
        if isinstance(entry, MiddlewareMixinClass):
            return True, first_init
        if method is None:
            return UNKNOWN, first_init
        first_init = first_init or method
        marks, delegates = summarize(entry, method)
        if marks:
            return marks, first_init
        if not delegates:
            return False, first_init
        after = entry
    return UNKNOWN, first_init


def own_methods(owner: Any) -> dict[str, cst.FunctionDef]:
    """A class's own methods by name (``ClassFacts.methods``' nodes)."""
    methods = getattr(owner, "methods", None) or {}
    return {name: method.node for name, method in methods.items()}


def _is_super_init(call: cst.Call) -> bool:
    """``super().__init__(...)``, or a base's named (``MiddlewareMixin.__init__(self, get_response)``)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"):
        return False
    if isinstance(func.value, cst.Call):
        return isinstance(func.value.func, cst.Name) and func.value.func.value == "super"
    first = call.args[0] if call.args else None
    return isinstance(func.value, (cst.Name, cst.Attribute)) and first is not None and first.keyword is None and isinstance(first.value, cst.Name) and first.value.value == "self"
