"""The fast walk visits exactly libcst's nodes in exactly libcst's order."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from async_lint.analysis.context import FileContext
from async_lint.checks.base import Check
from async_lint.traversal import FileTraversal
from async_lint.walk import _field_order, visit_fast, walk

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.joinpath("async_lint").rglob("*.py"), *ROOT.joinpath("tests", "fixtures").rglob("*.py"), *ROOT.joinpath("examples").rglob("*.py")])


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("enter", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


EXTRA = """
from . import a, b as c
from .m import *
x: int = 1; y += 2; del x
f"{a!r:>{width}} text {b}"
async def g(*args, a, b=1, **kw) -> None:
    async with a as (b, c), d:
        async for i in j:
            yield [k async for k in l if k] or {m: n for m, n in o}
    match p:
        case [1, *rest] if rest: pass
        case {"k": v, **others}: pass
        case Point(x=0) | None: pass
    try:
        raise E from e
    except* ValueError as err:
        pass
    lambda q, /, r=2: (yield)
    global z
    return t[1:2, ::3]
class C(Base, metaclass=M):
    @deco(1)
    def h(self): ...
"""


@pytest.mark.parametrize("source", [*SOURCES, "extra"], ids=lambda p: p if isinstance(p, str) else str(p.relative_to(ROOT)))
def test_walk_matches_libcst_visit(source) -> None:
    text = EXTRA if source == "extra" else source.read_text(encoding="utf-8")
    module = cst.parse_module(text)
    expected, actual = _Recorder(), _Recorder()
    module.visit(expected)
    walk(module, actual.on_visit, actual.on_leave, actual)
    assert actual.events == expected.events


def test_every_node_class_has_a_readable_order() -> None:
    # A class that cannot be read falls back to libcst's slower visit: none should.
    classes = [c for c in vars(cst).values() if isinstance(c, type) and issubclass(c, cst.CSTNode) and not getattr(c, "__abstractmethods__", None)]
    unreadable = [c.__name__ for c in classes if _field_order(c) is None]
    assert not unreadable, unreadable


def test_the_order_read_from_a_method_s_lines_is_inspect_s() -> None:
    """The visit order is read from a method's lines as its code object
    gives them: the same text ``inspect.getsource`` reads, for every node class."""
    import inspect

    from async_lint.walk import _method_source

    classes = [c for c in vars(cst).values() if isinstance(c, type) and issubclass(c, cst.CSTNode) and "_visit_and_replace_children" in vars(c)]
    assert len(classes) > 100
    for node_class in classes:
        method = node_class._visit_and_replace_children
        assert _method_source(method).rstrip() == inspect.getsource(method).rstrip(), node_class.__name__


class _LeafAndCallRecorder(cst.CSTVisitor):
    """Handlers for leaf classes (a comment, whitespace) and for a class with
    children: ``visit_fast`` must still call every one of them."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.events.append(("comment", id(node)))

    def leave_SimpleWhitespace(self, original_node: cst.SimpleWhitespace) -> None:
        self.events.append(("whitespace", id(original_node)))

    def visit_Call(self, node: cst.Call) -> None:
        self.events.append(("call", id(node)))


class _CallRecorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[int] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.events.append(id(node))


@pytest.mark.parametrize("visitor_type", [_LeafAndCallRecorder, _CallRecorder])
def test_visit_fast_calls_the_handlers_libcst_visit_calls(visitor_type) -> None:
    module = cst.parse_module(EXTRA + "x = f(  1)  # a comment\n")
    expected, actual = visitor_type(), visitor_type()
    module.visit(expected)
    visit_fast(module, actual)
    assert actual.events == expected.events
    assert actual.events


class _CommentCheck(Check):
    """A check with a handler for a leaf class: the traversal must enter the
    comment (it passes over leaves nothing handles) with the right context."""

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.seen: list[tuple[str, str | None, str | None]] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        function = self.ctx.current_function
        self.seen.append((node.value, function.name if function is not None else None, type(self.ctx.parent).__name__ if self.ctx.parent is not None else None))


def test_traversal_enters_leaves_a_check_handles() -> None:
    module = cst.parse_module("# top\ndef f():\n    x = 1  # in f\n    return lambda: x  # lambda\n")
    ctx = FileContext(path="m.py", module=module, source=None, enabled=frozenset())
    check = _CommentCheck(ctx)
    traversal = FileTraversal(ctx, [check])
    walk(module, traversal.on_visit, traversal.on_leave, traversal)
    assert check.seen == [("# top", None, "EmptyLine"), ("# in f", "f", "TrailingWhitespace"), ("# lambda", "f", "TrailingWhitespace")]
    assert ctx.stack == [] and ctx.scope is ctx.module_scope


