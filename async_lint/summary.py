"""A module's summary: what the project index needs to know of one file.

Computed during the file's single traversal (``SummaryCollector`` rides along
with the checks) and turned into plain data (``build_summary``), so it can be
cached by content hash and sent between worker processes.

Shape (every key is plain JSON data)::

    {"module": "shop.services", "is_package": false,
     "imports": {"local name": "dotted.target"}, "star_imports": ["pkg.mod"],
     "classes": {"Report": {"bases": ["shop.base.Base"], "methods": ["build"]}},
     "functions": {"Report.build": {
         "async": false, "thread": false, "generator": false, "decorated": false,
         "class": "Report", "line": 12,
         "ops": [[code, line, what]],          # blocking/sync-only operations, direct
         "calls": [ref, ...],                  # project candidates called directly
         "returns": ["qs" | "other" | ref],    # what its return statements return
         "orm": bool}},                        # touches the ORM directly
     "sites": [...],     # calls on the event loop, and discarded call statements
     "handoffs": [...]}  # sync_to_async/async_to_sync sites (checks/sync_to_async.py)

A *ref* names a callee as the file sees it: ``q:dotted.name`` (through imports,
or the module's own top-level name), ``l:outer.<locals>.inner`` (a nested def
of this file), ``s:Class:method`` (``self.method()``/``cls.method()`` in a method
of ``Class``), ``S:Class:method`` (``super().method()``).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from async_lint.analysis.context import FileContext, FunctionInfo
from async_lint.analysis.scopes import DEF, CLASS
from async_lint.checks.base import Check
from async_lint.positions import CallOrdinals

# QuerySet/Manager methods that build a new lazy QuerySet (no query runs).
LAZY_QUERYSET_METHODS = frozenset(
    {
        "all", "filter", "exclude", "order_by", "select_related", "prefetch_related",
        "annotate", "alias", "values", "values_list", "distinct", "only", "defer",
        "none", "using", "reverse", "extra", "union", "intersection", "difference",
        "select_for_update", "dates", "datetimes", "complex_filter", "get_queryset",
    }
)
MANAGER_ATTRIBUTES = frozenset({"objects", "_default_manager", "_base_manager"})
# Decorators that leave a function's sync/async nature as its definition says.
NEUTRAL_DECORATORS = frozenset(
    {
        "staticmethod", "classmethod", "builtins.staticmethod", "builtins.classmethod",
        "functools.wraps", "functools.cache", "functools.lru_cache", "typing.override",
        "typing_extensions.override", "abc.abstractmethod",
    }
)


def is_manager_expression(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """``Model.objects`` / ``Model._default_manager`` on a name bound in the
    module (a model class or an import), not on a local variable."""
    if not (isinstance(node, cst.Attribute) and node.attr.value in MANAGER_ATTRIBUTES):
        return False
    base = node.value
    if isinstance(base, cst.Name):
        if base.value in ("self", "cls"):
            return False
        return ctx.qualified_name(base) is not None
    return isinstance(base, cst.Attribute) and ctx.qualified_name(base) is not None


def is_lazy_queryset(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A QuerySet chain that runs no query: ``Model.objects.filter(...).order_by(...)``."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in LAZY_QUERYSET_METHODS:
            return is_manager_expression(ctx, func.value) or is_lazy_queryset(ctx, func.value)
        return False
    if isinstance(node, cst.Subscript):
        # qs[:5] is lazy; qs[0] runs a query.
        return _is_lazy_slice(node) and is_lazy_queryset(ctx, node.value)
    return is_manager_expression(ctx, node)


def _is_lazy_slice(node: cst.Subscript) -> bool:
    return len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice) and node.slice[0].slice.step is None


def _peel_lazy_steps(node: cst.BaseExpression) -> cst.BaseExpression:
    """``helper().filter(...)[:5]`` -> ``helper()``: strip the lazy QuerySet
    steps applied to a call's result."""
    while True:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in LAZY_QUERYSET_METHODS and isinstance(node.func.value, (cst.Call, cst.Subscript)):
            node = node.func.value
        elif isinstance(node, cst.Subscript) and _is_lazy_slice(node) and isinstance(node.value, (cst.Call, cst.Subscript)):
            node = node.value
        else:
            return node


