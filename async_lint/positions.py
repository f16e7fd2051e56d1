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
from typing import Any

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider


class CallOrdinals:
    """Numbers the Call nodes of a file in visiting order (fed by the traversal)."""

    def __init__(self) -> None:
        self.ordinal: dict[int, int] = {}
        self.count = 0

    def add(self, node: cst.Call) -> None:
        self.ordinal[id(node)] = self.count
        self.count += 1


class _AstCallPositions:
    def __init__(self, ranges: list[CodeRange], ordinals: CallOrdinals):
        self.ranges = ranges
        self.ordinals = ordinals

    def get(self, node: cst.CSTNode, default: Any = None) -> CodeRange | None:
        index = self.ordinals.ordinal.get(id(node))
        return self.ranges[index] if index is not None else default


def _char_column(line: str, byte_offset: int) -> int:
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


def _ast_call_ranges(text: str) -> list[CodeRange] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
    lines = text.splitlines()

    def column(row: int, offset: int) -> int:
        return _char_column(lines[row - 1], offset) if 0 < row <= len(lines) else offset

    return [
        CodeRange(CodePosition(c.lineno, column(c.lineno, c.col_offset)), CodePosition(c.end_lineno or c.lineno, column(c.end_lineno or c.lineno, c.end_col_offset or 0)))
        for c in calls
    ]


def resolve_positions(module: cst.Module, text: str, nodes: list[cst.CSTNode], ordinals: CallOrdinals, exact: bool):
    """A mapping node -> CodeRange (``.get``) covering ``nodes``."""
    if not exact and all(type(node) is cst.Call and id(node) in ordinals.ordinal for node in nodes):
        ranges = _ast_call_ranges(text)
        if ranges is not None and len(ranges) == ordinals.count:
            return _AstCallPositions(ranges, ordinals)
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
