"""DJA101-DJA106 for a module-level object of another module of the project.

``redis_server = redis.from_url(...)`` in ``cache.py``, then
``from .cache import redis_server`` and ``redis_server.set(k, v)`` in async
code blocks the event loop, but the calling file cannot see what
``redis_server`` is.  Where a method the blocking table knows for some type
is called in async code on a name imported from elsewhere and of unknown
kind here, the calling file records an ``object_call`` fact; each module
records the types of its module-level objects that have blocking methods
(``module_objects``); the project check joins the two, asking for the
defining modules' analysis.  A name no module of the project binds to such
an object stays silent.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.analysis.scopes import ASSIGN, CLASS, DEF, lookup
from async_lint.checks.base import Check, ProjectCheck, defining_paths, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Finding
from async_lint.index import PASSED_CALL, PASSED_OBJECT, PASSED_TYPE

cst = lazy_libcst.bind(globals())

BLOCKING_CODES = ("DJA101", "DJA102", "DJA103", "DJA104", "DJA105", "DJA106")


@dataclass(frozen=True, kw_only=True)
class ObjectCall(Fact):
    """``<name>.<method>(...)`` in async code, ``name`` imported from another
    module and of unknown kind here."""

    kind = "object_call"
    target: str  # the qualified name the receiver resolves to
    method: str
    spelled: str  # the called expression as written (for the message)
    # "/": the receiver is ``target / x`` (``DATA_PATH / "a.pdf"``), of the
    # type the target's type gives that operator; "": the target itself.
    through: str = ""


@dataclass(frozen=True, kw_only=True)
class ModuleObjects(Fact):
    """The module's module-level objects whose type has blocking methods:
    (name, type); those made by another module's function, whose type that
    module knows: (name, the function's qualified name); and the types with
    blocking methods its own functions return: (function, type)."""

    kind = "module_objects"
    module: str
    objects: tuple[tuple[str, str], ...]
    made: tuple[tuple[str, str], ...] = ()
    returns: tuple[tuple[str, str], ...] = ()


@functools.lru_cache(maxsize=None)
def _blocking_method_names() -> tuple[frozenset[str], bool]:
    """Every method name a ``[[method]]`` row of the blocking table lists,
    and whether some row takes any name (``names = ["*"]``: a sync redis client's)."""
    from async_lint.checks.blocking import blocking_table

    methods = blocking_table().methods.values()
    return frozenset(name for patterns in methods for name in patterns.exact), any(patterns.patterns for patterns in methods)


def may_block(method: str) -> bool:
    """Some type's method of that name blocks."""
    exact, any_name = _blocking_method_names()
    return method in exact or (any_name and not method.startswith("_"))


def record_object_call(check, call: cst.Call) -> None:
    """Record an ``ObjectCall`` for ``call`` (``name.method(...)``, not awaited,
    in async code) when ``name`` is imported from another module and the
    file knows nothing of it."""
    ctx = check.ctx
    func = call.func
    if type(func) is not cst.Attribute or not may_block(func.attr.value):
        return
    setting = settings_object(ctx, func.value)
    if setting is not None:
        # ``settings.REDIS.set(k, v)``: what the project's settings bound REDIS to.
        if check.receivers.infer(func.value) is None:
            ctx.add_fact(ObjectCall(target=setting, method=func.attr.value, spelled=check._spelling(func)), call)
        return
    held = _self_attribute_object(check, func)
    if held is not None:
        # ``self.client.get(k)``, the attribute set to another module's object.
        ctx.add_fact(ObjectCall(target=held[0], method=held[1], spelled=check._spelling(func)), call)
        return
    root, method = _object_method(func)
    through = ""
    if root is None and _divided_name(func.value) is not None:
        # ``(DATA_PATH / "a.pdf").read_bytes()``
        root, method, through = _divided_name(func.value), func.attr.value, "/"
    if root is None:
        # ``make_redis_client().get(k)``, the factory imported from another module.
        made = _called_factory(ctx, func)
        if made is not None and check.receivers.infer(func.value) is None:
            ctx.add_fact(ObjectCall(target=made[0], method=made[1], spelled=check._spelling(func)), call)
        return
    target = object_target(ctx, root)
    if target is None and not through and method == func.attr.value:
        # ``client = make_redis_client()``, the factory imported from another module.
        target = _made_by_imported_factory(ctx, root)
    if target is None and not through and method == func.attr.value:
        # ``path = DATA_PATH / "a.pdf"`` then ``path.read_bytes()``
        root, through = _divided_binding(ctx, root), "/"
        target = object_target(ctx, root) if root is not None else None
    if target is None or check.receivers.infer(root) is not None:
        return
    ctx.add_fact(ObjectCall(target=target, method=method, spelled=check._spelling(func), through=through), call)


DJANGO_SETTINGS = "django.conf.settings"


def settings_object(ctx, expr: cst.BaseExpression) -> str | None:
    """``settings.NAME`` (Django's lazy settings): ``django.conf.settings.NAME``,
    which the project's settings modules define; else None."""
    if type(expr) is not cst.Attribute or type(expr.value) is not cst.Name:
        return None
    return f"{DJANGO_SETTINGS}.{expr.attr.value}" if ctx.qualified_name(expr.value) == DJANGO_SETTINGS else None


# A target that is the result of calling the function it names (``module.make()``).
CALLED = "()"


def _made_by_imported_factory(ctx, name: cst.Name) -> str | None:
    """``client = make_redis_client()`` in the function, the one assignment
    reaching ``name`` here, its callee imported from another module:
    ``module.make_redis_client()`` (what that function returns is its
    module's to say, ``ModuleObjects.returns``)."""
    from async_lint.checks.foreign_results import sole_local_binding

    binding = sole_local_binding(ctx, name, lambda b: type(b.value) is cst.Call)
    value = binding.value if binding is not None else None
    if type(value) is not cst.Call:
        return None
    made_by = ctx.imported_from_elsewhere(value.func)
    return made_by + CALLED if made_by is not None else None


def _divided_name(expr: cst.BaseExpression) -> cst.Name | None:
    """``name / x``: the name."""
    if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Divide and type(expr.left) is cst.Name:
        return expr.left
    return None


def _divided_binding(ctx, name: cst.Name) -> cst.Name | None:
    """The name ``name`` is bound to ``<it> / x`` by the one assignment of the
    function that reaches it here: ``<it>``."""
    from async_lint.checks.foreign_results import sole_local_binding

    binding = sole_local_binding(ctx, name, lambda b: type(b.value) is cst.BinaryOperation)
    return _divided_name(binding.value) if binding is not None and binding.value is not None else None


def _called_factory(ctx, func: cst.Attribute) -> tuple[str, str] | None:
    """``make_client().get`` (``make_client().chat.completions.create``), the
    function imported from another module: (``module.make_client()``, the
    attribute read on its result); else None."""
    node, method = func.value, func.attr.value
    while type(node) is cst.Attribute:
        node, method = node.value, node.attr.value
    if type(node) is not cst.Call:
        return None
    made_by = ctx.imported_from_elsewhere(node.func)
    return (made_by + CALLED, method) if made_by is not None and not _library_name(ctx, made_by) else None


def _library_name(ctx, dotted: str) -> bool:
    """``requests.get``, ``timezone.now`` of ``django.utils``: a library's
    function, whose result no module of the project describes (a package
    of the project's models is the project's, whatever a table calls it)."""
    from async_lint.catalog import library_packages

    top = dotted.partition(".")[0]
    if top not in library_packages():
        return False
    table = getattr(ctx.settings, "models", None)
    return table is None or not any(name.partition(".")[0] == top for name in table.models)


def _self_attribute_object(check, func: cst.Attribute) -> tuple[str, str] | None:
    """``self.client.get`` in a method, where the class's methods set
    ``self.client`` only to one object of another module (``_self_attribute_target``):
    (that object's target, ``get``)."""
    node, method = func.value, func.attr.value
    while type(node) is cst.Attribute and type(node.value) is cst.Attribute:
        node, method = node.value, node.attr.value
    target = _self_attribute_target(check, node)
    return (target, method) if target is not None else None


def _self_attribute_target(check, node: cst.BaseExpression) -> str | None:
    """``self.client`` in a method, where the class's methods set it only to
    one object of another module (``client`` or ``make_client()`` imported
    from it; a ``None`` placeholder aside) and the class body binds no
    ``client``: that object's target."""
    from async_lint.analysis.reaching import is_none_literal
    from async_lint.analysis.receivers import self_class_scope

    if type(node) is not cst.Attribute or type(node.value) is not cst.Name:
        return None
    ctx = check.ctx
    class_scope = self_class_scope(node.value.value, ctx.scope)
    if class_scope is None or node.attr.value in class_scope.bindings:
        return None
    assigned = check.receivers.self_attribute_assignments(class_scope).get(node.attr.value)
    values = [(value, scope) for value, scope, _statement in assigned or () if value is None or not is_none_literal(value)]
    targets = set()
    for value, scope in values:
        if type(value) is cst.Call:
            made_by = ctx.imported_from_elsewhere(value.func, scope)
            targets.add(made_by + CALLED if made_by is not None else None)
        else:
            targets.add(ctx.imported_from_elsewhere(value, scope) if value is not None else None)
    if len(targets) != 1 or None in targets or _library_name(ctx, next(iter(targets))) or check.receivers.infer(node) is not None:
        return None
    return targets.pop()


def _object_method(func: cst.Attribute) -> tuple[cst.Name | None, str]:
    """The name a method call starts from, and the attribute read on it:
    ``redis.get`` -> (``redis``, "get"); ``client.chat.completions.create``
    -> (``client``, "chat"), an SDK client's resource (what the blocking
    table's rows that take any name hold as the client's own)."""
    node, method = func.value, func.attr.value
    while type(node) is cst.Attribute:
        node, method = node.value, node.attr.value
    return (node, method) if type(node) is cst.Name else (None, method)


def record_object_op(check, call: cst.Call) -> None:
    """``name.method(...)`` in a sync function, ``name`` imported from
    another module and unknown here: an operation of the function where the
    project index finds a module-level object there whose method blocks (a
    shared ``redis_client``), for the DJA401 chains that reach the function."""
    from async_lint.analysis.context import BlockingOp

    ctx = check.ctx
    func = call.func
    function = ctx.current_function
    if ctx.in_async_context or function is None or function.runs_on_loop or ctx.in_lambda:
        return
    if type(func) is not cst.Attribute or not may_block(func.attr.value) or ctx.only_without_loop():
        return
    root, method = _object_method(func)
    held = _self_attribute_object(check, func)
    if held is not None:
        target, method = held
    elif root is None:
        made = _called_factory(ctx, func)
        if made is None or check.receivers.infer(func.value) is not None:
            return
        target, method = made
    else:
        target = object_target(ctx, root)
        if target is None and func.value is root and ctx.is_own_parameter(root.value) and check.receivers.infer(root) is None:
            # ``redis_client.get(k)`` on a parameter: blocking where the call
            # on the loop passes such an object (the index pairs them).
            function.ops.append(BlockingOp("", "", call, ancestors=tuple(ctx.stack), param_relation=(root.value, f"{PASSED_CALL}{method}")))
            return
        if target is None or check.receivers.infer(root) is not None:
            return
    function.ops.append(BlockingOp("", "", call, ancestors=tuple(ctx.stack), object_call=(f"q:{target}", method)))


def _result_of_own_resource(check, inferred) -> bool:
    """The value is what a method of an object of the same type returned
    (``response.content[0].text.strip()`` on an SDK client's chain, which the
    receiver inference gives the client's type so that its resources' calls
    match): not an object of that type itself."""
    origin = inferred.origin
    if origin is None or type(origin.func) is not cst.Attribute:
        return False
    owner = check.receivers.infer(origin.func.value, inferred.scope)
    return owner is not None and owner.type == inferred.type


def note_passed_objects(check, call: cst.Call) -> None:
    """The arguments of a call on the loop that are objects of a type with
    blocking methods (``self.redis_client``, made by ``redis.Redis(...)``):
    a helper calling such a method on its parameter blocks there."""
    from async_lint.checks.blocking import blocking_table

    ctx = check.ctx
    table = blocking_table()
    found: dict[str, str] = {}
    for position, arg in enumerate(call.args):
        value = arg.value
        if arg.star or type(value) not in (cst.Name, cst.Attribute):
            continue
        where = arg.keyword.value if arg.keyword is not None else str(position)
        inferred = check.receivers.infer(value)
        if inferred is not None:
            if inferred.type in table.methods and not _result_of_own_resource(check, inferred):
                found[where] = PASSED_TYPE + inferred.type
            continue
        # An object another module makes (``self.redis = get_redis_client()``,
        # an imported client): the index reads its type there.
        target = object_target(ctx, value) if type(value) is cst.Name else _self_attribute_target(check, value)
        if target is not None:
            found[where] = PASSED_OBJECT + target
    if found:
        ctx.passed_types_at[id(call)] = found


def object_target(ctx, name: cst.Name) -> str | None:
    """The qualified name of the module-level object ``name`` may be, whose
    type another module knows: imported from another module of the project,
    or this module's own object made by a function it imports
    (``redis = get_redis_connection()``, its ``-> redis.StrictRedis`` in
    ``utils.py``); None for anything else."""
    target = ctx.imported_from_elsewhere(name)
    if target is not None:
        return target
    if ctx.module_name is None or name.value not in module_objects(ctx).made:
        return None
    found = ctx.lookup_with_scope(name.value)
    return f"{ctx.module_name}.{name.value}" if found is not None and found[0] is ctx.module_scope else None


def module_objects(ctx) -> "_BlockingObjects":
    """The module's objects with blocking methods, those other modules made,
    and its functions returning such objects; read once a file (the facts
    and the summary both ask)."""
    return ctx.shared(_BlockingObjects)


class _BlockingObjects:
    """The module's objects and functions that another module's blocking
    calls may go through: ``objects`` (name -> type, known here), ``made``
    (name -> the qualified name of the other module's function whose call
    made it, the type unknown here) and ``returns`` (a module-level def ->
    the type with blocking methods it returns: its annotation, else the
    type all its ``return`` statements agree on; a class deriving from
    such a type -> that type, what calling it makes)."""

    def __init__(self, ctx) -> None:
        from async_lint.analysis.receivers import ReceiverInference, local_callee
        from async_lint.checks.blocking import blocking_table

        table = blocking_table()
        receivers = None
        self.objects: dict[str, str] = {}
        self.made: dict[str, str] = {}
        self.returns: dict[str, str] = {}
        for name, bindings in ctx.module_scope.bindings.items():
            if len(bindings) != 1:
                if all(b.kind == ASSIGN and type(b.value) is cst.Call for b in bindings):
                    # ``REDISKV = redis.StrictRedis(...)`` in each branch of an
                    # ``if``: the object, where every branch makes the same type.
                    receivers = receivers or ReceiverInference(ctx)
                    found = {getattr(receivers.infer(b.value, ctx.module_scope), "type", None) for b in bindings}
                    if len(found) == 1 and (kind := found.pop()) in table.methods:
                        self.objects[name] = kind
                continue
            binding = bindings[0]
            if binding.kind == CLASS:
                # ``class RedisClient(redis.Redis)``: what calling it makes, for the
                # modules that import it (``client = RedisClient()`` there).
                receivers = receivers or ReceiverInference(ctx)
                known = receivers.known_base_of(cst.Name(name), ctx.module_scope)
                if known is not None and known in table.methods:
                    self.returns[name] = known
                continue
            if binding.kind == DEF:
                callee = local_callee(ctx, cst.Name(name), ctx.module_scope)
                if callee is not None and _may_return_object(ctx, *callee):
                    receivers = receivers or ReceiverInference(ctx)
                    found = receivers.returned_type(*callee)
                    if found is not None and found.type in table.methods:
                        self.returns[name] = found.type
                continue
            # ``redis = Redis(...)``; ``DATA = Path(__file__).parent``, ``ROOT / "data"``.
            if binding.kind != ASSIGN or type(binding.value) not in (cst.Call, cst.Attribute, cst.BinaryOperation):
                continue
            receivers = receivers or ReceiverInference(ctx)
            found = receivers.infer(binding.value, ctx.module_scope)
            if found is not None:
                if found.type in table.methods:
                    self.objects[name] = found.type
                continue
            setting = settings_object(ctx, binding.value)
            if setting is not None:
                self.made[name] = setting  # ``REDIS = settings.REDIS``: the settings' object
                continue
            if type(binding.value) is not cst.Call:
                continue
            made_by = ctx.imported_from_elsewhere(binding.value.func)
            if made_by is not None and made_by.partition(".")[0] not in sys.stdlib_module_names:
                self.made[name] = made_by


def _may_return_object(ctx, function: cst.FunctionDef, parent) -> bool:
    """A def annotated with its return type, or one whose every ``return``
    gives a call (``return redis.Redis(...)``): where a factory's type is
    read (inferring every helper's returned names would cost more than the
    objects they could find).  Read on CPython's tree where the file has one
    (a walk of libcst's costs ten times more)."""
    from async_lint.analysis.receivers import returned_values

    if function.returns is not None:
        return True
    tree = ctx.source.python_tree if ctx.source is not None else None
    if tree is None:
        returned = returned_values(ctx, function, parent)
        return returned is not None and all(type(value) is cst.Call or (type(value) is cst.Name and _module_level(value, scope)) for value, scope in returned)
    return function.name.value in _call_returning_defs(ctx)


def _module_level(name: cst.Name, scope) -> bool:
    found = lookup(scope, name.value)
    return found is not None and found[0].kind == "module"


def _call_returning_defs(ctx) -> frozenset[str]:
    return ctx.shared(_CallReturningDefs).names


class _CallReturningDefs:
    """The module-level defs whose every ``return`` gives a call, a name of
    the module, a local bound only to calls (``client = boto3.client(...)``
    then ``return client``) or None (one at least that is not None; no
    ``yield``), from CPython's tree."""

    def __init__(self, ctx) -> None:
        import ast

        names = set()
        for statement in ctx.source.python_tree.body:
            if type(statement) is not ast.FunctionDef:
                continue
            returns, plain = 0, True
            # ``return _client``: a name of the module (one the def declares
            # ``global``, or never binds), what a lazy singleton's getter gives.
            returned_names: set[str] = set()
            bound: set[str] = {a.arg for a in ast.walk(statement.args) if type(a) is ast.arg}
            declared: set[str] = set()
            stack: list[ast.AST] = list(statement.body)
            while stack and plain:
                node = stack.pop()
                kind = type(node)
                if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda):
                    if kind is not ast.Lambda:
                        bound.add(node.name)
                    continue
                if kind is ast.Return:
                    if type(node.value) is ast.Name:
                        returns += 1
                        returned_names.add(node.value.id)
                    elif type(node.value) is not ast.Constant or node.value.value is not None:
                        returns += 1
                        plain = type(node.value) is ast.Call
                elif kind is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Name and type(node.value) is ast.Call:
                    # ``client = boto3.client(...)``: bound to a call, not put in
                    # ``bound`` (its other stores put it there).
                    stack.append(node.value)
                    continue
                elif kind in (ast.Yield, ast.YieldFrom):
                    plain = False
                elif kind is ast.Global:
                    declared.update(node.names)
                elif kind is ast.Name and type(node.ctx) is not ast.Load:
                    bound.add(node.id)
                elif kind in (ast.Import, ast.ImportFrom):
                    bound.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
                stack.extend(ast.iter_child_nodes(node))
            if plain and returns and all(name in declared or name not in bound for name in returned_names):
                names.add(statement.name)
        self.names = frozenset(names)


class ModuleObjectFacts(Check):
    """Records the module's objects with blocking methods (in files given a
    full pass: those with async code, and the modules ``ForeignObjectCallCheck`` needs)."""

    codes = BLOCKING_CODES
    text_hints = (r"\basync\s+def\b",)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.ctx
        if ctx.module_name is None:
            return
        found = module_objects(ctx)
        if found.objects or found.made or found.returns:
            ctx.add_fact(ModuleObjects(module=ctx.module_name, objects=tuple(sorted(found.objects.items())), made=tuple(sorted(found.made.items())), returns=tuple(sorted(found.returns.items()))))


class ForeignObjectCallCheck(ProjectCheck):
    codes = BLOCKING_CODES
    fact_kinds = (ObjectCall, ModuleObjects)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """The modules the objects are imported from, those of the
        functions that made them there, and the project's settings modules
        where an object is a setting (``settings.REDIS``)."""
        targets = {fact.target.removesuffix(CALLED) for _, fact in facts.of(ObjectCall)}
        makers = {made_by for path, fact in facts.of(ModuleObjects) for module in facts.names_of(path, fact.module) for name, made_by in fact.made if f"{module}.{name}" in targets}
        wanted = targets | makers
        settings_files = set(self._settings_paths()) if any(name.startswith(DJANGO_SETTINGS + ".") for name in wanted) else set()
        return defining_paths({name for name in wanted if not name.startswith(DJANGO_SETTINGS + ".")}, project) | settings_files

    def _settings_paths(self) -> tuple[str, ...]:
        table = self.settings.models
        return table.settings_paths if table is not None else ()

    def run(self, facts: ProjectFacts) -> list[Finding]:
        from async_lint.analysis.receivers import default_type_model
        from async_lint.checks.blocking import blocking_table

        table = blocking_table()
        named = [(fact, module) for path, fact in facts.of(ModuleObjects) for module in facts.names_of(path, fact.module)]
        # object -> (its type, where it was made, for the message)
        types = {f"{module}.{name}": (type_name, f"made in `{module}`") for fact, module in named for name, type_name in fact.objects}
        returned = {f"{module}.{function}": type_name for fact, module in named for function, type_name in fact.returns}
        # ``django.conf.settings.NAME``: the object a settings module of the project binds NAME to.
        settings_paths = set(self._settings_paths())
        for path, fact in facts.of(ModuleObjects):
            if path in settings_paths:
                for name, type_name in fact.objects:
                    types.setdefault(f"{DJANGO_SETTINGS}.{name}", (type_name, f"made in the settings, `{fact.module}`"))
        # ``maker()``: what calling a function (or a class) of the project makes.
        for function, type_name in returned.items():
            types.setdefault(function + CALLED, (type_name, f"made by `{function}()`"))
        for fact, module in named:
            for name, made_by in fact.made:
                # ``redis = get_redis_connection()``: what the call made; ``REDIS = settings.REDIS``: the setting.
                made = types.get(made_by + CALLED) or types.get(made_by)
                if made is not None:
                    types.setdefault(f"{module}.{name}", made)
        out = []
        for path, call in facts.of(ObjectCall):
            type_name, made = types.get(call.target, (None, ""))
            if call.through and type_name is not None:
                spec = default_type_model().types.get(type_name)
                type_name = spec.operators.get(call.through) if spec is not None else None
            entry = table.match_method(type_name, call.method) if type_name is not None and call.positioned else None
            if entry is None:
                continue
            what = entry.receiver or f"`{type_name}.{call.method}`"
            shown = call.spelled if "…" not in call.spelled else f"{entry.called}.{call.method}"
            message = f"`{call.spelled}()` ({what}, {made}) {entry.blocks}; use {entry.use.replace('{call}', shown)}"
            out.append(finding_at(path, call.where, entry.code, message))
        return out
