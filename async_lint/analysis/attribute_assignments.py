"""The visitor behind ``receivers._attribute_assignments``: a libcst class,
so imported where it is used (lazy_libcst.py: a run served from the cache
imports no libcst)."""

from __future__ import annotations

import libcst as cst


class AttributeAssignments(cst.CSTVisitor):
    """``<name>.<attr> = value`` statements of one function body, not nested defs."""

    def __init__(self) -> None:
        self.found: list[tuple[cst.CSTNode, cst.Attribute, cst.BaseExpression | None]] = []

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
