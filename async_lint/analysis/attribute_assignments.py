"""What ``receivers._attribute_assignments`` finds in one function body:
the ``<name>.<attr> = value`` statements, not those of nested defs.

An assignment is a statement (``=``, annotated, augmented), a ``for``
target or a ``with ... as`` target; none of them can sit inside an
expression, so only the statements are walked, in libcst's visiting order,
not the expressions that make up most of a body's nodes (a class's methods
are all read once per class, by several rules).  Imported where it is used
(lazy_libcst.py: a run served from the cache imports no libcst).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from async_lint.walk import children

Found = list[tuple[Any, Any, Any]]  # (statement, the Attribute target, the value or None)


def attribute_assignments(body: cst.BaseSuite) -> Found:
    found: Found = []
    _suite(body, found)
    return found


def _suite(suite: cst.CSTNode, found: Found) -> None:
    for statement in suite.body:
        kind = type(statement)
        if kind is cst.SimpleStatementLine:
            for small in statement.body:
                _small(small, found)
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            continue  # a nested def's assignments are its own
        else:
            _small(statement, found)  # a small statement of ``if x: a.b = 1``'s suite, or a compound one


def _small(node: cst.CSTNode, found: Found) -> None:
    kind = type(node)
    if kind is cst.Assign:
        for target in node.targets:
            if type(target.target) is cst.Attribute:
                found.append((node, target.target, node.value))
            elif type(target.target) in (cst.Tuple, cst.List):
                for element in target.target.elements:
                    if type(element.value) is cst.Attribute:
                        found.append((node, element.value, None))
    elif kind is cst.AnnAssign:
        if type(node.target) is cst.Attribute:
            found.append((node, node.target, node.value))
    elif kind is cst.AugAssign:
        if type(node.target) is cst.Attribute:
            found.append((node, node.target, None))
    elif isinstance(node, cst.BaseCompoundStatement):
        _compound(node, found)


def _compound(node: cst.CSTNode, found: Found) -> None:
    """A compound statement's own targets, then its clauses' statements,
    in libcst's order (a ``for`` target before its body, ``with`` items
    before theirs, an ``elif`` after its ``if``'s body)."""
    if type(node) is cst.For and type(node.target) is cst.Attribute:
        found.append((node, node.target, None))
    for child in children(node):
        kind = type(child)
        if kind is cst.WithItem:
            if child.asname is not None and type(child.asname.name) is cst.Attribute:
                found.append((child, child.asname.name, child.item))
        elif isinstance(child, cst.BaseSuite):
            _suite(child, found)
        elif isinstance(child, _CLAUSES):
            _compound(child, found)


# What a compound statement holds besides expressions and suites: its
# clauses, each with statements of its own (an ``elif`` is an If).
_CLAUSES = (cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.If, cst.MatchCase)