def _method_owner(function: FunctionInfo | None) -> FunctionInfo | None:
    """The method whose ``self``/``cls`` a function (or a def nested in it) sees."""
    while function is not None:
        if function.class_name is not None:
            return function
        function = function.parent
    return None


def _first_param(function: FunctionInfo) -> str | None:
    params = function.node.params
    first = (*params.posonly_params, *params.params)
    return first[0].name.value if first else None


def callee_ref(ctx: FileContext, func: cst.BaseExpression) -> Any:
    """The ref of a called expression (see the module docstring), a
    ``FunctionDef`` node for a nested def (resolved to its qualname later),
    or None when it cannot be a project function."""
    if isinstance(func, cst.Name):
        bindings = ctx.lookup(func.value)
        if bindings and ctx.lookup_with_scope(func.value)[0].kind != "module":  # type: ignore[index]
            defs = [b for b in bindings if b.kind == DEF]
            if len(defs) == 1 and len(bindings) == 1:
                return defs[0].node
            return None
    if isinstance(func, cst.Attribute):
        receiver = func.value
        if isinstance(receiver, cst.Name):
            owner = _method_owner(ctx.current_function)
            if owner is not None and receiver.value == _first_param(owner) and not _is_static(owner):
                found = ctx.lookup_with_scope(receiver.value)
                if found is not None and found[0].node is owner.node:
                    return f"s:{owner.qualname.rpartition('.')[0]}:{func.attr.value}"
        if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super" and not receiver.args:
            owner = _method_owner(ctx.current_function)
            if owner is not None:
                return f"S:{owner.qualname.rpartition('.')[0]}:{func.attr.value}"
    name = ctx.qualified_name(func)
    if name is None:
        return None
    if name.startswith("builtins.") or "." not in name:
        return None
    if name.startswith("<module>."):
        name = f"{ctx.module_name or '<module>'}.{name.split('.', 1)[1]}"
    return f"q:{name}"


def _is_static(function: FunctionInfo) -> bool:
    return any(d.rpartition(".")[2] == "staticmethod" for d in function.decorators)


class SummaryCollector(Check):
    """Rides along with the checks in the file's one traversal."""

    codes = ()

    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        # FunctionInfo id -> per-function data
        self.calls: dict[int, list[Any]] = {}
        self.returns: dict[int, list[Any]] = {}
        self.orm: set[int] = set()
        self.generators: set[int] = set()
        # (node, ref, function, in_async, discarded)
        self.sites: list[tuple[cst.Call, Any, FunctionInfo | None, bool, bool]] = []
        self.classes: dict[str, dict[str, Any]] = {}
        self.call_ordinals = CallOrdinals()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        prefix = self.ctx._qualname_prefix()  # noqa: SLF001 - the same naming as FunctionInfo.qualname
        bases = []
        for arg in node.bases:
            if arg.keyword is None:
                name = self.ctx.qualified_name(arg.value)
                if name is not None:
                    if name.startswith("<module>."):
                        name = f"{self.ctx.module_name or '<module>'}.{name[9:]}"
                    bases.append(name)
        methods = [s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)]
        self.classes[f"{prefix}{node.name.value}"] = {"bases": bases, "methods": methods}

    def visit_Call(self, node: cst.Call) -> None:
        self.call_ordinals.add(node)
        ctx = self.ctx
        function = ctx.current_function
        ref = callee_ref(ctx, node.func)
        if ref is None:
            return
        in_async = ctx.in_async_context
        parent = ctx.parent
        discarded = isinstance(parent, cst.Expr)
        if in_async or discarded:
            self.sites.append((node, ref, function, in_async, discarded))
        if function is not None and not in_async and not ctx.in_lambda and not function.is_async:
            self.calls.setdefault(id(function), []).append(ref)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        function = self.ctx.current_function
        if function is not None and node.attr.value in MANAGER_ATTRIBUTES and is_manager_expression(self.ctx, node):
            self.orm.add(id(function))

    def visit_Return(self, node: cst.Return) -> None:
        function = self.ctx.current_function
        if function is None or node.value is None:
            return
        value = node.value
        # ``helper().order_by(...)``: a QuerySet when ``helper()`` returns one.
        inner = _peel_lazy_steps(value)
        if is_lazy_queryset(self.ctx, value):
            kind: Any = "qs"
        elif inner is not value and isinstance(inner, cst.Call):
            kind = callee_ref(self.ctx, inner.func) or "other"
        elif isinstance(value, cst.Call):
            kind = callee_ref(self.ctx, value.func) or "other"
        else:
            kind = "other"
        self.returns.setdefault(id(function), []).append(kind)

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.ctx.current_function is not None and not self.ctx.in_lambda:
            self.generators.add(id(self.ctx.current_function))


