"""Receiver inference: what kind of object an expression is known to be.

``client.get(url)`` blocks only if ``client`` is a sync HTTP client, and the
linter may say so only on evidence.  This module finds that evidence in the
file being analysed, from a table of known types (``rules/receiver_types.toml``):

- a constructor or factory call: ``httpx.Client()``, ``redis.from_url(...)``,
  also chained (``httpx.Client().get``) and through ``with ... as c``;
- a name bound to such a call, in the current function or an enclosing scope
  (module-level clients), provided every binding of the name agrees;
- ``self.x`` where the methods of the same class (or its body) only ever bind
  ``x`` to one known type;
- an annotation (``client: httpx.Client``, ``Optional[...]``, ``X | None``);
- what a known type's methods, attributes and operators return
  (``conn.cursor()``, ``path.parent``, ``base / "media"``);
- a def decorated with a known decorator (``@shared_task``), and names
  imported from modules that by convention hold a type (``myapp.tasks``).

Anything else is unknown (``None``): an unknown receiver stays silent.
"""

from __future__ import annotations


import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from async_lint import lazy_libcst

from async_lint.analysis.context import PROPERTY_DECORATORS, RecentSubtrees
from async_lint.analysis.reaching import is_none_literal, reaching_bindings
from async_lint.analysis.scopes import ASSIGN, DEF, PARAM, Binding, BindingCollector, Scope, defined_class, defined_function, final_assignment, own_function, lookup, sole_binding
from async_lint.catalog import load_table

cst = lazy_libcst.bind(globals())

if TYPE_CHECKING:
    from async_lint.analysis.context import FileContext


@dataclass(frozen=True)
class TypeSpec:
    name: str
    # Attributes, subscripts and non-listed method results of an instance are
    # objects of the same kind (``client.db.users``, ``client.chat.completions``).
    deep: bool = False
    returns: dict[str, str] = field(default_factory=dict)  # method -> type of its result
    attributes: dict[str, str] = field(default_factory=dict)  # attribute -> type
    operators: dict[str, str] = field(default_factory=dict)  # "/" -> type of the result
    decorates: dict[str, str] = field(default_factory=dict)  # ``@inst.task`` -> type of the def
    items: str | None = None  # type of an item read by subscript (``path.parents[1]``)
    iterates: str | None = None  # type of each item a ``for`` loop binds (``for child in path.iterdir():``)


@dataclass(frozen=True)
class TypeModel:
    types: dict[str, TypeSpec]
    constructors: dict[str, str]  # qualified callable -> type of its result
    annotations: dict[str, str]  # qualified class name in an annotation -> type
    values: dict[str, str]  # qualified names known to be instances (settings.BASE_DIR)
    decorators: dict[str, str]  # qualified decorator -> type of the decorated def
    module_suffixes: dict[str, str]  # last module component -> type of names imported from it
    # qualified callable -> (what a call passes, type): called so, the
    # callable makes the other type (``socket.socket(AF_INET, SOCK_DGRAM)``:
    # a datagram socket, whose connect() sends nothing).  What it passes:
    # ("argument", a qualified name), ("literal", a string any argument is)
    # or ("keyword", a keyword argument's name).
    argument_variants: dict[str, tuple[tuple[tuple[str, str], str], ...]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict]) -> TypeModel:
        types: dict[str, TypeSpec] = {}
        constructors: dict[str, str] = {}
        annotations: dict[str, str] = {}
        values: dict[str, str] = {}
        decorators: dict[str, str] = {}
        suffixes: dict[str, str] = {}
        variants: dict[str, list[tuple[tuple[str, str], str]]] = {}
        for row in rows:
            name = row["name"]
            for variant in row.get("made_with", ()):
                passed = next((kind, variant[kind]) for kind in ("argument", "literal", "keyword") if kind in variant)
                variants.setdefault(variant["callable"], []).append((passed, name))
            types[name] = TypeSpec(
                name=name,
                deep=bool(row.get("deep", False)),
                returns=dict(row.get("returns", {})),
                attributes=dict(row.get("attributes", {})),
                operators=dict(row.get("operators", {})),
                decorates=dict(row.get("decorates", {})),
                items=row.get("items"),
                iterates=row.get("iterates"),
            )
            for qualified in row.get("classes", ()):
                constructors[qualified] = name
                annotations[qualified] = name
            for qualified in row.get("factories", ()):
                constructors[qualified] = name
            for qualified in row.get("annotations", ()):
                annotations[qualified] = name
            for qualified in row.get("values", ()):
                values[qualified] = name
            for qualified in row.get("decorators", ()):
                decorators[qualified] = name
            for suffix in row.get("module_suffixes", ()):
                suffixes[suffix] = name
        return cls(types, constructors, annotations, values, decorators, suffixes, {k: tuple(v) for k, v in variants.items()})


@functools.lru_cache(maxsize=None)
def default_type_model() -> TypeModel:
    return TypeModel.from_rows(load_table("receiver_types").get("type", []))


@dataclass(frozen=True)
class Inferred:
    """An expression known to be an instance of ``type``.

    ``origin`` is the call that created it when that is known (the
    ``open(...)`` of ``f = open(...)``), with ``scope`` the scope that call
    runs in; checks use it to avoid reporting one object twice."""

    type: str
    origin: cst.Call | None = None
    scope: Scope | None = None
    # Bound by several calls (two ``with open(...) as f:`` blocks): each
    # call, with its scope, where every binding has one.
    origins: tuple[tuple[cst.Call, Scope], ...] = ()


