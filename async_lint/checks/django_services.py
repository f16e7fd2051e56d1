"""DJA207 (Django cache), DJA208 (transactions) and DJA209 (signal.send) in
async code."""

from __future__ import annotations

import re

from async_lint import lazy_libcst

from async_lint import fixes
from async_lint.analysis.context import ASYNC_TO_SYNC_DECORATORS, PROPERTY_DECORATORS
from async_lint.analysis.django_twins import sync_names, target_version, twin
from async_lint.analysis.reaching import is_none_literal
from async_lint.analysis.receivers import annotation_target, class_body_scope, function_scope, local_callee, returned_values, self_assignments, self_class_scope, set_in_init
from async_lint.analysis.scopes import ASSIGN, DEF, IMPORT, PARAM, Scope, defined_class, lookup
from async_lint.checks.django_orm import DjangoCheck, shown
from async_lint.checks.django_structure_classes import nodes_in

cst = lazy_libcst.bind(globals())

CACHE = "django.core.cache.cache"
CACHES = "django.core.cache.caches"
ATOMIC = frozenset({"django.db.transaction.atomic"})
# Transaction functions that touch the connection (ensure_connection is
# async-unsafe): SynchronousOnlyOperation on the event loop.
TRANSACTION_CALLS = frozenset(
    f"django.db.transaction.{name}" for name in ("on_commit", "commit", "rollback", "savepoint", "savepoint_commit", "savepoint_rollback", "set_autocommit", "get_autocommit", "clean_savepoints")
)
SIGNAL_CLASSES = frozenset({"django.dispatch.Signal", "django.dispatch.dispatcher.Signal", "django.db.models.signals.ModelSignal"})
SIGNAL_METHODS = sync_names("signal")
DJANGO_SIGNAL = re.compile(r"^django(\.\w+)*\.signals\.\w+$")


class SyncCacheCheck(DjangoCheck):
    """DJA207: the sync methods of Django's cache on the event loop. Every
    built-in backend's a-methods are ``sync_to_async`` wrappers, so the sync
    ones block the loop on network caches (Redis, Memcached, database)."""

    codes = ("DJA207",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.methods = sync_names("cache")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self.methods:
            return
        if type(self.ctx.parent) is cst.Await:
            return  # awaited: the project's cache is an async one (e.g. django-valkey's)
        aliases = self._django_cache_aliases(func.value, depth=0)
        if aliases is None:
            return
        table = self.inference.table
        if all(table.cache_is_local(alias) for alias in aliases):
            return  # LocMemCache or DummyCache by the project's settings: no I/O
        method = func.attr.value
        base = shown(self.ctx, func.value)
        fix = self.suggestion("cache", method, lambda twin: f"`await {base}.{twin}(...)`", f"`await sync_to_async({base}.{method})(...)`")
        self.flag(node, "DJA207", f"`{base}.{method}()` is a blocking cache round trip on the event loop; use {fix}", fix=cache_fix(self.ctx, node, method))

    def _django_cache_aliases(self, expr: cst.BaseExpression, depth: int, scope: Scope | None = None) -> frozenset[str | None] | None:
        """The aliases of Django's caches ``expr`` (read in ``scope``,
        default: here) is one of (None among them: an alias not known), or
        None where it is not known to be one: ``cache``, ``caches[alias]``,
        a name every binding of which is one, or an attribute of a class of
        this module (``self.cache``) every value of which is one, a
        ``@property`` returning one included; a ``None`` beside them is the
        lazy start of such an attribute."""
        if depth > 5:
            return None
        name = self.ctx.qualified_name(expr, scope)
        if name == CACHE:
            return frozenset({"default"})
        if isinstance(expr, cst.Subscript):
            if self.ctx.qualified_name(expr.value, scope) != CACHES:
                return None
            index = expr.slice[0].slice if len(expr.slice) == 1 else None
            alias = index.value.evaluated_value if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString) else None
            return frozenset({alias if isinstance(alias, str) else None})
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "create_connection":
            return frozenset({None}) if self.ctx.qualified_name(expr.func.value, scope) == CACHES else None
        if isinstance(expr, cst.Call):
            # ``cache = _get_cache()``: what a def of this module returns.
            callee = local_callee(self.ctx, expr.func, scope or self.ctx.scope)
            returned = returned_values(self.ctx, *callee) if callee is not None else None
            return self._all_caches(returned, expr, depth) if returned else None
        if isinstance(expr, cst.Name):
            found = lookup(scope or self.ctx.scope, expr.value)
            bindings = found[1] if found else None
            if not bindings or any(b.kind not in (ASSIGN, IMPORT) for b in bindings):
                return None
            values = [b.value for b in bindings if b.kind == ASSIGN]
            return self._all_caches([(v, found[0]) for v in values], expr, depth)  # type: ignore[index]
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            values = class_attribute_values(self.ctx, expr.value.value, expr.attr.value, scope or self.ctx.scope, properties=True)
            if not values:
                return None
            return self._all_caches([(value, where) for value, where in values if not is_none_literal(value)], expr, depth)
        return None

    def _all_caches(self, values: list, expr: cst.BaseExpression, depth: int) -> frozenset[str | None] | None:
        """The aliases of the caches all of ``values`` are, or None."""
        if not values:
            return None
        out: set[str | None] = set()
        for value, where in values:
            if value is None or value is expr:
                return None
            aliases = self._django_cache_aliases(value, depth + 1, where)
            if aliases is None:
                return None
            out |= aliases
        return frozenset(out)


