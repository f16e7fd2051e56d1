"""A walk over a libcst tree that visits exactly the nodes, in exactly the
order, of ``module.visit(visitor)``, without rebuilding every node.

libcst's ``visit`` rebuilds each node from its visited children (a new
dataclass per node, validated), even for a read-only ``CSTVisitor``; on a
linter's hot path that costs as much as parsing. The order in which libcst
visits a node's fields is written out in each node class's
``_visit_and_replace_children``; it is read from there once per class, so
this walk follows libcst's own order. A class whose method cannot be read
that way is visited with libcst's own ``visit``.
"""

from __future__ import annotations

import inspect
import linecache
import re
from typing import Callable

from async_lint import lazy_libcst

cst = lazy_libcst.bind(globals())

_FIELD = re.compile(r"\bvisit_(?:required|optional|sentinel|sequence|body_sequence|iterable|body_iterable)\(\s*self\s*,\s*\"(\w+)\"")
_ORDER: dict[type, tuple[str, ...] | None] = {}


def _field_order(node_type: type) -> tuple[str, ...] | None:
    """The fields ``_visit_and_replace_children`` visits, in its order; None
    where its source does not read as a plain sequence of visit_* calls."""
    try:
        return _ORDER[node_type]
    except KeyError:
        pass
    order: tuple[str, ...] | None
    method = getattr(node_type, "_visit_and_replace_children", None)
    try:
        source = _method_source(method) if method is not None else ""
    except (OSError, TypeError):
        source = ""
    fields = tuple(_FIELD.findall(source))
    known = {f.name for f in getattr(node_type, "__dataclass_fields__", {}).values()} if hasattr(node_type, "__dataclass_fields__") else set()
    if not fields and source and source.count("visit_") == source.count("_visit_and_replace_children"):
        order = ()  # a leaf: nothing below it is visited
    elif fields and all(f in known for f in fields) and source.count("visit_") - source.count("_visit_and_replace_children") == len(fields):
        # A field visited in two branches (``names`` of ImportFrom: one node
        # or a sequence) is still visited once.
        order = tuple(dict.fromkeys(fields))
    else:
        order = None
    _ORDER[node_type] = order
    return order


def _method_source(method) -> str:
    """A method's source lines, from its code object's first and last lines
    (``inspect.getsource`` finds the end by tokenizing the file from the
    method on: 50 ms for libcst's node classes, in every new process)."""
    code = getattr(method, "__code__", None)
    if code is None or not hasattr(code, "co_positions"):  # co_positions: Python 3.11
        return inspect.getsource(method)
    last = max((end for _start, end, _col, _end_col in code.co_positions() if end is not None), default=code.co_firstlineno)
    lines = linecache.getlines(code.co_filename)
    if not lines or last > len(lines):
        return inspect.getsource(method)
    return "".join(lines[code.co_firstlineno - 1 : last])


_IS_NODE: dict[type, bool] = {}


def _is_node(value_type: type) -> bool:
    """``issubclass(value_type, cst.CSTNode)``, remembered: libcst's node
    classes are ABCs, whose isinstance checks cost a call into abc each time."""
    found = _IS_NODE.get(value_type)
    if found is None:
        found = _IS_NODE[value_type] = issubclass(value_type, cst.CSTNode)
    return found


# What a field's value is, by its type: a node, a sequence (whose node items
# are visited), or anything else; remembered per type so that the walk, which
# runs at every node of every file, asks a dict instead of abc.
_OTHER, _NODE, _SEQUENCE = 0, 1, 2
_VALUE_KIND: dict[type, int] = {}


def _value_kind(value_type: type) -> int:
    found = _VALUE_KIND.get(value_type)
    if found is None:
        found = _VALUE_KIND[value_type] = _NODE if _is_node(value_type) else _SEQUENCE if issubclass(value_type, (list, tuple)) else _OTHER
    return found


_UNREAD = object()

# The nodes that open a scope of their own, which walks over one function's
# body do not enter; a set of classes (they have no subclasses), as
# isinstance against libcst's ABCs goes through abc at each node.
# By class name (``type(node).__name__ in``): a constant built from libcst's
# classes would import libcst with this module (lazy_libcst.py).
NESTED_SCOPE_NAMES = frozenset({"FunctionDef", "ClassDef", "Lambda"})


def leaf_type(node_type: type) -> bool:
    """True for a node class whose nodes have nothing below them to visit."""
    return _field_order(node_type) == ()


# Layout: the nodes that hold nothing but whitespace, newlines and comments.
# Each class of libcst's whitespace module, and each class (a comma, a dot,
# an operator, a bracket) whose fields all hold such nodes by their types.
_WHITESPACE_MODULE = "libcst._nodes.whitespace"
# What a child is to the walk, by its class: a node with others below it
# (walked), a leaf (nothing below), or layout with nodes below it.
_INNER, _LEAF, _LAYOUT = 0, 1, 2
_CHILD_KIND: dict[type, int] = {}


def layout_type(node_type: type) -> bool:
    """True for a node class whose nodes, and every node below them, are
    layout (whitespace, newlines, comments, the punctuation that carries
    them), leaves included: a walk for handlers of none of those classes
    need not go there."""
    return _child_kind(node_type) != _INNER


def _child_kind(node_type: type) -> int:
    found = _CHILD_KIND.get(node_type)
    if found is None:
        order = _field_order(node_type)
        if order == ():
            found = _LEAF
        elif order and _holds_only_layout(node_type, order):
            found = _LAYOUT
        else:
            found = _INNER
        _CHILD_KIND[node_type] = found
    return found


