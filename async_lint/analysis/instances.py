"""Which class an object is an instance of, as the file names that class.

DJA401 follows calls through objects (``order.recalculate_total()``,
``gateway.charge()``, ``self.gateway.charge()``): the module summary records
such a call as a method of a class named by its dotted name, and the project
index decides whether that class is one of the project's (a third-party or
unknown class simply resolves to nothing).  Evidence, in this file only:

- a Django model instance, as ``DjangoInference`` places it (``await
  Order.objects.aget(...)``, a loop variable over a QuerySet, an annotated
  parameter, a related instance ``order.customer``);
- a name bound to a constructor call (``gateway = PaymentGateway(...)``;
  a capitalised callee, classes' naming convention, so that factory functions
  do not fill summaries with refs that resolve to nothing);
- an annotation (``gateway: PaymentGateway``, ``Optional[...]``, ``X | None``);
- ``self.<attr>`` where every assignment of it in the class's methods (and an
  annotation in the class body) gives the same class;

and every binding of a name must agree.  Anything else is unknown (None).
"""

from __future__ import annotations

from typing import Any

from async_lint import lazy_libcst

from async_lint.analysis.django_models import InstanceValue, django_inference
from async_lint.analysis.reaching import is_none_literal
from async_lint.analysis.receivers import annotation_target, self_assignments, self_class_scope, set_in_init
from async_lint.analysis.scopes import ASSIGN, PARAM, Binding, Scope, lookup
from async_lint.index import FACTORY_CALL, RETURNED_BY

cst = lazy_libcst.bind(globals())

MAX_DEPTH = 8
# Methods that run before a class's handlers and set up what they use: a
# view's ``setup``, a consumer's ``connect``, an async context manager's
# ``__aenter__``, a test's ``setUp``.
SETUP_METHODS = frozenset({"__init__", "setup", "connect", "websocket_connect", "__aenter__", "setUp", "asyncSetUp"})


