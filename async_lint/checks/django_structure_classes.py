"""What the DJA5xx structure rules know about the classes of one file.

For every class: its bases (classes of this file, framework classes known
from ``rules/django_generic_views.toml``, or unknown), its methods (sync or
async, decorators, parameters), the literal values of its class attributes,
and the capability flags set on it by decorators or by ``Cls.flag = value``
statements. From these the checks build the method resolution order and ask
"which class answers for ``get``", "is ``async_capable`` True" as Python would,
answering UNKNOWN whenever a class of unknown content comes first (flag only on
evidence).

The facts are plain per-class records keyed by the class node, so classes
imported from other modules can later be resolved through the project index
instead of being UNKNOWN.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

from async_lint import lazy_libcst

from async_lint.analysis.context import FileContext
from async_lint.analysis.scopes import CLASS, positional_params
from async_lint.catalog import load_table
from async_lint.walk import NESTED_SCOPE_NAMES, children

cst = lazy_libcst.bind(globals())


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
MIDDLEWARE_MIXIN = "django.utils.deprecation.MiddlewareMixin"
MARK_COROUTINE = frozenset({"asgiref.sync.markcoroutinefunction", "inspect.markcoroutinefunction"})
# A function of this name applied to ``self`` marks it, however it was imported.
MARK_COROUTINE_NAME = "markcoroutinefunction"
# asyncio's marker of a coroutine function before Python 3.12 (``asyncio.coroutines._is_coroutine``),
# which ``asyncio.iscoroutinefunction`` honours where an instance carries it.
LEGACY_MARKER = "_is_coroutine"
# Text a module with no ``async def`` holds where a middleware rule can fire
# in it: ``get_response`` as a parameter (``__init__(self, get_response)``,
# a factory's ``def mw(get_response)``, the ``__call__(self, request,
# get_response)`` mistake).  A name followed by ``(`` is a call or a def of
# that name (an API test's ``self.get_response()`` helper), never a parameter.
GET_RESPONSE_PARAMETER = r"\bget_response\b(?!\s*\()"
# Decorators of django.utils.decorators and the flags they set.
MIDDLEWARE_DECORATORS = {
    "django.utils.decorators.async_only_middleware": {"sync_capable": False, "async_capable": True},
    "django.utils.decorators.sync_and_async_middleware": {"sync_capable": True, "async_capable": True},
    "django.utils.decorators.sync_only_middleware": {"sync_capable": True, "async_capable": False},
}


@dataclass(frozen=True)
class FrameworkClass:
    """A class of Django/DRF/adrf from the table."""

    name: str
    framework: str
    bases: tuple[str, ...]
    sync_handlers: frozenset[str]
    async_handlers: frozenset[str]

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ViewTable:
    classes: dict[str, FrameworkClass]  # by every name they are importable as
    http_method_names: tuple[str, ...]
    excluded_from_async_test: frozenset[str]
    viewset_actions: frozenset[str]


@functools.lru_cache(maxsize=None)
def view_table() -> ViewTable:
    data = load_table("django_generic_views")
    classes: dict[str, FrameworkClass] = {}
    for row in data["class"]:
        entry = FrameworkClass(
            name=row["name"],
            framework=row["framework"],
            bases=tuple(row.get("bases", ())),
            sync_handlers=frozenset(row.get("sync_handlers", ())),
            async_handlers=frozenset(row.get("async_handlers", ())),
        )
        for name in (row["name"], *row.get("aliases", ())):
            classes[name] = entry
    return ViewTable(
        classes=classes,
        http_method_names=tuple(data["http_method_names"]),
        excluded_from_async_test=frozenset(data["excluded_from_async_test"]),
        viewset_actions=frozenset(data["viewset_actions"]),
    )


@dataclass(frozen=True)
class UnknownClass:
    """A base class whose content this file does not show."""

    text: str


@dataclass(frozen=True)
class MiddlewareMixinClass:
    """django.utils.deprecation.MiddlewareMixin: both flags True, a sync
    ``__call__`` that switches to ``__acall__``, an ``__init__`` that marks the
    instance a coroutine function when ``get_response`` is one."""

    name: str = MIDDLEWARE_MIXIN


@dataclass(eq=False)
class MethodFacts:
    name: str
    node: cst.FunctionDef
    is_async: bool
    decorators: tuple[str, ...]
    params: tuple[str, ...]  # positional parameter names, self included


@dataclass(eq=False)
class ClassFacts:
    node: cst.ClassDef
    name: str
    bases: list["Entry"]
    methods: dict[str, MethodFacts] = field(default_factory=dict)
    # Class attributes with a literal value (True/False/None, a str list), or UNKNOWN.
    attributes: dict[str, Any] = field(default_factory=dict)
    decorators: tuple[str, ...] = ()
    subclassed: bool = False
    # The classes after this one in its linearization, once made without a
    # cycle cutting it (``_linearized``); without the class itself, which
    # would hold itself (and its node) in a cycle past its file's analysis.
    mro_tail: list["Entry"] | None = field(default=None, repr=False)

    @property
    def short(self) -> str:
        return self.name


Entry = Union[ClassFacts, FrameworkClass, UnknownClass, MiddlewareMixinClass]


def literal_value(node: cst.BaseExpression | None) -> Any:
    """A literal's value (True/False/None, a string, a list/tuple of strings), else UNKNOWN."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, (cst.List, cst.Tuple)):
        values = [literal_value(e.value) for e in node.elements if isinstance(e, cst.Element)]
        if len(values) == len(node.elements) and all(isinstance(v, str) for v in values):
            return values
    return UNKNOWN


