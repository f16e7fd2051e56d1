"""The fast walk visits exactly libcst's nodes in exactly libcst's order."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from async_lint.walk import _field_order, walk

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
