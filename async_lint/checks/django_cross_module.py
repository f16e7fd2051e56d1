"""DJA204 for models defined in another module of the project.

A file that uses an imported model (``from shop.models import Order``) does
not know its fields, so ``order.product`` could be a column or a relation.
The file records a ``django_relation_use`` fact for each attribute read on
such an instance whose producing query is known (and whether that query's
``select_related``/``prefetch_related`` covered the name), and for each
``inst.<name>.all()`` it iterates. ``CrossModuleRelationCheck`` joins those
with the ``django_model`` facts of the modules that define the models
(relations of the model, of its bases in any module, and the reverse
accessors other models give it) and reports DJA204 only when the name is a
relation of the model that loads with a query. A model no module of the
project defines (a third-party app's) stays silent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from async_lint import lazy_libcst

from async_lint.analysis.django_models import WELL_KNOWN_MODELS, InstanceValue
from async_lint.analysis.model_table import SINGLE_RELATION_KINDS
from async_lint.checks.base import Check, ProjectCheck, finding_at
from async_lint.checks.class_hierarchy import VIEW_CLASS_HINTS, ClassBases, subclass_files
from async_lint.checks.django_structure_classes import GET_RESPONSE_PARAMETER, MethodFacts
from async_lint.facts import CLASS_FACTS, Fact, ProjectFacts
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

MANY_KINDS = frozenset({"m2m", "generic_rel", "reverse_fk", "reverse_m2m"})
REVERSE_KIND = {"fk": "reverse_fk", "o2o": "reverse_o2o", "m2m": "reverse_m2m"}


@dataclass(frozen=True, kw_only=True)
class RelationUse(Fact):
    """``inst.<attr>`` read (or ``inst.<attr>.all()`` iterated) in async code,
    ``inst`` an instance of a model imported from another module, fetched by
    a query seen in the file."""

    kind = "django_relation_use"
    model: str  # qualified, as imported
    attr: str
    use: str  # "read" or "iterate"
    covered: bool  # the query's select_related/prefetch_related named ``attr``
    text: str
    receiver: str


@dataclass(frozen=True, kw_only=True)
class ModelDeclared(Fact):
    """A model class of the module, with its own relations."""

    kind = "django_model"
    name: str
    module: str | None
    bases: tuple[str, ...] = ()
    abstract: bool = False
    managers: tuple[str, ...] = ()
    relations: tuple[dict, ...] = ()  # {"name", "kind", "target", "related_name"}


def _is_all_on_a_manager(expr: cst.BaseExpression) -> bool:
    """``<receiver>.<name>.all()``: a related manager's query, when ``name`` is
    a relation.  (A plain test, not libcst's matchers: it runs in nearly every
    async file, and importing the matchers cost each worker of a cold run a
    quarter of a second.)"""
    return type(expr) is cst.Call and not expr.args and type(expr.func) is cst.Attribute and expr.func.attr.value == "all" and type(expr.func.value) is cst.Attribute


def _shown(ctx, node: cst.CSTNode) -> str:
    """The code as a message shows it: on one line and whole, so that a
    suggested replacement built from it can be pasted back."""
    return " ".join(ctx.module.code_for_node(node).split())


def _foreign_instance(inference, expr: cst.BaseExpression) -> InstanceValue | None:
    """``expr`` is an instance of a model imported from elsewhere whose
    fields this file does not know, fetched by a query seen here."""
    value = inference.infer(expr)
    if not isinstance(value, InstanceValue) or value.model is None or value.loaded is None:
        return None
    model = value.model
    if model.defined_here or model.qualified is None or model.qualified in WELL_KNOWN_MODELS or model.relations:
        return None
    return value


def record_attribute_use(check, node: cst.Attribute, loaded_elsewhere: bool = False) -> None:
    """``inst.name`` read in async code, ``inst`` an imported model's instance
    (``loaded_elsewhere``: an earlier statement may have loaded ``name``:
    a thread, or a read of it before this one)."""
    ctx = check.ctx
    if not ctx.in_async_context or check.inference.async_unsafe_opt_out:
        return
    instance = _foreign_instance(check.inference, node.value)
    if instance is None:
        return
    _record(ctx, node, instance, node.attr.value, "read", node.value, loaded_elsewhere)


def record_iteration(check, expr: cst.BaseExpression) -> None:
    """``inst.name.all()`` iterated in async code (a related manager's query
    when ``name`` is a many-relation of the imported model)."""
    ctx = check.ctx
    if not ctx.in_async_context or check.inference.async_unsafe_opt_out:
        return
    if not _is_all_on_a_manager(expr):
        return
    manager = expr.func.value  # type: ignore[attr-defined]
    instance = _foreign_instance(check.inference, manager.value)
    if instance is None:
        return
    _record(ctx, expr, instance, manager.attr.value, "iterate", manager.value)


def _record(ctx, node: cst.CSTNode, instance: InstanceValue, name: str, use: str, receiver: cst.CSTNode, loaded_elsewhere: bool = False) -> None:
    fact = RelationUse(
        model=instance.model.qualified,  # type: ignore[union-attr,arg-type]
        attr=name,
        use=use,
        covered=loaded_elsewhere or instance.has_loaded(name),
        text=_shown(ctx, node),
        receiver=_shown(ctx, receiver),
    )
    ctx.add_fact(fact, node)


class ModelFacts(Check):
    """Records the ``ModelDeclared`` facts of model modules, which have no
    ``async def`` and would otherwise get no full pass."""

    codes = ("DJA204",)
    # A model class: on a model-ish base (models.Model, a *Model, an
    # Abstract* user), or declaring fields, relations or a Meta (a model
    # subclassing a project model imported from elsewhere still does one).
    # DJA204 joins these facts only to the relation reads that async code
    # makes: a tree where none is made (most migrations and schema modules
    # match these) gives them no full pass.
    text_hints = ()
    text_hints_after_fact = (
        RelationUse.kind,
        (
            r"(?m:^\s*class\s+\w+\s*\([^)]*(?:\bmodels\.\w*Model\b|\b\w*Model\b|\bAbstract\w*))",
            r"\bmodels\.\w*(?:Field|Key)\(|\b(?:ForeignKey|ManyToManyField|OneToOneField)\(",
            r"(?m:^\s+class\s+Meta\s*[(:])",
        ),
    )

    def __init__(self, ctx):
        super().__init__(ctx)
        from async_lint.analysis.django_models import django_inference

        inference = django_inference(ctx)
        for info in inference.models().values():
            relations = tuple({"name": r.name, "kind": r.kind, "target": r.target, "related_name": r.related_name} for r in info.relations.values())
            ctx.add_fact(
                ModelDeclared(
                    name=info.name,
                    module=inference.module_name,
                    bases=tuple(info.bases),
                    abstract=info.abstract,
                    managers=tuple(sorted(info.managers)),
                    relations=relations,
                )
            )


class _Model:
    def __init__(self, path: str, fact: ModelDeclared):
        self.path = path
        self.module: str = fact.module or ""
        self.name: str = fact.name
        self.bases: list[str] = list(fact.bases)
        self.abstract = fact.abstract
        self.own = {r["name"]: r for r in fact.relations}
        self.reverse: dict[str, dict] = {}

    @property
    def app_label(self) -> str:
        parts = self.module.split(".")
        if "models" in parts and parts.index("models") > 0:
            return parts[parts.index("models") - 1]
        return parts[-2] if len(parts) > 1 else parts[0]


class ModelIndex:
    """The project's models by module and name, with inherited and reverse relations."""

    def __init__(self, facts: ProjectFacts):
        self.by_key: dict[tuple[str, str], _Model] = {}
        self.by_name: dict[str, list[_Model]] = {}
        for path, fact in facts.of(ModelDeclared):
            if fact.module:
                model = _Model(path, fact)
                self.by_key[(model.module, model.name)] = model
                self.by_name.setdefault(model.name, []).append(model)
        self._forward: dict[int, dict[str, dict]] = {}
        for model in self.by_key.values():
            if model.abstract:
                continue
            for relation in self.forward(model).values():
                self._add_reverse(model, relation)

    def resolve(self, qualified: str) -> _Model | None:
        """The model an import names: defined in that module, or (a package
        re-exporting it) the only one of that name below it."""
        module, _, name = qualified.rpartition(".")
        found = self.by_key.get((module, name))
        if found is not None:
            return found
        below = [m for m in self.by_name.get(name, ()) if m.module.startswith(module + ".")]
        return below[0] if len(below) == 1 else None

    def forward(self, model: _Model, depth: int = 0) -> dict[str, dict]:
        """Own relations and those of its bases (any module), not reverse ones."""
        cached = self._forward.get(id(model))
        if cached is not None:
            return cached
        out: dict[str, dict] = {}
        if depth < 10:
            for base in model.bases:
                parent = self.resolve(base)
                if parent is not None and parent is not model:
                    out.update({k: v for k, v in self.forward(parent, depth + 1).items() if not v["kind"].startswith("reverse")})
        out.update(model.own)
        self._forward[id(model)] = out
        return out

    def _target(self, source: _Model, name: str | None) -> _Model | None:
        if not name:
            return None
        if name == "self":
            return source
        same_module = self.by_key.get((source.module, name))
        if same_module is not None:
            return same_module
        candidates = self.by_name.get(name, [])
        return candidates[0] if len(candidates) == 1 else None

    def _add_reverse(self, model: _Model, relation: dict) -> None:
        kind = REVERSE_KIND.get(relation["kind"])
        target = self._target(model, relation.get("target")) if kind else None
        if target is None:
            return
        related_name = relation.get("related_name")
        if related_name is not None and related_name.endswith("+"):
            return
        if related_name is None:
            related_name = model.name.lower() if relation["kind"] == "o2o" else f"{model.name.lower()}_set"
        elif "%(" in related_name:
            related_name = related_name.replace("%(class)s", model.name.lower()).replace("%(app_label)s", model.app_label)
        target.reverse.setdefault(related_name, {"name": related_name, "kind": kind, "target": model.name})

    def relation(self, model: _Model, name: str) -> dict | None:
        found = self.forward(model).get(name)
        if found is not None:
            return found
        for current in [model, *filter(None, (self.resolve(b) for b in model.bases))]:
            if name in current.reverse:
                return current.reverse[name]
        return None


