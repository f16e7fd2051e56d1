"""DJA101-DJA106: blocking I/O called on the event loop.

What blocks is data: ``rules/blocking_calls.toml`` lists functions by
qualified name (``[[call]]``) and methods of objects whose type the receiver
inference knows (``[[method]]``, e.g. ``client.get()`` on an ``httpx.Client``).
This module only matches calls against that table and words the message.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from async_lint import lazy_libcst

from async_lint import fixes
from async_lint.analysis.receivers import Inferred, ReceiverInference
from async_lint.analysis.scopes import Scope
from async_lint.catalog import load_table
from async_lint.checks.base import Check
from async_lint.checks.celery_tasks import PUBLISHING_METHODS, SIGNATURE_TYPE, TASK_TYPE, task_root, record_task_call, record_task_op
from async_lint.checks.foreign_objects import note_passed_objects, record_object_call, record_object_op

cst = lazy_libcst.bind(globals())

BLOCKS = "blocks the event loop"
# Extra names from the configuration (``extra-blocking-calls``) report as:
EXTRA_CODE = "DJA105"
MAX_SPELLING = 48


@dataclass(frozen=True)
class BlockingCall:
    code: str
    use: str
    blocks: str = BLOCKS
    receiver: str | None = None  # how a [[method]] row's message names the receiver
    called: str = "it"  # how ``{call}`` in ``use`` names it where the spelling is cut short
    # The team's own advice (config extra-blocking-calls), shown as is.
    advice: str | None = None
    # A [[call]] that blocks only when given arguments (``ftplib.FTP(host)``
    # connects; ``ftplib.FTP()`` makes a client to connect later).
    with_arguments: bool = False
    # The types of a first argument with which it blocks not
    # (``paramiko.Transport(sock)`` wraps a connected socket; given
    # ``(host, port)`` it connects): its methods report instead.
    idle_with: frozenset[str] = frozenset()
    # Constants that, among its arguments, make it return at once
    # (``os.waitpid(pid, os.WNOHANG)`` polls).
    idle_with_flags: frozenset[str] = frozenset()
    # A [[method]] whose call is a stall of its own, reported also where the
    # call that made the object was (``task.delay()`` publishes, then
    # ``result.get()`` waits for the task).
    after_creation: bool = False
    # A [[method]] that waits only when given this argument (keyword,
    # 0-based position) with a value other than a literal zero or False
    # (``pubsub.get_message()`` polls; ``get_message(timeout=5)`` waits).
    waits_with: tuple[str, int | None] | None = None


def _waits(call: cst.Call, keyword: str, position: int | None) -> bool:
    """Whether the call gives the argument (by ``keyword``, or at
    ``position`` among the positional ones) a value that is not a literal
    zero or False: a timeout to wait for; also where ``*args``/``**kwargs``
    may give it."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return True
        if arg.keyword is None:
            if positional == position:
                return not _idle_value(arg.value)
            positional += 1
        elif arg.keyword.value == keyword:
            return not _idle_value(arg.value)
    return False


def _idle_value(value: cst.BaseExpression) -> bool:
    if type(value) is cst.Integer or type(value) is cst.Float:
        return float(value.value.replace("_", "")) == 0
    return type(value) is cst.Name and value.value == "False"


class _NamePatterns:
    """Exact names plus ``*`` patterns within the last component."""

    def __init__(self) -> None:
        self.exact: dict[str, BlockingCall] = {}
        # (the literal text before the first ``*``, the pattern, its entry, names excluded)
        self.patterns: list[tuple[str, re.Pattern[str], BlockingCall, frozenset[str]]] = []

    def add(self, name: str, entry: BlockingCall, exclude: frozenset[str]) -> None:
        if "*" in name:
            pattern = re.compile(re.escape(name).replace(r"\*", "[^.]*"))
            self.patterns.append((name.partition("*")[0], pattern, entry, exclude))
        else:
            self.exact[name] = entry

    def match(self, name: str) -> BlockingCall | None:
        entry = self.exact.get(name)
        if entry is not None:
            return entry
        for prefix, pattern, found, exclude in self.patterns:
            # Every call of a file is asked: the prefix rules most patterns out without the regex.
            if name.startswith(prefix) and name not in exclude and pattern.fullmatch(name):
                return found
        return None


