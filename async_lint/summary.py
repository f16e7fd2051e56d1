"""A module's summary: what the project index needs to know of one file.

Computed during the file's single traversal (``SummaryCollector`` rides along
with the checks) and turned into plain data (``build_summary``), so it can be
cached by content hash and sent between worker processes.

Shape (every key is plain JSON data)::

    {"module": "shop.services", "is_package": false,
     "imports": {"local name": "dotted.target"}, "star_imports": ["pkg.mod"],
     "classes": {"Report": {"bases": ["shop.base.Base"], "methods": ["build"]}},
     "instances": {"gateway": "shop.payments.Gateway"},   # module-level objects, when any
     "objects": {"redis_client": "redis.Redis"},   # module-level objects with blocking methods
     "made": {"redis": "shop.utils.get_redis"},     # module-level objects another module's function made
     "coroutine_objects": {"cache": "redis.asyncio.Redis"},  # module-level objects with coroutine methods
     "bound": {"is_admin": "c:shop.perms.IsAdmin:check"},  # module-level bound methods, when any
     "functions": {"Report.build": {
         "async": false, "thread": false, "generator": false, "decorated": false,
         "class": "Report", "line": 12,
         "ops": [[code, line, what]],          # blocking/sync-only operations, direct
         "task_ops": [[ref, line, what]],      # ``name.delay()`` of another module's name:
                                               # a DJA105 op where ``ref`` is a Celery task
         "object_ops": [[ref, method, line, what]],  # ``name.method()`` of another module's name:
                                               # an op where ``ref`` is a blocking object
         "celery_task": bool,                  # a module-level def its decorators make a Celery task
         "calls": [ref, ...],                  # project candidates called directly
         "returns": ["qs" | "coro" | "other" | ref],   # what its return statements return
         "relation_reads": [[param, position, relation, line, what]],  # ``param.relation`` read:
                                               # DJA204 where a call passes an instance without it
         "querysets_passed": {ref: [[positional...], {keyword: ...}]},  # lazy QuerySets its
                                               # calls pass (each ["<QuerySet>"] or null): DJA202
                                               # where the callee evaluates that parameter
         "orm": bool,                          # touches the ORM directly
         "return_type": "redis.Redis",         # a module-level def returning a type with blocking methods
         "loop_reentry": bool,                 # decorated @async_to_sync: calling it re-enters the loop
         "binding": "static" | "class" | "property",   # when not a plain method
         "factory": bool,                      # a class/static method returning an instance of its class
         # Where an op or call runs only under ``if <param>:`` (and the like),
         # for call sites whose literal arguments rule the branch out:
         # an op's 4th item and ``guarded_calls`` hold [[param, test], ...]
         # (test: truthy, falsy, none, notnone); ``params`` are the positional
         # parameter names, ``defaults`` the literal defaults.
         "guarded_calls": {ref: [[param, test]]}, "params": [...], "defaults": {...},
         # the literal arguments of its calls to guarded functions of this file
         "call_args": {ref: [args, ...]}}},
     "sites": [...],     # calls on the event loop, and discarded call statements;
                         # a site's "fix" (engine Fix record) runs it in a thread
     "handoffs": [...]}  # sync_to_async/async_to_sync sites (checks/sync_to_async.py)

A *ref* names a callee as the file sees it: ``q:dotted.name`` (through imports,
or the module's own top-level name), ``l:outer.<locals>.inner`` (a nested def
of this file), ``s:Class:method`` (``self.method()``/``cls.method()`` in a method
of ``Class``), ``S:Class:method`` (``super().method()``), ``c:dotted.Class:method``
(a method called on an instance of the class, ``gateway.charge()``),
``p:dotted.Class:name`` (an attribute read on an instance: a call when the
class makes ``name`` a property).

A call site in async code carries ``args``, its arguments' literal values
(``[[positional...], {keyword: ...}]``, each ``[value]`` or null when not a
literal), unless it passes ``*args``/``**kwargs``; ``awaited`` where its
value is awaited right there; ``unloaded``, the single relations not loaded on the model instances it
passes (``[[positional...], {keyword: ...}, receiver]``, each a list of
names or null), where any; ``entered`` where it is the context manager
of a ``with`` statement (a ``@contextmanager`` function's body then runs
there); ``loop_ok`` where re-entering the event loop
is expected or allowed there (DJA304); and ``patched``, the
dotted names a test's mocks replace around it (``mock.patch`` as a decorator
or a ``with`` statement, pytest's ``mocker``/``monkeypatch`` earlier in the
test), when any.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

from async_lint import lazy_libcst

from async_lint.analysis.context import PROPERTY_DECORATORS, SYNC_TO_ASYNC_DECORATORS, FileContext, FunctionInfo, adapters
from async_lint.analysis.coroutine_uses import ASYNC_CODE_ONLY, ATTRIBUTE, INDEXED, NO_AWAIT_FIX, CoroutineUse, coroutine_use
from async_lint.analysis.django_models import return_statements, returns_filled_queryset
from async_lint.analysis.pass_through import keeps_coroutine
from async_lint.analysis.django_vocabulary import DEFAULT_MANAGERS, LAZY_METHODS
from async_lint.analysis.instances import instance_classes
from async_lint.analysis.receivers import ReceiverInference, self_assignments
from async_lint.analysis.scopes import ASSIGN, CLASS, DEF, GLOBAL, IMPORT, PARAM, Scope, dotted_name, final_assignment, lookup
from async_lint.analysis.reaching import ends_in
from async_lint.catalog import orm_codes
from async_lint.checks.base import Check
from async_lint.checks.celery_tasks import makes_task
from async_lint.checks.coroutines import CoroutineEvidence, await_fix_at, call_spelling, coroutine_apis, dead_in_a_coroutine, expects_an_error, nested_loops_allowed
from async_lint.checks.django_orm import MODEL_METHODS
from async_lint.checks.foreign_objects import module_objects
from async_lint.checks.missing_sync_to_async import ThreadFix, thread_recipe
from async_lint.fixes import ImportRequest, can_await_here, misplaced_await
from async_lint.index import CONSTANT_GUARD, add_passed_name
from async_lint.positions import CONSTANT_NAMES, CallOrdinals, spelling_key

cst = lazy_libcst.bind(globals())

# ``unittest.mock.patch`` and the ``mock`` backport: what a test replaces.
PATCH_FUNCTIONS = frozenset({"unittest.mock.patch", "mock.patch"})
PATCH_OBJECT_FUNCTIONS = frozenset({"unittest.mock.patch.object", "mock.patch.object"})
# QuerySet/Manager methods that build a new lazy QuerySet (no query runs).
LAZY_QUERYSET_METHODS = LAZY_METHODS | {"get_queryset"}
MANAGER_ATTRIBUTES = DEFAULT_MANAGERS
# Decorators that leave a function's sync/async nature as its definition says.
NEUTRAL_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "builtins.staticmethod",
        "builtins.classmethod",
        "functools.wraps",
        "functools.cache",
        "functools.lru_cache",
        "typing.override",
        "typing_extensions.override",
        "abc.abstractmethod",
    }
)
# Decorators that make a generator function a context manager factory.
CONTEXT_MANAGER_DECORATORS = frozenset({"contextlib.contextmanager"})
NEGATED_TEST = {"truthy": "falsy", "falsy": "truthy", "none": "notnone", "notnone": "none"}


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
    """A QuerySet chain that runs no query: ``Model.objects.filter(...).order_by(...)``,
    a custom manager's lazy method, a variable holding one (what the file's
    Django inference knows), or the plain shape of one on a module-level name."""
    from async_lint.analysis.django_models import ManagerValue, QuerySetValue, django_inference

    if isinstance(django_inference(ctx).infer(node), (QuerySetValue, ManagerValue)):
        return True
    return _is_lazy_queryset_shape(ctx, node)


def _is_lazy_queryset_shape(ctx: FileContext, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in LAZY_QUERYSET_METHODS:
            return is_manager_expression(ctx, func.value) or _is_lazy_queryset_shape(ctx, func.value)
        return False
    if isinstance(node, cst.Subscript):
        # qs[:5] is lazy; qs[0] runs a query.
        return _is_lazy_slice(node) and _is_lazy_queryset_shape(ctx, node.value)
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
        if bindings and ctx.lookup_with_scope(func.value)[0].kind != "module" and any(b.kind != IMPORT for b in bindings):  # type: ignore[index]
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
    if name is None and ctx.module_scope.bindings.get("*"):
        # Bound nowhere here (``helper()``, ``Cart.count_for(user)``), and
        # the module star-imports: the index looks the name up in this
        # module, and so through its ``import *``s.
        spelled = dotted_name(func)
        root = spelled.partition(".")[0] if spelled is not None else None
        if root is not None and ctx.lookup(root) is None:
            return f"q:{ctx.module_name or '<module>'}.{spelled}"
    if name is None and type(func) is cst.Name:
        found = ctx.lookup_with_scope(func.value)
        if found is not None and found[0].kind == "module" and len(found[1]) == 1 and bound_method_ref(ctx, found[1][0]) is not None:
            # A module-level bound method: the index reads it from the summary's ``bound``.
            return f"q:{ctx.module_name or '<module>'}.{func.value}"
    if name is None:
        return None
    if name.startswith("builtins.") or "." not in name:
        return None
    if type(func) is cst.Name and _rebound_to_thread_wrapper(ctx, func.value):
        return None
    if name.startswith("<module>."):
        name = f"{ctx.module_name or '<module>'}.{name.split('.', 1)[1]}"
    return f"q:{name}"


# Builtins that iterate their (first) argument to the end, or to its first item.
_CONSUMING_BUILTINS = frozenset(
    {
        "builtins.list",
        "builtins.tuple",
        "builtins.set",
        "builtins.frozenset",
        "builtins.dict",
        "builtins.sorted",
        "builtins.sum",
        "builtins.any",
        "builtins.all",
        "builtins.min",
        "builtins.max",
        "builtins.next",
    }
)


def _consumed_here(ctx: FileContext, call: cst.Call) -> bool:
    """The call being visited is iterated where it is: a sync ``for``
    statement's iterable, the first iterable of a list, set or dict
    comprehension (not of a generator expression, which iterates later), or
    the first argument of ``list()``/``sorted()``/``next()``... ."""
    stack = ctx.stack
    if len(stack) < 3:
        return False
    parent, above = stack[-2], stack[-3]
    if type(parent) is cst.For:
        return parent.iter is call and parent.asynchronous is None
    if type(parent) is cst.CompFor:
        return parent.iter is call and parent.asynchronous is None and type(above) in (cst.ListComp, cst.SetComp, cst.DictComp) and above.for_in is parent
    if type(parent) is cst.Arg and parent.value is call and parent.keyword is None and type(above) is cst.Call and above.args[0] is parent:
        return ctx.qualified_name(above.func) in _CONSUMING_BUILTINS
    return False


def _rebound_to_thread_wrapper(ctx: FileContext, name: str) -> bool:
    """``check = sync_to_async(check)`` at the end of the module's bindings
    of the name, read from a function: a call of ``check`` there runs the
    def (or the imported function) in a thread."""
    found = ctx.lookup_with_scope(name)
    if found is None or found[0].kind != "module" or found[0] is ctx.scope:
        return False
    last = final_assignment(found[1])
    return last is not None and type(last.value) is cst.Call and ctx.qualified_name(last.value.func, found[0]) in SYNC_TO_ASYNC_DECORATORS


def _entered_here(ctx: FileContext, call: cst.Call) -> bool:
    """The call being visited is a sync ``with`` statement's context manager,
    or the argument of ``<stack>.enter_context(...)``."""
    stack = ctx.stack
    if len(stack) < 3:
        return False
    parent, above = stack[-2], stack[-3]
    if type(parent) is cst.WithItem:
        return parent.item is call and type(above) is cst.With and above.asynchronous is None
    return type(parent) is cst.Arg and parent.value is call and type(above) is cst.Call and type(above.func) is cst.Attribute and above.func.attr.value == "enter_context" and above.args[0] is parent


def _is_static(function: FunctionInfo) -> bool:
    return any(d.rpartition(".")[2] == "staticmethod" for d in function.decorators)


def object_ref(ctx: FileContext, func: cst.BaseExpression) -> str | None:
    """``c:dotted.Class:method`` for ``receiver.method`` where the receiver is
    known to be an instance of a class (which the project index may or may
    not know), else None."""
    if not isinstance(func, cst.Attribute):
        return None
    classes = instance_classes(ctx)
    cls = classes.class_of(func.value)
    if cls is None or cls in classes.models and func.attr.value in MODEL_METHODS:
        return None  # ``order.save()``: DJA203's, even where the model overrides it
    return f"c:{cls}:{func.attr.value}"


def _constructor_call(value: cst.BaseExpression | None) -> bool:
    """``Name(...)`` / ``module.Name(...)``: capitalised, as classes are named."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name[:1].isupper()