def class_attribute_values(ctx, owner: str, attr: str, scope: Scope, *, properties: bool = False) -> list[tuple[cst.BaseExpression | None, Scope]] | None:
    """Every value ``<owner>.<attr>`` is given in this module, each with
    the scope it is read in, where ``owner`` is a method's ``self``/``cls``
    or a class of the module: the class body's ``attr = ...`` and the
    methods' ``self.attr = ...``; with ``properties``, what a ``@property``
    of that name returns.  None where the attribute has another kind of
    binding or the owner is neither."""
    class_scope = self_class_scope(owner, scope)
    if class_scope is None:
        found = defined_class(scope, owner)
        if found is None:
            return None
        class_scope = class_body_scope(ctx, found[0], found[1])
    bindings = class_scope.bindings.get(attr, [])
    parent = class_scope.parent or class_scope
    values: list[tuple[cst.BaseExpression | None, Scope]] = []
    assigned = self_assignments(ctx, class_scope).get(attr, ())
    for binding in bindings:
        if binding.kind == ASSIGN:
            values.append((binding.value, parent))
        elif binding.kind == DEF and isinstance(binding.node, cst.FunctionDef) and _is_property(ctx, binding.node, class_scope):
            if not properties:
                return None
            method_scope = function_scope(ctx, binding.node, class_scope)
            returns = [ret.value for ret in nodes_in(binding.node.body, cst.Return)]
            if not returns:
                return None
            values += [(value, method_scope) for value in returns]
        elif binding.kind == DEF and set_in_init(class_scope.node, attr):
            # ``def cache(self, ...)`` beside ``self.cache = cache`` in
            # ``__init__``: a function is a non-data descriptor, so the
            # instance's attribute hides the method from then on.
            continue
        else:
            return None
    values += [(value, method_scope) for value, method_scope, _node in assigned]
    return values


def _is_property(ctx, function: cst.FunctionDef, class_scope: Scope) -> bool:
    return any((ctx.qualified_name(d.decorator, class_scope) or "") in PROPERTY_DECORATORS for d in function.decorators)


