"""Where a call's result is used as a plain value, so that a coroutine (or a
future) there is a bug: tested for truth, formatted into text, or handed to a
sync callable that never awaits it.

Shared by the per-file DJA302 check (coroutines of the file) and the module
summary (sites whose callee another module defines, for the project index),
so that both word the finding the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from async_lint import lazy_libcst

from async_lint.catalog import load_table

cst = lazy_libcst.bind(globals())

TRUTH = "truth"
TEXT = "text"
ARGUMENT = "argument"
DROPPED = "dropped"  # the value of an `and`/`or` expression statement
INDEXED = "indexed"  # `call()[0]`: TypeError
ATTRIBUTE = "attribute"  # `call().name`: AttributeError (consumer: the name)
ITERATED = "iterated"  # `for x in call()`: TypeError
UNPACKED = "unpacked"  # `a, b = call()`: TypeError
RAISED = "raised"  # `raise call()`: TypeError (exceptions must derive from BaseException)
KEY = "key"  # `d[call()]`: the coroutine object itself is the key or index
NONE_TESTED = "none_tested"  # `call() is None`: never true
COMPARED = "compared"  # `call() == "done"`: a coroutine equals only itself
OPERAND = "operand"  # `now - call()`, `call() > 5`: TypeError (consumer: the operator)
# `return call()` in a def run in a thread (`@sync_to_async`): the async
# caller gets the coroutine object; asgiref never awaits what it returns.
THREAD_RETURNED = "thread_returned"
# `on_commit(lambda: call())`: a lambda returns it to a callable that calls
# the lambda and drops its result (consumer: that callable).
CALLBACK = "callback"
# `@factory(...)` over a def: Python calls what the factory returned with the
# def, and a coroutine is not callable (TypeError when the module is imported).
DECORATOR = "decorator"
# Uses that fail on a coroutine but not on a future, which is iterable
# (``yield from``) and has methods of its own.
NOT_FOR_FUTURES = frozenset({ATTRIBUTE, ITERATED, UNPACKED, CALLBACK})
# Uses the module summary keeps only in async code: in sync code they are
# everyday shapes (``for x in f()``, ``f().name``, ``a, b = f()``) whose
# callees in other modules the project index would load to no end.
ASYNC_CODE_ONLY = frozenset({INDEXED, ATTRIBUTE, ITERATED, UNPACKED, NONE_TESTED, COMPARED, RAISED, OPERAND})
# Uses where an added ``await`` is no fix: ``raise await f()`` raises what
# the coroutine returns (the author means to await it, then raise or return).
NO_AWAIT_FIX = frozenset({RAISED, THREAD_RETURNED, DECORATOR})

# What a coroutine or a future answers: ``coro.close()``, ``task.add_done_callback(...)``.
_AWAITABLE_ATTRIBUTES = frozenset(
    {
        "send", "throw", "close", "cr_await", "cr_code", "cr_frame", "cr_running", "cr_origin", "cr_suspended",
        "result", "exception", "done", "cancel", "cancelled", "cancelling", "uncancel", "add_done_callback",
        "remove_done_callback", "get_loop", "get_name", "set_name", "get_coro", "get_context", "get_stack",
        "print_stack", "set_result", "set_exception",
    }
)  # fmt: skip


@dataclass(frozen=True)
class CoroutineUse:
    kind: str  # TRUTH | TEXT | ARGUMENT | DROPPED
    consumer: str = ""  # ARGUMENT: how the sync callable is spelled (`print()`)

    def as_data(self) -> list[str]:
        return [self.kind, self.consumer]

    @classmethod
    def from_data(cls, data: list[str]) -> CoroutineUse:
        return cls(data[0], data[1])


@functools.lru_cache(maxsize=None)
def dropping_callers() -> dict[str, tuple[int | None, str | None]]:
    """Callables that call the callable they are given and drop what it
    returns: qualified name -> (its position, its keyword)."""
    return {row["name"]: (row.get("position"), row.get("keyword")) for row in load_table("coroutine_apis")["uses"]["dropping_callers"]}


@functools.lru_cache(maxsize=None)
def sync_consumers() -> frozenset[str]:
    """Callables that use their arguments' values and never await them."""
    return frozenset(load_table("coroutine_apis")["uses"]["sync_consumers"])


