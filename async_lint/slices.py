"""The parts of a module that code on the event loop lives in, as small
modules of their own: the fallback for a file too large to analyse whole
within its budget (a 2 MB data module with one ``async def``, a 50,000-line
async module).

CPython's parser (fast, bounded) finds the top-level statements that hold
async code; each group of them, up to ``MAX_PART_LINES`` lines, becomes a
module of the file's imports followed by the group, with the row offset
that maps its rows back to the file's.  Statements without async code (the
data, the sync helpers) are left out: findings in the parts are kept,
project-wide facts and cross-statement knowledge are not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from async_lint.source import split_lines

MAX_PART_LINES = 2000
_ASYNC_NODES = (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)


@dataclass(frozen=True)
class Part:
    text: str
    # Rows of ``text`` after ``header_rows`` are the file's rows less ``row_offset``.
    header_rows: int
    row_offset: int

    def file_row(self, row: int) -> int | None:
        """The file's row for a row of the part; None for the imports' rows."""
        return row + self.row_offset if row > self.header_rows else None


def statement_rows(statement: ast.stmt) -> tuple[int, int]:
    """A statement's first row (its first decorator's, if any) and last row."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
    return first, statement.end_lineno or statement.lineno


def _has_async_code(statement: ast.stmt) -> bool:
    return any(isinstance(node, _ASYNC_NODES) for node in ast.walk(statement))


def async_parts(text: str, tree: ast.Module) -> list[Part]:
    lines = split_lines(text)
    newline = "\r\n" if "\r\n" in text[:4096] else "\n"

    def segment(first: int, last: int) -> str:
        return "".join(line + newline for line in lines[first - 1 : last])

    header = "".join(segment(*statement_rows(s)) for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom)))
    header_rows = header.count(newline)
    groups: list[list[tuple[int, int]]] = []
    for statement in tree.body:
        if not _has_async_code(statement):
            continue
        span = statement_rows(statement)
        if groups and span[1] - groups[-1][0][0] < MAX_PART_LINES:
            groups[-1].append(span)
        else:
            groups.append([span])
    parts = []
    for group in groups:
        first, last = group[0][0], group[-1][1]
        # Whole rows from the group's first to its last: comments and blank
        # lines between its statements keep the rows aligned.
        parts.append(Part(header + segment(first, last), header_rows, first - 1 - header_rows))
    return parts