def bound_method_ref(ctx: FileContext, binding) -> str | None:
    """``is_all = IsAll().has_permission`` at module level: the ref of the
    method the name stands for (``c:<class>:has_permission``), else None."""
    value = binding.value
    if binding.kind != ASSIGN or type(value) is not cst.Attribute or not _constructor_call(value.value):
        return None
    cls = instance_classes(ctx).class_of(value.value, ctx.module_scope)
    return f"c:{cls}:{value.attr.value}" if cls is not None else None


def _binding_kind(function: FunctionInfo) -> str | None:
    for decorator in function.decorators:
        if decorator in PROPERTY_DECORATORS or decorator.rpartition(".")[2] == "cached_property":
            return "property"
        last = decorator.rpartition(".")[2]
        if last == "staticmethod":
            return "static"
        if last == "classmethod":
            return "class"
    return None


def _literal(node: cst.BaseExpression) -> list[Any] | None:
    """``[value]`` for an immutable literal (its truth cannot change), else None."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return [{"True": True, "False": False, "None": None}[node.value]]
    try:
        if isinstance(node, (cst.Integer, cst.Float)):
            return [node.evaluated_value]
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return [value] if isinstance(value, str) else None
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(node.expression, (cst.Integer, cst.Float)):
            return [-node.expression.evaluated_value]
    except (ValueError, SyntaxError, TypeError, OverflowError):
        return None
    return None


def _request_loads(ctx: FileContext, function: FunctionInfo | None, call: cst.Call) -> dict[str, list[str]] | None:
    """What of each request a call on the loop passes is loaded there (request
    name -> "session", "user"): the session of an async view's request its
    decorators loaded before its body runs (``login_required``), and what the
    request check saw loaded before the call (``FileContext.request_loads_at``)."""
    from async_lint.checks.django_request import session_loaded_request

    seen = ctx.request_loads_at.get(id(call))
    decorated = session_loaded_request(ctx, function) if function is not None and function.is_async else None
    if decorated is None:
        return seen
    loads = {name: list(parts) for name, parts in (seen or {}).items()}
    loads[decorated] = sorted({*loads.get(decorated, ()), "session"})
    return loads


def _literal_args(call: cst.Call, kwargs_name: str | None = None, params: dict[str, dict] | None = None, loads: dict[str, list[str]] | None = None) -> list[Any] | None:
    """``[[positional...], {keyword: ...}]``, each ``[literal]`` or None;
    with ``kwargs_name`` (the calling function's ``**kwargs``), a value taken
    from it (``kwargs.pop("request", None)``, ``kwargs.get("request")``) is
    ``{"kwarg": name, "default": [literal] | None}``, and ``**kwargs`` handed
    on whole is the keyword ``"**"``; with ``params`` (its parameters it
    never rebinds, ``_forwardable_params``), one handed on by name is
    ``{"param": name, "position": ..., "default": ...}``: the index reads
    them from the call the function itself was called with; with
    ``loads`` (``_request_loads``: each request name passed on, with what
    of it is loaded at this call), that name is ``index.loaded_request``."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for arg in call.args:
        if arg.star == "**" and kwargs_name is not None and type(arg.value) is cst.Name and arg.value.value == kwargs_name and "**" not in keywords:
            keywords["**"] = True
            continue
        if arg.star:
            return None
        value = _from_kwargs(arg.value, kwargs_name) if kwargs_name is not None else None
        if value is None and params and type(arg.value) is cst.Name:
            value = params.get(arg.value.value)
        if value is None and loads and type(arg.value) is cst.Name and arg.value.value in loads:
            from async_lint.index import loaded_request

            value = loaded_request(loads[arg.value.value])
        if value is None:
            value = _literal(arg.value)
        if arg.keyword is not None:
            keywords[arg.keyword.value] = value
        else:
            positional.append(value)
    return [positional, keywords]


def _forwardable_params(info: FunctionInfo) -> dict[str, dict]:
    """The function's parameters that it never rebinds, each as the value it
    hands on when it passes one by name (``self.decrypt(user=user)``): its
    position among the positional parameters (``self`` counted; None:
    keyword-only), and its literal default."""
    params = info.node.params
    positional = [*params.posonly_params, *params.params]
    out: dict[str, dict] = {}
    for index, param in enumerate([*positional, *params.kwonly_params]):
        name = param.name.value
        bindings = info.scope.bindings.get(name)
        if not bindings or len(bindings) != 1 or bindings[0].kind != PARAM:
            continue
        default = _literal(param.default) if param.default is not None else None
        if param.default is not None and default is None:
            continue  # a default of unknown value: nothing to forward
        out[name] = {"param": name, "position": index if index < len(positional) else None, "default": default}
    return out


def _from_kwargs(node: cst.BaseExpression, kwargs_name: str) -> dict | None:
    """``kwargs.pop("key", default)`` / ``kwargs.get("key", default)`` on the
    function's ``**kwargs``: the forwarded keyword, with its literal default."""
    if not (type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in ("pop", "get")):
        return None
    if not (type(node.func.value) is cst.Name and node.func.value.value == kwargs_name) or not 1 <= len(node.args) <= 2 or any(a.keyword is not None or a.star for a in node.args):
        return None
    key = node.args[0].value
    if type(key) is not cst.SimpleString or not isinstance(key.evaluated_value, str):
        return None
    default = _literal(node.args[1].value) if len(node.args) == 2 else ([None] if node.func.attr.value == "get" else None)
    return {"kwarg": key.evaluated_value, "default": default}


@dataclass(frozen=True)
class IfGuards:
    """What an ``if`` statement's test says of the function's parameters
    where its body runs and where its ``else``/``elif`` does, as
    (parameter, test) pairs that must all hold."""

    body: tuple[tuple[str, str], ...]
    orelse: tuple[tuple[str, str], ...]


def if_guards(ctx: FileContext, test: cst.BaseExpression) -> IfGuards | None:
    """``if p:`` and the like (``_guard_test``); ``if p and q:`` guards the
    body by each test it can read (the others only weaken the guard), and
    ``if p or q:`` the ``else`` by each one negated, when it can read them
    all (one it cannot read may be what sent the code there)."""
    if isinstance(test, cst.BooleanOperation):
        operands = _boolean_operands(test, type(test.operator))
        found = [_guard_test(ctx, operand) for operand in operands]
        if isinstance(test.operator, cst.And):
            body = tuple(guard for guard in found if guard is not None)
            return IfGuards(body, ()) if body else None
        if all(guard is not None for guard in found):
            return IfGuards((), tuple((param, NEGATED_TEST[sense]) for param, sense in found))  # type: ignore[misc]
        return None
    guard = _guard_test(ctx, test)
    if guard is None:
        return None
    return IfGuards((guard,), ((guard[0], NEGATED_TEST[guard[1]]),))


def _boolean_operands(test: cst.BaseExpression, operator: type) -> list[cst.BaseExpression]:
    """``a and b and c`` (parsed as nested operations) as [a, b, c]."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, operator) and not test.lpar:
        return [*_boolean_operands(test.left, operator), *_boolean_operands(test.right, operator)]
    return [test]


def _guard_test(ctx: FileContext, test: cst.BaseExpression) -> tuple[str, str] | None:
    """(parameter, test) for ``if p:``, ``if not p:``, ``if p is None:``,
    ``if p is not None:`` on a parameter of the function being visited that
    the function never rebinds (so its value there is the caller's)."""
    sense = "truthy"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, sense = test.expression, "falsy"
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comparison = test.comparisons[0]
        if not (isinstance(comparison.comparator, cst.Name) and comparison.comparator.value == "None"):
            return None
        if isinstance(comparison.operator, cst.Is):
            sense = "none"
        elif isinstance(comparison.operator, cst.IsNot):
            sense = "notnone"
        else:
            return None
        test = test.left
    if not isinstance(test, cst.Name):
        return None
    scope = ctx.scope
    bindings = scope.bindings.get(test.value) if scope.kind == "function" else None
    if not bindings:
        constant = _module_constant_key(ctx, test.value) if scope.kind == "function" else None
        return (constant, sense) if constant is not None else None
    if len(bindings) != 1 or bindings[0].kind != PARAM:
        return None
    return test.value, sense


def _module_constant_key(ctx: FileContext, name: str) -> str | None:
    """``=module.NAME`` for ``if not NAME:`` where NAME is the module's
    (``DEBUG = False``) or imported (``from conf.settings import DEBUG``)
    and no enclosing function binds it: the index knows its value where its
    module binds it once to a literal (``constants``)."""
    found = lookup(ctx.scope, name)
    if found is None or found[0].kind != "module" or len(found[1]) != 1:
        return None
    binding = found[1][0]
    if binding.kind == IMPORT and binding.target:
        return CONSTANT_GUARD + binding.target
    if binding.kind == ASSIGN and ctx.module_name:
        return f"{CONSTANT_GUARD}{ctx.module_name}.{name}"
    return None


def _on_parameters(guard_lists: list[list[list[str]]]) -> bool:
    """Whether a guard of these reads a parameter (the index then reads the
    call's arguments), not only module constants."""
    return any(not guard[0].startswith(CONSTANT_GUARD) for guards in guard_lists for guard in guards)


def _module_constants(ctx: FileContext) -> dict[str, Any]:
    """The module-level names bound once, to ``True``/``False``/``None`` or
    a number, that no function declares ``global``: their value wherever
    the module is imported (a flag such as ``DEBUG = False``)."""
    declared = {name for info in ctx.functions for name, bindings in info.scope.bindings.items() if bindings[0].kind == GLOBAL}
    out: dict[str, Any] = {}
    for name, bindings in ctx.module_scope.bindings.items():
        if len(bindings) != 1 or bindings[0].kind != ASSIGN or not bindings[0].unconditional or name in declared:
            continue
        value = _literal(bindings[0].value) if bindings[0].value is not None else None
        if value is not None and (value[0] is None or type(value[0]) in (bool, int, float)):
            out[name] = value[0]
    return out


# Class decorators whose generated ``__init__`` ends by calling a hook of
# the class (dataclasses, pydantic's dataclasses, attrs); ``init=False``
# turns the generated ``__init__`` off.
GENERATED_INIT_HOOKS = {
    "dataclasses.dataclass": "__post_init__",
    "pydantic.dataclasses.dataclass": "__post_init__",
    "attr.s": "__attrs_post_init__",
    "attr.attrs": "__attrs_post_init__",
    "attr.define": "__attrs_post_init__",
    "attr.mutable": "__attrs_post_init__",
    "attr.frozen": "__attrs_post_init__",
    "attrs.define": "__attrs_post_init__",
    "attrs.mutable": "__attrs_post_init__",
    "attrs.frozen": "__attrs_post_init__",
}


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
        # id(call) -> how ``await sync_to_async(f)(...)`` is spelled there (see ``checks.missing_sync_to_async.thread_recipe``)
        self.recipes: dict[int, tuple[str, ImportRequest | None, bool]] = {}
        # id(call) -> how a call outside a statement uses its value as is, and
        # whether an ``await`` may go there (cross-module DJA302)
        self.uses: dict[int, tuple[CoroutineUse | None, bool]] = {}
        self._wrappers: dict[int, Any] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        self.call_ordinals = CallOrdinals()
        # FunctionInfo id -> [(ref, the guards its call sits under)]
        self.call_guards: dict[int, list[tuple[Any, list[list[str]]]]] = {}
        # FunctionInfo id -> [(ref, the Call or None for a property read)]
        self.call_sites: dict[int, list[tuple[Any, cst.Call | None]]] = {}
        # FunctionInfo id -> {id(If node): (parameter, test)}
        self.guards: dict[int, dict[int, IfGuards]] = {}
        # (function id, ref) of property-read sites already recorded
        self._reads: set[tuple[int, str]] = set()
        self._import_depth = 0
        self._properties: dict[int, frozenset[str]] = {}
        # id(call) of a call site in async code -> the targets ``mock.patch``
        # replaces around it (``patched_targets``)
        self.patched: dict[int, list[str]] = {}
        # id(call) of the call sites in async code whose value is awaited
        self.awaited: set[int] = set()
        # id(call) of the call sites in async code that a ``with`` enters
        self.entered: set[int] = set()
        # id(sync function) -> refs of the calls it enters as context managers
        # (``with cm():``, ``stack.enter_context(cm())``).
        self.entered_calls: dict[int, list[Any]] = {}
        # Calls whose result a sync loop, comprehension or builtin iterates
        # here: a generator function's body runs (``list(gen())``).
        self.consumed: set[int] = set()
        self.consumed_calls: dict[int, list[Any]] = {}
        # id(call) of the call sites in async code where re-entering the loop
        # is expected (``pytest.raises``) or allowed (``nest_asyncio``)
        self.loop_ok: set[int] = set()
        self._nested_loops: bool | None = None
        self._patched_by_decorators: dict[int, list[str]] = {}
        # id(class) -> the attributes its methods assign on ``self``
        self._self_assigned: dict[int, frozenset[str]] = {}
        # id(expression) of the objects async code formats (their ``__str__``
        # a site) -> the expression's text
        self.formatted: dict[int, str] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.call_ordinals.add_def(node)

    def _formatting(self, node: cst.CSTNode) -> None:
        """``f"{conversation}"``, ``str(conversation)``: in async code, a site
        of the ``__str__`` of the object's class (analysis/formatting.py)."""
        ctx = self.ctx
        function = ctx.current_function
        if function is None or not ctx.in_async_context or ctx.in_lambda:
            return
        from async_lint.analysis.formatting import formatted_objects

        classes = None
        for expr in formatted_objects(ctx, node):
            if id(expr) in self.formatted:
                continue
            classes = classes or instance_classes(ctx)
            cls = classes.class_of(expr)
            if cls is None:
                continue
            self.formatted[id(expr)] = " ".join(cst.Module([]).code_for_node(expr).split())
            self.sites.append((expr, f"c:{cls}:__str__", function, True, False))

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._formatting(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is cst.Modulo:
            self._formatting(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.call_ordinals.add_def(node)
        prefix = self.ctx._qualname_prefix()  # noqa: SLF001 - the same naming as FunctionInfo.qualname
        bases = []
        for arg in node.bases:
            if arg.keyword is None:
                # ``BaseView[Request]``: a generic class's subscript is the class.
                base = arg.value.value if type(arg.value) is cst.Subscript else arg.value
                name = self.ctx.qualified_name(base)
                if name is not None:
                    if name.startswith("<module>."):
                        name = f"{self.ctx.module_name or '<module>'}.{name[9:]}"
                    bases.append(name)
        methods = [s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)]
        entry: dict[str, Any] = {"bases": bases, "methods": methods}
        post_init = self._generated_init_calls(node)
        if post_init is not None:
            entry["post_init"] = post_init  # its generated ``__init__`` calls this method
        self.classes[f"{prefix}{node.name.value}"] = entry

    def _generated_init_calls(self, node: cst.ClassDef) -> str | None:
        """The method a dataclass's (or an attrs class's) generated
        ``__init__`` calls at its end, where the class has such a
        decorator and no ``__init__`` of its own (which the decorator keeps)."""
        for decorator in node.decorators:
            target = decorator.decorator.func if type(decorator.decorator) is cst.Call else decorator.decorator
            name = self.ctx.qualified_name(target)
            post_init = GENERATED_INIT_HOOKS.get(name) if name is not None else None
            if post_init is not None:
                if type(decorator.decorator) is cst.Call and any(
                    arg.keyword is not None and arg.keyword.value == "init" and type(arg.value) is cst.Name and arg.value.value == "False" for arg in decorator.decorator.args
                ):
                    return None  # ``@dataclass(init=False)``: no generated ``__init__``
                return post_init
        return None

    def visit_Call(self, node: cst.Call) -> None:
        self.call_ordinals.add(node)
        ctx = self.ctx
        function = ctx.current_function
        in_async = ctx.in_async_context
        if in_async and node.args:
            self._formatting(node)
        in_sync_body = function is not None and not in_async and not ctx.in_lambda and not function.is_async
        ref = callee_ref(ctx, node.func)
        through_object = False
        if ref is None and (in_async or in_sync_body):
            ref = object_ref(ctx, node.func)
            through_object = True
        if ref is None:
            return
        parent = ctx.parent
        discarded = isinstance(parent, cst.Expr)
        # A call through an object in sync code feeds DJA401 only (a
        # discarded one there would make the index load modules for
        # nothing), but for a discarded one in a def handed to a thread
        # (``@sync_to_async``), next to the async code it serves.
        use = None if discarded or (through_object and not in_async) else coroutine_use(ctx, node)
        if use is not None and not in_async and use.kind in ASYNC_CODE_ONLY:
            use = None
        in_thread = discarded and through_object and in_sync_body and function.runs_in_thread
        if in_async or ((discarded or use is not None) and not through_object) or in_thread:
            self.sites.append((node, ref, function, in_async, discarded))
            if discarded or use is not None:
                # ``await f()[0]``: where the await goes is for the author (fixes.misplaced_await).
                self.uses[id(node)] = (use, in_async and can_await_here(ctx) and misplaced_await(ctx, node) is None)
            if in_async:
                recipe = thread_recipe(self.ctx, node, self._wrappers)
                if recipe is not None:
                    self.recipes[id(node)] = recipe
                patched = self._patched_here(function)
                if patched:
                    self.patched[id(node)] = patched
                if type(parent) is cst.Await:
                    self.awaited.add(id(node))
                elif _entered_here(ctx, node):
                    self.entered.add(id(node))
                elif _consumed_here(ctx, node):
                    self.consumed.add(id(node))
                if self._loop_reentry_ok():
                    self.loop_ok.add(id(node))
        if in_sync_body:
            self._add_call(function, ref, node)
            if _entered_here(ctx, node):
                self.entered_calls.setdefault(id(function), []).append(ref)
            elif _consumed_here(ctx, node):
                self.consumed_calls.setdefault(id(function), []).append(ref)

    def _loop_reentry_ok(self) -> bool:
        if self._nested_loops is None:
            self._nested_loops = nested_loops_allowed(self.ctx)
        return self._nested_loops or expects_an_error(self.ctx) or dead_in_a_coroutine(self.ctx)

    def _patched_here(self, function: FunctionInfo | None) -> list[str]:
        """What a test replaces around the call being visited: ``mock.patch``
        as its function's decorator, as its class's for a ``test*`` method
        (as ``patch`` decorates a class), or in the ``with`` statements it
        is in within its function; pytest's ``mocker.patch(...)`` and
        ``monkeypatch.setattr(...)`` run as statements of the function's
        body before the one it is in."""
        if function is None:
            return []
        known = self._patched_by_decorators.get(id(function))
        if known is None:
            decorators = [d.decorator for d in function.node.decorators]
            owner = function.scope.parent
            if owner is not None and owner.kind == "class" and isinstance(owner.node, cst.ClassDef) and function.name.startswith("test"):
                decorators.extend(d.decorator for d in owner.node.decorators)
            known = self._patched_by_decorators[id(function)] = [t for t in map(self._patch_target, decorators) if t is not None]
        found = list(known)
        stack = self.ctx.stack
        for at in range(len(stack) - 1, -1, -1):
            node = stack[at]
            if node is function.node:
                body = function.node.body
                if at + 2 < len(stack) and stack[at + 1] is body and isinstance(body, cst.IndentedBlock):
                    found.extend(self._fixture_patches(function, body, stack[at + 2]))
                break
            if type(node) is cst.With:
                found.extend(t for t in (self._patch_target(item.item) for item in node.items) if t is not None)
        return found

    def _fixture_patches(self, function: FunctionInfo, body: cst.IndentedBlock, current: cst.CSTNode) -> list[str]:
        """Targets of ``mocker.patch(...)``/``mocker.patch.object(...)``
        (pytest-mock) and ``monkeypatch.setattr(...)`` (pytest) called as
        statements of the function's body before ``current``, where
        ``mocker``/``monkeypatch`` is the function's parameter (the fixture)."""
        params = {p.name.value for p in (*function.node.params.posonly_params, *function.node.params.params, *function.node.params.kwonly_params)}
        fixtures = params & {"mocker", "monkeypatch"}
        if not fixtures:
            return []
        out = []
        for statement in body.body:
            if statement is current:
                break
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                call = small.value if type(small) is cst.Expr else None
                if type(call) is not cst.Call or not call.args or any(arg.keyword is not None or arg.star for arg in call.args[:2]):
                    continue
                spelled = dotted_name(call.func)
                if spelled is None:
                    continue
                first = call.args[0].value
                if spelled in ("mocker.patch", "monkeypatch.setattr") and spelled.partition(".")[0] in fixtures and type(first) is cst.SimpleString:
                    target = first.evaluated_value
                    # ``monkeypatch.setattr(obj, "name", value)``: a string first names a dotted target only with a dot.
                    if isinstance(target, str) and (spelled == "mocker.patch" or "." in target):
                        out.append(target)
                        continue
                if spelled in ("mocker.patch.object", "monkeypatch.setattr") and spelled.partition(".")[0] in fixtures and len(call.args) >= 2:
                    target = self._object_target(first, call.args[1].value)
                    if target is not None:
                        out.append(target)
        return out

    def _patch_target(self, expr: cst.BaseExpression) -> str | None:
        """The dotted name ``patch("a.b")`` / ``patch.object(a, "b")`` replaces."""
        if type(expr) is not cst.Call or not expr.args:
            return None
        name = self.ctx.qualified_name(expr.func)
        first = expr.args[0]
        if first.keyword is not None or first.star:
            return None
        if name in PATCH_FUNCTIONS:
            target = first.value
            return target.evaluated_value if type(target) is cst.SimpleString and isinstance(target.evaluated_value, str) else None
        if name in PATCH_OBJECT_FUNCTIONS and len(expr.args) >= 2 and expr.args[1].keyword is None:
            return self._object_target(first.value, expr.args[1].value)
        return None

    def _object_target(self, owner: cst.BaseExpression, attribute: cst.BaseExpression) -> str | None:
        """``patch.object(socket, "gethostbyname")``'s target, ``socket.gethostbyname``:
        the owner a module or class imported into this file, the attribute a string."""
        name = self.ctx.qualified_name(owner)
        if name is None or name.startswith("<module>.") or type(attribute) is not cst.SimpleString or not isinstance(attribute.evaluated_value, str):
            return None
        return f"{name}.{attribute.evaluated_value}"

    def visit_If(self, node: cst.If) -> None:
        function = self.ctx.current_function
        if function is None or self.ctx.in_async_context or function.is_async:
            return
        guards = if_guards(self.ctx, node.test)
        if guards is not None:
            self.guards.setdefault(id(function), {})[id(node)] = guards

    def visit_IfExp(self, node: cst.IfExp) -> None:
        # ``me.friends.exists() if me else False``: as an ``if`` statement.
        self.visit_If(node)  # type: ignore[arg-type]

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        """``me and me.friends.exists()``: the right operand runs only where
        each operand before it was true (``and``) or false (``or``)."""
        function = self.ctx.current_function
        if function is None or self.ctx.in_async_context or function.is_async:
            return
        operator = type(node.operator)
        if operator is not cst.And and operator is not cst.Or:
            return
        found = [guard for guard in (_guard_test(self.ctx, operand) for operand in _boolean_operands(node.left, operator)) if guard is not None]
        if operator is cst.Or:
            found = [(param, NEGATED_TEST[sense]) for param, sense in found]
        if found:
            self.guards.setdefault(id(function), {})[id(node)] = IfGuards(tuple(found), ())

    def visit_Import(self, node: cst.Import) -> None:
        self._import_depth += 1

    def leave_Import(self, node: cst.Import) -> None:
        self._import_depth -= 1

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth += 1

    def leave_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._import_depth -= 1

    def _property_read(self, node: cst.Attribute) -> None:
        """``order.total`` read where ``total`` may be a property: a call."""
        ctx = self.ctx
        parent = ctx.parent
        # ``type() is``: asked at every attribute read in a function; these
        # classes have no subclasses, and isinstance on them goes through abc.
        parent_type = type(parent)
        if parent_type is cst.Call and parent.func is node:
            return
        if parent_type is cst.AssignTarget or parent_type is cst.Del or (parent_type is cst.AnnAssign or parent_type is cst.AugAssign) and parent.target is node:
            return
        function = ctx.current_function
        if function is None or ctx.in_lambda:
            return
        in_async = ctx.in_async_context
        if not in_async and function.is_async:
            return
        ref = self._self_property(function, node) or object_ref(ctx, node)
        if ref is None and in_async:
            ref = self._inherited_self_property(function, node)
        if ref is None:
            return
        ref = "p" + ref[1:]
        key = (id(function), ref)
        if key in self._reads:
            return
        self._reads.add(key)
        if in_async:
            self.sites.append((node, ref, function, True, False))  # type: ignore[arg-type]
        else:
            self._add_call(function, ref)

    def _add_call(self, function: FunctionInfo, ref: Any, node: cst.Call | None = None) -> None:
        if self.ctx.only_without_loop():
            return  # runs only where no event loop is running
        self.calls.setdefault(id(function), []).append(ref)
        guards = self.guards.get(id(function))
        # Calls before the function's first guarded branch count too: a ref
        # called there is not guarded.
        self.call_guards.setdefault(id(function), []).append((ref, guards_on(self.ctx.stack, guards) if guards else []))
        self.call_sites.setdefault(id(function), []).append((ref, node))

    def _self_read(self, function: FunctionInfo, node: cst.Attribute) -> tuple[FunctionInfo, Scope] | None:
        """(the method, its class's scope) where ``node`` is ``self.<attr>``
        read in a (not static) method of a class of this file."""
        owner = _method_owner(function)
        if owner is None or not isinstance(node.value, cst.Name) or node.value.value != _first_param(owner) or _is_static(owner):
            return None
        class_scope = owner.scope.parent
        if class_scope is None or class_scope.kind != "class" or not isinstance(class_scope.node, cst.ClassDef):
            return None
        return owner, class_scope

    def _attribute_ref(self, owner: FunctionInfo, attr: str) -> str:
        """The ref of ``<attr>`` on an instance of the method's class."""
        return f"c:{self.ctx.module_name or '<module>'}.{owner.qualname.rpartition('.')[0]}:{attr}"

    def _self_property(self, function: FunctionInfo, node: cst.Attribute) -> str | None:
        """``self.total`` in a method of a class of this file that makes
        ``total`` a property (a read of any other ``self`` attribute is not
        recorded: there are many, and almost none are properties)."""
        read = self._self_read(function, node)
        if read is None:
            return None
        owner, class_scope = read
        cls = class_scope.node
        names = self._properties.get(id(cls))
        if names is None:
            body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
            names = frozenset(
                s.name.value
                for s in body
                if isinstance(s, cst.FunctionDef) and any(cst.Module([]).code_for_node(d.decorator).rpartition(".")[2] in ("property", "cached_property") for d in s.decorators)
            )
            self._properties[id(cls)] = names
        if node.attr.value not in names:
            return None
        return self._attribute_ref(owner, node.attr.value)

    def _inherited_self_property(self, function: FunctionInfo, node: cst.Attribute) -> str | None:
        """``self.html`` read in async code, in a method of a class with
        bases that neither defines nor assigns ``html`` itself: it may be a
        property of a base (the project index says, through the bases; an
        attribute of a class the project does not define resolves to
        nothing).  Only on the event loop: in sync code such reads are many."""
        read = self._self_read(function, node)
        if read is None or not read[1].node.bases:
            return None
        owner, class_scope = read
        attr = node.attr.value
        # ``graphql_ide_html: str`` in the class body declares the type of
        # what a base provides: no binding of its own.
        declared = class_scope.bindings.get(attr, ())
        if any(not (isinstance(b.node, cst.AnnAssign) and b.node.value is None) for b in declared):
            return None
        assigned = self._self_assigned.get(id(class_scope.node))
        if assigned is None:
            assigned = self._self_assigned[id(class_scope.node)] = frozenset(self_assignments(self.ctx, class_scope))
        return None if attr in assigned else self._attribute_ref(owner, attr)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        function = self.ctx.current_function
        if function is not None and node.attr.value in MANAGER_ATTRIBUTES and is_manager_expression(self.ctx, node):
            self.orm.add(id(function))
        if not self._import_depth:
            self.call_ordinals.add_keyed(node, spelling_key(node))  # type: ignore[arg-type]
            if function is not None:
                value = node.value
                # ``order.total``; on the loop also ``self.store.total`` (the
                # attribute's class from its annotation or its assignments).
                if type(value) is cst.Name or (type(value) is cst.Attribute and type(value.value) is cst.Name and self.ctx.in_async_context):
                    self._property_read(node)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.call_ordinals.add_keyed(node, ("s",))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self.call_ordinals.add_keyed(node, ("c",))

    def visit_Assign(self, node: cst.Assign) -> None:
        self.call_ordinals.add_keyed(node, ("=",))

    def visit_Await(self, node: cst.Await) -> None:
        self.call_ordinals.add_keyed(node, ("w",))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        # Counted, but not placed by CPython, with a parenthesized key or
        # value: libcst's range holds the parentheses, CPython's nodes not.
        self.call_ordinals.add_keyed(node, ("d",), placed=not getattr(node.key, "lpar", ()) and not getattr(node.value, "lpar", ()))

    def visit_Name(self, node: cst.Name) -> None:
        # Numbered where CPython's tree has a Name: not a name that only
        # names something (``_NOT_EXPRESSION_NAMES``), nor one in an import.
        if self._import_depth or node.value in CONSTANT_NAMES:
            return
        parent = self.ctx.parent
        field = _NOT_EXPRESSION_NAMES.get(type(parent).__name__)
        if field is not None and getattr(parent, field) is node:
            if field != "name" or type(parent) is not cst.AsName or type(self.ctx.stack[-3]) is not cst.WithItem:
                return
        self.call_ordinals.add_keyed(node, ("n", node.value))

    def visit_Return(self, node: cst.Return) -> None:
        function = self.ctx.current_function
        if function is None or node.value is None:
            return
        value = node.value
        # ``helper().order_by(...)``: a QuerySet when ``helper()`` returns one.
        inner = _peel_lazy_steps(value)
        if is_lazy_queryset(self.ctx, value):
            # ``for order in orders: ...`` then ``return orders``: fetched already.
            kind: Any = "other" if type(value) is cst.Name and returns_filled_queryset(function.node) else "qs"
        elif inner is not value and isinstance(inner, cst.Call):
            kind = callee_ref(self.ctx, inner.func) or "other"
        elif isinstance(value, cst.Call) and not function.is_async and self.ctx.shared(CoroutineEvidence).coroutine_call(value) is not None:
            # ``return channel_layer.group_send(...)``: a coroutine (or future)
            # of a library or of this module, which ``async_to_sync`` awaits.
            kind = "coro"
        elif isinstance(value, cst.Call):
            # ``return Interactor().execute(x)``: a method of a known class's instance.
            kind = callee_ref(self.ctx, value.func) or object_ref(self.ctx, value.func) or "other"
        else:
            kind = "other"
        self.returns.setdefault(id(function), []).append(kind)

    def visit_Yield(self, node: cst.Yield) -> None:
        if self.ctx.current_function is not None and not self.ctx.in_lambda:
            self.generators.add(id(self.ctx.current_function))


def _is_neutral(decorator: str) -> bool:
    return decorator in NEUTRAL_DECORATORS or decorator.rpartition(".")[2] in ("staticmethod", "classmethod")


def _returns_coroutine(ctx, info: FunctionInfo, generator: bool) -> bool:
    """Calling the function gives a coroutine: an ``async def`` (not an async
    generator) under neutral decorators only (or decorators of the module
    that hand its coroutine back: pass_through.py), or a def whose outermost
    decorator that is not neutral is ``@sync_to_async``/``@database_sync_to_async``."""
    if info.is_async:
        return not generator and all(_is_neutral(d) or keeps_coroutine(ctx, node) for d, node in zip(info.decorators, info.node.decorators))
    for decorator in info.decorators:
        if decorator in SYNC_TO_ASYNC_DECORATORS:
            return True
        if not _is_neutral(decorator):
            return False
    return False


def _what(node: cst.CSTNode, code: str | None = None) -> str:
    """How an operation reads in a chain: ``Post.objects.count()``, or for a
    QuerySet evaluated by iteration, ``iterating the QuerySet `rows```."""
    if isinstance(node, cst.Call):
        text = cst.Module([]).code_for_node(node.func) + "()"
    else:
        text = cst.Module([]).code_for_node(node)
    text = " ".join(text.split())  # whole: a chain step is code to find, never cut
    if code == "DJA202":
        # ``list(queryset.order_by("rank"))``: the QuerySet the call builds is what runs the query.
        return f"iterating the QuerySet `{text[:-2] + '(...)' if isinstance(node, cst.Call) and node.args else text}`"
    return text


_SELF_TYPES = frozenset({"Self", "typing.Self", "typing_extensions.Self"})


def _makes_own_class(ctx: FileContext, info: FunctionInfo) -> bool:
    """A classmethod or staticmethod that returns an instance of its class:
    annotated so (``-> "VectorStore"``, ``-> VectorStore``, ``-> Self``), or
    every return is ``cls(...)`` / ``VectorStore(...)``, or, on a model, a
    row its manager fetches or creates (``cls.objects.get(...)``,
    ``.first()``, ``.create(...)``, a name bound to those; ``return None``
    aside)."""
    cls = info.qualname.rpartition(".")[0].rpartition(".")[2]
    if not cls:
        return False
    returns = info.node.returns
    if returns is not None:
        annotation = returns.annotation
        if type(annotation) is cst.SimpleString:
            return annotation.evaluated_value in (cls, "Self")
        return dotted_name(annotation) in (cls, *_SELF_TYPES)
    params = info.node.params.params
    first = params[0].name.value if params and _binding_kind(info) == "class" else None
    values = [ret.value for ret in return_statements(info.node.body)]
    if bool(values) and all(type(v) is cst.Call and type(v.func) is cst.Name and v.func.value in (cls, first) for v in values):
        return True
    return _returns_own_model_rows(ctx, info, cls)


def _returns_own_model_rows(ctx: FileContext, info: FunctionInfo, cls: str) -> bool:
    """The model instance a model's classmethod returns (``return None``
    aside: the inference's reading of a def's result) is of that model."""
    from async_lint.analysis.django_models import InstanceValue, django_inference

    found = django_inference(ctx).function_result(info.node, info.scope.parent or info.scope)
    return isinstance(found, InstanceValue) and found.model is not None and found.model.name == cls and found.model.defined_here


def _decorator_refs(ctx: FileContext, info: FunctionInfo) -> list[str]:
    """``q:`` refs of the function's decorators that may be project
    functions (not neutral, not of a few well-known packages)."""
    out = []
    for decorator in info.decorators:
        if _is_neutral(decorator) or "." not in decorator or decorator.split(".")[0] in ("builtins", "functools", "django", "asgiref", "channels", "celery", "typing", "contextlib"):
            continue
        if decorator.startswith("<module>."):
            decorator = f"{ctx.module_name or '<module>'}.{decorator.split('.', 1)[1]}"
        out.append(f"q:{decorator}")
    return out


def _defers_wrapped(function: cst.FunctionDef) -> bool:
    """A decorator (``def background(func)``) that returns a wrapper def of
    its own whose body never calls ``func`` itself: only hands it on (to a
    thread, a queue, a callback made in a nested def), so calling the
    decorated function does not run its body there.  The wrapper may be
    defined in branches (one per kind of ``func``), and returned through
    ``cast(F, wrapper)``."""
    params = (*function.params.posonly_params, *function.params.params)
    if len(params) != 1 or not isinstance(function.body, cst.IndentedBlock):
        return False
    wrapped = params[0].name.value
    inner: dict[str, list[cst.FunctionDef]] = {}
    returned: list[cst.BaseExpression] = []
    statements: list[cst.CSTNode] = list(function.body.body)
    while statements:
        statement = statements.pop()
        kind = type(statement)
        if kind is cst.FunctionDef:
            inner.setdefault(statement.name.value, []).append(statement)
        elif kind is cst.SimpleStatementLine:
            returned.extend(small.value for small in statement.body if type(small) is cst.Return and small.value is not None)
        elif kind in (cst.If, cst.Try, cst.With):
            statements.extend(statement.children)
        elif kind in (cst.IndentedBlock, cst.Else, cst.ExceptHandler, cst.Finally):
            statements.extend(statement.body if kind is cst.IndentedBlock else [statement.body])
    if len(returned) != 1:
        return False
    value = returned[0]
    if type(value) is cst.Call and value.args:  # ``cast(F, wrapper)``
        value = value.args[-1].value
    if type(value) is not cst.Name or value.value not in inner:
        return False
    for wrapper in inner[value.value]:
        stack: list[cst.CSTNode] = [wrapper.body]
        while stack:
            node = stack.pop()
            if type(node) in (cst.FunctionDef, cst.Lambda, cst.ClassDef):
                continue
            if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value == wrapped:
                return False
            stack.extend(node.children)
    return True


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
    instances: dict[str, str] = {}  # module-level objects: name -> dotted class
    bound: dict[str, str] = {}  # module-level bound methods: name -> ref
    for name, bindings in ctx.module_scope.bindings.items():
        kinds = {b.kind for b in bindings}
        if name == "*":
            star_imports.extend(b.target for b in bindings if b.target)
        elif kinds == {ASSIGN} and len(bindings) == 1 and _constructor_call(bindings[0].value):
            cls = instance_classes(ctx).class_of(bindings[0].value, ctx.module_scope)  # type: ignore[arg-type]
            if cls is not None:
                instances[name] = cls
        elif kinds == {ASSIGN} and len(bindings) == 1 and (ref := bound_method_ref(ctx, bindings[0])) is not None:
            bound[name] = ref
        elif DEF not in kinds and CLASS not in kinds:
            for binding in bindings:
                if binding.kind == "import" and binding.target:
                    imports[name] = binding.target
                    break
    functions: dict[str, dict[str, Any]] = {}
    receivers: ReceiverInference | None = None  # for the Celery tasks among the module's defs
    for info in ctx.functions:
        key = id(info)
        binding = _binding_kind(info)
        if binding is None and info.qualname in functions and functions[info.qualname].get("binding") == "property":
            continue  # ``@total.setter``: reading ``total`` still runs the getter
        guards = collector.guards.get(key)
        ops = []
        task_ops = []
        object_ops = []
        relation_reads = []
        for op in info.ops:
            if op.param_relation is not None:
                # [parameter, its position (None: keyword-only), relation, line, what, guards?]
                param, relation = op.param_relation
                relation_reads.append([param, _position_of(info.node, param), relation, op.line, _what(op.node)])
                op_guards = guards_on(op.ancestors, guards) if guards else None
                if op_guards:
                    relation_reads[-1].append(op_guards)
                continue
            if op.task is not None:
                task_ops.append([op.task, op.line, _what(op.node, op.code)])
                continue
            if op.object_call is not None:
                object_ops.append([*op.object_call, op.line, _what(op.node)])
                continue
            ops.append([op.code, op.line, _what(op.node, op.code)])
            op_guards = guards_on(op.ancestors, guards) if guards else None
            if op.session_param is not None:
                # ``request.session.get()``: none where the caller's request has its session loaded.
                from async_lint.index import SESSION_NOT_LOADED

                op_guards = [*(op_guards or ()), [op.session_param, SESSION_NOT_LOADED]]
            if op.user_param is not None:
                # ``request.user.pk``: none where the caller's request has its user loaded.
                from async_lint.index import USER_NOT_LOADED

                op_guards = [*(op_guards or ()), [op.user_param, USER_NOT_LOADED]]
            if op_guards:
                ops[-1].append(op_guards)
        calls = sorted({r for r in (_ref_text(ctx, ref) for ref in collector.calls.get(key, ())) if r})
        entered = sorted({r for r in (_ref_text(ctx, ref) for ref in collector.entered_calls.get(key, ())) if r})
        consumed = sorted({r for r in (_ref_text(ctx, ref) for ref in collector.consumed_calls.get(key, ())) if r})
        returns = [r for r in (_ref_text(ctx, ref) for ref in collector.returns.get(key, ())) if r]
        orm = key in collector.orm or any(op.code in orm_codes() and op.param_relation is None for op in info.ops)
        entry: dict[str, Any] = {
            "async": info.is_async,
            "thread": info.runs_in_thread,
            "generator": key in collector.generators,
            "decorated": not all(_is_neutral(d) for d in info.decorators),
            "class": info.qualname.rpartition(".")[0] if info.class_name else None,
        }
        # Keep entries small: only what is present.
        if ops:
            entry["ops"] = ops
        if task_ops:
            entry["task_ops"] = task_ops  # DJA105 where the index finds a Celery task at the ref
        if object_ops:
            entry["object_ops"] = object_ops  # DJA1xx where the index finds a blocking object at the ref
        if relation_reads:
            entry["relation_reads"] = relation_reads  # DJA204 where a call site passes an instance without the relation
        if calls:
            entry["calls"] = calls
        if entered:
            entry["entered"] = entered  # a @contextmanager def entered here runs to its ``yield``
        if consumed:
            entry["consumed"] = consumed  # a generator function's result iterated here runs its body
        if returns:
            entry["returns"] = returns
        if orm:
            entry["orm"] = True
        if info.may_query and "qs" in returns:
            entry["may_query"] = True  # DJA402 does not say "no query runs there"
        if "." not in info.qualname and (returned := module_objects(ctx).returns.get(info.qualname)) is not None:
            entry["return_type"] = returned  # a type with blocking methods: the objects it makes block
        if info.node.decorators and "." not in info.qualname and not info.is_async:
            receivers = receivers or ReceiverInference(ctx)
            if makes_task(receivers, info.node, ctx.module_scope):
                entry["celery_task"] = True
        if _returns_coroutine(ctx, info, key in collector.generators):
            entry["coroutine"] = True
        if key in collector.generators and not info.is_async and CONTEXT_MANAGER_DECORATORS.intersection(info.decorators):
            entry["context_manager"] = True  # ``with fn():`` runs its body to the ``yield``, and after
        if adapters(info.decorators, coroutine_apis().async_to_sync)[:1] == ["async_to_sync"]:
            entry["loop_reentry"] = True  # calling it runs AsyncToSync (DJA304 on the loop)
        decorator_refs = _decorator_refs(ctx, info)
        if decorator_refs:
            entry["decorators"] = decorator_refs  # what the index asks whether they defer the body
        if binding in ("class", "static") and not info.is_async and _makes_own_class(ctx, info):
            entry["factory"] = True  # ``Cls.method()`` returns an instance of the class
        if not info.is_async and binding is None and info.node.returns is not None:
            made = instance_classes(ctx).annotated_class(info.node.returns.annotation, info.scope.parent or ctx.module_scope)
            if made is not None:
                entry["returns_class"] = made  # ``def get_asr() -> SarvamASR``: what a call gives
        if info.class_name is None and not info.is_async and _defers_wrapped(info.node):
            entry["defers"] = True  # a decorator whose wrapper does not call the function it wraps
        if binding is not None:
            entry["binding"] = binding
        if guards:
            guarded_calls = _guarded_calls(ctx, collector.call_guards.get(key, ()))
            if guarded_calls:
                entry["guarded_calls"] = guarded_calls
            if _on_parameters([*guarded_calls.values(), *(op[3] for op in ops if len(op) > 3), *(read[5] for read in relation_reads if len(read) > 5)]):
                entry.update(_parameters(info.node))
        elif any(len(op) > 3 for op in ops):
            entry.update(_parameters(info.node))  # a session read's guard (no branch guards)
        functions[info.qualname] = entry
    _add_call_arguments(ctx, collector, functions)
    _add_querysets_passed(ctx, collector, functions)
    sites = []
    fixer = ThreadFix(ctx) if collector.recipes else None
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
        use, awaitable = collector.uses.get(id(node), (None, False))
        if use is not None:
            sites[-1]["use"] = use.as_data()
        if (discarded or use is not None) and isinstance(node, cst.Call):
            sites[-1]["spelled"] = call_spelling(node)
            if text_ref.startswith("q:") and text_ref.rpartition(".")[2] in _client_coroutine_methods() and ctx.shared(CoroutineEvidence).coroutine_call(node) is None:
                # ``redis.sadd(...)`` dropped, ``redis`` another module's and unknown
                # here: a coroutine if that module made it a client with coroutine
                # methods (``coroutine_objects``).
                sites[-1]["object_coroutine"] = True
        if awaitable and (use is None or use.kind not in NO_AWAIT_FIX):
            tighter = use is not None and use.kind in (INDEXED, ATTRIBUTE)
            sites[-1]["await_fix"] = await_fix_at(where.start.line, where.start.column + 1, (where.end.line, where.end.column + 1) if tighter else None)
        if in_async and isinstance(node, cst.Call):
            args = _literal_args(node, loads=_request_loads(ctx, function, node))
            if args is not None:
                sites[-1]["args"] = args
        if in_async and (id(node) in ctx.unloaded_at or id(node) in ctx.passed_types_at):
            sites[-1]["unloaded"] = _with_passed_types(ctx.unloaded_at.get(id(node)), ctx.passed_types_at.get(id(node)))
        if in_async and id(node) in ctx.call_results_at:
            results = {where: text for where, ref in ctx.call_results_at[id(node)].items() if (text := _ref_text(ctx, ref))}
            if results:
                sites[-1]["results"] = results  # the index asks whether each is a lazy QuerySet
        if id(node) in collector.formatted:
            sites[-1]["callee"] = sites[-1]["formats"] = collector.formatted[id(node)]
        if id(node) in collector.awaited:
            sites[-1]["awaited"] = True
        if id(node) in collector.entered:
            sites[-1]["entered"] = True
        if id(node) in collector.consumed:
            sites[-1]["consumed"] = True
        if id(node) in collector.loop_ok:
            sites[-1]["loop_ok"] = True
        if id(node) in collector.patched:
            sites[-1]["patched"] = sorted(set(collector.patched[id(node)]))
        if fixer is not None and id(node) in collector.recipes:
            fix = fixer.fix(node, where, collector.recipes[id(node)])
            if fix is not None:
                sites[-1]["fix"] = fix
    return {
        "module": ctx.module_name or "<module>",
        "is_package": ctx.is_package,
        "imports": imports,
        "star_imports": star_imports,
        "classes": collector.classes,
        "functions": functions,
        "sites": sites,
        **({"instances": instances} if instances else {}),
        **({"objects": objects} if (objects := module_objects(ctx).objects) else {}),
        **({"made": made} if (made := module_objects(ctx).made) else {}),
        **({"bound": bound} if bound else {}),
        **({"loop_wrappers": wrappers} if (wrappers := _loop_wrappers(ctx)) else {}),
        **({"coroutine_objects": objects} if (objects := _coroutine_objects(ctx)) else {}),
        **({"constants": constants} if (constants := _module_constants(ctx)) else {}),
    }


def _with_passed_types(unloaded: list | None, types: dict[str, str] | None) -> list:
    """A site's ``unloaded`` ([positional, keywords, receiver]) with what
    each argument is of an object with blocking methods (``PASSED_TYPE``,
    ``PASSED_OBJECT``) added to its names."""
    positional, keywords, receiver = unloaded if unloaded is not None else ([], {}, None)
    if not types:
        return [positional, keywords, receiver]
    positional, keywords = list(positional), dict(keywords)
    for where, name in types.items():
        add_passed_name(positional, keywords, where, name)
    return [positional, keywords, receiver]


def _loop_wrappers(ctx: FileContext) -> list[str]:
    """The module-level names every binding of which is an ``async_to_sync(f)``
    wrapper (``broadcast = async_to_sync(channel_layer.group_send)``): calling
    one on the event loop raises RuntimeError, from whichever module."""
    if "async_to_sync" not in ctx.source.text and "AsyncToSync" not in ctx.source.text:
        return []
    from async_lint.checks.coroutines import coroutine_apis

    return ctx.module_names_bound_to_calls(coroutine_apis().async_to_sync)


@functools.lru_cache(maxsize=None)
def _client_coroutine_methods() -> frozenset[str]:
    """The coroutine methods of every client of coroutine_apis.toml."""
    return frozenset().union(*(kind.methods for kind in coroutine_apis().clients.values()))


def _coroutine_objects(ctx: FileContext) -> dict[str, str]:
    """The module-level names bound once to an object whose methods are
    coroutine functions (``redis = redis.asyncio.Redis(...)``, ``order_paid =
    Signal()``): name -> what made it (a client of coroutine_apis.toml), for
    DJA302 on a call of one another module drops (``CrossModuleUnawaitedCheck``)."""
    clients = coroutine_apis().clients
    out = {}
    for name, bindings in ctx.module_scope.bindings.items():
        if len(bindings) == 1 and bindings[0].kind == ASSIGN and type(bindings[0].value) is cst.Call:
            made_with = ctx.qualified_name(bindings[0].value.func, ctx.module_scope)
            if made_with in clients:
                out[name] = made_with
    return out


def guards_on(stack: Any, guards: dict[int, IfGuards]) -> list[list[str]]:
    """The guards a node sits under, from the nodes above it (outermost
    first): ``if p:`` guards its body, and its ``else``/``elif`` with the
    opposite test; its test itself is unguarded; likewise a conditional expression's
    branches, and the right operand of ``p and ...`` (``p or ...``: p false).  Each guard must hold for
    the node to run (``if p and q is None:`` gives its body two)."""
    out = []
    for parent, child in itertools.pairwise(stack):
        parent_type = type(parent)
        if parent_type is cst.IndentedBlock:
            # ``if not p: return`` before the statement: it runs only where p held.
            for sibling in parent.body:
                if sibling is child:
                    break
                if type(sibling) is cst.If and sibling.orelse is None and id(sibling) in guards and ends_in(sibling.body, (cst.Return, cst.Raise)):
                    out.extend([param, test] for param, test in guards[id(sibling)].orelse)
            continue
        found = guards.get(id(parent))
        if found is None:
            continue
        if parent_type is cst.BooleanOperation:
            if child is parent.right:
                out.extend([param, test] for param, test in found.body)
        elif parent_type is cst.If or parent_type is cst.IfExp:
            if child is parent.body:
                out.extend([param, test] for param, test in found.body)
            elif child is parent.orelse:
                out.extend([param, test] for param, test in found.orelse)
    return out


def _guarded_calls(ctx: FileContext, call_guards: Any) -> dict[str, list[list[str]]]:
    """Refs every call of which sits under a guard, with the guards they all share."""
    shared: dict[str, list[list[str]]] = {}
    for ref, here in call_guards:
        text = _ref_text(ctx, ref)
        if not text:
            continue
        shared[text] = list(here) if text not in shared else [g for g in shared[text] if g in here]
    return {ref: found for ref, found in sorted(shared.items()) if found}


def _add_call_arguments(ctx: FileContext, collector: SummaryCollector, functions: dict[str, dict[str, Any]]) -> None:
    """``call_args`` of the calls from one function of the file to another
    one with guarded branches (``params`` recorded), and of the calls of
    other modules' functions (whose guards are not known here): the
    literal arguments of each call, so that the index can rule branches out
    further down a chain too (``EventRequest()`` leaves ``http_request``
    None)."""
    guarded = {name for name, entry in functions.items() if "params" in entry}
    module = ctx.module_name or "<module>"

    def guarded_target(ref: str, guarded: set[str]) -> str | None:
        """The guarded function of this module a ref calls: ``Client()`` of a
        class here calls its ``__init__``."""
        local = _local_target(ref, module)
        if local is not None and local not in guarded and ref.startswith("q:") and f"{local}.__init__" in guarded:
            return f"{local}.__init__"
        return local if local in guarded else None

    def record(guarded: set[str]) -> None:
        for info in ctx.functions:
            entry = functions.get(info.qualname)
            if entry is None or "calls" not in entry:
                continue
            found: dict[str, list[Any]] = {}
            star_kwarg = info.node.params.star_kwarg
            kwargs_name = star_kwarg.name.value if isinstance(star_kwarg, cst.Param) else None
            forwarded = None
            for ref, node in collector.call_sites.get(id(info), ()):
                text = _ref_text(ctx, ref)
                if not text:
                    continue
                local = _local_target(text, module)
                if guarded_target(text, guarded) is not None:
                    if forwarded is None:
                        forwarded = _forwardable_params(info)
                    found.setdefault(text, []).append(_literal_args(node, kwargs_name, forwarded) if node is not None else None)
                elif local is None and text.startswith("q:") and node is not None:
                    # Another module's function (``EventRequest()``): its literal arguments
                    # may rule out its guarded branches (a default left ``None``).
                    found.setdefault(text, []).append(_literal_args(node))
            # A ref whose calls are not all known says nothing: left out.
            found = {ref: calls for ref, calls in found.items() if guarded_target(ref, guarded) is not None or None not in calls}
            if found:
                entry["call_args"] = found
            else:
                entry.pop("call_args", None)

    record(guarded)
    # A class whose ``__init__`` hands its parameters on to a guarded method
    # (``self._init_cache(cache_url)``): calling the class passes them there,
    # so its calls' arguments are kept too (a second round, rare).
    constructors = {name.removesuffix(".__init__") for name, entry in functions.items() if name.endswith(".__init__") and _forwards_params(entry)}
    if constructors - guarded:
        record(guarded | constructors)


def _add_querysets_passed(ctx: FileContext, collector: SummaryCollector, functions: dict[str, dict[str, Any]]) -> None:
    """``querysets_passed`` of each plain def: per callee, the arguments
    that are lazy QuerySets in any of its calls there (a helper evaluating
    that parameter runs the query wherever the def runs)."""
    for info in ctx.functions:
        entry = functions.get(info.qualname)
        if entry is None or entry["async"]:
            continue
        found: dict[str, list] = {}
        for ref, node in collector.call_sites.get(id(info), ()):
            passed = ctx.querysets_passed_at.get(id(node)) if node is not None else None
            text = _ref_text(ctx, ref) if passed is not None else None
            if not text:
                continue
            positional, keywords = found.setdefault(text, [[], {}])
            for at, names in enumerate(passed[0]):
                if at >= len(positional):
                    positional.append(None)
                positional[at] = positional[at] or names
            keywords.update({keyword: names for keyword, names in passed[1].items() if names})
        if found:
            entry["querysets_passed"] = found


def _forwards_params(entry: dict[str, Any]) -> bool:
    """A function that hands one of its parameters on to another call."""
    return any(
        isinstance(value, dict) and "param" in value
        for calls in entry.get("call_args", {}).values()
        for call in calls
        if call
        for part in call
        for value in (part.values() if isinstance(part, dict) else part)
    )


def _local_target(ref: str, module: str) -> str | None:
    """The qualname in this module a ref calls, where the ref alone says so."""
    kind, _, rest = ref.partition(":")
    if kind == "q" and rest.startswith(module + "."):
        return rest[len(module) + 1 :]
    if kind == "l":
        return rest
    if kind in ("s", "S"):
        cls, _, method = rest.rpartition(":")
        return f"{cls}.{method}" if kind == "s" else None
    if kind == "c" and rest.startswith(module + "."):
        cls, _, method = rest[len(module) + 1 :].rpartition(":")
        return f"{cls}.{method}"
    return None


def _positional(node: cst.FunctionDef) -> list[str]:
    params = node.params
    return [p.name.value for p in (*params.posonly_params, *params.params)]


def _position_of(node: cst.FunctionDef, name: str) -> int | None:
    """The position of a parameter among the positional ones; None for the others."""
    positional = _positional(node)
    return positional.index(name) if name in positional else None


def _parameters(node: cst.FunctionDef) -> dict[str, Any]:
    params = node.params
    out: dict[str, Any] = {"params": _positional(node)}
    defaults = {}
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.default is not None:
            literal = _literal(param.default)
            if literal is not None:
                defaults[param.name.value] = literal[0]
    if defaults:
        out["defaults"] = defaults
    return out


# Node class name -> the field whose Name only names something, where
# CPython's tree holds a string: ``a.b``'s ``b``, a keyword argument's name,
# a def's, class's or parameter's name, ``global``/``nonlocal`` names, the
# names patterns and type parameters bind, and ``as`` names (but for
# ``with ... as name``, whose target is an expression in both trees).
_NOT_EXPRESSION_NAMES = {
    "Attribute": "attr",
    "Arg": "keyword",
    "FunctionDef": "name",
    "ClassDef": "name",
    "Param": "name",
    "NameItem": "name",
    "AsName": "name",
    "MatchAs": "name",
    "MatchStar": "name",
    "MatchKeywordElement": "key",
    "MatchMapping": "rest",
    "TypeVar": "name",
    "ParamSpec": "name",
    "TypeVarTuple": "name",
}


def position_nodes(collector: SummaryCollector) -> list[cst.CSTNode]:
    return [site[0] for site in collector.sites]