# By class name: a constant of libcst's classes would import libcst with this module.
_TESTING = frozenset({"If", "While", "IfExp", "Assert", "CompIf"})


def truth_tested(stack: list[cst.CSTNode], index: int) -> bool:
    """Whether the expression at ``stack[index]`` is only tested for truth."""
    node, parent = stack[index], stack[index - 1] if index > 0 else None
    # ``type() in``: these classes have no subclasses, and isinstance
    # against libcst's (ABC) classes goes through abc.
    if type(parent).__name__ in _TESTING:
        return parent.test is node
    if type(parent) is cst.UnaryOperation:
        return isinstance(parent.operator, cst.Not)
    if isinstance(parent, cst.BooleanOperation):
        # The left operand is always tested; the right one is the value of the
        # whole expression, tested only where the whole is tested.
        return parent.left is node or truth_tested(stack, index - 1)
    return False


def _statement_value(stack: list[cst.CSTNode], index: int) -> bool:
    """``ready and notify()`` as a statement: the right operands of the
    ``and``/``or`` chain are its value, which is dropped."""
    while index > 0 and isinstance(stack[index - 1], cst.BooleanOperation) and stack[index - 1].right is stack[index]:
        index -= 1
    return index > 0 and isinstance(stack[index - 1], cst.Expr)


def _is_text_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def coroutine_use(ctx, call: cst.Call) -> CoroutineUse | None:
    """How the call being visited is used, where its value is used as is.

    ``x = call()``, ``return call()``, ``await call()`` and arguments of
    other callables (``gather``, ``create_task``, a project function that may
    await its parameter) hand the value on: None."""
    stack = ctx.stack
    index = len(stack) - 1
    if index < 1 or stack[index] is not call:
        return None
    if truth_tested(stack, index):
        return CoroutineUse(TRUTH)
    parent = stack[index - 1]
    if type(parent) is cst.Decorator and parent.decorator is call:
        return CoroutineUse(DECORATOR)
    if type(parent) is cst.Return and parent.value is call and _returned_from_a_thread(ctx):
        return CoroutineUse(THREAD_RETURNED)
    if isinstance(parent, cst.BooleanOperation) and _statement_value(stack, index):
        return CoroutineUse(DROPPED)
    if type(parent) is cst.Lambda:
        return _returned_to_dropping_caller(ctx, stack, index) if parent.body is call else None
    failing = _failing_use(parent, call)
    if failing is not None:
        return failing
    if _compared_with_none(parent, call):
        return CoroutineUse(NONE_TESTED)
    if _compared_with_a_literal(stack[index - 2] if type(parent) is cst.ComparisonTarget and index >= 2 else parent, call):
        return CoroutineUse(COMPARED)
    if isinstance(parent, cst.FormattedStringExpression) and parent.expression is call:
        return CoroutineUse(TEXT)
    if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Modulo) and parent.right is call and _is_text_literal(parent.left):
        return CoroutineUse(TEXT)
    operator = _operator_taking(stack, index, call)
    if operator is not None:
        return CoroutineUse(OPERAND, operator)
    if type(parent) is cst.Index and parent.value is call and index >= 3 and type(stack[index - 2]) is cst.SubscriptElement and type(stack[index - 3]) is cst.Subscript:
        return CoroutineUse(KEY)
    if type(parent) in (cst.Element, cst.DictElement) and parent.value is call:
        return _inside_literal_argument(ctx, stack, index)
    if not (isinstance(parent, cst.Arg) and parent.value is call and index >= 2):
        return None
    consumer = stack[index - 2]
    if not isinstance(consumer, cst.Call):
        return None
    if parent.star:
        return CoroutineUse(UNPACKED)  # ``f(*coro)``: TypeError, not iterable (``**``: not a mapping)
    func = consumer.func
    if type(func) is cst.Call and ctx.qualified_name(func.func) in _thread_adapters():
        # ``await sync_to_async(check)(perms)``: sync code, in a thread, gets the coroutine object.
        return CoroutineUse(ARGUMENT, f"`{_short_spelling(ctx, func)}()` (sync code in a thread)")
    if isinstance(func, cst.Attribute) and func.attr.value == "format" and _is_text_literal(func.value):
        return CoroutineUse(TEXT)
    name = ctx.qualified_name(func)
    if name in sync_consumers():
        short = name.removeprefix("builtins.")
        return CoroutineUse(ARGUMENT, f"`{short}()`")
    if type(func) is cst.Attribute and _websocket_payload(func, parent, consumer):
        # ``await self.send(text_data=coro)``: a websocket frame's text (or bytes,
        # or JSON-encoded content) is the value itself, never awaited.
        return CoroutineUse(ARGUMENT, f"`{_short_spelling(ctx, func)}()`")
    if type(func) is cst.Attribute and func.attr.value in orm_methods() and _orm_receiver(ctx, func.value):
        # ``user.groups.add(Group.objects.aget(pk=1))``, ``filter(owner=request.auser())``:
        # the ORM uses its arguments' values (a sync call, or an async twin's thread).
        return CoroutineUse(ARGUMENT, f"`{_short_spelling(ctx, func)}()`")
    return None


