"""Small visitors over one function body, for the coroutine rules
(checks/coroutines.py): libcst classes, so imported where they are used
(lazy_libcst.py: a run served from the cache imports no libcst)."""

from __future__ import annotations

from collections import Counter

import libcst as cst


class NameLoads(cst.CSTVisitor):
    """Counts the names a function body reads. Assignment targets, attribute
    names and keyword names are not reads; anything else that mentions a
    name counts (erring towards "used")."""

    def __init__(self) -> None:
        self.loads: Counter[str] = Counter()
        self.declared: set[str] = set()
        self._stores: set[int] = set()

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._stores.add(id(target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._store(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._stores.add(id(node.attr))  # ``obj.x``: an attribute's name, no variable read

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._stores.add(id(node.keyword))  # ``f(x=1)``: a parameter's name

    def visit_Global(self, node: cst.Global) -> None:
        self.declared.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared.update(item.name.value for item in node.names)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._stores:
            self.loads[node.value] += 1

    def out_of_sight(self, name: str) -> bool:
        """``name`` may be read where its loads are not counted: declared
        global/nonlocal, or the function reads ``locals()``/``vars()``."""
        return name in self.declared or bool(self.loads["locals"] or self.loads["vars"])


class SelfAssignments(cst.CSTVisitor):
    """``self.<attr> = value`` (or ``cls.``) in one method body; any other
    store to the attribute (augmented, tuple unpacking) makes it unknown."""

    def __init__(self) -> None:
        self.values: dict[str, list[cst.BaseExpression]] = {}

    def _record(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value in ("self", "cls"):
            self.values.setdefault(target.attr.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                # Unpacked: the value of each element is unknown.
                self._record(element.value, cst.Ellipsis())

    # Each handler returns False: below a simple statement there is no
    # other statement (an expression holds none, a lambda's body neither),
    # so the visit goes from statement to statement and never walks the
    # expressions that make up most of a body's nodes.

    def visit_Assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            self._record(target.target, node.value)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:
            self._record(node.target, node.value)
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> bool:
        self._record(node.target, cst.Ellipsis())
        return False

    def _holds_no_statement(self, node: cst.CSTNode) -> bool:
        return False

    visit_Expr = visit_Return = visit_Raise = visit_Assert = visit_Del = _holds_no_statement
    visit_Import = visit_ImportFrom = visit_Decorator = visit_Parameters = _holds_no_statement


class YieldFinder(cst.CSTVisitor):
    """Whether a function body yields (an async generator, not a coroutine)."""

    def __init__(self) -> None:
        self.found = False

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False
