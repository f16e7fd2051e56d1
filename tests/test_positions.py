"""The cheap positions (from CPython's parser) equal libcst's PositionProvider
for the nodes they cover: calls, and the names of def/class statements."""

from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from async_lint.positions import CallOrdinals, resolve_positions

SOURCE = textwrap.dedent(
    '''\
    import functools


    @functools.lru_cache(maxsize=None)
    def first(x):
        return str(len(x))


    class Café(object):
        """Non-ASCII names shift byte offsets."""

        async   def  ménage(self, y=print("default")):
            def inner(): return max(1, 2)
            return inner()

        class Meta: pass


    async def last():
        return [f(a) for f in (first,) for a in ("x", "yy")]
    '''
)


class _Collect(cst.CSTVisitor):
    def __init__(self, ordinals: CallOrdinals):
        self.ordinals = ordinals
        self.nodes: list[cst.CSTNode] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.ordinals.add(node)
        self.nodes.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ordinals.add_def(node)
        self.nodes.append(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ordinals.add_def(node)
        self.nodes.append(node.name)


def test_cheap_positions_equal_libcst_positions() -> None:
    module = cst.parse_module(SOURCE)
    ordinals = CallOrdinals()
    collect = _Collect(ordinals)
    module.visit(collect)
    assert ordinals.def_count == 6 and ordinals.count >= 7
    cheap = resolve_positions(module, SOURCE, collect.nodes, ordinals, exact=False)
    assert not isinstance(cheap, dict) and type(cheap).__name__ == "_AstPositions"
    exact = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for node in collect.nodes:
        assert cheap.get(node) == exact[node], cst.Module([]).code_for_node(node)