@dataclass(frozen=True)
class BlockingTable:
    calls: _NamePatterns
    methods: dict[str, _NamePatterns]  # receiver type -> method names

    def match(self, qualified: str) -> BlockingCall | None:
        return self.calls.match(qualified)

    def match_method(self, type_name: str, method: str) -> BlockingCall | None:
        names = self.methods.get(type_name)
        return names.match(method) if names is not None else None

    def match_entered(self, type_name: str) -> BlockingCall | None:
        """The row of a type whose ``with`` blocks on entering (it names
        ``__enter__`` itself: a ``*`` row's methods are its calls)."""
        names = self.methods.get(type_name)
        return names.exact.get("__enter__") if names is not None else None


@functools.lru_cache(maxsize=8)
def blocking_table(extra: tuple[tuple[str, str], ...] = ()) -> BlockingTable:
    data = load_table("blocking_calls")
    calls = _NamePatterns()
    methods: dict[str, _NamePatterns] = {}
    for row in data.get("call", []):
        entry = BlockingCall(
            code=row["code"],
            use=row["use"],
            blocks=row.get("blocks", BLOCKS),
            with_arguments=bool(row.get("with_arguments")),
            idle_with=frozenset(row.get("idle_with", ())),
            idle_with_flags=frozenset(row.get("idle_with_flags", ())),
        )
        excluded = frozenset(row.get("exclude", ()))
        for name in row["names"]:
            calls.add(name, entry, excluded)
    for row in data.get("method", []):
        entry = BlockingCall(
            code=row["code"],
            use=row["use"],
            blocks=row.get("blocks", BLOCKS),
            receiver=row.get("receiver"),
            called=row.get("called", "it"),
            after_creation=bool(row.get("after_creation")),
            waits_with=(row["waits_with"]["keyword"], row["waits_with"].get("position")) if "waits_with" in row else None,
        )
        excluded = frozenset(row.get("exclude", ()))
        table = methods.setdefault(row["type"], _NamePatterns())
        for name in row["names"]:
            table.add(name, entry, excluded)
    for name, advice in extra:
        # A name the built-in table knows keeps its own code and advice.
        if calls.match(name) is None:
            calls.add(name, BlockingCall(code=EXTRA_CODE, use="`sync_to_async`", advice=advice or None), frozenset())
    return BlockingTable(calls, methods)


def _function_owner(scope: Scope | None) -> Scope | None:
    """The def, lambda or module a scope's code runs in (comprehensions run in it)."""
    while scope is not None and scope.kind in ("comprehension", "class"):
        scope = scope.parent
    return scope