# Websocket senders' payload arguments (Channels' consumers, Starlette's
# WebSocket): method -> (the payload's keywords, whether the first positional
# argument is one).  A coroutine there is sent as text or encoded, never awaited.
_WEBSOCKET_PAYLOADS = {"send": (("text_data", "bytes_data"), False), "send_json": (("content", "data"), True)}


def _websocket_payload(func: cst.Attribute, arg: cst.Arg, call: cst.Call) -> bool:
    found = _WEBSOCKET_PAYLOADS.get(func.attr.value)
    if found is None:
        return False
    keywords, first = found
    if arg.keyword is not None:
        return arg.keyword.value in keywords
    return first and bool(call.args) and call.args[0] is arg


# Sync consumers that build a container of their argument's items: the
# coroutines in ``list([f(), g()])`` are handed on (to ``gather(*...)``), not lost.
_CONTAINER_BUILDERS = frozenset({"builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.sorted"})
_LITERAL_NAMES = {"List": "a list", "Tuple": "a tuple", "Set": "a set", "Dict": "a dict"}


def _inside_literal_argument(ctx, stack: list[cst.CSTNode], index: int) -> CoroutineUse | None:
    """``JsonResponse({"count": f()})``, ``print([f()])``: the value at
    ``stack[index]`` is an item of a list, tuple, set or dict literal (nested
    ones too) that is itself an argument of a sync consumer, which uses the
    items' values and never awaits them."""
    literal = None
    while index >= 2 and type(stack[index - 1]) in (cst.Element, cst.DictElement) and stack[index - 1].value is stack[index]:
        container = stack[index - 2]
        if type(container).__name__ not in _LITERAL_NAMES:
            return None
        literal = literal or container
        index -= 2
    if literal is None or index < 2 or type(stack[index - 1]) is not cst.Arg or stack[index - 1].value is not stack[index] or stack[index - 1].star:
        return None
    consumer = stack[index - 2]
    if type(consumer) is not cst.Call:
        return None
    if type(literal) is cst.Dict and (
        _channel_layer_message(ctx, consumer, stack[index - 1]) or (type(consumer.func) is cst.Attribute and _websocket_payload(consumer.func, stack[index - 1], consumer))
    ):
        # ``group_send(group, {"type": ..., "count": coro})``: the layer copies or
        # serializes the message (a coroutine cannot be), and nothing awaits it;
        # ``send_json({"count": coro})`` encodes it.
        return CoroutineUse(ARGUMENT, f"`{_short_spelling(ctx, consumer.func)}()`, in a dict,")
    name = ctx.qualified_name(consumer.func)
    if name is None or name not in sync_consumers() or name in _CONTAINER_BUILDERS:
        return None
    return CoroutineUse(ARGUMENT, f"`{name.removeprefix('builtins.')}()`, in {_LITERAL_NAMES[type(literal).__name__]},")


