"""What a check sees of the file being analysed: the current scope, whether
code there runs on the event loop, resolved names, and a way to report."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from async_lint import lazy_libcst
from async_lint.catalog import known_api_names

from async_lint.analysis.scopes import (
    ASSIGN,
    BUILTIN_NAMES,
    CLASS,
    DEF,
    IMPORT,
    PARAM,
    STAR,
    BindingCollector,
    Binding,
    Scope,
    binding_target,
    defined_function,
    dotted_name,
    lookup,
)

cst = lazy_libcst.bind(globals())

# Callables whose callable argument runs in a worker thread, not on the loop:
# qualified name -> index of the positional argument that is the callable.
THREAD_HANDOFFS = {
    "asgiref.sync.sync_to_async": 0,
    "channels.db.database_sync_to_async": 0,
    "asyncio.to_thread": 0,
    "anyio.to_thread.run_sync": 0,
    "trio.to_thread.run_sync": 0,
}
# ``loop.run_in_executor(executor, func, *args)`` is matched by method name.
RUN_IN_EXECUTOR = "run_in_executor"
# By class name: a constant of libcst's classes would import libcst with this module.
_COMPREHENSIONS = frozenset({"ListComp", "SetComp", "DictComp", "GeneratorExp"})
SYNC_TO_ASYNC_DECORATORS = frozenset({"asgiref.sync.sync_to_async", "channels.db.database_sync_to_async"})
ASYNC_TO_SYNC_DECORATORS = frozenset({"asgiref.sync.async_to_sync"})


def adapters(decorators, async_to_sync: frozenset[str] = ASYNC_TO_SYNC_DECORATORS) -> list[str]:
    """The asgiref adapters among a def's (resolved) decorators, outermost
    first: "sync_to_async" or "async_to_sync" (``async_to_sync``: the names
    taken as that one).  The innermost one wraps the def itself (where its
    body runs); the outermost one is what callers get (``@sync_to_async
    @csrf_exempt @async_to_sync async def view``: the body runs on an event
    loop, and callers await a coroutine function)."""
    return ["sync_to_async" if d in SYNC_TO_ASYNC_DECORATORS else "async_to_sync" for d in decorators if d in SYNC_TO_ASYNC_DECORATORS or d in async_to_sync]


# Decorators that make a method an attribute computed on read.
PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property", "django.utils.functional.cached_property", "cached_property", "property"})


# ``asyncio.get_running_loop()`` raises RuntimeError where no loop runs.
RUNNING_LOOP_CALLS = frozenset({"asyncio.get_running_loop", "asyncio.events.get_running_loop"})
# Calls that raise RuntimeError where no loop runs, and succeed in a coroutine.
LOOP_PROBE_CALLS = RUNNING_LOOP_CALLS | {"asyncio.current_task", "asyncio.tasks.current_task"}


# Blocks of statements, and lines of small statements (``return x; f()``),
# by class name: a constant of libcst's classes would import libcst with this module.
_BLOCKS = frozenset({"Module", "IndentedBlock", "SimpleStatementLine", "SimpleStatementSuite"})
_LINES = frozenset({"SimpleStatementLine", "SimpleStatementSuite"})
_TERMINAL = frozenset({"Return", "Raise", "Continue", "Break"})


def _first_unreachable(body, small: bool) -> int:
    """The index of the first statement of ``body`` after one that ends the
    block (``len(body)``: none)."""
    for index, statement in enumerate(body):
        name = type(statement).__name__
        if name in _TERMINAL if small else name == "SimpleStatementLine" and any(type(s).__name__ in _TERMINAL for s in statement.body):
            return index + 1
    return len(body)


def _catches_runtime_error(handler: "cst.ExceptHandler") -> bool:
    """``except RuntimeError`` (alone or in a tuple), not a bare ``except``."""
    caught = handler.type
    names = [element.value for element in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
    return any(isinstance(name, cst.Name) and name.value == "RuntimeError" for name in names)


def _returns_literal(statement, name: str) -> bool:
    """``return True`` (``name``: the literal's name)."""
    return type(statement) is cst.Return and type(statement.value) is cst.Name and statement.value.value == name


@dataclass(eq=False)
class BlockingOp:
    """Something blocking or sync-only that a sync function does directly."""

    code: str
    message: str
    node: cst.CSTNode
    line: int = 0
    column: int = 0
    # The nodes being visited when it was found (``node`` is the last or
    # below it): which branches it sits under (summary.py's guards).
    ancestors: tuple[cst.CSTNode, ...] = ()
    # The ref (summary.py) of a name of another module whose ``.delay()`` this
    # is: an operation only where the project index finds a Celery task there.
    task: str | None = None
    # ``name.method()`` on a name of another module (its ref, the method): an
    # operation only where the index finds there an object whose method blocks.
    object_call: tuple[str, str] | None = None
    # ``param.relation`` read on a parameter the function never rebinds (its
    # name, the relation's): a query only where a call site passes an
    # instance fetched without that relation (``FileContext.unloaded_at``).
    param_relation: tuple[str, str] | None = None
    # ``param.session.get(...)`` on a parameter the function never rebinds:
    # no query where the call site passes a request whose session a view's
    # decorator loaded already (``login_required`` on an ``async def``).
    session_param: str | None = None
    # ``param.user.pk`` on a parameter the function never rebinds: no query
    # where the call site passes a request whose user is loaded already (a
    # thread read it: ``FileContext.request_loads_at``).
    user_param: str | None = None


@dataclass(eq=False)
class FunctionInfo:
    node: cst.FunctionDef
    name: str
    qualname: str  # dotted within the module: "View.get", "outer.<locals>.inner"
    is_async: bool
    decorators: tuple[str, ...]  # resolved (or dotted) decorator names
    class_name: str | None  # the directly enclosing class, for methods
    parent: FunctionInfo | None
    scope: Scope
    # True where the body runs on the event loop.
    runs_on_loop: bool = False
    # True for a def decorated @sync_to_async / @database_sync_to_async.
    runs_in_thread: bool = False
    ops: list[BlockingOp] = field(default_factory=list)
    # Calls an evaluating QuerySet method or a model write on a value the
    # analysis cannot type (``user.roles.exists()``): it may query.
    may_query: bool = False

    def local_defs(self, name: str) -> Iterator[cst.FunctionDef]:
        """The defs bound to ``name`` in this function's body (``def load(): ...``)."""
        for binding in self.scope.bindings.get(name, []):
            if isinstance(binding.node, cst.FunctionDef):
                yield binding.node


@dataclass(eq=False)
class RecordedFact:
    """A fact (``async_lint.facts.Fact``) recorded at a node, whose position
    the engine fills in before the fact leaves the worker."""

    fact: Any
    node: cst.CSTNode | None = None


@dataclass(eq=False)
class PendingReport:
    node: cst.CSTNode
    code: str
    message: str
    fix: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class SubtreeMemo:
    """Values computed from a node's own subtree and nothing else (a
    function body's statement order, a small visitor's scan), by node.

    A new one serves one analysis.  An editor's buffer keeps one across its
    analyses (``reparse.ParseMemory``): libcst's nodes never change, and the
    top-level statements an edit did not touch keep their node objects, so
    what was computed from them still holds.  Each entry holds its node, so
    its ``id`` cannot be another node's; an analysis keeps only the entries
    it asked for, so the memo holds no more than one tree's values."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Any, int], tuple[Any, Any]] = {}
        self._asked: dict[tuple[Any, int], tuple[Any, Any]] = {}

    def begin(self) -> None:
        """A new analysis: what the last one asked for may serve it."""
        if self._asked:
            self._kept, self._asked = self._asked, {}

    def get(self, kind: Any, node: Any, compute: Callable[[Any], Any]) -> Any:
        key = (kind, id(node))
        entry = self._asked.get(key)
        if entry is None:
            entry = self._kept.get(key)
            if entry is None or entry[0] is not node:
                entry = (node, compute(node))
            self._asked[key] = entry
        return entry[1]


class RecentSubtrees:
    """Values computed from a node's own subtree, kept for the ``size``
    nodes asked about last: for helpers given a body alone, with no file
    context at hand, that several rules ask about the same bodies many
    times per file.  Each entry holds its node, so that an id is never
    another node's while it is kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def get(self, node: Any, compute: Callable[[Any], Any]) -> Any:
        key = id(node)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is node:
            self._entries.move_to_end(key)
            return entry[1]
        value = compute(node)
        self._entries[key] = (node, value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value


class FileContext:
    """Shared per-file state, maintained by the traversal; read by checks."""

    def __init__(
        self,
        *,
        path: str,
        module: cst.Module,
        source: Any,
        module_name: str | None = None,
        is_package: bool = False,
        settings: Any = None,
        index: Any = None,
        enabled: frozenset[str] = frozenset(),
        subtree_memo: SubtreeMemo | None = None,
    ):
        self.path = path
        if subtree_memo is None:
            subtree_memo = SubtreeMemo()
        subtree_memo.begin()
        self.subtree_memo = subtree_memo
        self.module = module
        self.source = source
        self.module_name = module_name
        self.is_package = is_package
        self.settings = settings
        # Names the project's modules re-export from outside it (the model table's).
        self.reexports: dict[str, str] = getattr(getattr(settings, "models", None), "reexports", None) or {}
        self.index = index
        self.enabled_codes = enabled
        self.reports: list[PendingReport] = []
        # Try statement id -> whether its body asks asyncio.get_running_loop().
        self._running_loop_tries: dict[int, bool] = {}
        # id of a module def -> (the def, whether it is a loop probe: ``_loop_probe``).
        self._loop_probes: dict[int, tuple[Any, bool]] = {}
        self.facts: list[RecordedFact] = []
        # id(call or property read) on the event loop -> the relations
        # not loaded on the instances it passes, where known:
        # [[positional...], {keyword: ...}, receiver], each a list of names or None.
        self.unloaded_at: dict[int, list] = {}
        # id(call on the event loop) -> {its argument's position ("0") or
        # keyword: the ref (summary.callee_ref) of the call whose result it
        # passes, of a kind unknown here}.
        self.call_results_at: dict[int, dict[str, Any]] = {}
        # id(call on the event loop) -> {its argument's position ("0") or
        # keyword: the type (with blocking methods) of the object it passes}.
        self.passed_types_at: dict[int, dict[str, str]] = {}
        # id(call in a plain def) -> the lazy QuerySets it passes, as
        # [[positional...], {keyword: ...}] of ``[PASSED_QUERYSET]`` or None:
        # a helper that evaluates its parameter runs the query there too.
        self.querysets_passed_at: dict[int, list] = {}
        # id(call on the event loop) -> {name of a request it passes: what of
        # it is loaded there ("user", "session")}, where something is.
        self.request_loads_at: dict[int, dict[str, list[str]]] = {}
        self.functions: list[FunctionInfo] = []
        self.function_by_node: dict[int, FunctionInfo] = {}
        # Traversal state.
        self.stack: list[cst.CSTNode] = []
        # id(block) -> the index of its first statement that never runs (in_dead_code).
        self._dead_from: dict[int, int] = {}
        module_scope = Scope("module", module, None)
        BindingCollector(module_scope, module_name, is_package).collect_statements(module.body)
        self.module_scope = module_scope
        self.scope = module_scope
        self._function_stack: list[FunctionInfo] = []
        self._lambda_depth = 0
        self._scope_for_body: dict[int, tuple[Scope, FunctionInfo | None]] = {}
        # id(node) of the bodies whose entry switches scope (read by the
        # traversal, which must enter those even where nothing handles them).
        self.scope_bodies: dict[int, Any] = self._scope_for_body
        self._shared: dict[Any, Any] = {}

    # -- state queries -------------------------------------------------------
    @property
    def in_async_context(self) -> bool:
        """True where the code being visited runs on the event loop."""
        return self.scope.is_async_context

    @property
    def current_function(self) -> FunctionInfo | None:
        """The innermost enclosing ``def``/``async def`` (lambdas are not functions here)."""
        return self._function_stack[-1] if self._function_stack else None

    @property
    def in_lambda(self) -> bool:
        return self._lambda_depth > 0

    @property
    def parent(self) -> cst.CSTNode | None:
        """The parent of the node being visited."""
        return self.stack[-2] if len(self.stack) >= 2 else None

    def ancestors(self) -> Iterator[cst.CSTNode]:
        """The ancestors of the node being visited, innermost first."""
        return reversed(self.stack[:-1])

    def enclosing_class(self) -> cst.ClassDef | None:
        scope: Scope | None = self.scope
        while scope is not None:
            if scope.kind == "class":
                return scope.node  # type: ignore[return-value]
            scope = scope.parent
        return None

    def shared(self, factory: Callable[[FileContext], Any]) -> Any:
        """One instance of an analysis per file (built on first use), shared
        by every check that asks for it."""
        found = self._shared.get(factory)
        if found is None:
            found = self._shared[factory] = factory(self)
        return found

    def release(self) -> None:
        """Drop the shared analyses (each holds this context), once the
        file's results are made."""
        self._shared.clear()

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled_codes

    # -- names ---------------------------------------------------------------
    def lookup(self, name: str) -> list[Binding] | None:
        found = lookup(self.scope, name)
        return found[1] if found else None

    def bound_only_to_calls(self, bindings: list[Binding], callees: frozenset[str]) -> bool:
        """Every one of ``bindings`` (one at least) assigns a call of one of
        ``callees`` (qualified names): ``loop = asyncio.new_event_loop()``."""
        return bool(bindings) and all(b.kind == ASSIGN and type(b.value) is cst.Call and self.qualified_name(b.value.func) in callees for b in bindings)

    def module_names_bound_to_calls(self, callees: frozenset[str]) -> list[str]:
        """The module-level names every binding of which assigns a call of one of ``callees``."""
        return sorted(name for name, bindings in self.module_scope.bindings.items() if self.bound_only_to_calls(bindings, callees))

    def lookup_with_scope(self, name: str) -> tuple[Scope, list[Binding]] | None:
        return lookup(self.scope, name)

    def is_own_parameter(self, name: str) -> bool:
        """``name`` is a parameter of the function being visited that it never rebinds."""
        function = self.current_function
        found = lookup(self.scope, name)
        return function is not None and found is not None and found[0] is function.scope and all(binding.kind == PARAM for binding in found[1])

    def qualified_name(self, node: cst.CSTNode, scope: Scope | None = None) -> str | None:
        """The dotted name an expression refers to through imports, or None.

        ``sleep`` after ``from time import sleep`` is ``time.sleep``; a builtin
        that nothing shadows is ``builtins.open``; a name bound locally (a
        parameter, an assignment, a def) is not a known API and gives None.
        Names are looked up from ``scope`` (default: where the traversal is).
        """
        parts: list[str] = []
        # ``type() is``: asked at most nodes of a file, and isinstance against
        # libcst's (ABC) classes goes through abc; these classes have no subclasses.
        while type(node) is cst.Attribute:
            parts.append(node.attr.value)
            node = node.value
        if type(node) is not cst.Name:
            return None
        base = self.resolve_name(node.value, scope)
        if base is None:
            return None
        parts.append(base)
        qualified = ".".join(reversed(parts))
        # ``services.get_object_or_404`` after ``from app import services``, where
        # app/services re-exports Django's: Django's name (analysis/reexports.py).
        return self.reexports.get(qualified, qualified) if self.reexports and len(parts) > 1 else qualified

    def imported_from_elsewhere(self, node: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """The dotted name ``node`` (a name, or attributes of one) refers to
        when its root name is only imported here and the name is not of this
        module (``from jobs.indexing import reindex``: ``jobs.indexing.reindex``),
        else None: what another module of the project may define.  Looked
        up from ``scope`` (default: here)."""
        root = node
        while type(root) is cst.Attribute:
            root = root.value
        if type(root) is not cst.Name:
            return None
        found = lookup(scope or self.scope, root.value)
        if found is None or any(binding.kind != IMPORT for binding in found[1]):
            return None
        target = self.qualified_name(node, scope)
        if target is None or "." not in target or self.module_name is None or target.rpartition(".")[0] == self.module_name:
            return None
        return target

    def resolve_name(self, name: str, scope: Scope | None = None) -> str | None:
        start = scope or self.scope
        found = lookup(start, name)
        if found is None:
            if name in BUILTIN_NAMES:
                return f"builtins.{name}"
            return self._star_imported(name)
        scope, bindings = found
        # Read from a nested scope (a function's body): as the enclosing body left it.
        kind, target = binding_target(bindings, final=scope is not start)
        if kind == IMPORT:
            return self.reexports.get(target, target) if self.reexports and target else target
        if scope.kind == "module" and kind in (DEF, CLASS):
            # The module's own top-level definitions: named for the project index.
            prefix = self.module_name or "<module>"
            return f"{prefix}.{name}"
        return None

    def _star_imported(self, name: str) -> str | None:
        """``name``, bound nowhere in the module, as the module's last
        ``from module import *`` brings it (an earlier one's is replaced
        by it, were it to bring the name too): where that module is one the
        API tables know the name of (``from django.shortcuts import *``), or
        a project module re-exporting it from outside the project; else None."""
        star = next((b for b in reversed(self.module_scope.bindings.get("*", ())) if b.kind == STAR and b.target), None)
        if star is None:
            return None
        candidate = f"{star.target}.{name}"
        if candidate in self.reexports:
            return self.reexports[candidate]
        return candidate if candidate in known_api_names() else None

    def is_local_definition(self, name: str) -> bool:
        found = lookup(self.scope, name)
        return bool(found) and binding_target(found[1])[0] != IMPORT

    # -- reporting -----------------------------------------------------------
    def report(self, node: cst.CSTNode, code: str, message: str, *, fix: Any = None, **extra: Any) -> None:
        if self.reportable(code):
            self.reports.append(PendingReport(node, code, message, fix, extra))

    def reportable(self, code: str) -> bool:
        """Whether a finding of ``code`` at the node being visited is
        reported: the code is enabled, the code runs, and not only where no
        event loop runs (what a fact a project check reports from must hold too)."""
        return code in self.enabled_codes and not self.in_dead_code() and not (self.in_async_context and self._without_loop_branch())

    def _without_loop_branch(self) -> bool:
        """In a coroutine, the node being visited is in the branch of ``if
        in_async_context():`` taken where no loop runs (its ``else``, or the
        body of ``if not ...``), ``in_async_context`` a def of this module
        that asks for the running loop and answers True, or False on its
        RuntimeError: the sync fallback of code that serves both worlds."""
        stack = self.stack
        for index in range(len(stack) - 1, 0, -1):
            node, parent = stack[index], stack[index - 1]
            kind = type(parent)
            if kind is cst.FunctionDef or kind is cst.Lambda:
                return False
            if kind is cst.If and (node is parent.orelse or node is parent.body):
                probed = self._probes_loop(parent.test)
                if probed is not None and (node is parent.orelse) == probed:
                    return True
        return False

    def _probes_loop(self, test: cst.BaseExpression) -> bool | None:
        """True: ``test`` calls a loop probe of this module; False: negates one; None: neither."""
        if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
            inner = self._probes_loop(test.expression)
            return None if inner is None else not inner
        if type(test) is not cst.Call or test.args or type(test.func) is not cst.Name:
            return None
        found = defined_function(self.module_scope, test.func.value)
        if found is None:
            return None
        node = found[0]
        if id(node) not in self._loop_probes:
            self._loop_probes[id(node)] = (node, self._loop_probe(node))
        return True if self._loop_probes[id(node)][1] else None

    def _loop_probe(self, node: cst.FunctionDef) -> bool:
        """``def in_async() -> bool: try: asyncio.get_running_loop(); return
        True except RuntimeError: return False`` (or ``current_task()``)."""
        if node.asynchronous is not None or node.params.params or type(node.body) is not cst.IndentedBlock:
            return False
        body = list(node.body.body)
        if body and type(body[0]) is cst.SimpleStatementLine and len(body[0].body) == 1 and type(body[0].body[0]) is cst.Expr and isinstance(body[0].body[0].value, cst.SimpleString):
            body = body[1:]  # its docstring
        if len(body) != 1:
            return False
        trial = body[0]
        if type(trial) is not cst.Try or len(trial.handlers) != 1 or not _catches_runtime_error(trial.handlers[0]) or trial.orelse is not None or trial.finalbody is not None:
            return False
        statements = [small for line in trial.body.body if type(line) is cst.SimpleStatementLine for small in line.body]
        if len(statements) != len(trial.body.body) or not statements or not _returns_literal(statements[-1], "True"):
            return False
        if not any(type(small) is cst.Expr and type(small.value) is cst.Call and self.qualified_name(small.value.func) in LOOP_PROBE_CALLS for small in statements[:-1]):
            return False
        handler = trial.handlers[0].body
        return type(handler) is cst.IndentedBlock and len(handler.body) == 1 and type(handler.body[0]) is cst.SimpleStatementLine and _returns_literal(handler.body[0].body[-1], "False")

    def in_dead_code(self) -> bool:
        """The node being visited follows a ``return``, ``raise``,
        ``continue`` or ``break`` of its own block (``return redirect(...)``
        left above a view's old body): it never runs."""
        stack = self.stack
        for index in range(len(stack) - 1):
            block = stack[index]
            kind = type(block).__name__
            if kind not in _BLOCKS:
                continue
            dead_from = self._dead_from.get(id(block))
            if dead_from is None:
                dead_from = self._dead_from[id(block)] = _first_unreachable(block.body, kind in _LINES)
            if dead_from < len(block.body):
                child = stack[index + 1]
                if any(statement is child for statement in block.body[dead_from:]):
                    return True
        return False

    def report_blocking(self, node: cst.CSTNode, code: str, message: str, *, fix: Any = None, session_param: str | None = None, user_param: str | None = None, **extra: Any) -> None:
        """Something that blocks the loop or is sync-only: a finding where it
        runs on the event loop, else recorded on its sync function (for the
        project index's call chains).  Nothing where it runs only when no
        event loop is running (``only_without_loop``)."""
        if self.only_without_loop():
            return
        if self.in_async_context:
            self.report(node, code, message, fix=fix, **extra)
            return
        function = self.current_function
        if function is not None and not function.runs_on_loop and not self.in_lambda and not self.in_dead_code():
            function.ops.append(BlockingOp(code, message, node, ancestors=tuple(self.stack), session_param=session_param, user_param=user_param))

    def only_without_loop(self) -> bool:
        """The node being visited is in the ``except RuntimeError:`` of a
        ``try`` whose body asks ``asyncio.get_running_loop()``: it runs only
        in a thread with no event loop (code that picks a thread pool when a
        loop is running), never on the loop."""
        stack = self.stack
        for index in range(len(stack) - 1):
            handler = stack[index + 1]
            if type(handler) is not cst.ExceptHandler or type(stack[index]) is not cst.Try:
                continue
            if _catches_runtime_error(handler) and self._asks_running_loop(stack[index]):
                return True
        return False

    def _asks_running_loop(self, node: cst.Try) -> bool:
        known = self._running_loop_tries.get(id(node))
        if known is None:
            from async_lint.walk import children

            found = False
            pending: list[cst.CSTNode] = [node.body]
            while pending and not found:
                current = pending.pop()
                if type(current) is cst.Call and self.qualified_name(current.func) in RUNNING_LOOP_CALLS:
                    found = True
                elif type(current) not in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
                    pending.extend(children(current))
            known = self._running_loop_tries[id(node)] = found
        return known

    def add_fact(self, fact: Any, node: cst.CSTNode | None = None) -> None:
        """Record a fact (an ``async_lint.facts.Fact``) for project-wide checks, at ``node``."""
        self.facts.append(RecordedFact(fact, node))

    # -- traversal hooks (called by the traversal, not by checks) ---------------
    def enter(self, node: cst.CSTNode) -> None:
        self.stack.append(node)
        pending = self._scope_for_body.get(id(node))
        if pending is not None:
            scope, function = pending
            self.scope = scope
            if function is not None:
                self._function_stack.append(function)
            elif scope.kind == "lambda":
                self._lambda_depth += 1
            return
        # ``type() is``: libcst's node classes are ABCs, whose isinstance
        # goes through abc at each of the file's nodes.
        kind = type(node)
        if kind is cst.FunctionDef:
            self._prepare_function(node)
        elif kind is cst.Lambda:
            scope = Scope("lambda", node, self.scope, is_async_context=False)
            BindingCollector(scope, self.module_name, self.is_package).collect_parameters(node.params)
            self._scope_for_body[id(node.body)] = (scope, None)
        elif kind is cst.ClassDef:
            scope = Scope("class", node, self.scope, is_async_context=self.scope.is_async_context)
            BindingCollector(scope, self.module_name, self.is_package)._block(node.body)
            self._scope_for_body[id(node.body)] = (scope, None)
        elif kind.__name__ in _COMPREHENSIONS:
            scope = Scope("comprehension", node, self.scope, is_async_context=self.scope.is_async_context)
            collector = BindingCollector(scope, self.module_name, self.is_package)
            comp_for: cst.CompFor | None = node.for_in
            while comp_for is not None:
                collector.collect_target(comp_for.target, comp_for)
                comp_for = comp_for.inner_for_in
            self.scope = scope

    def leave(self, node: cst.CSTNode) -> None:
        self.stack.pop()
        pending = self._scope_for_body.pop(id(node), None)
        if pending is not None:
            scope, function = pending
            self.scope = scope.parent  # type: ignore[assignment]
            if function is not None:
                self._function_stack.pop()
            elif scope.kind == "lambda":
                self._lambda_depth -= 1
            return
        if type(node).__name__ in _COMPREHENSIONS:
            self.scope = self.scope.parent  # type: ignore[assignment]

    def _prepare_function(self, node: cst.FunctionDef) -> None:
        parent_function = self.current_function
        class_node = self.scope.node if self.scope.kind == "class" else None
        if class_node is not None:
            owner = self._qualname_prefix()
            qualname = f"{owner}{node.name.value}"
        else:
            qualname = f"{self._qualname_prefix()}{node.name.value}"
        decorators = tuple(self._decorator_name(d) for d in node.decorators)
        is_async = node.asynchronous is not None
        found = adapters(decorators)
        in_thread = bool(found) and found[-1] == "sync_to_async"
        runs_on_loop = (is_async or self._configured_async_context(decorators, class_node)) and not in_thread
        scope = Scope("function", node, self.scope, is_async_context=runs_on_loop)
        collector = BindingCollector(scope, self.module_name, self.is_package)
        collector.collect_parameters(node.params)
        collector._block(node.body)
        info = FunctionInfo(
            node=node,
            name=node.name.value,
            qualname=qualname,
            is_async=is_async,
            decorators=decorators,
            class_name=class_node.name.value if isinstance(class_node, cst.ClassDef) else None,
            parent=parent_function,
            scope=scope,
            runs_on_loop=runs_on_loop,
            runs_in_thread=in_thread,
        )
        self.functions.append(info)
        self.function_by_node[id(node)] = info
        self._scope_for_body[id(node.body)] = (scope, info)

    def _configured_async_context(self, decorators: tuple[str, ...], class_node: cst.CSTNode | None) -> bool:
        """True for a def the team's config (``Settings.extra_async_contexts``)
        says runs on the loop: decorated by one of the names, or a method of a
        class deriving from one (directly or through classes of this module).
        A name without a dot matches the last part of a resolved name."""
        names = frozenset(getattr(self.settings, "extra_async_contexts", ()) or ())
        if not names:
            return False

        def listed(resolved: str | None) -> bool:
            return bool(resolved) and (resolved in names or resolved.rpartition(".")[2] in names)

        if any(listed(d) for d in decorators):
            return True
        seen: set[int] = set()
        pending = [class_node] if isinstance(class_node, cst.ClassDef) else []
        while pending:
            klass = pending.pop()
            if id(klass) in seen:
                continue
            seen.add(id(klass))
            for base in klass.bases:
                if listed(self.qualified_name(base.value) or dotted_name(base.value)):
                    return True
                if isinstance(base.value, cst.Name):
                    for binding in self.lookup(base.value.value) or ():
                        if binding.kind == CLASS and isinstance(binding.node, cst.ClassDef):
                            pending.append(binding.node)
        return False

    def _qualname_prefix(self) -> str:
        parts: list[str] = []
        scope: Scope | None = self.scope
        while scope is not None and scope.kind != "module":
            if scope.kind == "class":
                parts.append(scope.node.name.value)  # type: ignore[attr-defined]
            elif scope.kind == "function":
                parts.append(f"{scope.node.name.value}.<locals>")  # type: ignore[attr-defined]
            elif scope.kind == "lambda":
                parts.append("<lambda>.<locals>")
            scope = scope.parent
        return "".join(f"{p}." for p in reversed(parts))

    def _decorator_name(self, decorator: cst.Decorator) -> str:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        return self.qualified_name(expr) or dotted_name(expr) or ""

    def function_info(self, node: cst.FunctionDef) -> FunctionInfo | None:
        return self.function_by_node.get(id(node))


def handoff_callable_index(ctx: FileContext, call: cst.Call, scope: Scope | None = None) -> int | None:
    """For a call that hands a callable to a worker thread, the index of that
    positional argument; else None.  Names are looked up from ``scope``
    (default: where the traversal is)."""
    name = ctx.qualified_name(call.func, scope)
    if name in THREAD_HANDOFFS:
        return THREAD_HANDOFFS[name]
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == RUN_IN_EXECUTOR:
        return 1
    return None


def handed_callable(ctx: FileContext, call: cst.Call, scope: Scope | None = None) -> cst.Arg | None:
    """The argument holding the callable ``call`` hands to a worker thread
    (``handoff_callable_index``), where the call has it."""
    index = handoff_callable_index(ctx, call, scope)
    if index is None:
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


Reporter = Callable[["cst.CSTNode", str, str], None]
