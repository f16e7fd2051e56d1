"""An edited buffer parsed again by its changed top-level statements
(reparse.py) gives the tree a whole-file parse gives, node for node and
whitespace for whitespace; the language server's workspace uses it, with
the same findings as a fresh analysis."""

from __future__ import annotations

import ast
import dataclasses
import os
import random
from pathlib import Path

import libcst as cst
import pytest

from async_lint.engine import Workspace
from async_lint.reparse import ParseMemory, _spans, physical_lines
from tests.helpers import FIXTURES, make_settings, same_tree


def _django_files(*parts: str) -> list[Path]:
    import django

    root = Path(os.path.dirname(django.__file__))
    return sorted(p for part in parts for p in (root / part).rglob("*.py"))


def _node_types() -> list[type]:
    kinds = [kind for kind in vars(cst).values() if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and dataclasses.is_dataclass(kind)]
    assert len(kinds) > 100
    return kinds


def test_the_trees_are_compared_as_libcst_compares_them() -> None:
    """``same_tree``, the oracles' comparison below, is libcst's ``deep_equals``:
    equal trees of one text, and trees that differ in whitespace, a comment,
    a name, a node's kind or a sequence's length, each as libcst says."""
    text = (_django_files("views")[0].parent / "generic" / "base.py").read_text(encoding="utf-8")
    module = cst.parse_module(text)
    variants = [
        text,
        text.replace("    def dispatch(self, request", "    def dispatch(self,  request", 1),
        text.replace("\n\n\nclass ", "\n\n\n# note\nclass ", 1),
        text.replace("http_method_names", "http_method_name", 1),
        text.replace("handler = self.http_method_not_allowed", "handler = (self.http_method_not_allowed)", 1),
        text.replace("    def as_view(cls, **initkwargs):", "    def as_view(cls, **initkwargs):\n        pass", 1),
        text + "\n",
    ]
    verdicts = []
    assert len(set(variants)) == len(variants)  # each edit found its place
    for variant in variants:
        other = cst.parse_module(variant)
        verdicts.append(same_tree(module, other))
        assert verdicts[-1] == module.deep_equals(other) == other.deep_equals(module) == same_tree(other, module)
    assert verdicts == [True, False, False, False, False, False, False]
    # libcst compares every field of every node: two equal trees write out the same code.
    assert all(field.compare for kind in _node_types() for field in dataclasses.fields(kind))
    # A list where the parser made a tuple compares as libcst compares it: by its items.
    relisted = module.with_changes(body=list(module.body))
    assert same_tree(module, relisted) and module.deep_equals(relisted)
    assert not same_tree(module, module.with_changes(body=list(module.body)[1:]))


def test_every_top_level_statement_parses_alone_to_the_same_node() -> None:
    """The model the splice rests on: a statement's rows (its leading lines,
    its own, its block's footer) parse alone to the node the whole file has."""
    checked = 0
    for path in _django_files("db/models", "views", "core/handlers", "contrib/auth"):
        text = path.read_text(encoding="utf-8")
        module, lines = cst.parse_module(text), physical_lines(text)
        spans = _spans(module, ast.parse(text), len(lines))
        assert spans is not None, path
        for statement, (first, last) in zip(module.body, spans):
            alone = cst.parse_module("".join(lines[first - 1 : last]))
            node = alone.body[0]
            if alone.header:
                node = node.with_changes(leading_lines=[*alone.header, *node.leading_lines])
            assert len(alone.body) == 1 and not alone.footer and same_tree(node, statement), f"{path}:{first}"
            checked += 1
    assert checked > 1500


def test_every_class_body_statement_parses_after_a_class_line_to_the_same_node() -> None:
    """One level down: the rows of a statement of a top-level class's body
    (not its first or last), after a line ``class _:``, parse to the node the
    whole file has, and the class's block to the file's indentation."""
    from async_lint.reparse import parsed

    checked = 0
    for path in _django_files("db/models", "views", "contrib/auth", "forms"):
        text = path.read_text(encoding="utf-8")
        module, lines = cst.parse_module(text), physical_lines(text)
        found = parsed(module, lines, ast.parse(text))
        assert found is not None, path
        for index, members in found.members.items():
            classdef = module.body[index]
            for member, (first, last) in list(zip(classdef.body.body, members))[1:-1]:
                wrapped = cst.parse_module("class _:\n" + "".join(lines[first - 1 : last]))
                block = wrapped.body[0].body
                assert len(block.body) == 1 and not block.footer and block.indent == classdef.body.indent, f"{path}:{first}"
                assert same_tree(block.body[0], member), f"{path}:{first}"
                checked += 1
    assert checked > 1000


