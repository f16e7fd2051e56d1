"""The cheap positions (from CPython's parser) equal libcst's PositionProvider
for the nodes they cover: calls, the names of def/class statements,
attribute reads, subscripts, comparisons and names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
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
    cheap = resolve_positions(module, SOURCE, collect.nodes, ordinals)
    assert not isinstance(cheap, dict) and type(cheap).__name__ == "_AstPositions"
    exact = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for node in collect.nodes:
        assert cheap.get(node) == exact[node], cst.Module([]).code_for_node(node)


# Attribute reads, subscripts, comparisons, names, assignments and dict
# elements in the places where one tree has a node the other has not (a keyword's name, ``a.b``'s ``b``,
# ``except ... as``, patterns, constants), nested where two start together.
KEYED_SOURCE = textwrap.dedent(
    """\
    import os.path as osp
    from a.b import c as d


    def f(x, *args, flag=None, **kw):
        global g
        y = x.attr.attr[0][1] < (x.attr).other <= len(args)
        z = (y.q)[x] if x.attr is not None else kw["k"]
        with open(x) as handle, ctx() as (p, q):
            pass
        try:
            pass
        except (OSError, ValueError) as error:
            print(error, sep=x.sep, end=f"{x.attr!r:>{width.n}} {y}")
        match y:
            case Point(x=0, y=yy) | [1, *rest] if rest:
                pass
            case {"k": v, **others}:
                pass
            case osp.sep as sep:
                pass
        call(lambda a, b=x.attr: a[b], key=x)
        settings = {"a": 1, ("b"): {"c": [1]}, **kw, "d": {"e": x.attr},}; a = b = (y)
        if (n := len(y)) > 1 and not True and None is False:
            return [i.v for i in x.items if i.v[0] == n]
        return x.attr.attr, y, osp.join, d, Café.ménage, None.__class__


    async def h(x):
        # Awaits: nested, parenthesized, in a comprehension and an f-string.
        v = await (await x.open())
        w = (await x.read()).strip() + (
            await x.close()
        )
        return [await i for i in v], f"{await x.name()}", w
    """
)


def _collected(text: str):
    from async_lint.analysis.context import FileContext
    from async_lint.source import decode_source, parse_source
    from async_lint.summary import SummaryCollector
    from async_lint.traversal import FileTraversal

    source = decode_source("m.py", text.encode("utf-8"))
    module = parse_source(source)
    ctx = FileContext(path="m.py", module=module, source=source, enabled=frozenset())
    collector = SummaryCollector(ctx)
    FileTraversal(ctx, [collector]).run(module)
    return source, module, collector.call_ordinals


def _every_numbered_node_placed_as_libcst_places_it(text: str) -> int:
    """CPython's positions are used for every node the traversal numbered,
    and equal libcst's; the number of nodes compared."""
    source, module, ordinals = _collected(text)
    exact = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    numbered = {*ordinals.ordinal, *ordinals.def_ordinal, *ordinals.keyed_ordinal}
    nodes = [node for node in exact if id(node) in numbered]
    cheap = resolve_positions(module, text, nodes, ordinals, tree=source.python_tree)
    assert type(cheap).__name__ == "_AstPositions"
    for node in nodes:
        assert cheap.get(node) == exact[node], (type(node).__name__, module.code_for_node(node))
    return len(nodes)


def test_attributes_subscripts_comparisons_and_names_are_placed_as_libcst_places_them() -> None:
    _source, _module, ordinals = _collected(KEYED_SOURCE)
    kinds = {key[0] for key in ordinals.keyed_count}
    assert kinds == {"a", "s", "c", "n", "=", "d", "w"}
    assert ordinals.keyed_count[("w",)] == 6
    # Five ``key: value`` elements, the parenthesized key's counted but left to libcst.
    assert ordinals.keyed_count[("d",)] == 5 and sum(key == ("d",) for key, _ in ordinals.keyed_ordinal.values()) == 4
    # Not numbered: a keyword's name, ``except ... as``'s name, pattern
    # captures, ``global`` names, parameters, constants, imported names.
    for word in ("sep", "error", "yy", "rest", "others", "g", "flag", "True", "None", "c", "osp"):
        numbered = ordinals.keyed_count.get(("n", word), 0)
        # Numbered: ``print(error, ...)``; the guard ``if rest``; ``case osp.sep``, ``osp.join``.
        expected = {"error": 1, "rest": 1, "osp": 2}.get(word, 0)
        assert numbered == expected, word
    assert ordinals.keyed_count[("a", None, "attr")] == 2 and ordinals.keyed_count[("a", "x", "attr")] == 7
    assert _every_numbered_node_placed_as_libcst_places_it(KEYED_SOURCE) > 60


_ROOT = Path(__file__).resolve().parent.parent
_CORPUS = sorted([*_ROOT.joinpath("tests", "fixtures").rglob("*.py"), *_ROOT.joinpath("examples").rglob("*.py"), *_ROOT.joinpath("async_lint").rglob("*.py")])


@pytest.mark.parametrize("chunk", range(4))
def test_every_numbered_node_of_the_corpus_is_placed_as_libcst_places_it(chunk: int) -> None:
    """The fixtures, the example project and this project's own modules: no
    file whose two trees number a kind of node differently, no node placed
    elsewhere than libcst places it."""
    import ast

    compared = 0
    for path in _CORPUS[chunk::4]:
        text = path.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # the fixtures of broken files
        compared += _every_numbered_node_placed_as_libcst_places_it(text)
    assert compared > 5000