class CrossModuleRelationCheck(ProjectCheck):
    codes = ("DJA204",)
    fact_kinds = (RelationUse, ModelDeclared)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """The modules of the models used, of their bases, and of the models
        that relate to them (their reverse accessors)."""
        modules = {fact.model.rpartition(".")[0] for _, fact in facts.of(RelationUse)}
        modules |= {base.rpartition(".")[0] for _, fact in facts.of(ModelDeclared) for base in fact.bases if "." in base}
        used = {fact.model for _, fact in facts.of(RelationUse)}
        modules |= project.modules_relating_to(used)
        modules.discard("")
        return {path for module in modules for path in project.paths_of(module)}

    def run(self, facts: ProjectFacts) -> list[Finding]:
        uses = [(path, fact) for path, fact in facts.of(RelationUse) if not fact.covered and fact.positioned]
        if not uses:
            return []
        index = ModelIndex(facts)
        out = []
        for path, fact in uses:
            model = index.resolve(fact.model)
            relation = index.relation(model, fact.attr) if model is not None else None
            message = _message(fact, relation) if relation is not None else None
            if message is not None:
                out.append(finding_at(path, fact.where, "DJA204", message))
        return out


def _message(fact: RelationUse, relation: dict) -> str | None:
    name = relation["name"]
    if fact.use == "read" and relation["kind"] in SINGLE_RELATION_KINDS:
        # A GenericForeignKey is no field select_related() takes (FieldError): it is prefetched.
        loader = "prefetch_related" if relation["kind"] == "generic_fk" else "select_related"
        return f'`{fact.text}` loads the related `{name}` with a query in async code (SynchronousOnlyOperation): add `{loader}("{name}")` to the query that fetched `{fact.receiver}`'
    if fact.use == "iterate" and relation["kind"] in MANY_KINDS:
        return (
            f"`{fact.text}` loads `{name}` with a query in async code (SynchronousOnlyOperation): "
            f'add `prefetch_related("{name}")` to the query that fetched the instance, or iterate it with `async for`'
        )
    return None