def _decorator_names(ctx: FileContext, decorators: tuple[cst.Decorator, ...] | list[cst.Decorator]) -> tuple[str, ...]:
    out = []
    for decorator in decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        out.append(ctx.qualified_name(expr) or "")
    return tuple(out)


class ClassRegistry:
    """The classes of one file, collected as the traversal meets them."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.classes: dict[int, ClassFacts] = {}
        # ``Name.attr = value`` statements at module level: name -> {attr: value}.
        self.assigned_attributes: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, ctx: FileContext) -> "ClassRegistry":
        """One registry per file, shared by the structure checks."""
        return ctx.shared(cls)

    # -- collection (called from visit_ClassDef / visit_Assign) --------------------
    def add_class(self, node: cst.ClassDef) -> ClassFacts:
        existing = self.classes.get(id(node))
        if existing is not None:
            return existing
        facts = ClassFacts(node=node, name=node.name.value, bases=[], decorators=_decorator_names(self.ctx, node.decorators))
        for arg in node.bases:
            if arg.keyword is None and arg.star == "":
                facts.bases.append(self._resolve_base(arg.value))
        for base in facts.bases:
            if isinstance(base, ClassFacts):
                base.subclassed = True
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                facts.methods[statement.name.value] = MethodFacts(
                    name=statement.name.value,
                    node=statement,
                    is_async=statement.asynchronous is not None,
                    decorators=_decorator_names(self.ctx, statement.decorators),
                    params=positional_params(statement.params),
                )
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                self._class_attribute(facts, target.target.value, small.value)
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                        self._class_attribute(facts, small.target.value, small.value)
        self.classes[id(node)] = facts
        return facts

    def _class_attribute(self, facts: ClassFacts, name: str, value: cst.BaseExpression) -> None:
        # ``head = get``: the same function under another handler name.
        if isinstance(value, cst.Name) and value.value in facts.methods:
            alias = facts.methods[value.value]
            facts.methods[name] = MethodFacts(name, alias.node, alias.is_async, alias.decorators, alias.params)
            return
        facts.methods.pop(name, None)
        facts.attributes[name] = literal_value(value)

    def add_module_assignment(self, node: cst.Assign) -> None:
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name):
                self.assigned_attributes.setdefault(t.value.value, {})[t.attr.value] = literal_value(node.value)

    def _resolve_base(self, expr: cst.BaseExpression) -> Entry:
        if isinstance(expr, cst.Name):
            bindings = self.ctx.lookup(expr.value)
            if bindings and len(bindings) == 1 and bindings[0].kind == CLASS:
                local = self.classes.get(id(bindings[0].node))
                if local is not None:
                    return local
        name = self.ctx.qualified_name(expr)
        if name == "builtins.object":
            return UnknownClass("object")
        if name == MIDDLEWARE_MIXIN:
            return MiddlewareMixinClass()
        known = view_table().classes.get(name or "")
        if known is not None:
            return known
        return UnknownClass(name or cst.Module([]).code_for_node(expr))

    # -- queries -----------------------------------------------------------------
    def mro(self, facts: Entry) -> list[Entry]:
        return _linearize(facts, self)

    def flags(self, facts: ClassFacts) -> dict[str, Any]:
        return own_flags(facts, self.assigned_attributes)

    def attribute(self, facts: ClassFacts, name: str, default: Any) -> Any:
        """A class attribute as Python finds it along the MRO; UNKNOWN if a
        class of unknown content comes before any class that sets it."""
        for entry in self.mro(facts):
            if isinstance(entry, ClassFacts):
                own = self.flags(entry) if name in ("sync_capable", "async_capable") else entry.attributes
                if name in own:
                    return own[name]
                if name in entry.methods:
                    return UNKNOWN
            elif isinstance(entry, MiddlewareMixinClass):
                if name in ("sync_capable", "async_capable"):
                    return True
            elif isinstance(entry, UnknownClass):
                if entry.text != "object":
                    return UNKNOWN
        return default

    def method(self, facts: ClassFacts, name: str, after: Entry | None = None) -> tuple[Entry, MethodFacts | None] | None:
        """The class that answers for method ``name`` along the MRO (after
        ``after``, as ``super()`` does), with the method's facts when it is a
        class of this file; None if no known class defines it; an
        (UnknownClass, None) pair when an unknown class may."""
        order = self.mro(facts)
        if after is not None:
            keys = [_key(e) for e in order]
            order = order[keys.index(_key(after)) + 1 :] if _key(after) in keys else []
        for entry in order:
            if isinstance(entry, ClassFacts):
                if name in entry.methods:
                    return entry, entry.methods[name]
                if name in entry.attributes:
                    return UnknownClass(f"{entry.name}.{name}"), None
            elif isinstance(entry, FrameworkClass):
                if name in entry.sync_handlers or name in entry.async_handlers:
                    return entry, None
            elif isinstance(entry, MiddlewareMixinClass):
                if name in ("__init__", "__call__"):
                    return entry, None
            elif entry.text != "object":
                return entry, None
        return None

    def frameworks(self, facts: ClassFacts) -> set[str]:
        return {e.framework for e in self.mro(facts) if isinstance(e, FrameworkClass)}

    def has_framework_class(self, facts: ClassFacts, name: str) -> bool:
        return any(isinstance(e, FrameworkClass) and e.name == name for e in self.mro(facts))

    def __iter__(self) -> Iterator[ClassFacts]:
        return iter(self.classes.values())


def own_flags(facts: Any, assigned_attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A class's own capability flags: body attributes, then class
    decorators, then module-level ``Cls.flag = value`` (applied in that order
    by Python).  ``facts``: a ``ClassFacts``, or its ast twin
    (class_shapes_ast.py); ``assigned_attributes``: class name -> attribute ->
    value of the module's ``Cls.attr = value`` statements."""
    own = {k: v for k, v in facts.attributes.items() if k in ("sync_capable", "async_capable")}
    for decorator in reversed(facts.decorators):
        own.update(MIDDLEWARE_DECORATORS.get(decorator, {}))
    for key, value in assigned_attributes.get(facts.name, {}).items():
        if key in ("sync_capable", "async_capable"):
            own[key] = value
    return own