GET_CHANNEL_LAYER = frozenset({"channels.layers.get_channel_layer"})


def _channel_layer_message(ctx, call: cst.Call, arg: cst.Arg) -> bool:
    """``arg`` is the message of a Channels layer's ``send``/``group_send``
    (its second positional argument or ``message=``), on a channel layer:
    ``self.channel_layer`` (a consumer's), ``get_channel_layer()`` or a name
    bound to it."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in ("send", "group_send"):
        return False
    if arg.keyword is not None:
        if arg.keyword.value != "message":
            return False
    elif len(call.args) < 2 or call.args[1] is not arg:
        return False
    layer = func.value
    if type(layer) is cst.Attribute:
        return layer.attr.value == "channel_layer"
    if type(layer) is cst.Call:
        return ctx.qualified_name(layer.func) in GET_CHANNEL_LAYER
    if type(layer) is cst.Name:
        return ctx.bound_only_to_calls(ctx.lookup(layer.value) or [], GET_CHANNEL_LAYER)
    return False


@functools.lru_cache(maxsize=None)
def _thread_adapters() -> frozenset[str]:
    from async_lint.analysis.context import SYNC_TO_ASYNC_DECORATORS

    return frozenset(SYNC_TO_ASYNC_DECORATORS)


@functools.lru_cache(maxsize=None)
def orm_methods() -> frozenset[str]:
    """The methods of managers and QuerySets that take values (lookups,
    fields, objects), sync and async."""
    from async_lint.analysis.django_vocabulary import LAZY_METHODS, QUERYSET_TWINS, RELATED_TWINS

    return frozenset({*LAZY_METHODS, *QUERYSET_TWINS, *QUERYSET_TWINS.values(), *RELATED_TWINS, *RELATED_TWINS.values()})


def _orm_receiver(ctx, receiver: cst.BaseExpression) -> bool:
    """A manager (related ones too) or a QuerySet, as the file's Django inference knows it."""
    from async_lint.analysis.django_models import ManagerValue, QuerySetValue, django_inference

    return isinstance(django_inference(ctx).infer(receiver), (ManagerValue, QuerySetValue))


def _short_spelling(ctx, func: cst.BaseExpression) -> str:
    """``func`` as written, or shortened to its last attribute (a call:
    ``adapter(...)``) where longer than 48 characters."""
    text = " ".join(ctx.module.code_for_node(func).split())
    if len(text) <= 48:
        return text
    if type(func) is cst.Attribute:
        return f"….{func.attr.value}"
    if type(func) is cst.Call:
        return f"{_short_spelling(ctx, func.func)}(...)"
    return "…"


def _returned_to_dropping_caller(ctx, stack: list[cst.CSTNode], index: int) -> CoroutineUse | None:
    """``on_commit(lambda: call())``: the lambda at ``stack[index - 1]`` is
    the callable a dropping caller is given (by position or keyword)."""
    if index < 3 or type(stack[index - 2]) is not cst.Arg or type(stack[index - 3]) is not cst.Call:
        return None
    arg, caller = stack[index - 2], stack[index - 3]
    name = ctx.qualified_name(caller.func)
    where = dropping_callers().get(name) if name is not None else None
    if where is None or arg.star:
        return None
    position, keyword = where
    if arg.keyword is not None:
        given = arg.keyword.value == keyword
    else:
        positional = [a for a in caller.args if a.keyword is None and not a.star]
        given = position is not None and len(positional) > position and positional[position] is arg
    if not given:
        return None
    return CoroutineUse(CALLBACK, f"`{name.removeprefix('django.db.').removeprefix('builtins.')}()`")


def _returned_from_a_thread(ctx) -> bool:
    """The ``return`` being visited is of a plain def that runs in a thread
    (``@sync_to_async``, ``@database_sync_to_async``), not of a lambda."""
    function = ctx.current_function
    return function is not None and function.runs_in_thread and not function.is_async and not ctx.in_lambda