class BlockingCallCheck(Check):
    codes = ("DJA101", "DJA102", "DJA103", "DJA104", "DJA105", "DJA106")

    def __init__(self, ctx):
        super().__init__(ctx)
        settings = ctx.settings
        self.table = blocking_table(tuple(getattr(settings, "extra_blocking_calls", ()) or ()))
        self.receivers = ReceiverInference(ctx)

    def visit_Call(self, node: cst.Call) -> None:
        # An awaited method call on an inferred receiver means the inference
        # was wrong (the object is async after all); an awaited call of a
        # name resolved through imports (`await time.sleep(1)`) still blocks.
        awaited = isinstance(self.ctx.parent, cst.Await)
        if self.ctx.in_async_context and node.args:
            note_passed_objects(self, node)
        found = self.classify(node, self.ctx.scope, by_receiver=not awaited or self._publishes_task(node))
        if found is not None:
            entry, message = found
            fix = sleep_fix(self.ctx, node) if entry.code == "DJA101" and self.ctx.in_async_context else None
            self.ctx.report_blocking(node, entry.code, message, fix=fix)
        elif type(node.func) is cst.Attribute and node.func.attr.value in PUBLISHING_METHODS and self.ctx.in_async_context:
            # Perhaps a Celery task of another module: the project check decides
            # (awaited too: ``await task.delay()`` publishes, then awaits an
            # AsyncResult, a TypeError).
            # ``task.s(...).apply_async()`` sends a signature made from the task.
            type_name = SIGNATURE_TYPE if type(node.func.value) is cst.Call else TASK_TYPE
            entry = self.table.match_method(type_name, node.func.attr.value)
            record_task_call(self, node, self._method_message(node.func, entry, type_name) if entry is not None else None)
        elif type(node.func) is cst.Attribute and node.func.attr.value in PUBLISHING_METHODS:
            # In a sync function: perhaps a Celery task of another module, an
            # operation of the function where the project index finds one there.
            record_task_op(self, node)
        elif not awaited and self.ctx.in_async_context:
            # Perhaps an object of another module (``redis_server.set()``): the project check decides.
            record_object_call(self, node)
        elif not awaited:
            # In a sync function: perhaps an object of another module, an
            # operation of the function where the project index finds one there.
            record_object_op(self, node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        """``with r.lock(key):``: entering a sync lock acquires it (round
        trips, and a sleeping poll while another holder keeps it)."""
        statement = self.ctx.parent
        if type(statement) is not cst.With or statement.asynchronous is not None:
            return
        receiver = self.receivers.infer(node.item, self.ctx.scope)
        entry = self.table.match_entered(receiver.type) if receiver is not None else None
        if entry is None:
            return
        what = entry.receiver or f"`{receiver.type}`"  # type: ignore[union-attr]
        self.ctx.report_blocking(node.item, entry.code, f"`with {self._spelling(node.item)}:` enters {what}, which {entry.blocks}; use {entry.use.replace('{call}', 'it')}")

    def _publishes_task(self, call: cst.Call) -> bool:
        """``task.delay()`` on a name known to be a Celery task: awaiting its
        AsyncResult raises TypeError after the publish blocked, so an
        ``await`` in front says nothing of the receiver."""
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value not in PUBLISHING_METHODS:
            return False
        found = self.receivers.infer(task_root(func))
        return found is not None and found.type in (TASK_TYPE, SIGNATURE_TYPE)

    def classify(self, call: cst.Call, scope: Scope, *, once_per_object: bool = True, by_receiver: bool = True) -> tuple[BlockingCall, str] | None:
        """The table entry a call matches, and the message for it.

        With ``once_per_object``, a method call on an object whose creating
        call blocks in the same function is not reported again."""
        func = call.func
        qualified = self.ctx.qualified_name(func, scope)
        if qualified is None and type(func) is cst.Call:
            qualified = self._looked_up_function(func, scope)
        if qualified is not None:
            entry = self.table.match(qualified)
            if entry is not None:
                if entry.with_arguments and not call.args:
                    return None  # a client made to connect later: its methods report
                if entry.idle_with and self._first_argument_type(call, scope) in entry.idle_with:
                    return None  # wraps what is connected already: its methods report
                if entry.idle_with_flags and self._given_flag(call, scope, entry.idle_with_flags):
                    return None  # told not to wait
                return entry, self._call_message(func, qualified, entry)
        if not by_receiver or not isinstance(func, cst.Attribute):
            return None
        receiver = self.receivers.infer(func.value, scope)
        if receiver is None:
            return None
        entry = self.table.match_method(receiver.type, func.attr.value)
        if entry is None or (once_per_object and not entry.after_creation and self._reported_at_creation(receiver, scope)):
            return None
        if entry.waits_with is not None and not _waits(call, *entry.waits_with):
            return None  # polls: returns at once
        return entry, self._method_message(func, entry, receiver.type)

    def _given_flag(self, call: cst.Call, scope: Scope, flags: frozenset[str]) -> bool:
        """One of ``flags`` among the call's arguments, alone or or-ed (``os.WNOHANG | os.WUNTRACED``)."""
        stack = [arg.value for arg in call.args]
        while stack:
            value = stack.pop()
            if type(value) is cst.BinaryOperation and type(value.operator) is cst.BitOr:
                stack.extend((value.left, value.right))
            elif self.ctx.qualified_name(value, scope) in flags:
                return True
        return False

    def _first_argument_type(self, call: cst.Call, scope: Scope) -> str | None:
        first = call.args[0]
        if first.keyword is not None or first.star:
            return None
        inferred = self.receivers.infer(first.value, scope)
        return inferred.type if inferred is not None else None

    def _looked_up_function(self, lookup: cst.Call, scope: Scope) -> str | None:
        """``getattr(requests, "get")``: ``requests.get``; with a name not
        written out (``getattr(requests, method.lower())``), the module's
        generic ``request`` where the table has one (an HTTP verb of it)."""
        args = lookup.args
        if self.ctx.qualified_name(lookup.func, scope) != "builtins.getattr" or len(args) != 2 or any(a.keyword is not None or a.star for a in args):
            return None
        module = self.ctx.qualified_name(args[0].value, scope)
        if module is None:
            return None
        name = args[1].value
        if type(name) is cst.SimpleString:
            value = name.evaluated_value
            return f"{module}.{value}" if isinstance(value, str) and value.isidentifier() else None
        generic = f"{module}.request"
        return generic if self.table.match(generic) is not None else None

    def _method_message(self, func: cst.Attribute, entry: BlockingCall, type_name: str) -> str:
        spelled = self._spelling(func)
        what = entry.receiver or f"`{type_name}.{func.attr.value}`"
        # The advice names the call as written, unless its spelling is cut short.
        call = spelled if "…" not in spelled else f"{entry.called}.{func.attr.value}"
        return f"`{spelled}()` ({what}) {entry.blocks}; use {entry.use.replace('{call}', call)}"

    def _reported_at_creation(self, receiver: Inferred, scope: Scope) -> bool:
        """``f = open(p)`` then ``f.read()`` in the same function: the ``open``
        finding already covers the file, so its methods add only noise (also
        where ``f`` is bound by several such calls, each reported)."""
        origins = ((receiver.origin, receiver.scope),) if receiver.origin is not None and receiver.scope is not None else receiver.origins
        if not origins:
            return False
        owner = _function_owner(scope)
        return all(_function_owner(where) is owner and self.classify(call, where, once_per_object=False) is not None for call, where in origins)

    def _call_message(self, func: cst.BaseExpression, qualified: str, entry: BlockingCall) -> str:
        resolved = qualified.removeprefix("builtins.")
        spelled = self._spelling(func)
        shown = f"`{spelled}()`" if spelled == resolved else f"`{spelled}()` (`{resolved}`)"
        return f"{shown} {entry.blocks}; {entry.advice or f'use {entry.use}'}"

    def _spelling(self, func: cst.BaseExpression) -> str:
        text = " ".join(self.ctx.module.code_for_node(func).split())
        if len(text) <= MAX_SPELLING:
            return text
        # Keep the end of a long chain: `….file_batches.upload_and_poll`.
        tail: list[str] = []
        while isinstance(func, cst.Attribute) and len(".".join([func.attr.value, *tail])) < MAX_SPELLING:
            tail.insert(0, func.attr.value)
            func = func.value
        return "…." + ".".join(tail) if tail else text[: MAX_SPELLING - 1] + "…"


# -- autofix ----------------------------------------------------------------------
def sleep_fix(ctx, call: cst.Call) -> fixes.NodeFix | None:
    """DJA101: ``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (one plain
    argument; ``asyncio`` through the file's own import or alias, else added)."""
    if not fixes.has_plain_args(call, 1):
        return None
    return fixes.await_call(ctx, call, "asyncio.sleep")