# -- DJA502/DJA503/DJA506: view and middleware base classes in other modules ----------


def _literal(value):
    """A class attribute's value as plain data ("?" for UNKNOWN)."""
    from async_lint.checks.django_structure_classes import UNKNOWN

    return "?" if value is UNKNOWN else value


class ClassShapes(Check):
    """Records each class's bases, methods and flags, for the structure rules
    whose base classes live in another module."""

    codes = ("DJA502", "DJA503", "DJA506")
    # A class with async code, or a middleware (its __init__ takes
    # get_response), gets a full pass for its text; other view, viewset,
    # mixin and middleware classes only once their bases show they inherit
    # async code through another module (``class_hierarchy``).
    text_hints = (r"\basync\s+def\b", GET_RESPONSE_PARAMETER)
    light_fact_hints = VIEW_CLASS_HINTS
    # What a class inherits matters only where async handlers or an async
    # ``__call__`` are somewhere in the project (its own or adrf's views).
    async_code_only = True
    light_facts_reader = "async_lint.checks.class_hierarchy:class_bases"

    def __init__(self, ctx):
        super().__init__(ctx)
        from async_lint.checks.django_structure_classes import ClassRegistry

        self.registry = ClassRegistry.of(ctx)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.registry.add_class(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        # ``Cls.async_capable = True`` at module level sets a flag the shape
        # records, whichever other structure checks run.
        if self.ctx.scope.kind == "module":
            self.registry.add_module_assignment(node)

    def leave_Module(self, node: cst.Module) -> None:
        from async_lint.checks.django_structure_classes import ClassFacts, FrameworkClass, MiddlewareMixinClass
        from async_lint.checks.django_structure_middleware import init_summary, own_methods

        module = self.ctx.module_name or "<module>"
        for facts in self.registry:
            bases = []
            for base in facts.bases:
                if isinstance(base, ClassFacts):
                    bases.append(("class", f"{module}.{base.name}"))
                elif isinstance(base, FrameworkClass):
                    bases.append(("framework", base.name))
                elif isinstance(base, MiddlewareMixinClass):
                    bases.append(("mixin", base.name))
                else:
                    bases.append(("unknown", base.text))
            init = facts.methods.get("__init__")
            shape = class_shape(module, facts, bases, self.registry.flags(facts), init_summary(self.ctx, init.node, own_methods(facts)) if init is not None else None)
            self.ctx.add_fact(shape, facts.node.name)
            # Where the middleware rules report, when the class is checked
            # against base classes of other modules.
            for name in MIDDLEWARE_METHODS:
                method = facts.methods.get(name)
                if method is not None and method.node.name.value == name:
                    self.ctx.add_fact(MethodAt(owner=f"{module}.{facts.name}", name=name), method.node.name)


@dataclass(frozen=True, kw_only=True)
class ClassShape(Fact):
    """A class: its bases (("class"|"framework"|"mixin"|"unknown", name)),
    methods (name -> [is async, decorators, parameters]), literal attributes
    and flags ("?" for unknown values), its ``__init__``'s summary."""

    kind = "structure.class"
    module: str
    name: str
    bases: tuple[tuple[str, str], ...]
    methods: dict[str, Any]
    attributes: dict[str, Any]
    init: tuple | None = None
    subclassed: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


def class_shape(module: str, facts: Any, bases: list[tuple[str, str]], flags: dict[str, Any], init: tuple | None) -> "ClassShape":
    """The shape of a class read by a full pass (``ClassFacts``) or by
    CPython's ast (``class_shapes_ast``): its own ``flags`` and its
    ``__init__``'s ``init_summary``."""
    return ClassShape(
        module=module,
        name=facts.name,
        bases=tuple(bases),
        methods={n: [m.is_async, list(m.decorators), list(m.params)] for n, m in facts.methods.items()},
        attributes={k: _literal(v) for k, v in {**facts.attributes, **flags}.items() if _plain(v)},
        init=tuple(init) if init is not None else None,
        subclassed=facts.subclassed,
    )


@dataclass(frozen=True, kw_only=True)
class MethodAt(Fact):
    """Where a middleware method of a class is (the middleware rules report there)."""

    kind = "structure.method"
    owner: str
    name: str


MIDDLEWARE_METHODS = ("__init__", "__call__", "process_request", "process_response")


def _plain(value) -> bool:
    from async_lint.checks.django_structure_classes import UNKNOWN

    return value is UNKNOWN or value is None or isinstance(value, (bool, str)) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


class ProjectClasses:
    """The classes recorded by ``ClassShapes`` over the project, rebuilt as
    ``ClassFacts`` with base classes of other modules resolved (or not, to
    compare with what each file's own analysis saw)."""

    def __init__(self, facts: ProjectFacts):
        from async_lint.checks.django_structure_classes import ClassRegistry

        self.records = facts.of(ClassShape)
        self.by_name: dict[str, ClassShape] = {}
        self._short: dict[str, list[ClassShape]] = {}
        for _, fact in self.records:
            self.by_name.setdefault(fact.qualified, fact)
            self._short.setdefault(fact.name, []).append(fact)
        self.registry = ClassRegistry.__new__(ClassRegistry)
        self.registry.assigned_attributes = {}
        self._facts = facts
        self.module_of: dict[int, str] = {}
        self._positions: dict[tuple[str, str], tuple[str, MethodAt]] | None = None

    def resolve(self, qualified: str) -> ClassShape | None:
        """The class an import names: defined in that module, or (a package
        re-exporting it) the only one of that name below it."""
        found = self.by_name.get(qualified)
        if found is not None:
            return found
        module, _, name = qualified.rpartition(".")
        below = [f for f in self._short.get(name, ()) if f.module.startswith(module + ".")] if module else []
        return below[0] if len(below) == 1 else None

    def any_cross_module(self) -> bool:
        return any(kind == "unknown" and self.resolve(text) is not None for _, f in self.records for kind, text in f.bases)

    def crosses(self, fact: ClassShape) -> bool:
        """A base class (own or of a same-module base) is in another project module."""
        return fact.positioned and any(kind == "unknown" and self.resolve(text) is not None for kind, text in [*fact.bases, *_inherited_unknowns(fact, self.by_name)])

    def build(self, fact: ClassShape, resolve: bool, seen: dict | None = None):
        from async_lint.checks.django_structure_classes import UNKNOWN, ClassFacts, MiddlewareMixinClass, UnknownClass, view_table

        seen = {} if seen is None else seen
        by_name = self.by_name
        key = fact.qualified
        if key in seen:
            return seen[key]
        built = ClassFacts(node=None, name=fact.name, bases=[], subclassed=not seen and fact.subclassed)  # type: ignore[arg-type]
        seen[key] = built
        self.module_of[id(built)] = fact.module
        for name, (is_async, decorators, params) in fact.methods.items():
            init = fact.init if name == "__init__" else None
            built.methods[name] = RecordedMethod(name, None, is_async, tuple(decorators), tuple(params), key, tuple(init) if init else None)  # type: ignore[arg-type]
        built.attributes = {k: (UNKNOWN if v == "?" else v) for k, v in fact.attributes.items()}
        for kind, text in fact.bases:
            if kind == "class" and text in by_name:
                built.bases.append(self.build(by_name[text], resolve, seen))
            elif kind == "framework" and text in view_table().classes:
                built.bases.append(view_table().classes[text])
            elif kind == "mixin":
                built.bases.append(MiddlewareMixinClass())
            elif kind == "unknown" and resolve and self.resolve(text) not in (None, fact):
                built.bases.append(self.build(self.resolve(text), resolve, seen))  # type: ignore[arg-type]
            else:
                built.bases.append(UnknownClass(text))
        return built

    def method_position(self, path: str, owner: str, name: str) -> dict | None:
        """The recorded position of ``owner.name`` when it is in ``path``."""
        if self._positions is None:
            self._positions = {(f.owner, f.name): (p, f) for p, f in self._facts.of(MethodAt) if f.positioned}
        found = self._positions.get((owner, name))
        return found[1].where if found is not None and found[0] == path else None


def _base_modules(facts: ProjectFacts, project) -> set[str]:
    """The files of base classes imported from other modules (views,
    middleware), and the files of classes with no async code of their own
    that inherit it through another module."""
    modules = {text.rpartition(".")[0] for _, fact in facts.of(ClassShape) for kind, text in fact.bases if kind == "unknown" and "." in text}
    modules.discard("")
    found = {path for module in modules for path in project.paths_of(module)}
    return found | subclass_files(facts, project, ClassShape, _async_framework_bases())


@functools.lru_cache(maxsize=None)
def _async_framework_bases() -> frozenset[str]:
    """The framework views with async handlers (adrf's generics), by every name they are imported as."""
    from async_lint.checks.django_structure_classes import view_table

    return frozenset(name for name, entry in view_table().classes.items() if entry.async_handlers)


@dataclass(eq=False)
class RecordedMethod(MethodFacts):
    """A method rebuilt from a fact: no node, but its class and, for an
    ``__init__``, its ``init_summary``."""

    owner: str = ""
    init: tuple | None = None


class CrossModuleViewCheck(ProjectCheck):
    """DJA503 where a view's base class with handlers is in another module."""

    codes = ("DJA503",)
    fact_kinds = (ClassShape, ClassBases)

    ast_facts = CLASS_FACTS
    async_code_only = True

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        return _base_modules(facts, project)

    def run(self, facts: ProjectFacts) -> list[Finding]:
        from async_lint.checks.django_structure_views import mixed_handlers_message

        classes = ProjectClasses(facts)
        if not classes.any_cross_module():
            return []
        out = []
        for path, fact in classes.records:
            if not classes.crosses(fact):
                continue
            message = mixed_handlers_message(classes.registry, classes.build(fact, True), self.settings)
            if message is None or mixed_handlers_message(classes.registry, classes.build(fact, False), self.settings) is not None:
                continue  # no mix, or the file's own analysis reports it already
            out.append(finding_at(path, fact.where, "DJA503", message))
        return out


class CrossModuleMiddlewareCheck(ProjectCheck):
    """DJA502/DJA506 where a class middleware's base class is in another module."""

    codes = ("DJA502", "DJA506")
    fact_kinds = (ClassShape, MethodAt, ClassBases)

    ast_facts = CLASS_FACTS
    async_code_only = True

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        return _base_modules(facts, project)

    def run(self, facts: ProjectFacts) -> list[Finding]:
        from async_lint.checks.django_structure_classes import ClassFacts
        from async_lint.checks.django_structure_middleware import class_middleware_problems

        classes = ProjectClasses(facts)
        if not classes.any_cross_module():
            return []
        registry = classes.registry

        def problems(built) -> list:
            return class_middleware_problems(registry, built, lambda owner, method: method.init or (False, False), getattr(self.settings, "django_version", None))

        out = []
        for path, fact in classes.records:
            if not classes.crosses(fact):
                continue
            built = classes.build(fact, True)
            found = problems(built)
            if not found:
                continue
            local = {(code, message) for _, code, message in problems(classes.build(fact, False))}
            # A base class in another module with the same problem is
            # reported there; its subclasses are fixed with it.
            inherited = {code for base in registry.mro(built)[1:] if isinstance(base, ClassFacts) and classes.module_of.get(id(base)) != fact.module for _, code, _ in problems(base)}
            for target, code, message in found:
                if (code, message) in local or code in inherited:
                    continue
                out.append(finding_at(path, self._position(classes, path, fact, built, target), code, message))
        return out

    @staticmethod
    def _position(classes: ProjectClasses, path: str, fact: ClassShape, built, target) -> dict:
        key = fact.qualified
        if getattr(target, "owner", None):
            at = classes.method_position(path, target.owner, target.name)
            if at is not None:
                return at
        own_call = built.methods.get("__call__")
        at = classes.method_position(path, key, "__call__") if own_call is not None else None
        return at or fact.where


def _inherited_unknowns(fact: ClassShape, by_name: dict[str, ClassShape], depth: int = 0) -> list:
    """The bases of same-module base classes (which may be in other modules)."""
    out: list = []
    if depth > 10:
        return out
    for kind, text in fact.bases:
        if kind == "class" and text in by_name:
            parent = by_name[text]
            out += [*parent.bases, *_inherited_unknowns(parent, by_name, depth + 1)]
    return out