class InstanceClasses:
    """Per-file answers to "what class is this object?" (memoised per node)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        # Names by (name, scope): every read of a variable has the same answer
        # (the bindings are the function's, not the line's).
        self._memo: dict[tuple[Any, int], str | None] = {}
        self._self_attributes: dict[tuple[int, str], str | None] = {}
        self._assignments: dict[int, dict[str, list]] = {}
        # Classes found as Django model instances (not merely constructed).
        self.models: set[str] = set()
        self._depth = 0

    def class_of(self, expr: cst.BaseExpression, scope: Scope | None = None) -> str | None:
        """The dotted name of the class ``expr`` is an instance of, or None."""
        scope = scope or self.ctx.scope
        key = (expr.value if isinstance(expr, cst.Name) else id(expr), id(scope))
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # cycles: no evidence
        if self._depth > MAX_DEPTH:
            return None
        self._depth += 1
        try:
            found = self._class_of(expr, scope)
        finally:
            self._depth -= 1
        self._memo[key] = found
        return found

    def _class_of(self, expr: cst.BaseExpression, scope: Scope) -> str | None:
        if isinstance(expr, cst.Call):
            return self._model_instance(expr, scope) or self._constructed(expr, scope) or self._factory_made(expr, scope) or self._returned_by(expr, scope)
        if isinstance(expr, cst.Name):
            found = lookup(scope, expr.value)
            if found is None or any(b.kind not in (ASSIGN, PARAM) for b in found[1]):
                return None
            model = self._model_instance(expr, scope)
            if model is not None:
                return model
            owner, bindings = found
            # ``client = None`` on the path that failed to make it (``try:
            # client = LLMClient()`` / ``except: client = None``): the others decide.
            bindings = [b for b in bindings if not (b.kind == ASSIGN and is_none_literal(b.value))] or bindings
            classes = {self._from_binding(b, owner) for b in bindings}
            return classes.pop() if len(classes) == 1 else None
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name):
                owner = self_class_scope(expr.value.value, scope)
                if owner is not None:
                    return self._self_attribute(owner, expr.attr.value)
            # ``fan_out.subject.to_delete_ap()``: a related instance.
            return self._model_instance(expr, scope)
        if isinstance(expr, (cst.Await, cst.Subscript)):
            # ``self.scope["user"]``: a consumer's user.
            return self._model_instance(expr, scope)
        return None

    def _model_instance(self, expr: cst.BaseExpression, scope: Scope) -> str | None:
        value = django_inference(self.ctx).infer(expr, scope)
        if isinstance(value, InstanceValue) and value.model is not None and value.model.qualified:
            found = self._qualified(value.model.qualified)
            self.models.add(found)
            return found
        return None

    def _from_binding(self, binding: Binding, scope: Scope) -> str | None:
        node = binding.node
        if binding.kind == PARAM and isinstance(node, cst.Param):
            return self.annotated_class(node.annotation.annotation, scope.parent or scope) if node.annotation is not None else None
        if isinstance(node, cst.AnnAssign):
            return self.annotated_class(node.annotation.annotation, scope)
        if isinstance(node, cst.Assign) and binding.value is not None and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            return self.class_of(binding.value, scope)
        if isinstance(node, cst.With) and isinstance(binding.value, cst.Call):
            return None  # ``with Foo() as f``: ``f`` is what ``__enter__`` returns
        return None

    def _constructed(self, call: cst.Call, scope: Scope) -> str | None:
        name = self.ctx.qualified_name(call.func, scope)
        if name is None and type(call.func) is cst.Name and lookup(scope, call.func.value) is None and self.ctx.module_scope.bindings.get("*"):
            # ``ApiClient(...)`` bound nowhere here, the module star-imports:
            # the project index looks the class up through its ``import *``s.
            name = f"{self.ctx.module_name or '<module>'}.{call.func.value}"
        if name is None or name.startswith("builtins.") or "." not in name:
            return None
        if not name.rpartition(".")[2][:1].isupper():
            return None
        return self._qualified(name)

    def _factory_made(self, call: cst.Call, scope: Scope) -> str | None:
        """``VectorStore.load(path)``: a method called on a class, perhaps a
        factory (a classmethod returning an instance of its class), which
        only its module's summary can tell: ``<Class.method>()``, a class
        name the project index resolves through the method's ``factory`` mark."""
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value[:1].isupper():
            return None
        owner = self.ctx.qualified_name(func.value, scope)
        if owner is None or owner.startswith("builtins.") or not owner.rpartition(".")[2][:1].isupper():
            return None
        return self._qualified(f"{owner}.{func.attr.value}") + FACTORY_CALL

    def _returned_by(self, call: cst.Call, scope: Scope) -> str | None:
        """``get_asr()``, ``self._context(api)``: a call of a project function
        or of a method of this class, whose return annotation (read by the
        project index, ``returns_class``) may name a class."""
        func = call.func
        if type(func) is cst.Attribute and type(func.value) is cst.Name:
            owner = self_class_scope(func.value.value, scope)
            if owner is None:
                return None
            module = self.ctx.module_name or "<module>"
            return f"{module}.{owner.node.name.value}.{func.attr.value}{RETURNED_BY}"  # type: ignore[attr-defined]
        name = self.ctx.qualified_name(func, scope)
        if name is None or name.startswith("builtins.") or "." not in name or name.rpartition(".")[2][:1].isupper():
            return None
        return self._qualified(name) + RETURNED_BY

    def annotated_class(self, annotation: cst.BaseExpression, scope: Scope) -> str | None:
        """The dotted name of the class an annotation names (``PaymentGateway``,
        ``Optional[...]``, ``X | None``), as this module imports it; None for a
        builtin, typing's or an unknown name."""
        target = annotation_target(annotation)
        if target is None or not isinstance(target, (cst.Name, cst.Attribute)):
            return None
        name = self.ctx.qualified_name(target, scope)
        if name is None or name.startswith(("builtins.", "typing.")) or "." not in name:
            return None
        return self._qualified(name)

    def _qualified(self, name: str) -> str:
        if name.startswith("<module>."):
            return f"{self.ctx.module_name or '<module>'}.{name[9:]}"
        return name

    # -- self.<attr> ---------------------------------------------------------------
    def _self_attribute(self, class_scope: Scope, attr: str) -> str | None:
        key = (id(class_scope.node), attr)
        if key in self._self_attributes:
            return self._self_attributes[key]
        self._self_attributes[key] = None
        if not class_scope.bindings.get(attr) and not set_in_init(class_scope.node, attr, SETUP_METHODS):  # type: ignore[arg-type]
            # Known only from ``__init__``, the methods that run before any
            # handler (or the class body): reading every method of every
            # class whose ``self.x.y()`` is called costs too much.
            return None
        # ``room: Room`` in the class body declares what every instance's
        # ``self.room`` is: the methods' assignments (``self.room = found or
        # Room()``, a parameter) are held to it, not read instead of it.
        declared = {self.annotated_class(b.node.annotation.annotation, class_scope) for b in class_scope.bindings.get(attr, ()) if isinstance(b.node, cst.AnnAssign)}
        if len(declared) == 1 and None not in declared:
            found = self._self_attributes[key] = declared.pop()
            return found
        classes: set[str | None] = set()
        for binding in class_scope.bindings.get(attr, ()):
            if isinstance(binding.node, cst.AnnAssign):
                classes.add(self.annotated_class(binding.node.annotation.annotation, class_scope))
            elif isinstance(binding.node, cst.Assign) and type(binding.value) is cst.Call and len(binding.node.targets) == 1:
                # ``service = RoomService()`` in the class body: one instance the methods share.
                classes.add(self._constructed(binding.value, class_scope.parent or class_scope))
            else:
                classes.add(None)  # another class attribute: its value is not followed
        assignments = self._assignments.get(id(class_scope.node))
        if assignments is None:
            assignments = self._assignments[id(class_scope.node)] = self_assignments(self.ctx, class_scope)
        assigned = assignments.get(attr, ())
        # ``self.session = None`` (a placeholder, or a reset on close): a method
        # called on the attribute is called on what the other assignments make.
        assigned = [a for a in assigned if isinstance(a[2], cst.AnnAssign) or a[0] is None or not is_none_literal(a[0])] or assigned
        for value, method_scope, node in assigned:
            if isinstance(node, cst.AnnAssign):
                classes.add(self.annotated_class(node.annotation.annotation, method_scope))
            elif value is not None and not isinstance(node, cst.WithItem):
                classes.add(self.class_of(value, method_scope))
            else:
                classes.add(None)
        found = classes.pop() if len(classes) == 1 else _constructed_or_made(classes)
        self._self_attributes[key] = found
        return found


def _constructed_or_made(classes: set[str | None]) -> str | None:
    """``self.store = Store.load(p)`` on one path, ``Store()`` on another
    (a fallback when the file is missing): the class, where every other
    value is what a method of that class made."""
    made = {cls for cls in classes if cls is not None and cls.endswith(FACTORY_CALL)}
    plain = classes - made
    if len(plain) != 1 or None in plain or not made:
        return None
    [cls] = plain
    return cls if all(m[: -len(FACTORY_CALL)].rpartition(".")[0] == cls for m in made) else None


def instance_classes(ctx) -> InstanceClasses:
    """The file's shared instance inference (built once, on first use)."""
    return ctx.shared(InstanceClasses)
