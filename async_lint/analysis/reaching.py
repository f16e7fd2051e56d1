"""Which assignments of a name can reach a use of it, inside one function.

``qs = Post.objects.all()`` then ``qs = list(qs)``: after the second line
``qs`` is a list, not a QuerySet.  Merging every binding of a name would make
it unknown everywhere (and miss the evaluation before the reassignment);
taking them in order gives each use the value it really has.

This is a cheap approximation of reaching definitions over the statement
tree, not a control-flow graph: walking back from the use, the bindings
before it are taken until one whose block encloses the use (it runs on every
path to the use and hides the ones before it).  Inside a loop, bindings
later in the same loop reach the use too (the next iteration).  Anything it
cannot place keeps all the bindings, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.walk import NESTED_SCOPE_NAMES, children

cst = lazy_libcst.bind(globals())

# (statement index in source order, the blocks that enclose it, innermost last)
Place = tuple[int, tuple[int, ...]]


@dataclass
class StatementOrder:
    places: dict[int, Place]
    loop_blocks: frozenset[int]
    # The bodies of ``with`` statements: whatever runs after such a
    # statement ran its body first (unless it raised).
    with_blocks: frozenset[int] = frozenset()
    # The nodes of a ``while`` statement's test -> its body: the test runs
    # again after each pass, so the body's bindings reach it too.
    loop_tests: dict[int, int] | None = None

    def _loops_around(self, use: cst.CSTNode, use_path: tuple[int, ...]) -> list[int]:
        loops = [block for block in use_path if block in self.loop_blocks]
        if self.loop_tests:
            body = self.loop_tests.get(id(use))
            if body is not None:
                loops.append(body)
        return loops

    def loop_carried(self, binding: cst.CSTNode, use: cst.CSTNode) -> bool:
        """``binding``'s statement is in a loop around ``use`` and comes
        after it: it reaches ``use`` only on the loop's next pass."""
        where, place = self.places.get(id(use)), self.places.get(id(binding))
        if where is None or place is None or place[0] < where[0]:
            return False
        return any(loop in place[1] for loop in self._loops_around(use, where[1]))

    def reaching(self, bindings: list, use: cst.CSTNode) -> list:
        where = self.places.get(id(use))
        if where is None or len(bindings) < 2:
            return bindings
        placed = []
        for binding in bindings:
            place = self.places.get(id(binding.node))
            if place is None:
                if isinstance(binding.node, cst.Param):
                    place = (-1, ())
                else:
                    return bindings
            placed.append((place, binding))
        use_index, use_path = where
        out = []
        for (_index, path), binding in sorted((p for p in placed if p[0][0] < use_index), key=lambda p: -p[0][0]):
            out.append(binding)
            if use_path[: len(path)] == path:
                break  # encloses the use: every path to the use runs it
        loops = self._loops_around(use, use_path)
        if loops:
            for (index, path), binding in placed:
                if index >= use_index and any(loop in path for loop in loops) and binding not in out:
                    out.append(binding)
        return out or bindings

    def runs_before(self, earlier: cst.CSTNode, later: cst.CSTNode) -> bool:
        """``earlier``'s statement runs, whole, on every path to ``later``'s
        (a statement before it in its block or an enclosing one; a ``with``
        body runs whole before what follows the ``with``)."""
        place, use = self.places.get(id(earlier)), self.places.get(id(later))
        if place is None or use is None or place[0] >= use[0]:
            return False
        path = place[1]
        while path and path[-1] in self.with_blocks and use[1][: len(path)] != path:
            path = path[:-1]
        return use[1][: len(path)] == path


# Classes of the statement tree, tested by name (they have no subclasses):
# isinstance against libcst's ABCs goes through abc each time, and a
# constant of libcst's classes would import libcst with this module.
_SUITES = frozenset({"IndentedBlock", "SimpleStatementSuite"})
_BRANCHES = frozenset({"If", "ExceptHandler", "ExceptStarHandler", "MatchCase"})
# Per statement class: a simple statement (marked whole)?  Remembered, as
# BaseSmallStatement is an ABC.
_SIMPLE: dict[type, bool] = {}