def _unwrap_optional(annotation: cst.BaseExpression) -> cst.BaseExpression | None:
    """``Optional[X]``, ``X | None``, ``Union[X, None]``, ``Annotated[X, ...]``
    -> ``X``; else the annotation."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [annotation.left, annotation.right]
        rest = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
        return _unwrap_optional(rest[0]) if len(rest) == 1 else None
    if isinstance(annotation, cst.Subscript):
        base = annotation.value
        base_name = base.attr.value if isinstance(base, cst.Attribute) else getattr(base, "value", None)
        if base_name == "Annotated" and annotation.slice and isinstance(annotation.slice[0].slice, cst.Index):
            # ``Annotated[UploadFile, File(...)]``: the type, with metadata for a framework.
            return _unwrap_optional(annotation.slice[0].slice.value)
        if base_name in ("Optional", "Union"):
            members = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index) and not (isinstance(e.slice.value, cst.Name) and e.slice.value.value == "None")]
            return _unwrap_optional(members[0]) if len(members) == 1 else None
    return annotation


def annotation_target(annotation: cst.BaseExpression) -> cst.BaseExpression | None:
    """The class an annotation names: forward references read, ``Optional``
    and ``| None`` unwrapped; None for a union of several."""
    if isinstance(annotation, cst.SimpleString):  # a forward reference
        try:
            annotation = cst.parse_expression(str(annotation.evaluated_value))
        except (cst.ParserSyntaxError, TypeError, ValueError):
            return None
    return _unwrap_optional(annotation)


def self_class_scope(name: str, scope: Scope, class_method: bool = False) -> Scope | None:
    """The class scope when ``name`` is the first parameter of a method
    (not a static or class method; ``class_method``: of a class method,
    its ``cls``) seen from ``scope``."""
    found = lookup(scope, name)
    if found is None:
        return None
    owner, bindings = found
    if owner.kind != "function" or owner.parent is None or owner.parent.kind != "class":
        return None
    function = owner.node
    if not isinstance(function, cst.FunctionDef):
        return None
    params = (*function.params.posonly_params, *function.params.params)
    if not params or params[0].name.value != name or len(bindings) != 1 or bindings[0].kind != PARAM:
        return None
    kinds = {decorator.decorator.value for decorator in function.decorators if isinstance(decorator.decorator, cst.Name)}
    if class_method:
        return owner.parent if "classmethod" in kinds else None
    if kinds & {"staticmethod", "classmethod"}:
        return None
    return owner.parent


class ReceiverInference:
    """Per-file receiver inference over a ``TypeModel`` (cached per node)."""

    MAX_DEPTH = 40

    def __init__(self, ctx: FileContext, model: TypeModel | None = None):
        self.ctx = ctx
        self.model = model or default_type_model()
        self._self_attributes: dict[int, dict[str, list[tuple[cst.BaseExpression, Scope, cst.CSTNode]]]] = {}
        self._in_progress: set[int] = set()
        self._names_in_progress: set[tuple[int, str]] = set()
        # Class scopes made for instances of the module's classes (``_instance_class``), by class node.
        self._class_scopes: dict[int, Scope] = {}
        self._attributes_in_progress: set[tuple[int, str]] = set()

    # -- public ------------------------------------------------------------------
    def infer(self, expr: cst.BaseExpression, scope: Scope | None = None) -> Inferred | None:
        """What ``expr`` is known to be, looked up from ``scope`` (default: here)."""
        scope = scope or self.ctx.scope
        key = id(expr)
        # ``x = x.parent``: no evidence from a cycle; a name rebound hundreds of
        # times (``s = s.strip()``): no evidence past a bounded depth.
        if key in self._in_progress or len(self._in_progress) > self.MAX_DEPTH:
            return None
        self._in_progress.add(key)
        try:
            return self._infer(expr, scope)
        finally:
            self._in_progress.discard(key)

    def spec(self, type_name: str) -> TypeSpec | None:
        return self.model.types.get(type_name)

    # -- expressions -----------------------------------------------------------
    def _infer(self, expr: cst.BaseExpression, scope: Scope) -> Inferred | None:
        if isinstance(expr, (cst.Name, cst.Attribute)):
            known = self._known_value(expr, scope)
            if known is not None:
                return known
        if isinstance(expr, cst.Name):
            return self._infer_name(expr.value, scope, expr)
        if isinstance(expr, cst.Attribute):
            return self._infer_attribute(expr, scope)
        if isinstance(expr, cst.Call):
            return self._infer_call(expr, scope)
        if isinstance(expr, cst.Subscript):
            base = self.infer(expr.value, scope)
            spec = self.spec(base.type) if base else None
            if spec is not None and spec.items is not None:
                return Inferred(spec.items)
            if spec is not None and spec.deep:
                return base
            return None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self.infer(expr.left, scope)
            spec = self.spec(left.type) if left else None
            if spec is not None and "/" in spec.operators:
                return Inferred(spec.operators["/"])
        return None

    def _known_value(self, expr: cst.BaseExpression, scope: Scope) -> Inferred | None:
        qualified = self.ctx.qualified_name(expr, scope)
        if qualified is None:
            return None
        if qualified in self.model.values:
            return Inferred(self.model.values[qualified])
        module, _, _ = qualified.rpartition(".")
        parts = module.split(".")
        # ``from myapp.tasks import send_receipt``: a project module named by
        # convention (not the library's own package, e.g. ``celery.app``).
        if len(parts) >= 2 and parts[-1] in self.model.module_suffixes:
            type_name = self.model.module_suffixes[parts[-1]]
            if parts[0] != type_name.split(".")[0]:
                return Inferred(type_name)
        return None

    def _passes(self, call: cst.Call, passed: tuple[str, str], scope: Scope) -> bool:
        """Whether ``call`` passes what a ``made_with`` row names."""
        kind, value = passed
        arguments = [arg for arg in call.args if not arg.star]
        if kind == "keyword":
            return any(arg.keyword is not None and arg.keyword.value == value for arg in arguments)
        if kind == "literal":
            return any(type(arg.value) is cst.SimpleString and arg.value.evaluated_value == value for arg in arguments)
        return any(self.ctx.qualified_name(arg.value, scope) == value for arg in arguments)

    def _infer_call(self, call: cst.Call, scope: Scope) -> Inferred | None:
        qualified = self.ctx.qualified_name(call.func, scope)
        if qualified is not None and qualified in self.model.constructors:
            for passed, variant in self.model.argument_variants.get(qualified, ()):
                if self._passes(call, passed, scope):
                    return Inferred(variant, call, scope)
            return Inferred(self.model.constructors[qualified], call, scope)
        callee = local_callee(self.ctx, call.func, scope)
        if callee is not None:
            return self.returned_type(*callee)
        subclassed = self.known_base_of(call.func, scope)
        if subclassed is not None:
            return Inferred(subclassed, call, scope)
        if isinstance(call.func, cst.Attribute):
            receiver = self.infer(call.func.value, scope)
            if receiver is None:
                return None
            spec = self.spec(receiver.type)
            method = call.func.attr.value
            if spec is not None and method in spec.returns:
                return Inferred(spec.returns[method], call, scope)
            if spec is not None and spec.deep:
                return Inferred(receiver.type, call, scope)
        return None

    def known_base_of(self, expr: cst.BaseExpression, scope: Scope, depth: int = 0) -> str | None:
        """The known type a class of this module derives from
        (``class RotatingClient(WebClient)``: a ``slack_sdk.WebClient``), its
        own or through classes of the module; None where the class (or one
        on the way) defines an ``async def`` (perhaps an async wrapper) or
        derives from two known types."""
        if type(expr) is not cst.Name or depth > 5:
            return None
        found = defined_class(scope, expr.value)
        if found is None:
            return None
        node, holder = found
        if any(type(s) is cst.FunctionDef and s.asynchronous is not None for s in node.body.body):
            return None
        kinds = set()
        for base in node.bases:
            if base.keyword is not None:
                continue
            qualified = self.ctx.qualified_name(base.value, holder)
            known = self.model.annotations.get(qualified) if qualified is not None else None
            kinds.add(known if known is not None else self.known_base_of(base.value, holder, depth + 1))
        kinds.discard(None)
        return kinds.pop() if len(kinds) == 1 else None

    def returned_type(self, function: cst.FunctionDef, parent: Scope) -> Inferred | None:
        """What a project def of this module returns (``client =
        self.get_client()``): its return annotation, else the one type every
        ``return`` of its body agrees on (a ``return None`` aside: the
        object it makes when it makes one)."""
        if function.returns is not None:
            return self.from_annotation(function.returns.annotation, parent)
        returned = returned_values(self.ctx, function, parent)
        if returned is None:
            return None
        returned = [(value, where) for value, where in returned if not (type(value) is cst.Name and value.value == "None")]
        agreed = self._agree([self.infer(value, where) for value, where in returned])
        return Inferred(agreed.type) if agreed is not None else None

    def _infer_attribute(self, expr: cst.Attribute, scope: Scope) -> Inferred | None:
        if isinstance(expr.value, cst.Name):
            owner = self._self_class(expr.value.value, scope)
            if owner is not None:
                # ``self.attachment`` in a model's method: perhaps a file field.
                return self._infer_self_attribute(owner, expr.attr.value) or self._field_file(expr, scope)
            # ``cls._instance`` in a class method: the class attribute, as the
            # class body and its methods' ``cls._instance = ...`` set it.
            instance = self._instance_class(expr.value, scope) or self_class_scope(expr.value.value, scope, class_method=True)
            found = self._infer_self_attribute(instance, expr.attr.value) if instance is not None else None
            if found is not None:
                return found  # else, perhaps an attribute of a known type it derives from (below)
        base = self.infer(expr.value, scope)
        if base is None:
            return self._field_file(expr, scope)
        spec = self.spec(base.type)
        if spec is None:
            return None
        if expr.attr.value in spec.attributes:
            return Inferred(spec.attributes[expr.attr.value])
        if spec.deep:
            return Inferred(base.type, base.origin, base.scope)
        return None

    def _field_file(self, expr: cst.Attribute, scope: Scope) -> Inferred | None:
        """``doc.attachment``, a model instance's file field: a FieldFile,
        whose reads and writes go to the storage."""
        from async_lint.analysis.django_models import django_inference
        from async_lint.analysis.django_vocabulary import FIELD_FILE_TYPE

        table = getattr(self.ctx.settings, "models", None)
        if not ((table is not None and expr.attr.value in table.file_field_names()) or self._declares_file_fields):
            return None  # no model of the table nor of this file has a file field of that name
        return Inferred(FIELD_FILE_TYPE) if django_inference(self.ctx).field_file(expr, scope) else None

    @functools.cached_property
    def _declares_file_fields(self) -> bool:
        """The file's text names a file field class (read once: asked of
        each unknown attribute read, it was 2 s of a 1 MB module)."""
        text = getattr(self.ctx.source, "text", "") or ""
        return "FileField" in text or "ImageField" in text

    # -- names -------------------------------------------------------------------
    def _infer_name(self, name: str, scope: Scope, use: cst.CSTNode | None = None) -> Inferred | None:
        found = lookup(scope, name)
        if found is None:
            return None
        owner, bindings = found
        last = final_assignment(bindings) if owner is not scope and owner.kind == "module" and len(bindings) > 1 else None
        if last is not None and last.value is not None:
            # Read in a function: the module's last binding, a plain statement
            # of its body, is what the name is (``redis = redis.Redis(...)``).
            bindings = [last]
        else:
            bindings = reaching_bindings(self.ctx, owner, bindings, use)
        # ``client = None`` then assigned in branches: the assignments decide.
        if len(bindings) > 1:
            assigned = [b for b in bindings if not (b.kind == ASSIGN and is_none_literal(b.value))]
            bindings = assigned or bindings
        elif owner.kind == "module" and bindings and bindings[0].kind == ASSIGN and is_none_literal(bindings[0].value):
            # ``_client = None`` at import, made by the defs that declare it
            # ``global`` (a lazy singleton's getter): what they assign.
            made = global_assignments(self.ctx).get(name)
            if made:
                return self._agree([self._infer_binding(binding, where) for binding, where in made])
        # ``text = text.strip()`` rebound many times: each binding's value
        # names the same variable again, so without this guard the search
        # visits every binding from every binding (exponential).
        key = (id(owner), name, *map(id, bindings))
        if key in self._names_in_progress:
            return None
        # ``pipe = pipe.set(k, v)`` in a loop after ``pipe = r.pipeline()``:
        # a rebinding from the name itself keeps the kind of an object whose
        # every method gives the same kind (a ``deep`` type).
        derived = [b for b in bindings if b.kind == ASSIGN and b.value is not None and _rooted_in(b.value, name)]
        others = [b for b in bindings if b not in derived] if derived and len(derived) < len(bindings) else bindings
        self._names_in_progress.add(key)
        try:
            results = [self._infer_binding(binding, owner) for binding in others]
        finally:
            self._names_in_progress.discard(key)
        agreed = self._agree(results)
        if others is bindings or agreed is None:
            return agreed
        spec = self.spec(agreed.type)
        return Inferred(agreed.type) if spec is not None and spec.deep else None

    @staticmethod
    def _agree(results: list[Inferred | None]) -> Inferred | None:
        """One type from every binding, or nothing: ``x = open(p)`` then
        ``x = io.StringIO()`` is not known to be a file."""
        if not results or any(r is None for r in results):
            return None
        kinds = {r.type for r in results}  # type: ignore[union-attr]
        if len(kinds) != 1:
            return None
        if len(results) == 1:
            return results[0]
        origins = tuple((r.origin, r.scope) for r in results if r.origin is not None and r.scope is not None)  # type: ignore[union-attr]
        return Inferred(kinds.pop(), origins=origins if len(origins) == len(results) else ())

    def _infer_binding(self, binding: Binding, scope: Scope) -> Inferred | None:
        node = binding.node
        if binding.kind == PARAM and isinstance(node, cst.Param):
            if node.annotation is not None:
                return self.from_annotation(node.annotation.annotation, scope)
            return None
        if binding.kind == ASSIGN:
            if isinstance(node, cst.AnnAssign):
                annotated = self.from_annotation(node.annotation.annotation, scope)
                if annotated is not None:
                    return annotated
            if binding.value is not None:
                return self.infer(binding.value, scope)
            if (type(node) is cst.For or type(node) is cst.CompFor) and type(node.target) is cst.Name:
                # ``for child in path.iterdir():``, ``[f.name for f in path.iterdir() if f.is_file()]``
                return self._iterated_item(node.iter, scope)
            if type(node) is cst.For and type(node.target) is cst.Tuple:
                # ``for url, path in targets.items():`` (a flat tuple of names)
                names = [e.value.value if type(e.value) is cst.Name else None for e in node.target.elements]
                if names.count(binding.name) == 1:
                    return self._iterated_item(node.iter, scope, names.index(binding.name))
            return None
        if binding.kind == DEF and isinstance(node, cst.FunctionDef):
            return self.from_decorators(node, scope)
        return None

    def _iterated_item(self, iterated: cst.BaseExpression, scope: Scope, position: int | None = None) -> Inferred | None:
        """The type of each item a loop over ``iterated`` binds (``position``:
        of the pair a loop over ``mapping.items()`` unpacks), where its type
        says (``iterdir()``), or its annotation (``paths: list[Path]``,
        ``targets: dict[str, Path]`` and its ``.values()``/``.items()``), or
        a literal of items of one type (``[Path(a), Path(b)]``)."""
        kind = type(iterated)
        if kind is cst.Call and type(iterated.func) is cst.Attribute and not iterated.args:
            method = iterated.func.attr.value
            container = self._annotated_container(iterated.func.value, scope)
            if container is not None and container[0] == "mapping" and len(container[1]) == 2:
                key, value = container[1]
                if method == "items":
                    return self.from_annotation((key, value)[position], scope) if position in (0, 1) else None
                if position is None and method in ("keys", "values"):
                    return self.from_annotation(key if method == "keys" else value, scope)
        if position is not None:
            return None
        copied = self._copied_iterable(iterated, scope)
        if copied is not None:
            # ``list(root.rglob("*.txt"))``, or a name bound once to it: the same items.
            return self._iterated_item(copied, scope)
        container = self.infer(iterated, scope)
        spec = self.spec(container.type) if container is not None else None
        if spec is not None:
            return Inferred(spec.iterates) if spec.iterates is not None else None
        annotated = self._annotated_container(iterated, scope)
        if annotated is not None:
            shape, args = annotated
            if shape == "sequence" and (len(args) == 1 or (len(args) == 2 and type(args[1]) is cst.Ellipsis)):
                return self.from_annotation(args[0], scope)
            return self.from_annotation(args[0], scope) if shape == "mapping" and args else None
        if kind in (cst.List, cst.Tuple, cst.Set) and iterated.elements and not any(type(e) is cst.StarredElement for e in iterated.elements):
            found = self._agree([self.infer(e.value, scope) for e in iterated.elements])
            return Inferred(found.type) if found is not None else None
        return None

    def _copied_iterable(self, expr: cst.BaseExpression, scope: Scope) -> cst.BaseExpression | None:
        """The iterable ``list(...)``/``tuple(...)``/``sorted(...)`` copies, in
        ``expr`` or in the one binding of the name ``expr``."""
        if type(expr) is cst.Name:
            found = sole_binding(scope, expr.value)
            if found is None or found[0].kind != ASSIGN or type(found[0].node) is not cst.Assign:
                return None
            expr = found[0].value
        if type(expr) is not cst.Call or len(expr.args) != 1 or expr.args[0].keyword is not None or expr.args[0].star:
            return None
        return expr.args[0].value if self.ctx.qualified_name(expr.func, scope) in _ITEM_COPIES else None

    def _annotated_container(self, expr: cst.BaseExpression, scope: Scope) -> tuple[str, list[cst.BaseExpression]] | None:
        """("sequence" | "mapping", the annotation's arguments) of a name whose
        one binding is annotated as a container of one item type
        (``paths: list[Path]``, ``ASSETS: dict[str, Path] = {...}``)."""
        if type(expr) is not cst.Name:
            return None
        found = sole_binding(scope, expr.value)
        if found is None:
            return None
        node = found[0].node
        annotation = node.annotation if type(node) in (cst.Param, cst.AnnAssign) else None
        if annotation is None:
            return None
        target = annotation_target(annotation.annotation)
        if type(target) is not cst.Subscript or not all(type(e.slice) is cst.Index for e in target.slice):
            return None
        base = target.value
        name = base.attr.value if type(base) is cst.Attribute else base.value if type(base) is cst.Name else None
        args = [e.slice.value for e in target.slice]
        if name in _SEQUENCE_ANNOTATIONS:
            return "sequence", args
        if name in _MAPPING_ANNOTATIONS:
            return "mapping", args
        return None

    def from_decorators(self, node: cst.FunctionDef, scope: Scope) -> Inferred | None:
        """What a def is made by its decorators (`@shared_task`: a Celery task)."""
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            qualified = self.ctx.qualified_name(expr, scope)
            if qualified in self.model.decorators:
                return Inferred(self.model.decorators[qualified])
            if isinstance(expr, cst.Attribute):  # ``@app.task`` on a known Celery app
                owner = self.infer(expr.value, scope)
                spec = self.spec(owner.type) if owner else None
                if spec is not None and expr.attr.value in spec.decorates:
                    return Inferred(spec.decorates[expr.attr.value])
                made = self._conventional_decorator(expr, scope)
                if made is not None:
                    return made
        return None

    def _conventional_decorator(self, expr: cst.Attribute, scope: Scope) -> Inferred | None:
        """``@app.task`` where ``app`` is imported from a project module named
        by a library's convention (``from myproject.tasks import app``): the
        convention names the module, not each name in it, and only the app
        decorates, so the name is the type of the convention whose instances
        have that decorator (a Celery app kept in ``tasks.py``)."""
        qualified = self.ctx.qualified_name(expr.value, scope)
        if qualified is None:
            return None
        parts = qualified.rpartition(".")[0].split(".")
        if len(parts) < 2 or parts[-1] not in self.model.module_suffixes:
            return None
        made = {
            spec.decorates[expr.attr.value]
            for type_name in set(self.model.module_suffixes.values())
            if (spec := self.spec(type_name)) is not None and parts[0] != type_name.split(".")[0] and expr.attr.value in spec.decorates
        }
        return Inferred(made.pop()) if len(made) == 1 else None

    def from_annotation(self, annotation: cst.BaseExpression, scope: Scope) -> Inferred | None:
        target = annotation_target(annotation)
        if target is None:
            return None
        qualified = self.ctx.qualified_name(target, scope)
        if qualified is not None and qualified in self.model.annotations:
            return Inferred(self.model.annotations[qualified])
        return None

    # -- self.attribute ------------------------------------------------------------
    def _self_class(self, name: str, scope: Scope) -> Scope | None:
        return self_class_scope(name, scope)

    def _instance_class(self, name: cst.Name, scope: Scope) -> Scope | None:
        """The scope of the class of this module that ``name`` is an
        instance of, where every binding reaching it makes one
        (``layer = Layer()`` at module level): its attributes are read as
        ``self``'s are (``layer.client``, a ``@property`` of ``Layer``)."""
        found = lookup(scope, name.value)
        if found is None:
            return None
        owner, bindings = found
        if not any(b.kind == ASSIGN and type(b.value) is cst.Call and type(b.value.func) is cst.Name for b in bindings):
            return None
        classes = set()
        for binding in reaching_bindings(self.ctx, owner, bindings, name):
            value = binding.value
            if binding.kind != ASSIGN or type(value) is not cst.Call or type(value.func) is not cst.Name:
                return None
            defined = defined_class(owner, value.func.value)
            if defined is None:
                return None
            classes.add(defined)
        if len(classes) != 1:
            return None
        return self._class_scope(*classes.pop())

    def _class_scope(self, node: cst.ClassDef, holder: Scope) -> Scope:
        """A class of this module's body scope, made once a class."""
        # Each scope holds its class node: an id kept here is never another node's.
        known = self._class_scopes.get(id(node))
        if known is None:
            known = self._class_scopes[id(node)] = class_body_scope(self.ctx, node, holder)
        return known

    def _infer_self_attribute(self, class_scope: Scope, attr: str, depth: int = 0) -> Inferred | None:
        # ``self.qs = self.qs.filter(...)`` in several methods: read again while
        # it is being read, the attribute has the assignment under way among
        # its values, so it agrees on nothing; answering that at once keeps
        # n such assignments from costing n! reads.
        key = (id(class_scope.node), attr)
        if key in self._attributes_in_progress:
            return None
        self._attributes_in_progress.add(key)
        try:
            return self._self_attribute_value(class_scope, attr, depth)
        finally:
            self._attributes_in_progress.discard(key)

    def _self_attribute_value(self, class_scope: Scope, attr: str, depth: int) -> Inferred | None:
        assignments = self._class_attributes(class_scope).get(attr)
        class_bindings = class_scope.bindings.get(attr, [])
        if not assignments and not class_bindings:
            return self._inherited_attribute(class_scope, attr, depth)
        if assignments:
            # ``server = None`` in the class body, the object made in
            # ``__init__``: a default the instances replace.
            class_bindings = [b for b in class_bindings if not (b.kind == ASSIGN and b.value is not None and is_none_literal(b.value))]
        results = [self._property_value(binding, class_scope) or self._infer_binding(binding, class_scope) for binding in class_bindings]
        assigned = list(assignments or ())
        # ``self._client = None`` in ``__init__``, the client made later (on
        # first use): the other assignments decide.
        if len(assigned) > 1:
            assigned = [a for a in assigned if not is_none_literal(a[0])] or assigned
        for value, scope, node in assigned:
            if isinstance(node, cst.AnnAssign):
                annotated = self.from_annotation(node.annotation.annotation, scope)
                if annotated is not None:
                    results.append(annotated)
                    continue
            results.append(self.infer(value, scope) if value is not None else None)
        return self._agree(results)

    def _inherited_attribute(self, class_scope: Scope, attr: str, depth: int) -> Inferred | None:
        """An attribute the class neither sets nor defines, read where its
        bases of this module do (``self.redis_client``, a property of a mixin
        the consumer derives from): the first base that has it, depth first,
        left to right, as Python's order finds it for single inheritance and
        mixins; nothing once a base of another module comes first (it may
        have the attribute: a test case's ``client``)."""
        node, holder = class_scope.node, class_scope.parent
        if depth >= MAX_INHERITED_DEPTH or type(node) is not cst.ClassDef or holder is None:
            return None
        for arg in node.bases:
            if arg.keyword is not None:
                continue
            if type(arg.value) is not cst.Name:
                return None
            defined = defined_class(holder, arg.value.value)
            if defined is None:
                return None
            scope = self._class_scope(*defined)
            if self._class_attributes(scope).get(attr) or scope.bindings.get(attr):
                return self._infer_self_attribute(scope, attr, depth + 1)
            found = self._inherited_attribute(scope, attr, depth + 1)
            if found is not None:
                return found
        return None

    def _property_value(self, binding: Binding, class_scope: Scope) -> Inferred | None:
        """``self.client`` where the class defines ``client`` as a
        ``@property``/``@cached_property``: what its getter returns."""
        node = binding.node
        if binding.kind != DEF or type(node) is not cst.FunctionDef or node.asynchronous is not None or not node.decorators:
            return None
        for decorator in node.decorators:
            expr = decorator.decorator
            if type(expr) is cst.Call:
                return None  # ``@property`` takes no arguments; another decorator made this
            qualified = self.ctx.qualified_name(expr, class_scope.parent or class_scope) or ""
            if qualified not in PROPERTY_DECORATORS and qualified.rpartition(".")[2] != "cached_property":
                return None
        return self.returned_type(node, class_scope.parent or class_scope)

    def self_attribute_assignments(self, class_scope: Scope) -> dict[str, list[tuple[cst.BaseExpression | None, Scope, cst.CSTNode]]]:
        """``self_assignments`` of the class, read once per class."""
        return self._class_attributes(class_scope)

    def _class_attributes(self, class_scope: Scope) -> dict[str, list[tuple[cst.BaseExpression | None, Scope, cst.CSTNode]]]:
        """``self.<attr> = value`` in every method of the class (read once per class)."""
        key = id(class_scope.node)
        cached = self._self_attributes.get(key)
        if cached is None:
            cached = self._self_attributes[key] = self_assignments(self.ctx, class_scope)
        return cached


# Builtins whose result holds the items of the iterable they are given.
_ITEM_COPIES = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed"})

# Generic containers whose annotation names the type of their items (by the
# name a ``typing``/``collections.abc`` import or the builtin gives them).
_SEQUENCE_ANNOTATIONS = frozenset(
    {"list", "List", "set", "Set", "frozenset", "FrozenSet", "tuple", "Tuple", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection", "AbstractSet", "MutableSet", "deque", "Deque"}
)
_MAPPING_ANNOTATIONS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict", "defaultdict"})

# Decorators after which calling a def still returns what its body returns.
_TRANSPARENT_DECORATORS = frozenset({"staticmethod", "classmethod", "functools.cache", "functools.lru_cache", "builtins.staticmethod", "builtins.classmethod"})


def local_callee(ctx: FileContext, func: cst.BaseExpression, scope: Scope) -> tuple[cst.FunctionDef, Scope] | None:
    """The plain ``def`` of this module a call runs, with the scope it is
    defined in: a name bound only to it (``_get_cache()``), or a method of
    the caller's class (``self.get_client()``, ``cls.build()``); None for
    an ``async def`` (its call is a coroutine), a def under other
    decorators, or anything else."""
    found: tuple[cst.FunctionDef, Scope] | None = None
    if type(func) is cst.Name:
        found = defined_function(scope, func.value)
    elif type(func) is cst.Attribute and type(func.value) is cst.Name:
        owner = self_class_scope(func.value.value, scope)
        if owner is not None:
            found = own_function(owner, func.attr.value)
        else:
            found = _class_method(func.value, func.attr.value, scope, on_instance=False)  # ``Factory.make()``
            annotated = _annotated_class_name(func.value, scope) if found is None else None
            if annotated is not None:
                # ``builder.get_redis()``, ``builder: RedisBuilder`` a parameter.
                found = _class_method(annotated, func.attr.value, scope, on_instance=True)
    elif type(func) is cst.Attribute and type(func.value) is cst.Call and not func.value.args:
        found = _class_method(func.value.func, func.attr.value, scope, on_instance=True)  # ``Factory().make()``
    if found is None or found[0].asynchronous is not None:
        return None
    node, where = found
    for decorator in node.decorators:
        expr = decorator.decorator.func if type(decorator.decorator) is cst.Call else decorator.decorator
        qualified = ctx.qualified_name(expr, where) or ""
        if qualified not in _TRANSPARENT_DECORATORS and qualified.rpartition(".")[2] not in ("staticmethod", "classmethod"):
            return None
    return found


def _annotated_class_name(name: cst.Name, scope: Scope) -> cst.Name | None:
    """The class a parameter is annotated with, where it names one (read
    where the function is defined): ``builder: RedisBuilder``."""
    found = lookup(scope, name.value)
    if found is None or len(found[1]) != 1 or found[1][0].kind != PARAM:
        return None
    param = found[1][0].node
    annotation = param.annotation if isinstance(param, cst.Param) else None
    target = annotation_target(annotation.annotation) if annotation is not None else None
    if type(target) is cst.SimpleString:
        text = target.evaluated_value
        target = cst.Name(text) if isinstance(text, str) and text.isidentifier() else None
    return target if type(target) is cst.Name else None


def _class_method(cls: cst.BaseExpression, name: str, scope: Scope, on_instance: bool) -> tuple[cst.FunctionDef, Scope] | None:
    """The method ``name`` of the class of this module that ``cls`` names:
    a static or class method called on the class, any method (but a class
    method) called on an instance made with no arguments.  Its own body's
    only: a method a base defines is not looked for."""
    found = defined_class(scope, cls.value) if type(cls) is cst.Name else None
    if found is None or type(found[0].body) is not cst.IndentedBlock:
        return None
    node, holder = found
    methods = [s for s in node.body.body if type(s) is cst.FunctionDef and s.name.value == name]
    if len(methods) != 1:
        return None
    method = methods[0]
    kinds = {d.decorator.value for d in method.decorators if type(d.decorator) is cst.Name}
    if on_instance and "classmethod" in kinds:
        return None
    if not on_instance and not kinds & {"staticmethod", "classmethod"}:
        return None
    return method, holder


def returned_values(ctx: FileContext, function: cst.FunctionDef, parent: Scope) -> list[tuple[cst.BaseExpression, Scope]] | None:
    """Every value the ``return`` statements of ``function``'s own body give,
    each with the scope it is read in; None where one returns nothing, the
    def is a generator, or it has no ``return``."""
    values = ctx.subtree_memo.get(returned_values, function.body, _returned_expressions)
    if values is None:
        return None
    where = function_scope(ctx, function, parent)
    return [(value, where) for value in values]


def _returned_expressions(body: cst.BaseSuite) -> list[cst.BaseExpression] | None:
    """``returned_values``' reading of a body alone (kept per body: several
    rules ask about the same helper many times per file)."""
    from async_lint.analysis.django_models import return_statements
    from async_lint.checks.django_structure_classes import nodes_in

    returns = list(return_statements(body))
    if not returns or any(r.value is None for r in returns) or next(nodes_in(body, (cst.Yield,)), None) is not None:
        return None
    return [r.value for r in returns]  # type: ignore[misc]


def self_assignments(ctx: FileContext, class_scope: Scope) -> dict[str, list[tuple[cst.BaseExpression | None, Scope, cst.CSTNode]]]:
    """attr -> (value or None, method scope, statement) for every
    ``self.<attr> = value`` in the methods of a class."""
    out: dict[str, list[tuple[cst.BaseExpression | None, Scope, cst.CSTNode]]] = {}
    class_node = class_scope.node
    assert isinstance(class_node, cst.ClassDef)
    for statement in class_node.body.body if isinstance(class_node.body, cst.IndentedBlock) else ():
        if not isinstance(statement, cst.FunctionDef):
            continue
        params = (*statement.params.posonly_params, *statement.params.params)
        if not params:
            continue
        self_name = params[0].name.value
        method_scope = function_scope(ctx, statement, class_scope)
        for node, target, value in _attribute_assignments(statement.body):
            if isinstance(target.value, cst.Name) and target.value.value == self_name:
                out.setdefault(target.attr.value, []).append((value, method_scope, node))
    return out


def set_in_init(cls: cst.ClassDef, attr: str, methods: frozenset[str] = frozenset({"__init__"})) -> bool:
    """Whether the class's ``__init__`` (or another of ``methods``) assigns ``self.<attr>``."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value in methods:
            params = (*statement.params.posonly_params, *statement.params.params)
            if not params:
                continue
            self_name = params[0].name.value
            if any(target.attr.value == attr and isinstance(target.value, cst.Name) and target.value.value == self_name for _, target, _ in _attribute_assignments(statement.body)):
                return True
    return False


# How many bases deep an inherited attribute is looked for.
MAX_INHERITED_DEPTH = 4


def class_body_scope(ctx: FileContext, node: cst.ClassDef, parent: Scope) -> Scope:
    """A class's scope, its bindings collected as the traversal collects them
    (the traversal's own is gone once it has left the class)."""
    scope = Scope("class", node, parent)
    BindingCollector(scope, ctx.module_name, ctx.is_package)._block(node.body)
    return scope


def global_assignments(ctx: FileContext) -> dict[str, list[tuple[Binding, Scope]]]:
    """Module-level names assigned by the module's top-level defs that declare
    them ``global`` (``global _client; _client = redis.Redis()``): name ->
    each assignment with the def's scope."""
    return ctx.shared(_GlobalAssignments).made


class _GlobalAssignments:
    def __init__(self, ctx: FileContext) -> None:
        from async_lint.analysis.scopes import GLOBAL

        self.made: dict[str, list[tuple[Binding, Scope]]] = {}
        module = ctx.module_scope
        for name in _defs_declaring_globals(ctx):
            found = module.bindings.get(name)
            if not found or len(found) != 1 or found[0].kind != DEF or not isinstance(found[0].node, cst.FunctionDef):
                continue
            scope = function_scope(ctx, found[0].node, module)
            declared = [n for n, b in scope.bindings.items() if b and b[0].kind == GLOBAL]
            for global_name in declared:
                for binding in scope.bindings[global_name][1:]:
                    if binding.kind == ASSIGN and binding.value is not None:
                        self.made.setdefault(global_name, []).append((binding, scope))


def _defs_declaring_globals(ctx: FileContext) -> list[str]:
    """The module's top-level defs with a ``global`` statement of their own,
    found on CPython's tree where the file has one (else libcst's)."""
    import ast

    if ctx.source is None or "global" not in ctx.source.text:
        return []
    tree = ctx.source.python_tree
    if tree is None:
        return [
            b[0].node.name.value for b in ctx.module_scope.bindings.values() if b and b[0].kind == DEF and isinstance(b[0].node, cst.FunctionDef) and "global" in ctx.module.code_for_node(b[0].node)
        ]
    names = []
    for statement in tree.body:
        if type(statement) is not ast.FunctionDef:
            continue
        stack: list[ast.AST] = list(statement.body)
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Global:
                names.append(statement.name)
                break
            if kind not in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda):
                stack.extend(ast.iter_child_nodes(node))
    return names


def function_scope(ctx: FileContext, function: cst.FunctionDef, parent: Scope) -> Scope:
    """A def's scope: the traversal's where it was visited, else (defined
    below the code being analysed) its bindings collected now, the same way
    the traversal will."""
    info = ctx.function_info(function)
    if info is not None:
        return info.scope
    scope = Scope("function", function, parent)
    collector = BindingCollector(scope, ctx.module_name, ctx.is_package)
    collector.collect_parameters(function.params)
    collector._block(function.body)
    return scope


# A method body's attribute assignments: several rules ask about the same
# class's methods, many times per file.
_ASSIGNMENTS_BY_BODY = RecentSubtrees(256)


def _attribute_assignments(body: cst.BaseSuite) -> Iterator[tuple[cst.CSTNode, cst.Attribute, cst.BaseExpression | None]]:
    from async_lint.analysis.attribute_assignments import attribute_assignments

    return iter(_ASSIGNMENTS_BY_BODY.get(body, attribute_assignments))


def _rooted_in(expr: cst.BaseExpression, name: str) -> bool:
    """``name.a(...).b[...]``: a chain of attributes, calls and subscripts on ``name``."""
    while True:
        kind = type(expr)
        if kind is cst.Name:
            return expr.value == name
        if kind is cst.Attribute or kind is cst.Subscript:
            expr = expr.value
        elif kind is cst.Call:
            expr = expr.func
        else:
            return False
