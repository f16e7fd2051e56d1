"""An edited buffer parsed again by the top-level statements that changed.

An editor sends the whole text at each edit; parsing a 2,700-line module
with libcst takes about 140 ms, most of the time to the diagnostics.  The
language server's workspace keeps the last tree of each buffer
(``ParseMemory``), and a new text is parsed as the old tree's top-level
statements where the text did not change, and a parse of the changed region
alone where it did.

Why the result is the tree a whole-file parse gives:

- A top-level statement owns whole lines: its ``leading_lines`` (blank and
  comment lines above it), its own lines, and the lines its indented block
  keeps in its footer.  Its first row is the first row CPython gives it (a
  decorator's, or its keyword's) less its leading lines; its last row is the
  row before the next statement's first (``_spans``).  Parsed on its own, the
  text of those rows gives the same node: the comment lines at the top go to
  the module header instead, and are put back in front of its leading lines
  (checked on every top-level statement of Django's tree and of saleor:
  ``tests/test_reparse.py``).
- The region parsed again runs from the statement before the first changed
  row to the statement after the last one: both unchanged, so the lines
  around the region's edges are owned as before, and the tokenizer is at
  column 0 with nothing open at each edge.
- The module's own settings come from text outside the region: the newline
  from the first line, the indentation from the first indented block (the
  region must start after the statement that holds it), the trailing newline
  from the end of the file (taken from the region's parse when it reaches
  the end).  Nodes leave the default indentation and newline unsaid, so the
  region's own defaults (from its first indented block and first line end)
  must be the file's: a region indented with spaces in a file indented with
  tabs is parsed whole.

Anything else (a change in the first statements, the header or before the
first indented block; a file CPython cannot parse) is parsed whole.

One level down, the same for the body of a top-level class (Django's code
is mostly classes: an edit inside a method of a 2,000-line class would
parse the whole class again): a change within a class's body statements,
not its first or last, parses again from the body statement before it to
the one after it, after a line ``class _:`` so that its lines sit in a
class body as in the file (an empty line's node says whether it starts
with the block's indentation), and the class's other statements are kept
(``_reparse_members``; checked on every body statement of Django's classes
in ``tests/test_reparse.py``).
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from async_lint import lazy_libcst
from async_lint.analysis.context import SubtreeMemo
from async_lint.slices import statement_rows

cst = lazy_libcst.bind(globals())

# Python's line breaks, each kept with its line (``str.splitlines`` also
# breaks at form feeds and other characters that do not end a line for Python).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_BLOCK_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


def physical_lines(text: str) -> list[str]:
    return _LINE.findall(text)


@dataclass
class Parsed:
    lines: list[str]
    module: Any  # cst.Module
    spans: list[tuple[int, int]]  # rows (1-based, inclusive) of each top-level statement
    first_indented: int | None  # the first statement holding an indented block
    # For each top-level class with an indented body (by its index): the
    # rows of its body's statements, each from its leading lines, the last
    # one's to the class's last row.
    members: dict[int, list[tuple[int, int]]]
    # CPython's tree of the same text (``python_reparse`` builds the next one from it).
    python: ast.Module | None = None


def _holds_indented_block(node: Any) -> bool:
    for name in _BLOCK_FIELDS:
        value = getattr(node, name, None)
        if value is None:
            continue
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if type(item) is cst.IndentedBlock or (not isinstance(item, cst.BaseSuite) and _holds_indented_block(item)):
                return True
    return False


def _spans(module: Any, tree: ast.Module, row_count: int) -> list[tuple[int, int]] | None:
    """Each top-level statement's rows; None where CPython's statements do
    not line up with libcst's (one libcst line holds ``a = 1; b = 2``)."""
    return _statement_spans(module.body, tree.body, row_count - len(module.footer))


def _statement_spans(statements: Any, python_statements: list[ast.stmt], last_row: int) -> list[tuple[int, int]] | None:
    """The rows of each of libcst's ``statements`` (from its leading lines),
    from CPython's ``python_statements`` of the same block; None where the
    two do not line up."""
    starts = [statement_rows(statement)[0] for statement in _one_per_line(python_statements)]
    if len(starts) != len(statements):
        return None
    firsts = [first - len(statement.leading_lines) for statement, first in zip(statements, starts)]
    ends = [first - 1 for first in firsts[1:]] + [last_row]
    return list(zip(firsts, ends))


def parsed(module: Any, lines: list[str], tree: ast.Module) -> Parsed | None:
    spans = _spans(module, tree, len(lines))
    if spans is None:
        return None
    first_indented = next((n for n, statement in enumerate(module.body) if _holds_indented_block(statement)), None)
    members: dict[int, list[tuple[int, int]]] = {}
    python_statements = _one_per_line(tree.body)
    for n, statement in enumerate(module.body):
        if type(statement) is cst.ClassDef and type(statement.body) is cst.IndentedBlock and n < len(python_statements):
            python_class = python_statements[n]
            if isinstance(python_class, ast.ClassDef):
                found = _statement_spans(statement.body.body, python_class.body, spans[n][1])
                if found is not None:
                    members[n] = found
    return Parsed(lines, module, spans, first_indented, members, tree)