class TransactionCheck(DjangoCheck):
    """DJA208: transactions in async code. ``atomic()`` and ``on_commit``
    reach the connection (async-unsafe); ``@atomic`` on an ``async def``
    turns it into a plain function returning an unawaited coroutine."""

    codes = ("DJA208",)

    def _is_atomic(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):
            expr = expr.func
        return self.ctx.qualified_name(expr) in ATOMIC

    def _made_sync_below(self, decorators) -> bool:
        """``@atomic @async_to_sync async def``: a decorator applied before
        ``atomic`` made the function sync, which ``atomic`` then wraps."""
        return any(self.ctx.qualified_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) in ASYNC_TO_SYNC_DECORATORS for d in decorators)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if self._is_atomic(item.item):
                # ``async with``: Atomic has no ``__aenter__``, so the statement itself fails.
                what = (
                    "is not an async context manager (`async with` raises TypeError; transactions do not work in async code)"
                    if node.asynchronous is not None
                    else "opens a transaction on the event loop (SynchronousOnlyOperation; transactions do not work in async code)"
                )
                self.flag(
                    item.item,
                    "DJA208",
                    f"`{shown(self.ctx, item.item)}` {what}; move the transactional work into a sync function and `await sync_to_async(fn)()`",
                )

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name in TRANSACTION_CALLS:
            short = name.rpartition(".")[2]
            self.flag(
                node,
                "DJA208",
                f"`transaction.{short}()` uses the database connection synchronously (SynchronousOnlyOperation in async code); call it from a sync function run with `await sync_to_async(fn)()`",
            )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        for at, decorator in enumerate(node.decorators):
            if self._is_atomic(decorator.decorator) and not self._made_sync_below(node.decorators[at + 1 :]):
                # Not an operation on the loop but a broken definition: a plain report.
                self.ctx.report(
                    decorator,
                    "DJA208",
                    f"`@{shown(self.ctx, decorator.decorator)}` on `async def {node.name.value}` makes it a plain function that returns an unawaited coroutine "
                    "(Django calls such a view as sync); move the transactional work into a sync function and `await sync_to_async(fn)()`",
                )


