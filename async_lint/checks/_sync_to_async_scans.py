"""Visitors for the sync_to_async rules (checks/sync_to_async.py): libcst
classes, so imported where they are used (lazy_libcst.py: a run served from
the cache imports no libcst)."""

from __future__ import annotations

import libcst as cst

from async_lint.checks.sync_to_async import _consumer_arguments
from async_lint.summary import is_manager_expression
from async_lint.walk import visit_fast


# Django's paginator: holds the QuerySet it is given, lazily.
PAGINATORS = frozenset({"django.core.paginator.Paginator"})
# What a paginator caches once a page was asked for (``validate_number``).
_PAGINATOR_CACHED = frozenset({"count", "num_pages", "page_range"})


class _PaginatorUses(cst.CSTVisitor):
    """The reads of a paginator's name in a function body: how many are in
    threads (``in_thread``), and whether any other (one that may evaluate
    the QuerySet on the loop) is there; ``count``/``num_pages`` read after
    a thread's use are the cached values."""

    def __init__(self, name: str, in_thread) -> None:
        self.name = name
        self.in_thread = in_thread
        self.stack: list[cst.CSTNode] = []
        self.stores = 0
        self.in_threads = 0
        self.unsafe = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if type(node) is cst.Name and node.value == self.name:
            self._read(node)
        return not self.unsafe and super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        super().on_leave(original_node)

    def _read(self, node: cst.Name) -> None:
        stack = self.stack
        parent = stack[-2] if len(stack) >= 2 else None
        above = stack[-3] if len(stack) >= 3 else None
        if type(parent) is cst.AssignTarget and parent.target is node:
            self.stores += 1
        elif (type(parent) is cst.Attribute and parent.attr is node) or (type(parent) is cst.Arg and parent.keyword is node):
            return  # ``obj.paginator``, ``f(paginator=...)``: a name, not the variable
        elif self.in_thread(stack):
            self.in_threads += 1
        elif self.in_threads and type(parent) is cst.Attribute and parent.attr.value in _PAGINATOR_CACHED and not (type(above) is cst.Call and above.func is parent):
            return
        else:
            self.unsafe = True


class ManagerFinder(cst.CSTVisitor):
    # A module-level class: ``visit_fast`` reads a visitor class's handlers
    # once per class, which a class defined per call would repeat each time.
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.found = False

    def visit_Attribute(self, attribute: cst.Attribute) -> bool:
        if is_manager_expression(self.ctx, attribute):
            self.found = True
        return not self.found