def _compared_with_none(parent: cst.CSTNode, value: cst.BaseExpression) -> bool:
    """``value is None`` / ``value is not None``: a coroutine or a future is never None."""
    if type(parent) is not cst.Comparison or parent.left is not value or len(parent.comparisons) != 1:
        return False
    target = parent.comparisons[0]
    return type(target.operator) in (cst.Is, cst.IsNot) and type(target.comparator) is cst.Name and target.comparator.value == "None"


def _is_literal(node: cst.BaseExpression) -> bool:
    """A string, a number, ``True``/``False``/``None``, or a tuple, list or set of them."""
    kind = type(node)
    if kind in (cst.Integer, cst.Float) or _is_text_literal(node):
        return True
    if kind is cst.Name:
        return node.value in ("True", "False", "None")
    if kind is cst.UnaryOperation:
        return type(node.expression) in (cst.Integer, cst.Float)
    if kind in (cst.Tuple, cst.List, cst.Set):
        return all(type(e) is cst.Element and _is_literal(e.value) for e in node.elements)
    return False


def _compared_with_a_literal(parent: cst.CSTNode, value: cst.BaseExpression) -> bool:
    """``value == "connected"``, ``"ok" != value``, ``value in ("a", "b")``: a
    coroutine or a future equals only itself, so the test has one answer."""
    if type(parent) is not cst.Comparison or len(parent.comparisons) != 1:
        return False
    target = parent.comparisons[0]
    operator = type(target.operator)
    if operator in (cst.Equal, cst.NotEqual):
        other = target.comparator if parent.left is value else parent.left if target.comparator is value else None
        return other is not None and type(other) not in (cst.Tuple, cst.List, cst.Set) and _is_literal(other)
    if operator in (cst.In, cst.NotIn) and parent.left is value:
        return type(target.comparator) in (cst.Tuple, cst.List, cst.Set) and _is_literal(target.comparator)
    return False


def _failing_use(parent: cst.CSTNode, value: cst.BaseExpression) -> CoroutineUse | None:
    """A use of ``value`` that raises on a coroutine object: indexed, an
    attribute of it read, iterated by a sync ``for``, unpacked, or raised."""
    kind = type(parent)
    if kind is cst.Subscript and parent.value is value:
        return CoroutineUse(INDEXED)
    if kind is cst.Attribute and parent.value is value:
        name = parent.attr.value
        if name in _AWAITABLE_ATTRIBUTES or name.startswith("__"):
            return None
        return CoroutineUse(ATTRIBUTE, name)
    if kind in (cst.For, cst.CompFor) and parent.iter is value and parent.asynchronous is None:
        return CoroutineUse(ITERATED)
    if unpacked(parent, value):
        return CoroutineUse(UNPACKED)
    if kind is cst.Raise and parent.exc is value:
        return CoroutineUse(RAISED)
    return None


# The operators no coroutine or future supports, by libcst's class names:
# arithmetic, bitwise and ordering (``==``/``in``: COMPARED).
_BINARY_OPERATORS = {
    "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%", "Power": "**",
    "MatrixMultiply": "@", "LeftShift": "<<", "RightShift": ">>", "BitAnd": "&", "BitOr": "|", "BitXor": "^",
}  # fmt: skip
_UNARY_OPERATORS = {"Minus": "-", "Plus": "+", "BitInvert": "~"}
_ORDERING = {"LessThan": "<", "GreaterThan": ">", "LessThanEqual": "<=", "GreaterThanEqual": ">="}
_AUGMENTED = {f"{name}Assign": f"{symbol}=" for name, symbol in _BINARY_OPERATORS.items()}