def _holds_only_layout(node_type: type, order: tuple[str, ...]) -> bool:
    """Every visited field of ``node_type`` is typed as whitespace-module
    nodes (one, optional, or a sequence of them).  The dataclass fields'
    types as libcst wrote them: an annotation left as a string reads as no
    such type, and the class is walked as any other."""
    import dataclasses

    try:
        types = {f.name: f.type for f in dataclasses.fields(node_type)}
    except TypeError:  # not a dataclass
        return False
    return all(_layout_annotation(types.get(name)) for name in order)


def _layout_annotation(annotation: object) -> bool:
    import collections.abc
    import typing

    args = typing.get_args(annotation)
    if args:
        return typing.get_origin(annotation) in (typing.Union, collections.abc.Sequence) and all(arg is type(None) or _layout_annotation(arg) for arg in args)
    return isinstance(annotation, type) and annotation.__module__ == _WHITESPACE_MODULE


def walk(node: cst.CSTNode, on_visit: Callable[[cst.CSTNode], bool], on_leave: Callable[[cst.CSTNode], None], fallback: cst.CSTVisitor, layout: bool = True) -> None:
    """Call ``on_visit``/``on_leave`` for ``node`` and every node below it, in
    libcst's order. ``fallback`` is the visitor to hand a subtree to where a
    node class's order could not be read.  ``layout=False``: not for the
    nodes below ``node`` that are layout (whitespace, newlines, comments,
    and commas, dots, operators and brackets with the whitespace they hold,
    ``layout_type``), for callers that do nothing there."""
    order = _ORDER.get(type(node), _UNREAD)
    if order is _UNREAD:
        order = _field_order(type(node))
    if order is None:
        node.visit(fallback)
        return
    if on_visit(node):
        for child in _below(node, order):
            kind = _CHILD_KIND.get(type(child))
            if kind is None:
                kind = _child_kind(type(child))
            if kind == _INNER:
                walk(child, on_visit, on_leave, fallback, layout)
            elif layout:
                if kind == _LEAF:
                    # The same two calls the recursion would make, without its frame.
                    on_visit(child)
                    on_leave(child)
                else:
                    walk(child, on_visit, on_leave, fallback, layout)
    on_leave(node)


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``node.children`` (the nodes right below it, in libcst's order)
    without libcst's rebuilding visit, which ``children`` runs each time."""
    order = _ORDER.get(type(node), _UNREAD)
    if order is _UNREAD:
        order = _field_order(type(node))
    if order is None:
        return list(node.children)
    return _below(node, order)


def _below(node: cst.CSTNode, order: tuple[str, ...]) -> list[cst.CSTNode]:
    """The nodes in ``node``'s fields ``order``, in that order."""
    out: list[cst.CSTNode] = []
    kinds = _VALUE_KIND
    for name in order:
        value = getattr(node, name)
        kind = kinds.get(type(value))
        if kind is None:
            kind = _value_kind(type(value))
        if kind == _NODE:
            out.append(value)
        elif kind == _SEQUENCE:
            for item in value:
                kind = kinds.get(type(item))
                if kind is None:
                    kind = _value_kind(type(item))
                if kind == _NODE:
                    out.append(item)
    return out


def mentions_name(node: cst.CSTNode, name: str) -> bool:
    """Whether ``node`` or a node below it is the name ``name``."""
    stack = [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Name and current.value == name:
            return True
        stack.extend(children(current))
    return False


_DISPATCH: dict[tuple[type, str], dict[str, str]] = {}


def _handlers(visitor_type: type, prefix: str) -> dict[str, str]:
    """Node class name -> the visitor's ``visit_X``/``leave_X`` method name,
    for the methods its class defines (read once per visitor class)."""
    key = (visitor_type, prefix)
    found = _DISPATCH.get(key)
    if found is None:
        found = _DISPATCH[key] = {
            name[len(prefix) :]: name
            for name in dir(visitor_type)
            if name.startswith(prefix) and "_" not in name[len(prefix) :] and getattr(visitor_type, name) is not getattr(cst.CSTVisitor, name, None)
        }
    return found


def may_be_layout(class_name: str) -> bool:
    """Whether libcst's node class of that name (or an unknown one) may be
    layout (``layout_type``): a handler named for it must see every node."""
    node_type = getattr(cst, class_name, None)
    return not isinstance(node_type, type) or not _is_node(node_type) or layout_type(node_type)


def visit_fast(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """``node.visit(visitor)`` for a read-only visitor, without rebuilding
    nodes, and calling only the ``visit_X``/``leave_X`` methods the visitor
    has (libcst's ``on_visit`` looks each one up by name at every node)."""
    cls = type(visitor)
    if cls.on_visit is not cst.CSTVisitor.on_visit or cls.on_leave is not cst.CSTVisitor.on_leave:
        walk(node, visitor.on_visit, visitor.on_leave, visitor)
        return
    visits = {kind: getattr(visitor, name) for kind, name in _handlers(cls, "visit_").items()}
    leaves = {kind: getattr(visitor, name) for kind, name in _handlers(cls, "leave_").items()}
    # Most nodes are layout (whitespace, commas, dots); a visitor with no
    # handler for such a class is not called there at all.
    handles_layout = any(may_be_layout(kind) for kind in (*visits, *leaves))

    def on_visit(current: cst.CSTNode) -> bool:
        handler = visits.get(type(current).__name__)
        return handler is None or handler(current) is not False

    def on_leave(current: cst.CSTNode) -> None:
        handler = leaves.get(type(current).__name__)
        if handler is not None:
            handler(current)

    walk(node, on_visit, on_leave, visitor, handles_layout)