def _one_per_line(python_statements: list[ast.stmt]) -> list[ast.stmt]:
    """CPython's statements of a block, one per libcst statement (those
    that start on one line, ``a = 1; b = 2``, are one libcst statement)."""
    out: list[ast.stmt] = []
    for statement in python_statements:
        if not out or statement_rows(statement)[0] != statement_rows(out[-1])[0]:
            out.append(statement)
    return out


def _statement_at(spans: list[tuple[int, int]], row: int) -> int:
    """The index of the statement whose rows hold ``row`` (len(spans): after the last)."""
    for n, (first, last) in enumerate(spans):
        if row <= last:
            return n if row >= first else max(n - 1, 0)
    return len(spans)


def _changed_rows(old: list[str], lines: list[str]) -> tuple[int, int] | None:
    """How many rows at the start and at the end the two texts share (not
    overlapping); None when they are the same."""
    limit = min(len(old), len(lines))
    prefix = 0
    while prefix < limit and old[prefix] == lines[prefix]:
        prefix += 1
    if prefix == len(old) == len(lines):
        return None
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == lines[-1 - suffix]:
        suffix += 1
    return prefix, suffix


def reparse(previous: Parsed, lines: list[str]) -> Any | None:
    """The module of the text of ``lines`` from ``previous`` and a parse of the changed
    region; None where only a whole parse is sure to be right."""
    old = previous.lines
    if not previous.spans or previous.first_indented is None:
        return None
    changed = _changed_rows(old, lines)
    if changed is None:
        return previous.module
    prefix, suffix = changed
    if prefix == 0:
        return None  # the first line: the default newline
    spans = previous.spans
    if prefix + 1 < spans[0][0]:
        return None  # the header
    last_changed = max(len(old) - suffix, prefix)
    inside = _statement_at(spans, prefix + 1)
    if inside == _statement_at(spans, last_changed) and inside in previous.members:
        module = _reparse_members(previous, lines, inside, prefix + 1, last_changed)
        if module is not None:
            return module
    first = inside - 1
    if first <= previous.first_indented:
        return None  # the default indentation may change
    last = _statement_at(spans, last_changed) + 1
    delta = len(lines) - len(old)
    start_row = spans[first][0]
    to_end = last >= len(spans)
    end_row = len(lines) if to_end else spans[last][1] + delta
    region = cst.parse_module("".join(lines[start_row - 1 : end_row]))
    body = list(region.body)
    module = previous.module
    # A block indented by the module's default indentation, and a line ended
    # by its default newline, leave it unsaid (``indent=None``,
    # ``Newline(None)``): the region's defaults, detected from its own text,
    # must be the file's for its nodes to be the whole parse's.
    if not body or (region.default_indent, region.default_newline) != (module.default_indent, module.default_newline):
        return None
    if region.header:
        body[0] = body[0].with_changes(leading_lines=[*region.header, *body[0].leading_lines])
    if to_end:
        return module.with_changes(body=[*module.body[:first], *body], footer=region.footer, has_trailing_newline=region.has_trailing_newline)
    if region.footer:
        return None
    return module.with_changes(body=[*module.body[:first], *body, *module.body[last + 1 :]])


_CLASS_LINE = "class _:"


def _reparse_members(previous: Parsed, lines: list[str], index: int, first_row: int, last_row: int) -> Any | None:
    """The module with the statements of the body of the class at ``index``
    that rows ``first_row``..``last_row`` changed parsed again: the same
    argument as for top-level statements, one level down.  The region runs
    from the body statement before the first changed one to the one after
    the last changed one, and is parsed after a line ``class _:``, so that
    its lines sit in a class body as they do in the file (an empty line's
    node says whether it starts with the block's indentation).  None where
    the change reaches the class's first or last body statement, or the
    region's parse differs in what the file decides (its defaults), or
    leaves lines outside its statements."""
    members = previous.members[index]
    classdef = previous.module.body[index]
    if first_row < members[0][0]:
        return None  # the class's own lines
    first = _statement_at(members, first_row) - 1
    last = _statement_at(members, last_row) + 1
    if first < 0 or last >= len(members) - 1:
        return None  # its first or last statement: the block's edges
    delta = len(lines) - len(previous.lines)
    region_lines = lines[members[first][0] - 1 : members[last][1] + delta]
    newline = region_lines[-1][len(region_lines[-1].rstrip("\r\n")) :] or "\n"
    region = cst.parse_module(_CLASS_LINE + newline + "".join(region_lines))
    module = previous.module
    if (region.default_indent, region.default_newline) != (module.default_indent, module.default_newline) or region.footer or region.header:
        return None
    if len(region.body) != 1 or type(region.body[0]) is not cst.ClassDef or type(region.body[0].body) is not cst.IndentedBlock:
        return None
    block = region.body[0].body
    if block.footer or block.indent != classdef.body.indent or not block.body:
        return None
    statements = classdef.body.body
    body = classdef.body.with_changes(body=[*statements[:first], *block.body, *statements[last + 1 :]])
    return module.with_changes(body=[*module.body[:index], classdef.with_changes(body=body), *module.body[index + 1 :]])


