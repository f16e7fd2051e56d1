"""The scans of a function body's attribute assignments walk its statements
only and find what a visit of every node finds: ``attribute_assignments``
(each ``<name>.<attr> = value``: plain, annotated, augmented, tuple, ``for``
and ``with ... as`` targets, in the same order, none of a nested def's) and
the coroutine rules' ``SelfAssignments``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from async_lint.analysis.attribute_assignments import attribute_assignments

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*ROOT.joinpath("tests", "fixtures").rglob("*.py"), *ROOT.joinpath("examples").rglob("*.py"), *ROOT.joinpath("async_lint").rglob("*.py")])


class _EveryNode(cst.CSTVisitor):
    """The visit the walk replaces: every node, nested defs left out."""

    def __init__(self) -> None:
        self.found: list = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Attribute):
                self.found.append((node, target.target, node.value))
            elif isinstance(target.target, (cst.Tuple, cst.List)):
                for element in target.target.elements:
                    if isinstance(element.value, cst.Attribute):
                        self.found.append((node, element.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Attribute):
            self.found.append((node, node.target, node.value))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Attribute):
            self.found.append((node, node.target, None))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Attribute):
            self.found.append((node, node.asname.name, node.item))

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Attribute):
            self.found.append((node, node.target, None))


TRICKY = textwrap.dedent(
    """\
    class C:
        def m(self, other):
            self.a = 1
            self.b: int = 2; self.c += 3
            self.d, [self.e, x] = pair
            if x: self.f = 4
            elif y:
                for self.g in items:
                    self.h = 5
                else:
                    self.i = 6
            else:
                while z:
                    with open(p) as self.j, lock as (self.k):
                        self.l = 7
                else:
                    self.m = 8
            try:
                self.n = 9
            except E:
                self.o = 10
            else:
                self.p = 11
            finally:
                self.q = 12
            match x:
                case 1:
                    self.r = 13
            async def inner():
                self.s = 14
                async for self.t in agen():
                    pass
                async with ctx() as self.u:
                    pass
            class Nested:
                attr = self.v = 15
            other.w = lambda: self.x
            self.y = [self.z for self.z in ()]
    """
)


def _bodies(module: cst.Module) -> list[cst.BaseSuite]:
    bodies: list[cst.BaseSuite] = []

    class Defs(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            bodies.append(node.body)

    module.visit(Defs())
    return bodies


def _same(text: str | cst.Module) -> int:
    compared = 0
    for body in _bodies(cst.parse_module(text) if isinstance(text, str) else text):
        expected = _EveryNode()
        body.visit(expected)
        assert attribute_assignments(body) == expected.found
        compared += len(expected.found)
    return compared


def test_every_kind_of_target_in_every_clause() -> None:
    assert _same(TRICKY) == 22  # all but ``self.e``, nested a level deeper in its tuple target


def _parsed(paths: list[Path]):
    """The libcst trees of the files that parse (the fixtures of broken files do not)."""
    for path in paths:
        try:
            yield cst.parse_module(path.read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:
            continue


class _EveryNodeSelfAssignments(cst.CSTVisitor):
    """What ``SelfAssignments`` finds, by a visit of every node."""

    def __init__(self) -> None:
        from async_lint.checks._coroutine_scans import SelfAssignments

        self.inner = SelfAssignments()

    def visit_Assign(self, node: cst.Assign) -> None:
        self.inner.visit_Assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.inner.visit_AnnAssign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.inner.visit_AugAssign(node)


def _self_values(values: dict) -> dict:
    # An unpacked or augmented store records a fresh ``...``: compared by kind.
    return {attr: [id(v) if type(v) is not cst.Ellipsis else "..." for v in found] for attr, found in values.items()}


def _same_self_assignments(module: cst.Module) -> int:
    from async_lint.checks._coroutine_scans import SelfAssignments
    from async_lint.walk import visit_fast

    compared = 0
    for body in _bodies(module):
        pruned, every = SelfAssignments(), _EveryNodeSelfAssignments()
        visit_fast(body, pruned)
        body.visit(every)
        assert _self_values(pruned.values) == _self_values(every.inner.values)
        compared += sum(map(len, pruned.values.values()))
    return compared


def test_the_coroutine_rules_self_assignments_visit_statements_only() -> None:
    assert _same_self_assignments(cst.parse_module(TRICKY)) > 10


@pytest.mark.parametrize("chunk", range(2))
def test_the_corpus_function_bodies(chunk: int) -> None:
    """Both scans on every function body of the fixtures, the example project
    and this project's own modules (each file parsed once for both)."""
    assignments = self_assignments = 0
    for module in _parsed(CORPUS[chunk::2]):
        assignments += _same(module)
        self_assignments += _same_self_assignments(module)
    assert assignments > 100 and self_assignments > 100
