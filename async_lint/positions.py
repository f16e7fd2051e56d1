"""Source positions of the nodes a file's results need, cheaply.

libcst's PositionProvider renders the whole module again to learn every
node's position: on a file without findings that costs more than parsing it.
Most positions a file's results need (findings, blocking calls recorded on
sync functions, call sites for the project index) are of calls, attribute
reads, subscripts, comparisons and names, and CPython's own parser gives
those in a fraction of the time: a syntax tree's calls in source order
(outer call first where two start together) are libcst's calls in visiting
order, so the n-th call of one is the n-th call of the other; likewise the
n-th read of ``.attr`` on the same name, the n-th subscript, comparison, or
use of a name.  Their ranges are libcst's (both leave out the parentheses
around a node).  When the counts disagree, or a node of another kind needs
a position, PositionProvider is used as before.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from async_lint import lazy_libcst

from async_lint.source import split_lines

cst = lazy_libcst.bind(globals())

if TYPE_CHECKING:
    from libcst.metadata import CodeRange


class CallOrdinals:
    """Numbers the Call nodes, the names of the def/class statements, and the
    other nodes CPython's tree places alike (``add_keyed``), of a file in
    visiting order (fed by the traversal)."""

    def __init__(self) -> None:
        self.ordinal: dict[int, int] = {}
        self.count = 0
        # id(def or class statement's name node) -> its ordinal among them
        self.def_ordinal: dict[int, int] = {}
        self.def_count = 0
        # Other nodes CPython's tree has a node (or a span) for, numbered
        # among the nodes of the same key (``spelling_key``): id -> (key,
        # ordinal).  Attributes outside import statements, subscripts,
        # comparisons, assignments, dict elements, awaits, and names where CPython
        # has a Name (not ``a.b``'s ``b``, a keyword, a def's or parameter's
        # name, ``global`` or ``except ... as`` names).
        self.keyed_ordinal: dict[int, tuple[tuple, int]] = {}
        self.keyed_count: dict[tuple, int] = {}

    def add(self, node: cst.Call) -> None:
        self.ordinal[id(node)] = self.count
        self.count += 1

    def add_def(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self.def_ordinal[id(node.name)] = self.def_count
        self.def_count += 1

    def add_keyed(self, node: cst.CSTNode, key: tuple, placed: bool = True) -> None:
        """Number ``node`` under ``key``; ``placed=False``: counted, but its
        position is not CPython's node's (left to libcst)."""
        count = self.keyed_count.get(key, 0)
        if placed:
            self.keyed_ordinal[id(node)] = (key, count)
        self.keyed_count[key] = count + 1

    def knows(self, node: cst.CSTNode) -> bool:
        key = id(node)
        return key in self.ordinal or key in self.def_ordinal or key in self.keyed_ordinal


# Names in libcst's tree, constants in CPython's.
CONSTANT_NAMES = frozenset({"True", "False", "None"})


def spelling_key(node: cst.CSTNode) -> tuple | None:
    """The key a libcst attribute, subscript, comparison, name, assignment or
    dict display's ``key: value`` is numbered under, as ``_ast_keyed`` keys
    CPython's: an attribute by its name and the name it is read on (None when
    on any other expression), a name by itself."""
    kind = type(node)
    if kind is cst.Name:
        return ("n", node.value)
    if kind is cst.Attribute:
        value = node.value
        return ("a", value.value if type(value) is cst.Name and value.value not in CONSTANT_NAMES else None, node.attr.value)
    if kind is cst.Subscript:
        return ("s",)
    if kind is cst.Comparison:
        return ("c",)
    if kind is cst.Assign:
        return ("=",)
    if kind is cst.DictElement:
        return ("d",)
    if kind is cst.Await:
        return ("w",)
    return None


def _ast_key(node: ast.AST) -> tuple | None:
    kind = type(node)
    if kind is ast.Name:
        return ("n", node.id)
    if kind is ast.Attribute:
        value = node.value
        return ("a", value.id if type(value) is ast.Name else None, node.attr)
    if kind is ast.Subscript:
        return ("s",)
    if kind is ast.Compare:
        return ("c",)
    if kind is ast.Assign:
        return ("=",)
    if kind is ast.Await:
        return ("w",)
    return None


_KEYED_TYPES = frozenset({ast.Name, ast.Attribute, ast.Subscript, ast.Compare, ast.Assign, ast.Dict, ast.Await})


class _Span:
    """A range of the text with CPython's fields, where libcst has a node and
    CPython none: a dict display's ``key: value``."""

    __slots__ = ("col_offset", "end_col_offset", "end_lineno", "lineno")

    def __init__(self, start: ast.expr, end: ast.expr):
        self.lineno, self.col_offset = start.lineno, start.col_offset
        self.end_lineno, self.end_col_offset = end.end_lineno, end.end_col_offset


class _AstPositions:
    """Positions read off CPython's nodes: the n-th call, the n-th def or
    class name, the n-th node of a spelling key (each range made when asked
    for: a file's result asks for a few of its nodes)."""

    def __init__(self, calls: list[ast.Call], lines: list[str], names: list[CodeRange], ordinals: CallOrdinals, keyed: dict[tuple, list[ast.expr]]):
        self.calls = calls
        self.lines = lines
        self.names = names
        self.ordinals = ordinals
        self.keyed = keyed

    def get(self, node: cst.CSTNode, default: Any = None) -> CodeRange | None:
        index = self.ordinals.ordinal.get(id(node))
        if index is not None:
            return _node_range(self.calls[index], self.lines)
        keyed = self.ordinals.keyed_ordinal.get(id(node))
        if keyed is not None and keyed[0] in self.keyed:
            return _node_range(self.keyed[keyed[0]][keyed[1]], self.lines)
        index = self.ordinals.def_ordinal.get(id(node))
        return self.names[index] if index is not None and index < len(self.names) else default