def _key(entry: Entry) -> Any:
    return id(entry) if isinstance(entry, ClassFacts) else entry


def _linearize(entry: Entry, registry: ClassRegistry, _seen: frozenset = frozenset()) -> list[Entry]:
    """C3 linearization (Python's MRO) over local, framework and unknown classes."""
    return _linearized(entry, _seen)[0]


# The classes after a framework class in its linearization (view_table() is fixed data).
_FRAMEWORK_MRO: dict[Entry, list[Entry]] = {}


def _linearized(entry: Entry, seen: frozenset) -> tuple[list[Entry], bool]:
    """``entry``'s linearization with ``seen`` the classes being linearized
    above it, and whether no cycle cut it short.  One made without a cut is
    kept with the class (a ``ClassFacts``' bases are complete once it is
    made), and answers wherever the class is met again: no class it
    reaches reaches it back, so none of the classes above it on any path
    is among those it orders, and ``seen`` cuts nothing below it.  The
    structure rules ask for a class's order at every attribute and method
    they look up (1,400 times for awx's 370 middleware classes)."""
    key = _key(entry)
    if key in seen:  # a cycle in broken code
        return [entry], False
    if isinstance(entry, ClassFacts):
        kept = entry.mro_tail
    elif isinstance(entry, FrameworkClass):
        kept = _FRAMEWORK_MRO.get(entry)
    else:
        return [entry], True
    if kept is not None:
        return [entry, *kept], True
    bases: list[Entry] = list(entry.bases) if isinstance(entry, ClassFacts) else [view_table().classes[name] for name in entry.bases]
    below = seen | {key}
    sequences = []
    whole = True
    for base in bases:
        order, uncut = _linearized(base, below)
        sequences.append(order)
        whole = whole and uncut
    sequences.append(list(bases))
    merged = _c3_merge(sequences)
    if merged is None:  # inconsistent hierarchy: Python would raise; keep a usable order
        merged = []
        for sequence in sequences:
            for item in sequence:
                if all(_key(item) != _key(m) for m in merged):
                    merged.append(item)
    if whole:
        if isinstance(entry, ClassFacts):
            entry.mro_tail = merged
        else:
            _FRAMEWORK_MRO[entry] = merged
    return [entry, *merged], whole


def _c3_merge(sequences: list[list[Entry]]) -> list[Entry] | None:
    # Each entry with its key, made once (a framework view's key is the
    # entry itself, compared field by field).
    keyed = [[(_key(x), x) for x in s] for s in sequences if s]
    result: list[Entry] = []
    while keyed:
        tails = [{key for key, _ in other[1:]} for other in keyed]
        for sequence in keyed:
            head_key, head = sequence[0]
            if not any(head_key in tail for tail in tails):
                break
        else:
            return None
        result.append(head)
        keyed = [[item for item in s if item[0] != head_key] for s in keyed]
        keyed = [s for s in keyed if s]
    return result


def nodes_in(node: cst.CSTNode, kind: type) -> Iterator[Any]:
    """Nodes of ``kind`` in one function body, not entering nested scopes
    (a small local walk over one body, in no particular order)."""
    stack: list[cst.CSTNode] = children(node)
    # isinstance against libcst's ABCs goes through abc at each node: the
    # answer is remembered per node class instead.
    matches: dict[type, bool] = {}
    while stack:
        current = stack.pop()
        current_type = type(current)
        match = matches.get(current_type)
        if match is None:
            match = matches[current_type] = issubclass(current_type, kind)
        if match:
            yield current
        if current_type.__name__ in NESTED_SCOPE_NAMES:
            continue
        stack.extend(children(current))