def test_a_files_analysis_leaves_no_cycles_for_the_garbage_collector() -> None:
    """The analyses a file's checks share hold its context; once its results
    are made they are dropped, so the file's context, scopes and bindings go
    by reference count. Left in cycles, they cost a language server a
    collection pause every few edits (26 ms on Django's query.py)."""
    import gc
    import os

    import django

    from async_lint.file_analysis import analyze_source
    from async_lint.source import decode_source
    from tests.helpers import FIXTURES, make_settings

    paths = [os.path.join(os.path.dirname(django.__file__), "db", "models", "query.py"), *map(str, sorted(FIXTURES.glob("*.py")))]
    settings = make_settings()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for path in paths:
            with open(path, "rb") as fh:
                analyze_source(path, decode_source(path, fh.read()), settings)
        gc.collect()
        left = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    # (The standard library's ast.literal_eval leaves a few closures of its own.)
    assert not left & {"FileContext", "Scope", "Binding", "FunctionInfo", "DjangoInference", "CoroutineEvidence", "ClassRegistry", "ClassFacts"}, left


def test_layout_is_whitespace_and_the_punctuation_that_holds_it() -> None:
    from async_lint.walk import layout_type

    for node_class in (
        cst.Comma,
        cst.Dot,
        cst.Colon,
        cst.AssignEqual,
        cst.Add,
        cst.NotIn,
        cst.LeftParen,
        cst.RightSquareBracket,
        cst.TrailingWhitespace,
        cst.EmptyLine,
        cst.ParenthesizedWhitespace,
        cst.SimpleWhitespace,
        cst.Comment,
    ):
        assert layout_type(node_class), node_class.__name__
    for node_class in (cst.Name, cst.SimpleString, cst.Integer, cst.Attribute, cst.Arg, cst.Call, cst.Param, cst.Subscript, cst.SimpleStatementLine):
        assert not layout_type(node_class), node_class.__name__


class _Events(_Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.layout_below_layout: list[str] = []
        self._inside_layout = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        from async_lint.walk import layout_type

        if self._inside_layout and not layout_type(type(node)):
            self.layout_below_layout.append(type(node).__name__)
        self._inside_layout += layout_type(type(node))
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        from async_lint.walk import layout_type

        self._inside_layout -= layout_type(type(original_node))
        super().on_leave(original_node)


@pytest.mark.parametrize("source", [*SOURCES[::7], "extra"], ids=lambda p: p if isinstance(p, str) else str(p.relative_to(ROOT)))
def test_a_walk_without_layout_visits_the_other_nodes_in_libcst_s_order(source) -> None:
    """Below a layout node there is only layout, so a walk that passes over
    layout leaves out exactly the layout nodes of libcst's visit."""
    from async_lint.walk import layout_type

    text = EXTRA if source == "extra" else source.read_text(encoding="utf-8")
    module = cst.parse_module(text + "x = (a  ,  b) [ 1 ] + - c  # trailing\n")
    everything, passed = _Events(), _Recorder()
    module.visit(everything)
    assert not everything.layout_below_layout
    kinds = {}
    module.visit(_Kinds(kinds))
    walk(module, passed.on_visit, passed.on_leave, passed, layout=False)
    assert passed.events == [event for event in everything.events if not layout_type(kinds[event[1]]) or event[1] == id(module)]
    assert len(passed.events) < len(everything.events)


class _Kinds(cst.CSTVisitor):
    def __init__(self, kinds: dict[int, type]) -> None:
        super().__init__()
        self.kinds = kinds

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.kinds[id(node)] = type(node)
        return True


class _CommaCheck(Check):
    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.seen: list[str] = []

    def visit_Comma(self, node: cst.Comma) -> None:
        self.seen.append(type(self.ctx.parent).__name__)


def test_traversal_enters_layout_a_check_handles() -> None:
    module = cst.parse_module("f(a, b)\nx = [1, 2]\n")
    ctx = FileContext(path="m.py", module=module, source=None, enabled=frozenset())
    check = _CommaCheck(ctx)
    FileTraversal(ctx, [check]).run(module)
    assert check.seen == ["Arg", "Element"]
    assert ctx.stack == [] and ctx.scope is ctx.module_scope
