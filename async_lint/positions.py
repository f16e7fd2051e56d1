"""Source positions of the nodes a file's results need, cheaply.

libcst's PositionProvider renders the whole module again to learn every
node's position: on a file without findings that costs more than parsing it.
Most positions a clean file needs (blocking calls recorded on sync
functions, call sites for the project index) are of calls, and CPython's own
parser gives those in a fraction of the time: a syntax tree's calls in
source order (outer call first where two start together) are libcst's calls
in visiting order, so the n-th call of one is the n-th call of the other.
When the counts disagree, or a node that is not a call needs a position, or
the file has findings (whose exact ranges fixes rely on), PositionProvider
is used as before.
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
    """Numbers the Call nodes, and the names of the def/class statements, of
    a file in visiting order (fed by the traversal)."""

    def __init__(self) -> None:
        self.ordinal: dict[int, int] = {}
        self.count = 0
        # id(def or class statement's name node) -> its ordinal among them
        self.def_ordinal: dict[int, int] = {}
        self.def_count = 0
        # ``name.attr`` reads outside import statements: id -> ((name, attr),
        # its ordinal among the reads of the same spelling)
        self.attribute_ordinal: dict[int, tuple[tuple[str, str], int]] = {}
        self.attribute_count: dict[tuple[str, str], int] = {}

    def add(self, node: cst.Call) -> None:
        self.ordinal[id(node)] = self.count
        self.count += 1

    def add_def(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self.def_ordinal[id(node.name)] = self.def_count
        self.def_count += 1

    def add_attribute(self, node: cst.Attribute, name: str) -> None:
        key = (name, node.attr.value)
        count = self.attribute_count.get(key, 0)
        self.attribute_ordinal[id(node)] = (key, count)
        self.attribute_count[key] = count + 1

    def knows(self, node: cst.CSTNode) -> bool:
        key = id(node)
        return key in self.ordinal or key in self.def_ordinal or key in self.attribute_ordinal


class _AstPositions:
    """Positions read off CPython's nodes: the n-th call, the n-th def or
    class name, the n-th read of a ``name.attr`` spelling (each range made
    when asked for: a file's result asks for a few of its calls)."""

    def __init__(self, calls: list[ast.Call], lines: list[str], names: list[CodeRange], ordinals: CallOrdinals, attributes: dict[tuple[str, str], list[ast.Attribute]]):
        self.calls = calls
        self.lines = lines
        self.names = names
        self.ordinals = ordinals
        self.attributes = attributes

    def get(self, node: cst.CSTNode, default: Any = None) -> CodeRange | None:
        index = self.ordinals.ordinal.get(id(node))
        if index is not None:
            return _node_range(self.calls[index], self.lines)
        attribute = self.ordinals.attribute_ordinal.get(id(node))
        if attribute is not None:
            return _node_range(self.attributes[attribute[0]][attribute[1]], self.lines)
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


def _ast_attribute_reads(nodes: list[ast.AST], keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[ast.Attribute]]:
    """The ``name.attr`` reads of the given spellings, in source order."""
    found: dict[tuple[str, str], list[ast.Attribute]] = {key: [] for key in keys}
    for node in nodes:
        if type(node) is ast.Attribute and type(node.value) is ast.Name and (node.value.id, node.attr) in found:
            found[(node.value.id, node.attr)].append(node)
    for reads in found.values():
        reads.sort(key=lambda n: (n.lineno, n.col_offset))
    return found


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
    calls.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
    return calls


def _parsed(text: str, tree: ast.Module | None) -> ast.Module | None:
    if tree is not None:
        return tree
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def resolve_positions(module: cst.Module, text: str, nodes: list[cst.CSTNode], ordinals: CallOrdinals, exact: bool, tree: ast.Module | None = None, approximate: bool = False):
    """A mapping node -> CodeRange (``.get``) covering ``nodes``; ``tree``:
    CPython's tree of ``text`` when the caller already has it.  ``approximate``:
    only CPython's positions of calls and def/class names (other nodes get
    None), or None when even those do not match libcst's tree."""
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
    if not exact and all(ordinals.knows(node) for node in nodes):
        tree = _parsed(text, tree)
        if tree is not None:
            ast_nodes = _ast_nodes(tree)
            calls = _ast_calls(ast_nodes)
            lines = split_lines(text)
            names_needed = any(id(node) in ordinals.def_ordinal for node in nodes)
            names = _ast_def_name_ranges(ast_nodes, lines) if names_needed else []
            keys = {ordinals.attribute_ordinal[id(node)][0] for node in nodes if id(node) in ordinals.attribute_ordinal}
            attributes = _ast_attribute_reads(ast_nodes, keys) if keys else {}
            # A spelling counted differently by the two parsers (e.g. inside
            # an import statement libcst has and CPython has not) is not used.
            attributes_agree = all(len(attributes[key]) == ordinals.attribute_count[key] for key in keys)
            if len(calls) == ordinals.count and attributes_agree and (not names_needed or (names is not None and len(names) == ordinals.def_count)):
                return _AstPositions(calls, lines, names or [], ordinals, attributes)
    from libcst.metadata import MetadataWrapper, PositionProvider

    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