def python_reparse(previous: Parsed, lines: list[str]) -> ast.Module | None:
    """CPython's tree of the text of ``lines`` from ``previous.python`` and a
    parse of the changed rows' top-level statements; None where only a whole
    parse is sure to be right.

    A top-level statement ends with its logical line: the rows after it
    cannot change its tree, nor can the rows before a statement that starts
    a logical line at column 0 change its.  So the previous tree's
    statements that end before the first changed row are kept, and those
    that start after the last changed row are kept where the change added
    or removed no row (an ast node holds its rows; shifting them would
    change the previous tree's nodes); the rows between, from the row after
    the kept head to the row before the kept tail, are parsed on their own
    and their rows moved to the file's.  A region that does not parse alone
    gives None: the whole parse says why (and CPython's only whole-file
    checks, of ``from __future__`` imports, are not made by ``ast.parse``)."""
    tree = previous.python
    old = previous.lines
    if tree is None:
        return None
    changed = _changed_rows(old, lines)
    if changed is None:
        return tree
    prefix, suffix = changed
    statements = tree.body
    rows = [statement_rows(statement) for statement in statements]
    head = 0
    while head < len(rows) and rows[head][1] <= prefix:
        head += 1
    # Statements on one row (``a = 1; b = (``) are kept or parsed together.
    while 0 < head < len(rows) and rows[head - 1][1] >= rows[head][0]:
        head -= 1
    if head == 0:
        return None
    delta = len(lines) - len(old)
    tail = len(rows)
    if delta == 0:
        last_changed = len(old) - suffix
        tail = head
        while tail < len(rows) and rows[tail][0] <= last_changed:
            tail += 1
        while tail < len(rows) and rows[tail - 1][1] >= rows[tail][0]:
            tail += 1
    start = rows[head - 1][1] + 1
    end = rows[tail][0] - 1 if tail < len(rows) else len(lines)
    try:
        region = ast.parse("".join(lines[start - 1 : end]))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for statement in region.body:
        ast.increment_lineno(statement, start - 1)
    return ast.Module(body=[*statements[:head], *region.body, *statements[tail:]], type_ignores=[])


class ParseMemory:
    """The last tree of each of a few buffers (an editor's open files)."""

    def __init__(self, size: int = 8):
        self.size = size
        self._trees: OrderedDict[str, Parsed] = OrderedDict()
        self._memos: dict[str, SubtreeMemo] = {}
        self.reused = 0  # parses made from a previous tree (for tests and benchmarks)
        self.python_reused = 0  # CPython trees made from a previous one (the same)
        self._split: tuple[str, list[str]] | None = None

    def memo(self, path: str) -> SubtreeMemo:
        """What the analyses of ``path``'s buffer computed from its nodes
        (``FileContext.subtree_memo``): valid for the nodes a reparse keeps."""
        found = self._memos.get(path)
        if found is None:
            found = self._memos[path] = SubtreeMemo()
        return found

    def _lines_of(self, text: str) -> list[str]:
        """``physical_lines(text)``, split once for the two parses of a text."""
        if self._split is None or self._split[0] is not text:
            self._split = (text, physical_lines(text))
        return self._split[1]

    def python_parse(self, path: str, text: str) -> tuple[ast.Module | None, Any]:
        """``source.python_parse(text)``, made from the buffer's previous
        CPython tree where only a few top-level statements changed."""
        from async_lint.source import python_parse

        previous = self._trees.get(path)
        if previous is not None:
            tree = python_reparse(previous, self._lines_of(text))
            if tree is not None:
                self.python_reused += 1
                return tree, None
        return python_parse(text)

    def parse(self, path: str, text: str, tree: ast.Module | None) -> Any:
        """libcst's module of ``text`` (raising as ``cst.parse_module`` does)."""
        lines = self._lines_of(text)
        previous = self._trees.get(path)
        module = None
        # A text CPython parsed (``tree``) is parsed without libcst's checks of each node.
        with lazy_libcst.nodes_unchecked() if tree is not None else contextlib.nullcontext():
            if previous is not None and tree is not None:
                try:
                    module = reparse(previous, lines)
                except cst.ParserSyntaxError:
                    module = None  # the region alone does not parse: the whole file says why
                if module is not None:
                    self.reused += 1
            if module is None:
                module = cst.parse_module(text)
        # A text that does not parse (mid-typing) leaves the previous tree for the next edit.
        self._trees.pop(path, None)
        found = parsed(module, lines, tree) if tree is not None else None
        if found is not None:
            self._trees[path] = found
            while len(self._trees) > self.size:
                dropped, _ = self._trees.popitem(last=False)
                self._memos.pop(dropped, None)
        return module
