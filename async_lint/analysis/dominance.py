"""Whether an expression already evaluated always ran before a later point.

A rule that reports an expression which loads something once (the lazy
``request.user``: the first read runs the query, the later ones read the
cache, and when the first one raised the later ones never run) reports the
first load on a path, not each read after it.  ``EvaluatedPoint`` records
where such an expression was evaluated, from the traversal's stack of nodes
(the function's node first, the expression last); ``dominates`` tells whether
a later point, by its stack, runs only after it.

Read conservatively: a point after the first one in the same block (or in a
block holding it, where the first one is not inside a branch, a loop body, a
``try``, a lambda, a comprehension, a short-circuited or conditional operand),
or in the body of the ``if``/``while``/``for``/``with`` whose header holds it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from async_lint import lazy_libcst

cst = lazy_libcst.bind(globals())

# Nodes whose ``body`` lists statements in the order they run.
_CONTAINERS = frozenset({"IndentedBlock", "Module", "SimpleStatementLine", "SimpleStatementSuite"})
# Compound statements: the fields their header is evaluated from, before any of their suites.
_HEADERS = {"If": ("test",), "While": ("test",), "For": ("target", "iter"), "With": ("items",)}
# Expressions whose operands may not run: the right of ``and``/``or``, a
# conditional expression's branches, and code that runs later or not at all.
_DEFERRED = frozenset({"Lambda", "ListComp", "SetComp", "DictComp", "GeneratorExp", "FunctionDef", "ClassDef"})


@dataclass
class EvaluatedPoint:
    """Where an expression was evaluated: the blocks holding it with the
    position of what holds it there, and the compound statements whose
    header holds it, each only where every enclosing step below always runs."""

    blocks: dict[int, int] = field(default_factory=dict)
    headers: set[int] = field(default_factory=set)

    @classmethod
    def at(cls, stack: list) -> "EvaluatedPoint":
        point = cls()
        for parent, child in reversed(list(itertools.pairwise(stack))):
            kind = type(parent).__name__
            if kind in _CONTAINERS:
                point.blocks[id(parent)] = _position(parent, child)
            elif kind in _HEADERS:
                if not _in_header(parent, child):
                    break  # in a suite: runs only on some paths
                point.headers.add(id(parent))
            elif kind in _DEFERRED or kind in ("Try", "TryStar", "Match", "Else", "ExceptHandler", "Finally"):
                break
            elif kind == "BooleanOperation" and child is parent.right:
                break
            elif kind == "IfExp" and child is not parent.test:
                break
        return point

    def dominates(self, stack: list) -> bool:
        """A point whose stack is ``stack`` runs only after this one ran."""
        for parent, child in itertools.pairwise(stack):
            kind = type(parent).__name__
            if kind in _CONTAINERS:
                index = self.blocks.get(id(parent))
                if index is not None and _position(parent, child) > index:
                    return True
            elif id(parent) in self.headers and not _in_header(parent, child):
                return True
        return False


def _position(container, child) -> int:
    for index, item in enumerate(container.body):
        if item is child:
            return index
    return -1


def _in_header(statement, child) -> bool:
    fields = _HEADERS[type(statement).__name__]
    for name in fields:
        value = getattr(statement, name)
        if value is child or (isinstance(value, (list, tuple)) and any(item is child for item in value)):
            return True
    return False