def _node_range(node: ast.expr, lines: list[str]) -> CodeRange:
    """A CPython node's range as libcst gives it (character columns)."""
    from libcst.metadata import CodePosition, CodeRange

    def column(row: int, offset: int) -> int:
        return char_column(lines[row - 1], offset) if 0 < row <= len(lines) else offset

    end_row = node.end_lineno or node.lineno
    return CodeRange(CodePosition(node.lineno, column(node.lineno, node.col_offset)), CodePosition(end_row, column(end_row, node.end_col_offset or 0)))


def _ast_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` in ``ast.walk``'s order (breadth first), as a
    list: one pass serves the calls, the def names and the attribute reads,
    and a plain loop over ``_fields`` is several times cheaper than
    ``ast.walk``'s generators."""
    out = [tree]
    append = out.append
    node_type = ast.AST
    index = 0
    while index < len(out):
        node = out[index]
        index += 1
        for name in node._fields:
            try:
                value = getattr(node, name)
            except AttributeError:
                continue
            if isinstance(value, node_type):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
    return out


def _ast_keyed(nodes: list[ast.AST], keys: set[tuple]) -> dict[tuple, list[ast.expr]]:
    """CPython's nodes of the given keys (``_ast_key``), each key's in
    source order: the outer first where two start together (``a.x.x``'s
    two ``x`` reads, ``a[0][1]``), as libcst visits them."""
    found: dict[tuple, list[ast.expr]] = {key: [] for key in keys}
    keyed_types = _KEYED_TYPES
    elements = found.get(("d",))
    for node in nodes:
        if type(node) in keyed_types:
            if type(node) is ast.Dict:
                if elements is not None:
                    # ``**other`` has no key: libcst's StarredDictElement.
                    elements.extend(_Span(key, value) for key, value in zip(node.keys, node.values) if key is not None)  # type: ignore[misc]
                continue
            bucket = found.get(_ast_key(node))  # type: ignore[arg-type]
            if bucket is not None:
                bucket.append(node)  # type: ignore[arg-type]
    for same in found.values():
        same.sort(key=_source_order)
    return found


def _source_order(node: ast.expr) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0))


def char_column(line: str, byte_offset: int) -> int:
    """The character column of a UTF-8 byte offset into ``line`` (CPython's ``col_offset``)."""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


_DEF_NAME = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")


_DEF_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _ast_def_name_ranges(nodes: list[ast.AST], lines: list[str]) -> list[CodeRange] | None:
    """The names of def/class statements in source order, or None where a
    statement is spelled in a way this reading does not follow."""
    from libcst.metadata import CodePosition, CodeRange

    defs = [n for n in nodes if type(n) in _DEF_TYPES]
    defs.sort(key=lambda n: (n.lineno, n.col_offset))
    out = []
    for node in defs:
        if not 0 < node.lineno <= len(lines):
            return None
        line = lines[node.lineno - 1]
        start = char_column(line, node.col_offset)
        match = _DEF_NAME.match(line, start)
        if match is None or match.group(1) != node.name:
            return None
        out.append(CodeRange(CodePosition(node.lineno, match.start(1)), CodePosition(node.lineno, match.end(1))))
    return out


def _ast_calls(nodes: list[ast.AST]) -> list[ast.Call]:
    """The calls in source order, the outer first where two start together."""
    calls = [node for node in nodes if type(node) is ast.Call]
    calls.sort(key=_source_order)
    return calls


def _parsed(text: str, tree: ast.Module | None) -> ast.Module | None:
    if tree is not None:
        return tree
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def resolve_positions(module: cst.Module, text: str, nodes: list[cst.CSTNode], ordinals: CallOrdinals, tree: ast.Module | None = None, approximate: bool = False):
    """A mapping node -> CodeRange (``.get``) covering ``nodes``: CPython's
    positions where ``ordinals`` numbered every one of them and the two trees
    number them alike, else libcst's.  ``tree``: CPython's tree of ``text``
    when the caller already has it.  ``approximate``: only CPython's
    positions of calls and def/class names (other nodes get None), or None
    when even those do not match libcst's tree."""
    if approximate:
        tree = _parsed(text, tree)
        if tree is None:
            return None
        ast_nodes = _ast_nodes(tree)
        calls = _ast_calls(ast_nodes)
        if len(calls) != ordinals.count:
            return None
        lines = split_lines(text)  # rows as Python counts them (not at \f or \u2028)
        names = _ast_def_name_ranges(ast_nodes, lines)
        return _AstPositions(calls, lines, names if names is not None and len(names) == ordinals.def_count else [], ordinals, {})
    if all(ordinals.knows(node) for node in nodes):
        tree = _parsed(text, tree)
        if tree is not None:
            ast_nodes = _ast_nodes(tree)
            calls = _ast_calls(ast_nodes)
            lines = split_lines(text)
            names_needed = any(id(node) in ordinals.def_ordinal for node in nodes)
            names = _ast_def_name_ranges(ast_nodes, lines) if names_needed else []
            keys = {ordinals.keyed_ordinal[id(node)][0] for node in nodes if id(node) in ordinals.keyed_ordinal}
            keyed = _ast_keyed(ast_nodes, keys) if keys else {}
            # A spelling counted differently by the two parsers is not used.
            keyed_agree = all(len(keyed[key]) == ordinals.keyed_count[key] for key in keys)
            if len(calls) == ordinals.count and keyed_agree and (not names_needed or (names is not None and len(names) == ordinals.def_count)):
                return _AstPositions(calls, lines, names or [], ordinals, keyed)
    from libcst.metadata import MetadataWrapper, PositionProvider

    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
