"""DJA201-DJA204: the sync ORM in async code.

What a receiver is (manager, QuerySet, model instance, related manager) comes
from the shared inference in ``async_lint.analysis.django_models``; this
module only knows which uses of those evaluate a query.  Every finding goes
through ``ctx.report_blocking``: in sync functions the same operations are
recorded for the project index's call chains (DJA401).
"""

from __future__ import annotations

import libcst as cst

from async_lint.analysis.django_models import (
    EVALUATING_METHODS,
    RELATED_EVALUATING_METHODS,
    InstanceValue,
    IteratorValue,
    ManagerValue,
    ModelFormValue,
    QuerySetValue,
    django_inference,
)
from async_lint.analysis.django_twins import since, target_version, twin
from async_lint.checks.base import Check

# Builtins that iterate (or otherwise evaluate) their argument at call time.
ITERATING_BUILTINS = frozenset(
    "list tuple set frozenset sorted sum max min any all enumerate zip map filter iter next reversed dict".split()
)
# These evaluate a QuerySet (len, truth, repr) but not a generator such as qs.iterator().
EVALUATING_BUILTINS = ITERATING_BUILTINS | {"len", "bool", "repr", "str", "print"}
MODEL_METHODS = ("save", "delete", "refresh_from_db")


def shown(ctx, node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(ctx.module.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DjangoCheck(Check):
    """Shared plumbing of the DJA2xx checks: the file's inference, the
    deliberate opt-out, and twin-aware suggestions."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.inference = django_inference(ctx)

    def flag(self, node: cst.CSTNode, code: str, message: str) -> None:
        if self.inference.async_unsafe_opt_out and self.ctx.in_async_context:
            return
        if self._in_attribute_error_fallback():
            return
        self.ctx.report_blocking(node, code, message)

    def _in_attribute_error_fallback(self) -> bool:
        """Inside ``except AttributeError:`` (duck typing: ``try: await
        qs.acount() except AttributeError: len(qs)``) the object evidently is
        not the Django one its annotation or origin suggested."""
        for ancestor in self.ctx.ancestors():
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
            if isinstance(ancestor, cst.ExceptHandler) and ancestor.type is not None:
                caught = ancestor.type.elements if isinstance(ancestor.type, cst.Tuple) else [ancestor.type]
                names = [e.value if isinstance(e, cst.Element) else e for e in caught]
                if any(self.ctx.qualified_name(n) == "builtins.AttributeError" for n in names):
                    return True
        return False

    def suggestion(self, kind: str, name: str, twin_text: str, fallback: str) -> str:
        """``twin_text`` (formatted with the twin) where the target Django has
        the twin, else ``fallback`` plus why."""
        target = target_version(self.ctx)
        found = twin(kind, name, target)
        if found is not None:
            return twin_text.format(twin=found)
        added = since(kind, name)
        if added is None:
            return fallback
        version = ".".join(map(str, target)) if target else "newest"
        return f"{fallback} (`{twin(kind, name, None)}()` needs Django {added}; the target is {version})"


class SyncOrmCheck(DjangoCheck):
    """DJA201 evaluating QuerySet/manager methods, DJA202 implicit QuerySet
    evaluation, DJA203 model instance and ModelForm writes, DJA204 lazy
    relation loads."""

    codes = ("DJA201", "DJA202", "DJA203", "DJA204")

    # -- explicit calls (DJA201, DJA203) -------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            self._method_call(node, func)
        name = self.ctx.qualified_name(func)
        if name is not None and name.startswith("builtins.") and name[9:] in EVALUATING_BUILTINS:
            for arg in node.args:
                if arg.keyword is None and not arg.star:
                    self.evaluated(arg.value, f"`{name[9:]}()`", iterates=name[9:] in ITERATING_BUILTINS)
        for arg in node.args:
            if arg.star == "*":
                self.evaluated(arg.value, "star-unpacking")

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> None:
        method = func.attr.value
        if method not in EVALUATING_METHODS and method not in RELATED_EVALUATING_METHODS and method not in MODEL_METHODS:
            return
        receiver = self.inference.infer(func.value)
        if receiver is None:
            return
        if isinstance(receiver, (ManagerValue, QuerySetValue)):
            self._query_method(node, func, method, receiver)
        elif isinstance(receiver, InstanceValue) and method in MODEL_METHODS:
            fix = self.suggestion("model", method, f"`await {shown(self.ctx, func.value, 30)}.{{twin}}()`", f"`await sync_to_async({shown(self.ctx, func, 40)})()`")
            self.flag(node, "DJA203", f"`{shown(self.ctx, node)}` writes to the database synchronously (SynchronousOnlyOperation in async code); use {fix}")
        elif isinstance(receiver, ModelFormValue) and method == "save" and not _commit_false(node):
            self.flag(
                node,
                "DJA203",
                f"`{shown(self.ctx, node)}` saves the form's model instance synchronously (SynchronousOnlyOperation in async code); "
                f"use `await sync_to_async({shown(self.ctx, func, 40)})()`, or `save(commit=False)` then `await instance.asave()`",
            )

    def _query_method(self, node: cst.Call, func: cst.Attribute, method: str, receiver: ManagerValue | QuerySetValue) -> None:
        related = receiver.relation is not None and isinstance(receiver, ManagerValue)
        if method in RELATED_EVALUATING_METHODS and not related:
            return
        if method in MODEL_METHODS and method != "delete":
            return
        if method == "delete" and isinstance(receiver, ManagerValue):
            return  # managers have no delete(): an AttributeError, not a query
        owner = receiver.owner
        if related and method in ("count", "exists") and owner is not None and owner.loaded is not None and owner.has_loaded(receiver.relation.name):  # type: ignore[union-attr]
            return  # answered from the prefetch cache
        kind = "related" if related and method in ("add", "remove", "set", "clear", "create", "get_or_create", "update_or_create") else "queryset"
        if method == "iterator":
            return  # lazy until iterated: see evaluated()
        base = shown(self.ctx, func.value, 40)
        fix = self.suggestion(kind, method, f"`await {base}.{{twin}}(...)`", f"`await sync_to_async({base}.{method})(...)`")
        self.flag(node, "DJA201", f"`{base}.{method}()` runs a database query synchronously (SynchronousOnlyOperation in async code); use {fix}")

    # -- implicit evaluation (DJA202, DJA204; DJA201 for qs.iterator()) ------
    def evaluated(self, expr: cst.BaseExpression, how: str, iterates: bool = True) -> None:
        """``expr`` is iterated, measured, indexed or truth-tested here."""
        value = self.inference.infer(expr)
        if isinstance(value, IteratorValue) and iterates:
            fix = self.suggestion("queryset", "iterator", "`async for x in qs.aiterator()`", "`await sync_to_async(list)(qs.iterator())`")
            self.flag(expr, "DJA201", f"iterating `{shown(self.ctx, expr)}` runs the query synchronously (SynchronousOnlyOperation in async code); use {fix}")
            return
        if not isinstance(value, QuerySetValue):
            return
        owner, relation = value.owner, value.relation
        if owner is not None and relation is not None:
            if owner.loaded is None or owner.has_loaded(relation.name):
                return  # prefetched, or the instance's origin is unknown
            self.flag(
                expr,
                "DJA204",
                f"`{shown(self.ctx, expr)}` loads `{relation.name}` with a query in async code (SynchronousOnlyOperation): "
                f"add `prefetch_related(\"{relation.name}\")` to the query that fetched the instance, or iterate it with `async for`",
            )
            return
        self.flag(
            expr,
            "DJA202",
            f"{how} evaluates the QuerySet `{shown(self.ctx, expr)}` synchronously (SynchronousOnlyOperation in async code); "
            "use `async for`, `[x async for x in qs]` or an `a`-method such as `await qs.acount()`",
        )

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self.evaluated(node.iter, "a `for` loop")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is None:
            self.evaluated(node.iter, "a comprehension")

    def visit_If(self, node: cst.If) -> None:
        self.evaluated(node.test, "a truth test", iterates=False)

    def visit_While(self, node: cst.While) -> None:
        self.evaluated(node.test, "a truth test", iterates=False)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.evaluated(node.test, "a truth test", iterates=False)

    def visit_Assert(self, node: cst.Assert) -> None:
        self.evaluated(node.test, "a truth test", iterates=False)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self.evaluated(node.expression, "`not`", iterates=False)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self.evaluated(node.left, "a truth test", iterates=False)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)):
                self.evaluated(target.comparator, "`in`")

    def visit_StarredElement(self, node: cst.StarredElement) -> None:
        if not isinstance(self.ctx.parent, cst.AssignTarget):
            self.evaluated(node.value, "star-unpacking")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self.evaluated(node.expression, "formatting", iterates=False)

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, (cst.Tuple, cst.List)) for t in node.targets):
            self.evaluated(node.value, "unpacking")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) != 1:
            return
        element = node.slice[0].slice
        if isinstance(element, cst.Slice) and element.step is None:
            return  # qs[:5] stays lazy
        value = self.inference.infer(node.value)
        if isinstance(value, QuerySetValue):
            what = "a step slice" if isinstance(element, cst.Slice) else "indexing"
            self.evaluated(node.value, what)

    # -- lazy relations (DJA204) ---------------------------------------------
    def visit_Attribute(self, node: cst.Attribute) -> None:
        parent = self.ctx.parent
        if isinstance(parent, (cst.AssignTarget, cst.Del)) or (isinstance(parent, cst.AugAssign) and parent.target is node):
            return
        receiver = self.inference.infer(node.value)
        if not isinstance(receiver, InstanceValue) or receiver.model is None or receiver.loaded is None:
            return
        relation = receiver.model.relations.get(node.attr.value)
        if relation is None or not relation.is_single or receiver.has_loaded(relation.name):
            return
        self.flag(
            node,
            "DJA204",
            f"`{shown(self.ctx, node)}` loads the related `{relation.name}` with a query in async code (SynchronousOnlyOperation): "
            f"add `select_related(\"{relation.name}\")` to the query that fetched `{shown(self.ctx, node.value, 30)}`",
        )


def _commit_false(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "commit":
            return isinstance(arg.value, cst.Name) and arg.value.value == "False"
    return False