def test_an_edit_inside_a_method_parses_only_the_methods_around_it() -> None:
    import django

    text = (Path(django.__file__).parent / "db" / "models" / "query.py").read_text(encoding="utf-8")
    memory = ParseMemory()
    before = memory.parse("query.py", text, ast.parse(text))
    anchor = "    def count(self):\n"
    edited = text.replace(anchor, anchor + "        typed = 1\n", 1)
    after = memory.parse("query.py", edited, ast.parse(edited))
    assert same_tree(after, cst.parse_module(edited)) and memory.reused == 1
    queryset = next(n for n, statement in enumerate(before.body) if type(statement) is cst.ClassDef and statement.name.value == "QuerySet")
    kept = [old is new for old, new in zip(before.body[queryset].body.body, after.body[queryset].body.body)]
    assert kept.count(False) == 3, "the edited method and one on each side"
    assert all(old is new for n, (old, new) in enumerate(zip(before.body, after.body)) if n != queryset)


NEW_FUNCTION = "\n\ndef _typed_{n}(request):\n    return {n}\n"
EDITS = (
    "insert a function between statements",
    "append a function",
    "change a line inside a statement",
    "delete a statement",
    "add a comment line between statements",
    "add an indented comment after a block",
    "add blank lines",
    "break a statement",
    "change the first line",
    "indent the first block differently",
)


def _edit(text: str, kind: str, rng: random.Random, n: int, module: cst.Module | None = None) -> str:
    """``text`` edited as ``kind`` says (``module``: its libcst tree, where the caller has it)."""
    lines = physical_lines(text)
    if not lines:
        return NEW_FUNCTION.format(n=n)
    if module is None:
        module = cst.parse_module(text)
    spans = _spans(module, ast.parse(text), len(lines)) or [(1, len(lines))]
    first, last = spans[rng.randrange(len(spans))]
    if kind == "insert a function between statements":
        return "".join(lines[: first - 1]) + NEW_FUNCTION.format(n=n).lstrip("\n") + "\n\n" + "".join(lines[first - 1 :])
    if kind == "append a function":
        return text + NEW_FUNCTION.format(n=n)
    if kind == "change a line inside a statement":
        row = rng.randrange(first, last + 1)
        line = lines[row - 1]
        return "".join(lines[: row - 1]) + line.rstrip("\r\n") + f"  # edit {n}\n" + "".join(lines[row:]) if line.strip() and not line.rstrip().endswith("\\") else text + "\n"
    if kind == "delete a statement":
        return "".join(lines[: first - 1]) + "".join(lines[last:])
    if kind == "add a comment line between statements":
        return "".join(lines[: first - 1]) + f"# note {n}\n" + "".join(lines[first - 1 :])
    if kind == "add an indented comment after a block":
        return "".join(lines[:last]) + f"    # trailing {n}\n" + "".join(lines[last:])
    if kind == "add blank lines":
        return "".join(lines[:last]) + "\n\n\n" + "".join(lines[last:])
    if kind == "break a statement":
        return "".join(lines[: first - 1]) + "def broken(:\n" + "".join(lines[first - 1 :])
    if kind == "change the first line":
        return "# changed\n" + text
    # indent the first block differently: one space more on every indented line of the file
    return "".join((" " + line) if line[:1] in (" ", "\t") else line for line in lines)


@pytest.mark.parametrize("kind", EDITS)
def test_a_reparsed_edit_is_the_tree_a_whole_parse_gives(kind: str) -> None:
    rng = random.Random(kind)
    reused = made = refused = 0
    for path in _django_files("db/models", "views", "contrib/auth")[::9]:
        memory = ParseMemory()
        text = path.read_text(encoding="utf-8")
        module = memory.parse(str(path), text, ast.parse(text))
        for n in range(3):
            edited = _edit(text, kind, rng, n, module)
            try:
                tree = ast.parse(edited)
            except SyntaxError:
                tree = None
            try:
                whole = cst.parse_module(edited)
            except cst.ParserSyntaxError:
                with pytest.raises(cst.ParserSyntaxError):
                    memory.parse(str(path), edited, tree)
                refused += 1
                continue
            before = memory.reused
            got = memory.parse(str(path), edited, tree)
            # Every field is compared (the module's indent, newline and final
            # newline too), so ``got`` writes out the code ``whole`` does.
            assert same_tree(got, whole), f"{kind}: {path} edit {n}"
            made += 1
            reused += memory.reused - before
            text, module = edited, whole
    assert refused if kind == "break a statement" else made
    if kind == "append a function":
        # All but the files without an indented block (signals.py: a few assignments).
        assert reused >= made * 3 // 4, "typing at the end reuses every statement before"
    elif kind in ("insert a function between statements", "change a line inside a statement", "delete a statement", "add blank lines"):
        # Edits in or above a file's first indented block (its imports) are parsed whole.
        assert reused >= made // 6, "edits below the first block reuse the previous tree"
    if kind in ("change the first line", "indent the first block differently"):
        assert reused == 0, "what the whole file decides is parsed whole"


