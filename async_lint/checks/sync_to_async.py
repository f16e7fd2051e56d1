"""DJA402-DJA404: sync_to_async / async_to_sync misuse.

What the wrapped callable *is* often lives in another module (a project
helper returning a QuerySet, a service function touching the ORM through two
more calls), so this check records each adapter site as a ``handoff`` fact
with what the file itself can tell (a lazy QuerySet chain, direct ORM use,
``thread_sensitive=False``, an ``iscoroutinefunction`` guard, how the result is
used), and ``HandoffIndexCheck`` decides over the project index.  Decorator
uses whose target is the decorated definition itself are decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from async_lint import lazy_libcst
from async_lint.analysis.context import ASYNC_TO_SYNC_DECORATORS, SYNC_TO_ASYNC_DECORATORS
from async_lint.analysis.scopes import ASSIGN, defined_function, parameter_for

from async_lint.checks.django_structure_classes import nodes_in
from async_lint.checks.base import Check, IndexCheck, finding_at
from async_lint.facts import Fact, fact_from_record
from async_lint.index import split_key
from async_lint.summary import (
    LAZY_QUERYSET_METHODS,
    callee_ref,
    is_lazy_queryset,
    is_manager_expression,
    object_ref,
)
from async_lint.walk import visit_fast

cst = lazy_libcst.bind(globals())

SYNC_TO_ASYNC = SYNC_TO_ASYNC_DECORATORS
ASYNC_TO_SYNC = ASYNC_TO_SYNC_DECORATORS
PARTIAL = frozenset({"functools.partial"})


@dataclass(frozen=True, kw_only=True)
class Handoff(Fact):
    """A callable handed to ``sync_to_async``/``async_to_sync`` (a call, or a
    decorator whose target is the decorated def).  The project index reads
    these from the module summary."""

    kind = "handoff"
    summary_key = "handoffs"

    adapter: str
    ref: str | None  # what is wrapped (summary.py's call refs), when the file can name it
    # False: a lambda calling the ref hands back its result (the adapter direction does not matter)
    direct: bool = True
    lazy: bool = False  # the wrapped code only builds a lazy QuerySet
    orm: bool = False  # the wrapped code uses a manager itself
    unsafe_thread: bool = False  # thread_sensitive=False
    guarded: bool = False  # under an ``iscoroutinefunction`` test
    result_safe: bool = False  # the result goes straight into something that evaluates it in the thread
    decorator: str | None = None  # the decorator's name, for a decorator
    text: str = ""
    wrapper: str = ""  # how the adapter is spelled (``database_sync_to_async``); "": as ``adapter``


def _guarded_by_iscoroutinefunction(ctx) -> bool:
    for ancestor in ctx.ancestors():
        test = getattr(ancestor, "test", None) if isinstance(ancestor, (cst.If, cst.IfExp, cst.While)) else None
        if test is not None and "iscoroutinefunction" in cst.Module([]).code_for_node(test):
            return True
    return False


def _contains_manager(ctx, node: cst.CSTNode) -> bool:
    from async_lint.checks._sync_to_async_scans import ManagerFinder

    finder = ManagerFinder(ctx)
    visit_fast(node, finder)
    return finder.found


class SyncToAsyncCheck(Check):
    codes = ("DJA402", "DJA403", "DJA404")
    text_hints = ("sync_to_async", "async_to_sync")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        ctx = self.ctx
        names = [ctx.qualified_name(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) for d in node.decorators]
        # The innermost adapter wraps the def; one above it wraps what the one below made.
        innermost = max((at for at, name in enumerate(names) if name in SYNC_TO_ASYNC or name in ASYNC_TO_SYNC), default=None)
        for at, decorator in enumerate(node.decorators):
            expr = decorator.decorator
            call = expr if isinstance(expr, cst.Call) else None
            name = names[at]
            if (name in SYNC_TO_ASYNC or name in ASYNC_TO_SYNC) and at != innermost:
                continue
            if name in SYNC_TO_ASYNC and node.asynchronous is not None:
                ctx.report(decorator, "DJA404", f"`@{name.rpartition('.')[2]}` on an `async def`: it is already a coroutine function; drop the decorator")
            elif name in ASYNC_TO_SYNC and node.asynchronous is None and not _returns_a_call(node):
                # A def returning a call may return a coroutine (``return
                # Interactor().execute(x)``, a ``@sync_to_async`` method), which
                # async_to_sync awaits: asgiref only warns.
                ctx.report(decorator, "DJA404", "`@async_to_sync` on a plain `def`: it wraps coroutine functions; drop it, or use `@sync_to_async` to run this in a thread")
            elif name in SYNC_TO_ASYNC:
                unsafe_thread = call is not None and _thread_sensitive_false(call)
                lazy = _returns_lazy_queryset(ctx, node)
                if not (unsafe_thread or lazy):
                    continue
                info_prefix = ctx._qualname_prefix()  # noqa: SLF001 - FunctionInfo.qualname naming
                fact = Handoff(
                    adapter="sync_to_async",
                    ref=f"l:{info_prefix}{node.name.value}",
                    lazy=lazy,
                    orm=_contains_manager(ctx, node.body),
                    unsafe_thread=unsafe_thread,
                    guarded=False,
                    # A private def (``_pre``) is called in this module only: where each call's
                    # result is used safely there, the lazy QuerySet never meets a sync evaluation.
                    # A method (``self.get_messages()``): where each call of a method of
                    # that name in the module uses its result safely, likewise.
                    result_safe=not lazy
                    or (node.name.value.startswith("_") and _private_results_safe(ctx, node.name.value))
                    or (ctx.enclosing_class() is not None and _method_results_safe(ctx, node.name.value)),
                    decorator=name.rpartition(".")[2],
                    text=node.name.value,
                )
                ctx.add_fact(fact, decorator)

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        name = ctx.qualified_name(node.func)
        if name in SYNC_TO_ASYNC:
            adapter = "sync_to_async"
        elif name in ASYNC_TO_SYNC:
            adapter = "async_to_sync"
        else:
            return
        if not node.args or node.args[0].keyword is not None or node.args[0].star:
            return
        wrapped = node.args[0].value
        if isinstance(wrapped, cst.Call) and ctx.qualified_name(wrapped.func) in PARTIAL and wrapped.args:
            wrapped = wrapped.args[0].value
        wrapped = self._bound_callable(wrapped)
        lazy = orm = False
        ref: Any = None
        if isinstance(wrapped, cst.Lambda):
            body = wrapped.body
            lazy = is_lazy_queryset(ctx, body)
            orm = _contains_manager(ctx, body)
            if isinstance(body, cst.Call) and not lazy:
                ref = callee_ref(ctx, body.func) or object_ref(ctx, body.func)
                adapter_for_ref = "lambda"
            else:
                adapter_for_ref = None
        else:
            adapter_for_ref = adapter
            if isinstance(wrapped, cst.Attribute) and wrapped.attr.value in LAZY_QUERYSET_METHODS:
                lazy = is_manager_expression(ctx, wrapped.value) or is_lazy_queryset(ctx, wrapped.value)
            orm = _contains_manager(ctx, wrapped) or (isinstance(wrapped, cst.Attribute) and _is_orm_object(ctx, wrapped.value))
            if not lazy and isinstance(wrapped, (cst.Name, cst.Attribute)):
                # ``service.method``: a method of the class the receiver is an instance of.
                ref = callee_ref(ctx, wrapped) or object_ref(ctx, wrapped)
        if not orm and adapter == "sync_to_async" and _thread_sensitive_false(node) and self._copies_a_queryset(node, wrapped):
            orm = True  # ``sync_to_async(list, thread_sensitive=False)(qs)``: the query runs there
        if isinstance(ref, cst.FunctionDef):
            info = ctx.function_info(ref)
            ref = f"l:{info.qualname}" if info is not None else None
        if adapter == "sync_to_async" and adapter_for_ref == adapter and self._api_coroutine_function(wrapped):
            text, wrapper = _spelled(node)
            ctx.report(node, "DJA404", f"`{wrapper}({text})` wraps a coroutine function (`{text}` is async: asgiref raises TypeError); await it directly: `await {text}(...)`")
            return
        given = self._not_callable(wrapped) if adapter == "sync_to_async" and type(wrapped) is cst.Call else None
        if given is not None:
            text, wrapper = _spelled(node)
            body = f"list({text})" if given == "a QuerySet" else text
            ctx.report(
                node,
                "DJA404",
                f"`{wrapper}({text})` is given what `{text}` returns ({given}), which is not callable (asgiref raises TypeError); pass a function: `await {wrapper}(lambda: {body})()`",
            )
            return
        if ref is None and not lazy and not orm:
            return
        text, wrapper = _spelled(node)
        fact = Handoff(
            adapter=adapter,
            ref=ref,
            # A lambda calling f hands f's *result* back: f's adapter direction does not matter.
            direct=adapter_for_ref == adapter,
            lazy=lazy,
            orm=orm,
            unsafe_thread=adapter == "sync_to_async" and _thread_sensitive_false(node),
            guarded=_guarded_by_iscoroutinefunction(ctx),
            result_safe=self._result_safe(node),
            text=text,
            wrapper=wrapper,
        )
        ctx.add_fact(fact, node)

    def _copies_a_queryset(self, node: cst.Call, wrapped: cst.BaseExpression) -> bool:
        """``sync_to_async(list)(qs)``: a builtin that iterates its argument,
        called at once with a QuerySet or manager (its query runs in the thread)."""
        from async_lint.analysis.django_models import ManagerValue, QuerySetValue, django_inference

        ctx = self.ctx
        parent = ctx.parent
        if type(parent) is not cst.Call or parent.func is not node or not parent.args or parent.args[0].keyword is not None or parent.args[0].star:
            return False
        if ctx.qualified_name(wrapped) not in QUERYSET_COPIES:
            return False
        return isinstance(django_inference(ctx).infer(parent.args[0].value), (ManagerValue, QuerySetValue))

    def _not_callable(self, wrapped: cst.Call) -> str | None:
        """``sync_to_async(User.objects.filter(role=...))``: what a call gives
        where it is a QuerySet, a manager or a model instance, none of which
        is callable; else None."""
        from async_lint.analysis.django_models import InstanceValue, ManagerValue, QuerySetValue, django_inference

        value = django_inference(self.ctx).infer(wrapped)
        if isinstance(value, QuerySetValue):
            return "a QuerySet"
        if isinstance(value, ManagerValue):
            return "a manager"
        if isinstance(value, InstanceValue):
            return "a model instance"
        return None

    def _given_to_queryset_consumer(self, stack: list[cst.CSTNode]) -> bool:
        """The wrapped call's result flows straight into a queryset consumer: the
        body of a lambda passed to one, or the returned value of a function
        passed to one in this module."""
        ctx = self.ctx
        for depth, ancestor in enumerate(stack):
            if isinstance(ancestor, cst.Lambda):
                parent = stack[depth + 1] if depth + 1 < len(stack) else None
                call = stack[depth + 2] if depth + 2 < len(stack) else None
                return isinstance(parent, cst.Arg) and isinstance(call, cst.Call) and ancestor in _consumer_arguments(ctx, call)
            if isinstance(ancestor, cst.Return):
                function = next((a for a in stack[depth:] if isinstance(a, (cst.FunctionDef, cst.Lambda))), None)
                if not isinstance(function, cst.FunctionDef):
                    return False
                consumed = ctx.__dict__.get("_queryset_consumed")
                if consumed is None:
                    from async_lint.analysis.django_vocabulary import QUERYSET_CONSUMER_WORDS
                    from async_lint.checks._sync_to_async_scans import ConsumedNames

                    visitor = ConsumedNames(ctx)
                    # A walk of the whole module, where a consumer may be called.
                    if any(word in ctx.source.text for word in QUERYSET_CONSUMER_WORDS):
                        visit_fast(ctx.module, visitor)
                    consumed = ctx.__dict__["_queryset_consumed"] = visitor.names
                return function.name.value in consumed
            if isinstance(ancestor, (cst.FunctionDef, cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return False
        return False

    def _result_safe(self, node: cst.Call) -> bool:
        """True when the thread's result is only iterated with ``async for``,
        handed to another thread, or given to a framework that evaluates it in
        one (``use_query(get_items)``, ``queryset_getter=lambda ...: ...``)."""
        ctx = self.ctx
        stack = list(ctx.ancestors())  # innermost first
        if stack and type(stack[0]) is cst.Assign and stack[0].value is node and len(stack[0].targets) == 1 and type(stack[0].targets[0].target) is cst.Name:
            # ``load = sync_to_async(build)`` in a def, then ``qs = await load(...)``: each call's result.
            function = ctx.current_function
            name = stack[0].targets[0].target.value
            if function is None or len(ctx.lookup(name) or []) != 1:
                return False
            from async_lint.checks._sync_to_async_scans import awaited_results_safe

            return awaited_results_safe(function.node.body, name, SYNC_TO_ASYNC, ctx.qualified_name, thread_callable=self._thread_callable)
        if not stack or not isinstance(stack[0], cst.Call) or stack[0].func is not node:
            return False
        if self._given_to_queryset_consumer(stack):
            return True
        index = 1
        if index < len(stack) and isinstance(stack[index], cst.Await):
            index += 1
        holder = stack[index] if index < len(stack) else None
        if isinstance(holder, (cst.For, cst.CompFor)) and holder.asynchronous is not None:
            return True
        if isinstance(holder, cst.Arg) and index > 1 and not holder.star and index + 2 < len(stack):
            # ``await service.summarise(await sync_to_async(...)())``: handed
            # to an awaited coroutine function, as a name bound to it would be.
            call, awaited = stack[index + 1], stack[index + 2]
            if isinstance(call, cst.Call) and isinstance(awaited, cst.Await) and self._awaited_callee_safe(call, holder):
                return True
        if isinstance(holder, cst.Return) and index > 1:
            # ``return await sync_to_async(qs.all)()``: the caller evaluates
            # it (``async for x in await f()`` is fine; a sync evaluation is
            # its own DJA202 where the caller knows what ``f`` returns).
            return True
        if isinstance(holder, cst.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0].target, cst.Name):
            function = ctx.current_function
            if function is None:
                return False
            from async_lint.analysis.reaching import reaching_bindings
            from async_lint.checks._sync_to_async_scans import ResultUses

            name = holder.targets[0].target.value
            scope = function.scope
            bindings = scope.bindings.get(name, [])
            mine = [b for b in bindings if b.node is holder]

            def sees_the_result(use: cst.Name) -> bool:
                # A read after ``qs = await sync_to_async(list)(qs)`` sees the list.
                return not mine or any(b in mine for b in reaching_bindings(ctx, scope, bindings, use))

            from async_lint.analysis.reaching import statement_order_of

            order = statement_order_of(ctx, scope)
            uses = ResultUses(name, SYNC_TO_ASYNC, ctx.qualified_name, sees_the_result, thread_callable=self._thread_callable, awaited_callee=self._awaited_callee_safe, runs_before=order.runs_before)
            visit_fast(function.node.body, uses)
            return not uses.unsafe
        return False

    def _api_coroutine_function(self, wrapped: cst.BaseExpression) -> bool:
        """``wrapped`` is a coroutine function of an API the rules know
        (Django's async methods such as ``instance.asave``, ``qs.aget``,
        ``aget_object_or_404``; an async client's methods; ``asyncio.sleep``),
        not in a branch that asks ``iscoroutinefunction``."""
        from async_lint.checks.coroutines import CoroutineEvidence

        if type(wrapped) not in (cst.Name, cst.Attribute) or _guarded_by_iscoroutinefunction(self.ctx):
            return False
        evidence = self.ctx.shared(CoroutineEvidence)
        if type(wrapped) is cst.Attribute:
            known = evidence.api_coroutine_method(wrapped.value, wrapped.attr.value, 0)
            if known is not None:
                return known
        # A project's own coroutine functions are the project index's (``Handoff``).
        return self.ctx.qualified_name(wrapped) in evidence.apis.coroutines

    def _bound_callable(self, wrapped: cst.BaseExpression) -> cst.BaseExpression:
        """``callback = super().__acall__`` then ``sync_to_async(callback)``:
        the callable a local name of this function is bound to, once, as a
        name or attribute; else ``wrapped`` itself."""
        function = self.ctx.current_function
        if type(wrapped) is not cst.Name or function is None:
            return wrapped
        found = self.ctx.lookup_with_scope(wrapped.value)
        if found is None or found[0] is not function.scope or len(found[1]) != 1:
            return wrapped
        binding = found[1][0]
        value = binding.value
        if binding.kind != ASSIGN or type(value) not in (cst.Attribute, cst.Name) or type(binding.node) is not cst.Assign:
            return wrapped
        return value

    def _thread_callable(self, func: cst.BaseExpression) -> bool:
        """A name bound only to ``sync_to_async(...)`` (``render_async =
        sync_to_async(render)``): calling it runs the call in a thread."""
        if type(func) is not cst.Name:
            return False
        bindings = self.ctx.lookup(func.value)
        return bool(bindings) and all(b.kind == ASSIGN and type(b.value) is cst.Call and self.ctx.qualified_name(b.value.func) in SYNC_TO_ASYNC for b in bindings)

    def _awaited_callee_safe(self, call: cst.Call, arg: cst.Arg) -> bool:
        """``await f(qs)``: False only where ``f`` is an ``async def`` of this
        module whose parameter for ``arg`` is used unsafely (evaluated
        synchronously) in its body; a callee not read here is its own."""
        from async_lint.checks._sync_to_async_scans import ResultUses

        found = defined_function(self.ctx.scope, call.func.value) if type(call.func) is cst.Name else None
        if found is None or found[0].asynchronous is None:
            return True
        callee = found[0]
        param = parameter_for(callee, call, arg)
        if param is None:
            return True
        uses = ResultUses(param, SYNC_TO_ASYNC, self.ctx.qualified_name, thread_callable=self._thread_callable)
        visit_fast(callee.body, uses)
        return not uses.unsafe


def _private_results_safe(ctx, name: str) -> bool:
    """Each call in the module of a private def ``name`` (which other modules
    do not call, by convention) is awaited and its result used safely."""
    from async_lint.checks._sync_to_async_scans import awaited_results_safe

    return awaited_results_safe(ctx.module, name, SYNC_TO_ASYNC, ctx.qualified_name)


def _method_results_safe(ctx, name: str) -> bool:
    """Each call in the module of a method named ``name`` (``self.name(...)``,
    on any receiver) is awaited and its result used safely."""
    from async_lint.checks._sync_to_async_scans import awaited_results_safe

    return awaited_results_safe(ctx.module, name, SYNC_TO_ASYNC, ctx.qualified_name, method=True)


def _shortened(code: str, width: int = 60) -> str:
    """Code quoted in a message: on one line, cut with an ellipsis past ``width``."""
    text = " ".join(code.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _returns_lazy_queryset(ctx, node: cst.FunctionDef) -> bool:
    """Every ``return`` of the def hands back an unevaluated QuerySet."""
    from async_lint.analysis.django_models import QuerySetValue, django_inference, return_statements, returns_filled_queryset

    info = ctx.function_info(node)
    if info is None or returns_filled_queryset(node):
        return False
    inference = django_inference(ctx)
    values = [inference.infer(ret.value, info.scope) if ret.value is not None else None for ret in return_statements(node.body)]
    return bool(values) and all(isinstance(v, QuerySetValue) for v in values)


def _works_below(index, target: str) -> bool:
    """A sync function the (thread-run) function calls blocks, or evaluates
    a QuerySet it is given (summary ``relation_reads``): the thread runs
    queries of its own."""
    from async_lint.index import PASSED_QUERYSET

    for key in index.reachable([(callee, None) for callee in index.callees(target)]):
        function = index.function(key) or {}
        if function.get("ops") or any(read[2] == PASSED_QUERYSET for read in function.get("relation_reads", ())):
            return True
    return False


def _consumer_arguments(ctx, call: cst.Call) -> list[cst.BaseExpression]:
    """The arguments of ``call`` that a queryset consumer evaluates in a thread."""
    from async_lint.analysis.django_vocabulary import QUERYSET_CONSUMERS

    found = QUERYSET_CONSUMERS.get(ctx.qualified_name(call.func) or "")
    if found is None:
        return []
    positions, keywords = found
    positional = [a for a in call.args if a.keyword is None and not a.star]
    out = [positional[i].value for i in positions if i < len(positional)]
    out += [a.value for a in call.args if a.keyword is not None and a.keyword.value in keywords]
    return out


def _is_orm_object(ctx, node: cst.BaseExpression) -> bool:
    """A QuerySet or a manager by the file's Django inference (a variable
    holding one, ``self`` in a QuerySet or manager subclass): its methods
    are ORM code."""
    from async_lint.analysis.django_models import ManagerValue, QuerySetValue, django_inference

    return isinstance(django_inference(ctx).infer(node), (QuerySetValue, ManagerValue))


def _spelled(call: cst.Call) -> tuple[str, str]:
    """How a message quotes an adapter call: what it wraps, and the adapter."""
    return _shortened(cst.Module([]).code_for_node(call.args[0].value)), _shortened(cst.Module([]).code_for_node(call.func), 40)


# Builtins that iterate the QuerySet they are given (its query runs where they are called).
QUERYSET_COPIES = frozenset({"builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted", "builtins.len", "builtins.bool"})


def _thread_sensitive_false(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "thread_sensitive":
            return isinstance(arg.value, cst.Name) and arg.value.value == "False"
    return False


class HandoffIndexCheck(IndexCheck):
    """DJA402-DJA404 for the ``Handoff`` facts of a file's summary: what the
    wrapped callable is (a coroutine function, a helper returning a lazy
    QuerySet, one reaching the ORM) is asked of the project index."""

    codes = ("DJA402", "DJA403", "DJA404")

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list:
        out = []
        for record in summary.get(Handoff.summary_key, ()):
            fact = fact_from_record(record)
            if isinstance(fact, Handoff):
                out.extend(finding_at(path, fact.where, code, message) for code, message in self._evaluate(fact, self.index.module_of(path, summary)))
        return out

    def _evaluate(self, fact: Handoff, module: str) -> list[tuple[str, str]]:
        index = self.index
        out: list[tuple[str, str]] = []
        target = index.resolve(fact.ref, module) if fact.ref else None
        function = index.function(target) if target is not None else None
        text = fact.text
        wrapper = fact.wrapper or fact.adapter
        if function is not None and fact.direct and not fact.guarded and function.get("decorated"):
            if fact.adapter == "sync_to_async" and not fact.decorator and not function["async"] and function.get("coroutine"):
                # ``@database_sync_to_async def f``: already a coroutine function
                # (asgiref's SyncToAsync marks itself so), which sync_to_async refuses.
                out.append(
                    (
                        "DJA404",
                        f"`{wrapper}({text})` wraps a function its decorator already runs in a thread ({_described(target)} is decorated `@sync_to_async`/`@database_sync_to_async`): "
                        "asgiref raises TypeError (sync_to_async can only be applied to sync functions); await it directly",
                    )
                )
        elif function is not None and fact.direct and not fact.guarded:
            if fact.adapter == "sync_to_async" and function["async"] and not function.get("generator"):
                out.append(("DJA404", f"`{wrapper}({text})` wraps a coroutine function ({_described(target)} is `async def`); await it directly"))
            elif fact.adapter == "async_to_sync" and not function["async"] and not function.get("thread") and not index.returns_awaitable(target):
                # A def returning a coroutine is awaited by async_to_sync (asgiref only warns).
                out.append(("DJA404", f"`async_to_sync({text})` wraps a plain function ({_described(target)} is a `def`); call it directly, or `sync_to_async` it from async code"))
        if fact.adapter != "sync_to_async":
            return out
        lazy = fact.lazy or (function is not None and not function["async"] and index.returns_queryset(target))
        # Blocking work of its own runs in the thread, or in a project function it calls.
        works = lazy and function is not None and bool(function.get("ops") or index.chain(target) is not None or _works_below(index, target))
        # A query on a value of unknown type (``user.roles.exists()``) may run there too.
        maybe_works = works or (function is not None and bool(function.get("may_query")))
        if not fact.result_safe:
            if lazy and fact.decorator and maybe_works:
                # Its own queries run in the thread; the QuerySet it returns does not.
                out.append(
                    (
                        "DJA402",
                        f"`{text}()` runs in a thread (`@{fact.decorator}`) but returns a lazy QuerySet: its query runs later, and evaluating the result in async code raises SynchronousOnlyOperation; evaluate it before returning (`return list(...)`) or iterate the result with `async for`",
                    )
                )
            elif lazy and fact.decorator:
                out.append(
                    (
                        "DJA402",
                        f"`{text}()` runs in a thread (`@{fact.decorator}`) but only builds a lazy QuerySet: no query runs there, and evaluating the result later in async code raises SynchronousOnlyOperation; evaluate it before returning (`return list(...)`) or iterate the result with `async for`",
                    )
                )
            elif lazy and not fact.lazy and maybe_works:
                # The helper runs queries of its own (or through its calls), then returns a lazy one.
                out.append(
                    (
                        "DJA402",
                        f"`{wrapper}({text})` hands back a lazy QuerySet ({_described(target)} returns one): evaluating it later in async code raises SynchronousOnlyOperation; evaluate it inside the thread (`sync_to_async(lambda: list(qs))()`) or iterate with `async for`",
                    )
                )
            elif lazy:
                out.append(
                    (
                        "DJA402",
                        f"`{wrapper}({text})` only builds a lazy QuerySet: no query runs in the thread, and evaluating it later in async code raises SynchronousOnlyOperation; evaluate it inside the thread (`sync_to_async(lambda: list(qs))()`) or iterate with `async for`",
                    )
                )
        # Only a lazy QuerySet built in the thread: no query, no connection there (DJA402's).
        if fact.unsafe_thread and not (lazy and not maybe_works) and (fact.orm or (function is not None and index.touches_orm(target))):
            out.append(("DJA403", f"`{wrapper}({text}, thread_sensitive=False)` runs ORM code outside the thread Django's database connections belong to; drop `thread_sensitive=False`"))
        return out


def _returns_a_call(function: cst.FunctionDef) -> bool:
    """Some ``return`` of the def (not of a nested one) hands back a call's result."""
    return any(type(ret.value) is cst.Call for ret in nodes_in(function.body, cst.Return))


def _described(key: str) -> str:
    """A project function as a message names it: ```name()```."""
    _, qualname = split_key(key)
    return f"`{qualname.split('.<locals>.')[-1]}()`"