class ResultUses(cst.CSTVisitor):
    """Classifies the uses of a name bound to ``await sync_to_async(...)(...)``
    in one function body: only ``async for`` and hand-offs to another thread are safe."""

    # How many plain aliases (``queryset = qs``) deep the uses are followed.
    MAX_ALIASES = 3

    def __init__(
        self,
        name: str,
        adapters: frozenset[str],
        resolve,
        sees_the_result=lambda use: True,
        thread_callable=lambda func: False,
        awaited_callee=lambda call, arg: True,
        runs_before=None,
        aliases: int = 0,
        alias_memo: dict[str, bool] | None = None,
    ):
        self.name = name
        self.aliases = aliases
        # alias -> whether its reads are safe, shared by the visits of one body.
        self.alias_memo: dict[str, bool] = {} if alias_memo is None else alias_memo
        self.adapters = adapters
        self.resolve = resolve
        # Whether a read of the name can see the thread's result (another
        # assignment of the name may hide it).
        self.sees_the_result = sees_the_result
        # Whether a called expression runs its call in another thread (a
        # name bound to ``sync_to_async(render)``).
        self.thread_callable = thread_callable
        # ``await f(qs)``: whether ``f`` (a coroutine function) only hands
        # the argument ``arg`` on safely; what it does not know is its own.
        self.awaited_callee = awaited_callee
        # ``runs_before(a, b)``: a's statement runs whole on every path to
        # b's (reaching.StatementOrder.runs_before); None: not known.
        self.runs_before = runs_before
        # The name as the iterable of each ``async for`` visited so far.
        self.iterated: list[cst.Name] = []
        self.stack: list[cst.CSTNode] = []
        self.unsafe = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, cst.Name) and node.value == self.name and not self._safe() and self.sees_the_result(node) and not self._filled_before(node):
            self.unsafe = True
        return not self.unsafe and super().on_visit(node)

    def _filled_before(self, node: cst.Name) -> bool:
        """An ``async for`` over the name ran before this read on every path:
        ``QuerySet.__aiter__`` fetched every row into the result cache, so
        ``len(qs)`` or another loop reads the cache and runs no query."""
        return self.runs_before is not None and any(self.runs_before(iterated, node) and self.sees_the_result(iterated) for iterated in self.iterated)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        super().on_leave(original_node)

    def _safe(self) -> bool:
        stack = self.stack
        parent = stack[-2] if len(stack) >= 2 else None
        if self._bound_here():
            return True
        if isinstance(parent, cst.Arg) and parent.keyword is stack[-1]:
            return True  # ``f(qs=other)``: the keyword, not a read of the name
        if type(parent) is cst.Attribute and parent.attr is stack[-1]:
            return True  # ``self.qs``: an attribute of that name, not the variable
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.asynchronous is not None and parent.iter is stack[-1]:
            self.iterated.append(stack[-1])
            return True
        if isinstance(parent, cst.Return) and parent.value is stack[-1]:
            return True  # the caller's to evaluate, as ``return await sync_to_async(...)()`` is
        if self._awaited_async_method():
            return True
        if self._rebuilt_lazily():
            return True
        if self._awaited_argument():
            return True
        if self._listed_by_async_serializer():
            return True
        if self._paginated_in_threads():
            return True
        if self._aliased_safely():
            return True
        # The argument of ``sync_to_async(f)(qs)`` or inside ``sync_to_async(lambda: list(qs))``,
        # or of a name bound to such an adapter (``render_async(request, t, {"qs": qs})``).
        return self._in_thread(stack)

    def _in_thread(self, stack: list[cst.CSTNode]) -> bool:
        """The node at the end of ``stack`` is (in) an argument of
        ``sync_to_async(f)(...)``, inside ``sync_to_async(lambda: ...)``, or
        of a name bound to such an adapter, within its statement; not where
        a builtin that evaluates it comes first (``sync_to_async(f)(list(qs))``:
        the arguments are evaluated on the event loop, before the thread
        runs), outside a lambda (whose body the thread runs)."""
        from async_lint.checks.django_orm import EVALUATING_BUILTINS

        evaluated = False
        for index in range(len(stack) - 2, -1, -1):
            ancestor = stack[index]
            kind = type(ancestor)
            if kind is cst.Lambda:
                evaluated = False  # its body runs where the lambda is called
            elif kind is cst.Call:
                func = ancestor.func
                if isinstance(func, cst.Call) and self.resolve(func.func) in self.adapters:
                    return not evaluated
                name = self.resolve(func)
                if name in self.adapters or self.thread_callable(func):
                    return not evaluated
                if name is not None and name.startswith("builtins.") and name[9:] in EVALUATING_BUILTINS and any(arg is stack[index + 1] for arg in ancestor.args):
                    evaluated = True
            if isinstance(ancestor, (cst.FunctionDef, cst.SimpleStatementLine)):
                break
        return False

    def _aliased_safely(self) -> bool:
        """``queryset = qs``: a plain alias, safe where every read of the
        alias in the body is (whichever value each read sees)."""
        stack = self.stack
        parent = stack[-2] if len(stack) >= 2 else None
        if type(parent) is not cst.Assign or parent.value is not stack[-1] or len(parent.targets) != 1 or self.aliases >= self.MAX_ALIASES:
            return False
        target = parent.targets[0].target
        if type(target) is not cst.Name or target.value == self.name:
            return False
        safe = self.alias_memo.get(target.value)
        if safe is None:
            uses = ResultUses(
                target.value,
                self.adapters,
                self.resolve,
                thread_callable=self.thread_callable,
                awaited_callee=self.awaited_callee,
                runs_before=self.runs_before,
                aliases=self.aliases + 1,
                alias_memo=self.alias_memo,
            )
            visit_fast(stack[0], uses)
            safe = self.alias_memo[target.value] = not uses.unsafe
        return safe

    def _paginated_in_threads(self) -> bool:
        """``paginator = Paginator(qs, 20)``: a lazy holder of the QuerySet,
        bound once, whose pages are only asked for in threads
        (``await sync_to_async(lambda: paginator.get_page(n))()``); reading
        its ``count`` or ``num_pages`` after such a call reads what the
        thread cached (``get_page`` and ``page`` compute them)."""
        stack = self.stack
        if len(stack) < 4:
            return False
        arg, call, holder = stack[-2], stack[-3], stack[-4]
        if type(arg) is not cst.Arg or arg.value is not stack[-1] or arg.keyword is not None or type(call) is not cst.Call or not call.args or call.args[0] is not arg:
            return False
        if self.resolve(call.func) not in PAGINATORS:
            return False
        if type(holder) is not cst.Assign or holder.value is not call or len(holder.targets) != 1 or type(holder.targets[0].target) is not cst.Name:
            return False
        uses = _PaginatorUses(holder.targets[0].target.value, self._in_thread)
        visit_fast(stack[0], uses)
        return uses.stores == 1 and uses.in_threads > 0 and not uses.unsafe

    def _bound_here(self) -> bool:
        """The name is (part of) an assignment's target: ``qs = ...``,
        ``qs, total = ...``, ``for qs in ...``'s is not (a read of the loop's)."""
        stack = self.stack
        index = len(stack) - 2
        while index >= 0 and isinstance(stack[index], (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
            index -= 1
        return index >= 0 and isinstance(stack[index], cst.AssignTarget)

    def _awaited_argument(self) -> bool:
        """``await f(qs)``: the QuerySet is an argument of an awaited call, a
        coroutine function's to evaluate (as a returned one is the caller's),
        unless ``awaited_callee`` knows ``f`` evaluates it on the loop."""
        stack = self.stack
        if len(stack) < 4:
            return False
        arg, call, awaited = stack[-2], stack[-3], stack[-4]
        return isinstance(arg, cst.Arg) and arg.value is stack[-1] and not arg.star and isinstance(call, cst.Call) and isinstance(awaited, cst.Await) and self.awaited_callee(call, arg)

    def _listed_by_async_serializer(self) -> bool:
        """``await Serializer(qs, many=True).adata``: adrf's list serializer
        iterates a QuerySet with ``async for`` (``ListSerializer.ato_representation``)."""
        stack = self.stack
        if len(stack) < 5:
            return False
        arg, call, attribute, awaited = stack[-2], stack[-3], stack[-4], stack[-5]
        return (
            type(arg) is cst.Arg
            and arg.value is stack[-1]
            and (arg.keyword is None or arg.keyword.value == "instance")
            and not arg.star
            and type(call) is cst.Call
            and any(a.keyword is not None and a.keyword.value == "many" and type(a.value) is cst.Name and a.value.value == "True" for a in call.args)
            and type(attribute) is cst.Attribute
            and attribute.value is call
            and attribute.attr.value == "adata"
            and type(awaited) is cst.Await
        )

    def _awaited_async_method(self) -> bool:
        """``await qs.aexists()``, ``await qs.aupdate(...)``, also after lazy
        methods (``await qs.filter(pk=pk).afirst()``): a QuerySet's async
        method, which runs its query in a thread."""
        from async_lint.analysis.django_vocabulary import QUERYSET_TWINS

        stack = self.stack
        index = self._after_lazy_methods()
        return index >= 3 and self._method_call_on(index) and stack[index - 1].attr.value in QUERYSET_TWINS.values() and type(stack[index - 3]) is cst.Await

    def _rebuilt_lazily(self) -> bool:
        """``qs = qs.filter(...).order_by(...)``: lazy QuerySet methods, bound
        to the name again; the later reads see that binding (and DJA202
        judges them)."""
        stack = self.stack
        index = self._after_lazy_methods()
        if index == len(stack) - 1 or index < 1:
            return False
        holder = stack[index - 1]
        return (
            isinstance(holder, cst.Assign)
            and holder.value is stack[index]
            and len(holder.targets) == 1
            and isinstance(holder.targets[0].target, cst.Name)
            and holder.targets[0].target.value == self.name
        )

    def _method_call_on(self, index: int) -> bool:
        """``stack[index]`` is the receiver of a method call: ``<it>.m(...)``."""
        stack = self.stack
        return index >= 2 and type(stack[index - 1]) is cst.Attribute and stack[index - 1].value is stack[index] and type(stack[index - 2]) is cst.Call and stack[index - 2].func is stack[index - 1]

    def _after_lazy_methods(self) -> int:
        """The index in the stack of the last lazy QuerySet method call
        (``filter``, ``order_by``...) made on the name, one upon another
        (the name's own where there is none)."""
        from async_lint.analysis.django_vocabulary import LAZY_METHODS

        index = len(self.stack) - 1  # the name
        while self._method_call_on(index) and self.stack[index - 1].attr.value in LAZY_METHODS:
            index -= 2
        return index


class ConsumedNames(cst.CSTVisitor):
    """Names of functions handed to a queryset consumer anywhere in the module."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.names: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        for argument in _consumer_arguments(self.ctx, node):
            if isinstance(argument, cst.Name):
                self.names.add(argument.value)


class AwaitedCalls(cst.CSTVisitor):
    """The calls of ``callee`` (a name) below a node, each with the name its
    awaited result is bound to (``qs = await f(...)``), or how else it is
    used: ``"safe"`` (returned, iterated with ``async for``) or ``"unsafe"``;
    and the innermost ``def`` holding each."""

    def __init__(self, callee: str, method: bool = False) -> None:
        self.callee = callee
        # ``method``: calls of a method of that name (``self.load(...)``,
        # ``consumer.load(...)``), not of a name.
        self.method = method
        self.stack: list[cst.CSTNode] = []
        self.found: list[tuple[str, cst.FunctionDef | None]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if type(node) is cst.Call and self._calls_callee(node.func):
            self.found.append((self._use(), next((n for n in reversed(self.stack) if type(n) is cst.FunctionDef), None)))
        return True

    def _calls_callee(self, func: cst.BaseExpression) -> bool:
        if self.method:
            return type(func) is cst.Attribute and func.attr.value == self.callee
        return type(func) is cst.Name and func.value == self.callee

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()

    def _use(self) -> str:
        stack = self.stack
        if len(stack) < 3 or type(stack[-2]) is not cst.Await:
            return "unsafe"
        holder = stack[-3]
        if type(holder) is cst.Return:
            return "safe"
        if type(holder) in (cst.For, cst.CompFor) and holder.asynchronous is not None and holder.iter is stack[-2]:
            return "safe"
        if type(holder) is cst.Assign and len(holder.targets) == 1 and type(holder.targets[0].target) is cst.Name and holder.value is stack[-2]:
            return holder.targets[0].target.value
        return "unsafe"


def awaited_results_safe(root: cst.CSTNode, callee: str, adapters: frozenset[str], resolve, thread_callable=lambda func: False, method: bool = False) -> bool:
    """Every call of ``callee`` below ``root`` (``method``: of a method of
    that name) is awaited and its result only used safely (returned,
    iterated with ``async for``, given to an async method or another
    thread: ``ResultUses``); and there is one."""

    calls = AwaitedCalls(callee, method)
    visit_fast(root, calls)
    if not calls.found:
        return False
    for use, function in calls.found:
        if use == "safe":
            continue
        # A call outside any def below ``root`` is in ``root`` itself (a def's body given).
        body = function.body if function is not None else root
        if use == "unsafe" or type(body) is cst.Module:
            return False
        uses = ResultUses(use, adapters, resolve, thread_callable=thread_callable)
        visit_fast(body, uses)
        if uses.unsafe:
            return False
    return True