def _operator_taking(stack: list[cst.CSTNode], index: int, value: cst.BaseExpression) -> str | None:
    """The operator that takes ``value`` (``stack[index]``) as an operand
    and raises TypeError on a coroutine or a future: ``now - value``,
    ``-value``, ``value > 5``, ``total += value``; None for any other use."""
    parent = stack[index - 1]
    kind = type(parent)
    if kind is cst.BinaryOperation and (parent.left is value or parent.right is value):
        return _BINARY_OPERATORS.get(type(parent.operator).__name__)
    if kind is cst.UnaryOperation and parent.expression is value:
        return _UNARY_OPERATORS.get(type(parent.operator).__name__)
    if kind is cst.AugAssign and parent.value is value:
        return _AUGMENTED.get(type(parent.operator).__name__)
    if kind is cst.Comparison and parent.left is value and parent.comparisons:
        return _ORDERING.get(type(parent.comparisons[0].operator).__name__)
    if kind is cst.ComparisonTarget and parent.comparator is value and index >= 2 and type(stack[index - 2]) is cst.Comparison:
        # ``low < value``, and in a chain the next comparison's left operand too (``low < value <= high``).
        targets = stack[index - 2].comparisons
        at = next(i for i, target in enumerate(targets) if target is parent)
        for target in targets[at : at + 2]:
            symbol = _ORDERING.get(type(target.operator).__name__)
            if symbol is not None:
                return symbol
    return None


def unpacked(parent: cst.CSTNode, value: cst.BaseExpression) -> bool:
    """``a, b = value``: the value is unpacked, not stored."""
    return type(parent) is cst.Assign and parent.value is value and any(type(t.target) in (cst.Tuple, cst.List) for t in parent.targets)


# How each use loses the value, after "`callee` returns a coroutine" ({thing}:
# coroutine or future; {consumer}: CoroutineUse.consumer).
_USE_WORDING = {
    TRUTH: ", which is always true: the test never sees its result",
    DROPPED: " that the expression statement drops",
    TEXT: ": the text shows the {thing} object, not its result",
    INDEXED: ", which cannot be indexed (TypeError): the code never sees its result",
    ATTRIBUTE: ": `.{consumer}` is looked up on the {thing} object, not on its result (AttributeError)",
    ITERATED: ", which a `for` loop cannot iterate (TypeError)",
    UNPACKED: ", which cannot be unpacked (TypeError)",
    KEY: ", which is used as a key or index itself: the code never sees its result",
    RAISED: ", which cannot be raised (TypeError: exceptions must derive from BaseException)",
    NONE_TESTED: ", which is never None: the test never sees its result",
    COMPARED: ", which equals no other value: the comparison never sees its result",
    OPERAND: ", which `{consumer}` cannot take as an operand (TypeError): the code never sees its result",
    THREAD_RETURNED: " that this def, which runs in a thread, returns: `sync_to_async` hands its async caller the {thing} object and never awaits it",
    CALLBACK: " that a lambda hands to {consumer}, which calls the lambda and drops what it returns",
    DECORATOR: ", which Python then calls as the decorator of the def below (TypeError: the {thing} object is not callable, when the module is imported)",
    ARGUMENT: ": {consumer} gets the {thing} object, not its result",
}


def use_message(callee: str, use: CoroutineUse, future: bool, awaitable_here: bool) -> str:
    """The DJA302 message for a coroutine (or future) used as a plain value."""
    thing = "future" if future else "coroutine"
    what = f"`{callee}` returns a {thing}" + _USE_WORDING.get(use.kind, _USE_WORDING[ARGUMENT]).format(thing=thing, consumer=use.consumer)
    lost = "its results and exceptions are lost" if future else "its body never runs"
    if use.kind == CALLBACK:
        how = "run it inside the callback: `lambda: async_to_sync(f)(...)`"
    elif use.kind == RAISED:
        how = "await it as a statement of its own, then raise an exception (or return)"
    elif use.kind == THREAD_RETURNED:
        how = "use the sync call here (the def runs in a thread), or await the call in the async caller"
    elif use.kind == DECORATOR:
        how = "make the decorator factory a plain `def` (the wrapper it returns may stay `async def`)"
    else:
        how = "add `await`" if awaitable_here else "`await` it from async code, or run it with `async_to_sync(...)`"
    return f"{what}, and {lost}; {how}"