def _convention(text: str, name: str) -> str:
    if name == "crlf":
        return text.replace("\n", "\r\n")
    if name == "cr":
        return text.replace("\n", "\r")
    # tabs: each four leading spaces a tab
    return "".join("\t" * ((len(line) - len(line.lstrip(" "))) // 4) + line.lstrip(" ") if line.startswith("    ") else line for line in physical_lines(text))


@pytest.mark.parametrize("convention", ["crlf", "cr", "tabs"])
def test_edits_in_the_files_own_newlines_or_indentation_or_not_give_the_whole_parse(convention: str) -> None:
    """The typed text (four spaces, ``\n``) may differ from the file's
    conventions: the nodes that leave the default unsaid must still match."""
    rng = random.Random(convention)
    made = reused = 0
    for path, text, memory in _opened_buffers(_django_files("views")[::2], convention):
        module = None
        for kind in ("append a function", "insert a function between statements", "change a line inside a statement"):
            edited = _edit(text, kind, rng, made, module)
            if convention == "crlf":
                edited = edited.replace("\r\n", "\n").replace("\n", "\r\n")  # typed in the file's newlines
            whole = cst.parse_module(edited)
            before = memory.reused
            got = memory.parse(str(path), edited, ast.parse(edited))
            assert same_tree(got, whole), f"{convention}, {kind}: {path}"
            made += 1
            reused += memory.reused - before
            text, module = edited, whole
    assert made > 20
    if convention == "crlf":
        assert reused, "a file typed in its own conventions reuses the tree"


def test_the_workspace_reports_on_an_edited_buffer_what_a_fresh_analysis_does(tmp_path: Path) -> None:
    views = tmp_path / "app" / "views.py"
    views.parent.mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    views.write_text((FIXTURES / "dja101_sleep.py").read_text(encoding="utf-8"), encoding="utf-8")
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    workspace.lint([str(views)])
    text = views.read_text(encoding="utf-8")
    added = "\n\nasync def added(request):\n    import time\n    time.sleep({})\n"
    more = "\n\nasync def more(request):\n    open('f').read()\n"
    edits = [
        text + added.format(1),
        text + added.format(1) + more,  # typed at the end
        text + added.format(1) + more + "\n\nasync def typing(",  # mid-typing: DJA000, the tree kept
        text + added.format("2, 3") + more,  # changed in a function
        text,  # both removed
    ]
    for edited in edits:
        workspace.set_text(str(views), edited.encode("utf-8"))
        found = workspace.lint([str(views)]).findings
        fresh = Workspace(str(tmp_path), make_settings(), use_cache=False)
        fresh.set_text(str(views), edited.encode("utf-8"))
        assert found == fresh.lint([str(views)]).findings
    assert workspace.analyzer.workers.parses.reused == 3


EDITED_MODULE = """
import asyncio


def first():
    return 0


async def page(request):
    rows = []
    rows = [r for r in rows]
    ticker()
    return rows


async def ticker():
    return 1


def helper(items):
    total = 0
    total = sum(items)
    return total


def middle(items):
    count = 0
    count = len(items)
    return count


def tail(items):
    last = None
    last = items[-1]
    return last
"""


def test_values_computed_from_untouched_functions_serve_the_next_analysis(tmp_path: Path, monkeypatch) -> None:
    """What is computed from a function's own nodes (its statement order, a
    scan of its body) is kept for the functions an edit leaves alone
    (reparse keeps their nodes), and computed again for the one it changes:
    findings as a fresh analysis gives them."""
    from async_lint.analysis import reaching

    computed: list[str] = []
    real_order = reaching.statement_order

    def counting(function):
        computed.append(function.name.value)
        return real_order(function)

    monkeypatch.setattr(reaching, "statement_order", counting)
    views = tmp_path / "app" / "views.py"
    views.parent.mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    text = EDITED_MODULE.lstrip()
    workspace = Workspace(str(tmp_path), make_settings(), use_cache=False)
    recomputed: list[str] = []  # by the workspace's analysis of the last edit

    def lint(edited: str) -> list:
        computed.clear()
        workspace.set_text(str(views), edited.encode("utf-8"))
        found = workspace.lint([str(views)]).findings
        recomputed[:] = computed
        fresh = Workspace(str(tmp_path), make_settings(), use_cache=False)
        fresh.set_text(str(views), edited.encode("utf-8"))
        assert [(f.line, f.code) for f in found] == [(f.line, f.code) for f in fresh.lint([str(views)]).findings]
        return [(f.line, f.code) for f in found]

    assert lint(text) == [(11, "DJA302")]
    assert sorted(recomputed) == ["helper", "middle", "page", "tail"]
    # A function typed at the end: parsed again with the statements next to
    # it (reparse.py's margin); the others' orders are not computed again.
    appended = text + "\n\ndef added(x):\n    y = 1\n    y = x\n    return y\n"
    assert lint(appended) == [(11, "DJA302")]
    assert "added" in recomputed and not {"page", "helper", "middle"} & set(recomputed)
    # ticker() becomes an async generator: its body is scanned again, and the
    # dropped call is no coroutine any more.
    generator = appended.replace("async def ticker():\n    return 1", "async def ticker():\n    yield 1")
    assert lint(generator) == []
    assert "page" in recomputed and not {"tail", "added"} & set(recomputed)
    assert workspace.analyzer.workers.parses.reused >= 2


def test_a_kept_value_serves_only_its_own_node() -> None:
    from async_lint.analysis.context import SubtreeMemo

    memo = SubtreeMemo()
    first, second = cst.Name("a"), cst.Name("b")
    calls: list[str] = []

    def compute(node):
        calls.append(node.value)
        return node.value.upper()

    assert memo.get("kind", first, compute) == "A"
    memo.begin()
    memo.begin()  # an analysis that asked nothing keeps what the one before asked for
    assert memo.get("kind", first, compute) == "A" and calls == ["a"]
    # Another node at the same id (a freed node's id reused) is computed afresh.
    memo._kept[("kind", id(second))] = memo._asked[("kind", id(first))]
    memo.begin()
    assert memo.get("kind", second, compute) == "B" and calls == ["a", "b"]
    # What an analysis did not ask for is gone after the next one.
    memo.begin()
    memo.get("kind", second, compute)
    memo.begin()
    assert memo.get("kind", first, compute) == "A" and calls == ["a", "b", "a"]


def _opened_buffers(files: list[Path] | None = None, convention: str | None = None):
    """(path, text, a ParseMemory that has parsed it) for Django's files
    (by default a sample of its models, views, auth and utils), in a
    ``convention`` of line ends or indentation where given."""
    for path in files if files is not None else _django_files("db/models", "views", "contrib/auth", "utils")[::7]:
        text = path.read_text(encoding="utf-8")
        if convention is not None:
            text = _convention(text, convention)
        memory = ParseMemory()
        memory.parse(str(path), text, ast.parse(text))
        yield path, text, memory


def _line_edit(lines: list[str], rng: random.Random, typed: list[list[str]]) -> tuple[str, int, int]:
    """Lines deleted, copied or swapped, or one of ``typed`` put, at a
    random row: the edited text and the rows changed."""
    start = rng.randrange(1, len(lines))
    stop = min(len(lines), start + rng.randrange(0, 4))
    inserted = rng.choice([[], lines[rng.randrange(len(lines))].splitlines(True), *typed, lines[start:stop][::-1]])
    return "".join(lines[:start] + inserted + lines[(stop if inserted == lines[start:stop][::-1] or not inserted else start) :]), start, stop


def test_random_line_edits_give_the_whole_parse() -> None:
    """Lines deleted, copied, swapped, blank and comment lines put anywhere
    (at a statement's edges too): the tree is the whole parse's, and most
    edits reuse the previous tree (the region runs from the statement before
    the first changed row to the statement after the last)."""
    rng = random.Random(7)
    made = reused = 0
    for path, text, memory in _opened_buffers():
        for _ in range(10):
            lines = physical_lines(text)
            if len(lines) < 5:
                break
            edited, start, stop = _line_edit(lines, rng, [["\n", "\n"], ["# note\n"], ["    # note\n"]])
            try:
                tree = ast.parse(edited)
                whole = cst.parse_module(edited)
            except (SyntaxError, ValueError, cst.ParserSyntaxError):
                continue
            before = memory.reused
            assert same_tree(memory.parse(str(path), edited, tree), whole), f"{path}: rows {start}-{stop}"
            made += 1
            reused += memory.reused - before
            text = edited
    assert made > 100 and reused > made // 3


def _python_tree(text: str) -> str | tuple[str, int, int]:
    from async_lint.source import python_parse

    tree, error = python_parse(text)
    return ast.dump(tree, include_attributes=True) if tree is not None else (error.message, error.line, error.column)


def test_a_python_tree_made_from_the_previous_one_is_the_whole_parse() -> None:
    """CPython's tree of an edited buffer, made from the previous one and a
    parse of the changed statements (``python_reparse``), is the whole
    parse's, positions included; an edit that breaks the file gets the
    whole parse's error."""
    rng = random.Random(11)
    made = reused = broken = 0
    for path, text, memory in _opened_buffers():
        module = None  # the libcst tree of ``text``, once parsed here
        for n in range(12):
            lines = physical_lines(text)
            if n % 2 and len(lines) >= 5:
                edited, _, _ = _line_edit(lines, rng, [["\n"], ["# note\n"], ["    # note\n"], ["    x = 1\n"], ["else:\n"], ["x = (\n"]])
            elif n % 4 == 0 and lines:
                row = rng.randrange(len(lines)) + 1  # typed within a line: the rows stay
                edited = "".join(lines[: row - 1]) + lines[row - 1].rstrip("\r\n") + rng.choice([" + 1", "  # typed", "(", ":"]) + "\n" + "".join(lines[row:])
            else:
                edited = _edit(text, rng.choice(EDITS), rng, n, module)
            before = memory.python_reused
            tree, error = memory.python_parse(str(path), edited)
            got = ast.dump(tree, include_attributes=True) if tree is not None else (error.message, error.line, error.column)
            assert got == _python_tree(edited), f"{path}: edit {n}"
            reused += memory.python_reused - before
            made += 1
            if tree is None:
                broken += 1
                continue
            try:
                module = memory.parse(str(path), edited, tree)
            except cst.ParserSyntaxError:
                continue
            text = edited
    assert made > 100 and broken and reused > made // 3


@pytest.mark.parametrize(
    ("text", "edited"),
    [
        # Two statements on a row, the second's rows changed: parsed together.
        ("def f():\n    pass\n\n\nx = 1; y = (\n    2)\nz = 3\n", "def f():\n    pass\n\n\nx = 1; y = (\n    20)\nz = 3\n"),
        # A statement of the kept tail on the last changed statement's row.
        ("def f():\n    pass\n\n\nx = (\n    1); y = 2\nz = 3\n", "def f():\n    pass\n\n\nx = (\n    10); y = 2\nz = 3\n"),
        # A row typed below a block is that block's (the region alone does not parse).
        ("def f():\n    pass\n\n\nz = 3\n", "def f():\n    pass\n    x = 1\n\nz = 3\n"),
        ("if a:\n    pass\nz = 3\n", "if a:\n    pass\nelse:\n    pass\nz = 3\n"),
    ],
)
def test_a_python_tree_made_from_the_previous_one_keeps_logical_lines_whole(text: str, edited: str) -> None:
    memory = ParseMemory()
    memory.parse("m.py", text, ast.parse(text))
    tree, error = memory.python_parse("m.py", edited)
    assert error is None and ast.dump(tree, include_attributes=True) == ast.dump(ast.parse(edited), include_attributes=True)


@pytest.mark.parametrize("convention", ["crlf", "cr", "tabs"])
def test_a_python_tree_made_from_the_previous_one_in_the_files_conventions(convention: str) -> None:
    """The same in files with CRLF or CR line ends, or indented with tabs."""
    rng = random.Random(convention)
    made = reused = 0
    for path, text, memory in _opened_buffers(_django_files("views")[::2], convention):
        module = None  # the libcst tree of ``text``, once parsed here
        for n in range(4):
            edited = _edit(text, rng.choice(EDITS), rng, n, module)
            if convention in ("crlf", "cr"):  # typed in the file's line ends
                edited = edited.replace("\r\n", "\n").replace("\n", "\r\n" if convention == "crlf" else "\r")
            before = memory.python_reused
            tree, error = memory.python_parse(str(path), edited)
            got = ast.dump(tree, include_attributes=True) if tree is not None else (error.message, error.line, error.column)
            assert got == _python_tree(edited), f"{convention}: {path} edit {n}"
            made += 1
            reused += memory.python_reused - before
            if tree is not None:
                try:
                    module = memory.parse(str(path), edited, tree)
                except cst.ParserSyntaxError:
                    continue
                text = edited
    assert made > 20 and reused > made // 3