def _what(node: cst.CSTNode) -> str:
    """How an operation reads in a chain: ``Post.objects.count()``."""
    if isinstance(node, cst.Call):
        text = cst.Module([]).code_for_node(node.func) + "()"
    else:
        text = cst.Module([]).code_for_node(node)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _ref_text(ctx: FileContext, ref: Any) -> Any:
    if isinstance(ref, cst.FunctionDef):
        info = ctx.function_info(ref)
        return f"l:{info.qualname}" if info is not None else None
    return ref


def build_summary(ctx: FileContext, collector: SummaryCollector, positions) -> dict[str, Any]:
    """The plain-data summary of a traversed file (``positions``: libcst
    PositionProvider results, or None when nothing needed a position)."""
    imports: dict[str, str] = {}
    star_imports: list[str] = []
    for name, bindings in ctx.module_scope.bindings.items():
        kinds = {b.kind for b in bindings}
        if name == "*":
            star_imports.extend(b.target for b in bindings if b.target)
        elif DEF not in kinds and CLASS not in kinds:
            for binding in bindings:
                if binding.kind == "import" and binding.target:
                    imports[name] = binding.target
                    break
    functions: dict[str, dict[str, Any]] = {}
    for info in ctx.functions:
        key = id(info)
        ops = []
        for op in info.ops:
            ops.append([op.code, op.line, _what(op.node)])
        calls = sorted({r for r in (_ref_text(ctx, ref) for ref in collector.calls.get(key, ())) if r})
        returns = [r for r in (_ref_text(ctx, ref) for ref in collector.returns.get(key, ())) if r]
        orm = key in collector.orm or any(op.code.startswith("DJA2") for op in info.ops)
        entry: dict[str, Any] = {
            "async": info.is_async,
            "thread": info.runs_in_thread,
            "generator": key in collector.generators,
            "decorated": any(d not in NEUTRAL_DECORATORS and d.rpartition(".")[2] not in ("staticmethod", "classmethod") for d in info.decorators),
            "class": info.qualname.rpartition(".")[0] if info.class_name else None,
        }
        # Keep entries small: only what is present.
        if ops:
            entry["ops"] = ops
        if calls:
            entry["calls"] = calls
        if returns:
            entry["returns"] = returns
        if orm:
            entry["orm"] = True
        functions[info.qualname] = entry
    sites = []
    for node, ref, function, in_async, discarded in collector.sites:
        text_ref = _ref_text(ctx, ref)
        where = positions.get(node) if positions is not None else None
        if text_ref is None or where is None:
            continue
        sites.append(
            {
                "ref": text_ref,
                "line": where.start.line,
                "column": where.start.column + 1,
                "end_line": where.end.line,
                "end_column": where.end.column + 1,
                "function": function.qualname if function is not None else None,
                "async": in_async,
                "discarded": discarded,
                "callee": _what(node),
            }
        )
    return {
        "module": ctx.module_name or "<module>",
        "is_package": ctx.is_package,
        "imports": imports,
        "star_imports": star_imports,
        "classes": collector.classes,
        "functions": functions,
        "sites": sites,
    }


def position_nodes(collector: SummaryCollector) -> list[cst.CSTNode]:
    return [site[0] for site in collector.sites]