def statement_order(function: cst.CSTNode) -> StatementOrder:
    """Places of every node of a function body (not of nested defs and classes)."""
    places: dict[int, Place] = {}
    loop_blocks: set[int] = set()
    with_blocks: set[int] = set()
    loop_tests: dict[int, int] = {}
    counter = 0

    def mark(node: cst.CSTNode, place: Place, loop: int | None = None) -> None:
        """``loop``: the body of the ``while`` whose test ``node`` is (``loop_tests``)."""
        stack = [node]
        while stack:
            current = stack.pop()
            places[id(current)] = place
            if loop is not None:
                loop_tests[id(current)] = loop
            if type(current).__name__ in NESTED_SCOPE_NAMES and current is not node:
                continue
            stack.extend(children(current))

    def block(suite: cst.CSTNode, path: tuple[int, ...]) -> None:
        nonlocal counter
        body = suite.body if type(suite).__name__ in _SUITES else ()
        for statement in body:
            counter += 1
            place = (counter, path)
            kind = type(statement)
            simple = _SIMPLE.get(kind)
            if simple is None:
                simple = _SIMPLE[kind] = issubclass(kind, (cst.SimpleStatementLine, cst.BaseSmallStatement))
            if simple:
                mark(statement, place)
                continue
            if kind is cst.FunctionDef or kind is cst.ClassDef:
                places[id(statement)] = place
                for decorator in statement.decorators:
                    mark(decorator, place)
                continue
            compound(statement, path, place)

    def compound(statement: cst.CSTNode, path: tuple[int, ...], place: Place) -> None:
        places[id(statement)] = place
        is_loop = type(statement) is cst.For or type(statement) is cst.While
        for child in children(statement):
            kind = type(child)
            if kind.__name__ in _SUITES:
                inner = path + (id(child),)
                if is_loop and child is statement.body:  # type: ignore[attr-defined]
                    loop_blocks.add(id(child))
                elif type(statement) is cst.With and child is statement.body:  # type: ignore[attr-defined]
                    with_blocks.add(id(child))
                block(child, inner)
            elif kind is cst.Else or kind is cst.Finally:
                inner = path + (id(child),)
                block(child.body, inner)
            elif kind.__name__ in _BRANCHES:
                # elif / except / case: a branch of its own
                inner = path + (id(child),)
                compound(child, inner, (place[0], inner))
            else:
                is_test = type(statement) is cst.While and child is statement.test  # type: ignore[attr-defined]
                mark(child, place, id(statement.body) if is_test else None)  # type: ignore[attr-defined]

    body = getattr(function, "body", None)
    if body is not None:
        block(body, ())
    return StatementOrder(places, frozenset(loop_blocks), frozenset(with_blocks), loop_tests or None)


def reaching_bindings(ctx, scope, bindings: list, use: cst.CSTNode | None) -> list:
    """The bindings of a name in ``scope`` that can reach ``use`` (all of them
    outside functions, or where the use cannot be placed).  The statement
    order of each function is built once per file and shared by the
    inferences that ask (and, in an editor, kept for the functions an edit
    did not touch: ``FileContext.subtree_memo``)."""
    if use is None or len(bindings) < 2 or scope.kind != "function":
        return bindings
    return statement_order_of(ctx, scope).reaching(bindings, use)


def statement_order_of(ctx, scope) -> StatementOrder:
    """The statement order of a function's scope, built once per file (see ``reaching_bindings``)."""
    return ctx.subtree_memo.get(statement_order, scope.node, statement_order)


def reaching_assigned_values(ctx, scope, bindings: list, use: cst.CSTNode) -> list | None:
    """The values the bindings of a name reaching ``use`` assign, where every
    one is a plain assignment (``conn = connections["replica"]``); else None."""
    reaching = reaching_bindings(ctx, scope, bindings, use)
    if not reaching or any(type(b.node) is not cst.Assign or b.value is None for b in reaching):
        return None
    return [b.value for b in reaching]


def ends_in(body: cst.BaseSuite, kinds: tuple[type, ...]) -> bool:
    """The block's last statement is one of ``kinds`` (``cst.Return``,
    ``cst.Raise``, ...): what follows the ``if`` it is the body of runs only
    where its test failed."""
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    small = last.body[-1] if type(last) is cst.SimpleStatementLine and last.body else last
    return type(small) in kinds


def is_none_literal(node: cst.CSTNode | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"