class SyncSignalCheck(DjangoCheck):
    """DJA209: ``Signal.send()``/``send_robust()`` on the event loop: receivers
    run inline (their ORM use raises), and an async receiver makes send()
    raise RuntimeError."""

    codes = ("DJA209",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in SIGNAL_METHODS:
            return
        # Awaited, ``send()`` returned an awaitable: an async library's signal
        # (``async_signals.Signal``), unless the object is surely Django's.
        awaited = isinstance(self.ctx.parent, cst.Await)
        if not self._is_signal(func.value, 0, by_module_name=not awaited):
            return
        if self._in_fallback_without_asend():
            return
        method = func.attr.value
        base = shown(self.ctx, func.value)
        fix = self.suggestion("signal", method, lambda twin: f"`await {base}.{twin}(...)`", f"`await sync_to_async({base}.{method})(...)`")
        self.flag(
            node, "DJA209", f"`{base}.{method}()` runs the receivers synchronously on the event loop (their ORM use raises SynchronousOnlyOperation; an async receiver raises RuntimeError); use {fix}"
        )

    def _in_fallback_without_asend(self) -> bool:
        """In the ``else`` of ``if hasattr(signal, "asend")`` (or
        ``getattr(signal, "asend", None)``): the code a Django without
        ``Signal.asend`` (before 5.0) runs, where the receivers were sync."""
        stack = self.ctx.stack
        for depth in range(len(stack) - 1, 0, -1):
            node = stack[depth]
            if type(node) is cst.If and depth + 1 < len(stack) and node.orelse is not None and stack[depth + 1] is node.orelse:
                if any(_names_asend(call) for call in nodes_in(node.test, cst.Call)) or (type(node.test) is cst.Call and _names_asend(node.test)):
                    return True
        return False

    def _is_signal(self, expr: cst.BaseExpression, depth: int, scope: Scope | None = None, by_module_name: bool = True) -> bool:
        """``expr`` (read in ``scope``, default: here) is a Django signal:
        a signal of Django's, a project signal imported from an app's
        ``signals`` module (not with ``by_module_name=False``: the module's
        name is all that says so), ``Signal()``, or a name, a class attribute
        (``self.created``, ``Post.created``) or an instance attribute every
        binding of which is one."""
        if depth > 5:
            return False
        name = self.ctx.qualified_name(expr, scope)
        if name is not None:
            if DJANGO_SIGNAL.match(name):
                return True
            module, _, short = name.rpartition(".")
            # A project signal imported from its app's signals module.
            if by_module_name and module.rpartition(".")[2] == "signals" and not module.startswith("django.") and self.inference.imports_django and short[:1].islower():
                return True
        if isinstance(expr, cst.Call):
            return self.ctx.qualified_name(expr.func, scope) in SIGNAL_CLASSES
        if isinstance(expr, cst.Name):
            found = lookup(scope or self.ctx.scope, expr.value)
            if found is None:
                return False
            owner, bindings = found
            if len(bindings) == 1 and bindings[0].kind == PARAM and isinstance(bindings[0].node, cst.Param) and bindings[0].node.annotation is not None:
                # ``signal: Signal``
                annotated = annotation_target(bindings[0].node.annotation.annotation)
                return annotated is not None and self.ctx.qualified_name(annotated, owner.parent or owner) in SIGNAL_CLASSES
            if any(b.kind != ASSIGN for b in bindings):
                return False
            return all(b.value is not None and self._is_signal(b.value, depth + 1, owner, by_module_name) for b in bindings)
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            values = class_attribute_values(self.ctx, expr.value.value, expr.attr.value, scope or self.ctx.scope)
            return bool(values) and all(value is not None and self._is_signal(value, depth + 1, where, by_module_name) for value, where in values)
        return False


def _names_asend(call: cst.Call) -> bool:
    """``hasattr(x, "asend")`` / ``getattr(x, "asend", ...)``."""
    func = call.func
    if type(func) is not cst.Name or func.value not in ("hasattr", "getattr") or len(call.args) < 2:
        return False
    name = call.args[1].value
    return type(name) is cst.SimpleString and name.evaluated_value == "asend"


# -- autofixes ---------------------------------------------------------------------
# The cache methods whose twin certainly does what the sync call did, with
# BaseCache's parameters (a third-party backend's extra arguments, such as
# django-redis's ``nx=``, are not accepted by the twin).  aget/aset/aadd/
# adelete/atouch/aclear run the backend's own sync method in a thread; the
# others are built from those and return the same values.  Not fixed: incr/
# decr (BaseCache.aincr is get-then-set, losing the backends' atomic
# increments), set_many (aset_many always returns [], not the failed keys),
# close (BaseCache.aclose does nothing, while Memcached's close disconnects).
CACHE_FIX_PARAMS = {
    "get": ("key", "default", "version"),
    "set": ("key", "value", "timeout", "version"),
    "add": ("key", "value", "timeout", "version"),
    "delete": ("key", "version"),
    "touch": ("key", "timeout", "version"),
    "clear": (),
    "get_or_set": ("key", "default", "timeout", "version"),
    "get_many": ("keys", "version"),
    "delete_many": ("keys", "version"),
    "has_key": ("key", "version"),
    "incr_version": ("key", "delta", "version"),
    "decr_version": ("key", "delta", "version"),
}


def cache_fix(ctx, call: cst.Call, method: str) -> fixes.NodeFix | None:
    """DJA207: ``cache.get(k)`` -> ``await cache.aget(k)`` (Django 4.0+)."""
    if not ctx.in_async_context or fixes.comprehension_depth(ctx) > 1:
        return None
    params = CACHE_FIX_PARAMS.get(method)
    found = twin("cache", method, target_version(ctx))
    if params is None or found is None or not fixes.args_fit(call, params):
        return None
    return fixes.await_method_twin(ctx, call, found)
