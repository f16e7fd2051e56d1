"""DJA201-DJA204 for what a function of another module returns.

``posts = get_created_tasks(user)`` then ``for post in posts:`` in async
code raises SynchronousOnlyOperation when ``get_created_tasks`` (in
``services/task.py``) returns ``Task.objects.filter(...)``; ``person = await
sync_to_async(get_person)(pk)`` then ``person.save()`` does when it returns
a model instance, and ``user = task_user.user`` then ``user.save()`` when
it returns an instance whose model has ``user`` as a foreign key (or
another single relation).  The calling file cannot see the other module's returns:
where it evaluates, or writes through, a value it knows nothing of that
came from a function imported from elsewhere, it records a
``foreign_result_use`` fact with the finding it would make; each module
records what its module-level functions return (``function_results``); the
project check joins the two, asking for the defining modules' analysis.
A function of no module of the project, or one whose returns disagree or
tell nothing, stays silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from async_lint import lazy_libcst
from async_lint.analysis.context import SYNC_TO_ASYNC_DECORATORS
from async_lint.analysis.reaching import is_none_literal
from async_lint.analysis.scopes import ASSIGN, IMPORT, star_candidates
from async_lint.checks.base import Check, ProjectCheck, defining_paths, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

QUERYSET = "queryset"
INSTANCE = "instance"
# A list of instances fetched (``return list(qs)``): iterated, its items are
# instances, as the rows of an iterated QuerySet are.
ROWS = "rows"
# An instance of a user model (its password and permission methods: DJA206).
USER = "user"


@dataclass(frozen=True, kw_only=True)
class ForeignResultUse(Fact):
    """A value from a function imported from another module, used in async
    code as a QuerySet would be evaluated or a model instance written."""

    kind = "foreign_result_use"
    target: str  # the function's qualified name
    # "call" (a sync call), "await" (a coroutine awaited), "thread"
    # (sync_to_async(f)(...)) or VALUE (the name itself: a module-level value)
    how: str
    need: str  # QUERYSET or INSTANCE: what the value must be for the finding
    code: str
    message: str
    # DJA204: the attribute read, which must be a relation the instance
    # was not fetched with (LOADER in the message: how to load it).
    relation: str = ""
    # A name no statement of the file binds, which a ``from module import *``
    # may bring: the other modules it may come from (``target`` is the first).
    alternatives: tuple[str, ...] = ()
    # ``user = task_user.user`` then ``user.save()``: the value is the
    # relation of that name of the instance the function returned, which
    # must be a single relation (a foreign key, a one-to-one) of its model.
    through: str = ""
    # ``order.candidates.all()`` evaluated: ``relation`` is a many-relation
    # (a many-to-many, a reverse foreign key) the query must not have prefetched.
    many: bool = False
    # ``order.candidates.clear()``: a many-relation written, which runs its
    # query whatever the fetch prefetched (``relation`` need only be one).
    written: bool = False


@dataclass(frozen=True, kw_only=True)
class FunctionResults(Fact):
    """What the module's module-level functions and its classes' methods
    (``Repo.get``) return, where their returns agree: (name, QUERYSET or
    INSTANCE, is a coroutine function)."""

    kind = "function_results"
    module: str
    results: tuple[tuple[str, str, bool], ...]
    # Per function returning an instance: its single relations that the
    # query did not load, each with the QuerySet method that would
    # (select_related; prefetch_related for a GenericForeignKey).
    unloaded: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    # Per function returning an instance: its model's single relations to
    # another model (each one's value is an instance of it).
    single: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # A package's ``__init__``: the names it imports from other modules and
    # so re-exports (``from .orders import get_order``: ("get_order",
    # "repo.orders.get_order")), which another module may import from it.
    reexports: tuple[tuple[str, str], ...] = ()
    # Per function returning an instance fetched by a query there: its
    # model's many-relations that the query did not prefetch.
    unloaded_many: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Per function returning an instance: its model's many-relations.
    many: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Module-level names bound once to a lazy QuerySet (``ADMINS =
    # Admin.objects.all()`` in a settings module): values, not functions;
    # each with whether its rows are dicts or tuples (``values()``).
    querysets: tuple[tuple[str, bool], ...] = ()


# A use of the imported name itself (``for admin in ADMINS:``), not of a call's result.
VALUE = "value"
# A module-level name bound to a chain on a manager (``ADMINS = Admin.objects.all()``).
MODULE_QUERYSET = re.compile(rb"(?m)^[A-Za-z_]\w*[ \t]*(?::[^=\n]*)?=[ \t]*[\w.]+\.objects\.")

# Where a DJA204 message names how to load the relation and the function
# whose query to change, known only once the project check has its facts.
LOADER = "\0loader\0"
FUNCTION = "\0function\0"


def _rows_source(check, loop: cst.For, target: cst.Name) -> tuple[tuple[str, ...], str, bool] | None:
    """``for item in rows:`` (a sync loop binding the name alone), ``rows``
    what a function of another module returned: the source, as rows."""
    if loop.asynchronous is not None or type(loop.target) is not cst.Name or loop.target.value != target.value:
        return None
    found = foreign_source(check, loop.iter, rows=True)
    return (found[0], found[1], True) if found is not None else None


def foreign_source(check, expr: cst.BaseExpression, *, rows: bool = False) -> tuple[tuple[str, ...], str, bool] | None:
    """(the function's qualified names, how its result was got, whether
    ``expr`` is one of its rows) when ``expr`` is, or is a local name bound
    only to, the result of a function imported from another module:
    ``f(...)``, ``await f(...)`` or ``await sync_to_async(f)(...)``, or the
    name a ``for`` loop over such a result binds.  One name, or where ``f``
    is bound nowhere in the file, one per module the file imports ``*``
    from.  ``rows``: ``expr`` is a loop's iterable (no loop inside it)."""
    ctx = check.ctx
    value = expr
    bindings = ctx.lookup(expr.value) if type(expr) is cst.Name else None
    if type(expr) is cst.Attribute or (bindings and all(b.kind == IMPORT for b in bindings)):
        # ``ADMINS`` imported from another module, ``settings_qs.ADMINS``: a module-level value there.
        target = ctx.imported_from_elsewhere(expr)
        return ((target,), VALUE, False) if target is not None else None
    if type(expr) is cst.Name:
        # Bound to no call's result: no need to ask which binding reaches here.
        binding = sole_local_binding(ctx, expr, lambda b: type(b.value) in (cst.Call, cst.Await) or type(b.node) is cst.For, past_fallbacks=True)
        if binding is None:
            return None
        node = binding.node
        if type(node) is cst.For:
            return None if rows else _rows_source(check, node, expr)
        if binding.value is None or not _stores_one_name(node):
            return None
        value = binding.value
    how = "call"
    if type(value) is cst.Await:
        value, how = value.expression, "await"
    if type(value) is not cst.Call:
        return None
    func = value.func
    if how == "await" and type(func) is cst.Call and ctx.qualified_name(func.func) in SYNC_TO_ASYNC_DECORATORS:
        wrapped = [arg for arg in func.args if arg.keyword is None and not arg.star]
        if not wrapped:
            return None
        func, how = wrapped[0].value, "thread"
    target = ctx.imported_from_elsewhere(func)
    if target is None and type(func) is cst.Attribute and type(func.value) is cst.Call:
        # ``Repo().get(pk)``: the method of the class imported from elsewhere.
        made = ctx.imported_from_elsewhere(func.value.func)
        target = f"{made}.{func.attr.value}" if made is not None else None
    if target is None and type(func) is cst.Attribute and type(func.value) is not cst.Call:
        # ``self.repo.get(pk)``, ``repo.get(pk)``: an object of a class of another module.
        target = _method_of_foreign_object(ctx, func)
    if target is not None:
        return (target,), how, False
    inherited = _inherited_method_candidates(ctx, func)
    if inherited:
        return inherited, how, False
    starred = _star_imported_candidates(ctx, func)
    return (starred, how, False) if starred else None


def _stores_one_name(node: cst.CSTNode) -> bool:
    """``x = value`` or ``(x := value)``: the statement binds one name to the value."""
    if type(node) is cst.Assign:
        return len(node.targets) == 1 and type(node.targets[0].target) is cst.Name
    return type(node) is cst.NamedExpr and type(node.target) is cst.Name


def _inherited_method_candidates(ctx, func: cst.BaseExpression) -> tuple[str, ...]:
    """``self.get_responses()`` in a method of a class that does not define
    it: ``Base.get_responses`` for each base imported from another module,
    in the order the bases are listed (a mixin's ``@database_sync_to_async``
    getter)."""
    if type(func) is not cst.Attribute or type(func.value) is not cst.Name or func.value.value != "self":
        return ()
    cls = ctx.enclosing_class()
    if cls is None or type(cls.body) is not cst.IndentedBlock:
        return ()
    method = func.attr.value
    if any(type(s) is cst.FunctionDef and s.name.value == method for s in cls.body.body):
        return ()
    bases = (ctx.imported_from_elsewhere(base.value) for base in cls.bases if base.keyword is None)
    return tuple(f"{base}.{method}" for base in bases if base is not None)


def _method_of_foreign_object(ctx, func: cst.Attribute) -> str | None:
    """``Class.method`` for ``obj.method`` where ``obj`` is known to be an
    instance of a class another module defines (``self.repo = Repo()`` in
    ``__init__``, ``repo = Repo()`` at module level, a local, an annotation:
    analysis/instances.py)."""
    from async_lint.analysis.instances import instance_classes

    cls = instance_classes(ctx).class_of(func.value)
    if cls is None or "." not in cls or cls.rpartition(".")[0] in (ctx.module_name, "<module>"):
        return None
    return f"{cls}.{func.attr.value}"


def sole_local_binding(ctx, name: cst.Name, worth_asking: Callable[[object], bool], *, past_fallbacks: bool = False):
    """The one assignment of the current function that reaches ``name``
    here, where one of the name's assignments is ``worth_asking`` about
    (asking which binding reaches a read is not free); else None.
    ``past_fallbacks``: the assignments of ``[]``, ``()`` or ``None`` that
    reach it too do not count (``orders = []``, then ``orders = await
    fetch()`` under an ``if``: on that path it is what ``fetch`` gave, as the
    Django inference merges such a fallback with a QuerySet)."""
    from async_lint.analysis.reaching import reaching_bindings

    function = ctx.current_function
    found = ctx.lookup_with_scope(name.value)
    if function is None or found is None or found[0] is not function.scope:
        return None
    scope, bindings = found
    if not any(b.kind == ASSIGN and worth_asking(b) for b in bindings):
        return None
    reaching = reaching_bindings(ctx, scope, bindings, name)
    if past_fallbacks and len(reaching) > 1:
        reaching = [b for b in reaching if not (b.kind == ASSIGN and b.value is not None and _empty_fallback(b.value))] or reaching
    return reaching[0] if len(reaching) == 1 and reaching[0].kind == ASSIGN else None


def _empty_fallback(value: cst.BaseExpression) -> bool:
    """``[]``, ``()`` or ``None``: what a name holds on the path where nothing was fetched."""
    return is_none_literal(value) or (type(value) in (cst.List, cst.Tuple) and not value.elements)


def _star_imported_candidates(ctx, func: cst.BaseExpression) -> tuple[str, ...]:
    """``module.name`` for each ``from module import *`` of the module, where
    ``func`` is a name bound nowhere (not a builtin's)."""
    if type(func) is not cst.Name or ctx.module_name is None or ctx.lookup_with_scope(func.value) is not None:
        return ()
    if ctx.resolve_name(func.value) is not None:
        return ()  # a builtin
    return tuple(c for c in star_candidates(ctx.module_scope, func.value) if c.rpartition(".")[0] != ctx.module_name)


def record_foreign_use(check, expr: cst.BaseExpression, need: str, code: str, message: Callable[[], str], at: cst.CSTNode, relation: str = "", many: bool = False, written: bool = False) -> None:
    """Record the finding ``message()`` at ``at``, should ``expr`` (of
    unknown value here) come from a function of another module returning
    ``need`` (the message is made only then: most values of unknown kind
    come from no such function, and rendering a long expression is not free)."""
    ctx = check.ctx
    expr_type = type(expr)
    if not (expr_type in (cst.Name, cst.Call, cst.Await) or (expr_type is cst.Attribute and ((need == INSTANCE and not relation) or need == QUERYSET))) or not ctx.in_async_context:
        return
    if check.inference.async_unsafe_opt_out or check._in_attribute_error_fallback():
        return
    source = foreign_source(check, expr) if expr_type is not cst.Attribute or need == QUERYSET else None
    through = ""
    if source is None and need == INSTANCE and not relation:
        source, through = _relation_source(check, expr)
    if source is not None and source[1] == VALUE and need != QUERYSET:
        return  # an imported value: only a module-level QuerySet of another module is known
    if source is not None:
        (target, *alternatives), how, row = source
        if row:
            if need != INSTANCE or through:
                return
            need = ROWS  # an item of what the function returned
        if many and (row or through):
            return
        ctx.add_fact(
            ForeignResultUse(target=target, how=how, need=need, code=code, message=message(), relation=relation, alternatives=tuple(alternatives), through=through, many=many, written=written), at
        )


def _relation_source(check, expr: cst.BaseExpression) -> tuple[tuple[tuple[str, ...], str, bool] | None, str]:
    """(the source, the relation's name) where ``expr`` is a relation read
    on a value another module's function returned: ``task_user.user``, or a
    local name bound only to one (``user = task_user.user``)."""
    ctx = check.ctx
    value = expr
    if type(expr) is cst.Name:
        binding = sole_local_binding(ctx, expr, lambda b: type(b.value) is cst.Attribute)
        if binding is None:
            return None, ""
        if not _stores_one_name(binding.node):
            return None, ""
        value = binding.value
    if type(value) is not cst.Attribute or type(value.value) not in (cst.Name, cst.Call, cst.Await):
        return None, ""
    return foreign_source(check, value.value), value.attr.value


class FunctionResultFacts(Check):
    """Records what the module's functions return (in files given a full
    pass: those with async code, and the modules ``ForeignResultCheck`` needs)."""

    codes = ("DJA201", "DJA202", "DJA203", "DJA204", "DJA206")
    text_hints = (r"\basync\s+def\b",)

    def leave_Module(self, node: cst.Module) -> None:
        from async_lint.analysis.django_models import InstanceValue, QuerySetValue, RowsListValue, django_inference, static_or_class_method
        from async_lint.checks.django_request import is_user_value

        ctx = self.ctx
        if ctx.module_name is None:
            return
        inference = django_inference(ctx)
        if not inference.imports_django and not inference.table:
            return
        results = []
        unloaded = []
        unloaded_many = []
        many_relations = []
        single = []
        # The module-level defs, and the methods of its classes (``Repo.get(pk)``,
        # ``Repo().get(pk)``: a repository class's), by their names in the module.
        functions = [(statement.name.value, statement) for statement in node.body if type(statement) is cst.FunctionDef]
        for statement in node.body:
            if type(statement) is cst.ClassDef and type(statement.body) is cst.IndentedBlock:
                # A framework class's instance methods are the framework's to call; its static
                # and class methods (a model's ``Post.get_by_slug(slug)``) the project's, and
                # a project model's own methods too (``receptionist.get_connections()``).
                framework = _framework_class(ctx, statement) and not _project_model(ctx, inference, statement)
                functions.extend(
                    (f"{statement.name.value}.{method.name.value}", method) for method in statement.body.body if type(method) is cst.FunctionDef and (not framework or static_or_class_method(method))
                )
        for name, statement in functions:
            value = inference.function_result(statement, ctx.module_scope)
            # ``@database_sync_to_async def get_room(pk)``: awaited, like an async def.
            info = ctx.function_info(statement)
            awaited = statement.asynchronous is not None or (info is not None and info.runs_in_thread)
            item = None  # the instance it returns, or each row of its rows
            if isinstance(value, QuerySetValue) and not value.rows:
                results.append((name, QUERYSET, awaited))
                item = InstanceValue(value.model, value.selected) if value.model is not None else None
            elif isinstance(value, RowsListValue) and value.item.model is not None:
                results.append((name, ROWS, awaited))
                item = value.item
            elif isinstance(value, InstanceValue) and value.model is not None:
                results.append((name, USER if is_user_value(value) else INSTANCE, awaited))
                item = value
                names = tuple(sorted(name for name, relation in value.model.relations.items() if relation.is_single))
                if names:
                    single.append((name, names))
                many_names = tuple(sorted(name for name, relation in value.model.relations.items() if not relation.is_single))
                if many_names:
                    many_relations.append((name, many_names))
            if item is not None and item.loaded is not None:  # fetched by a query here: what it did not load runs a query
                relations = tuple(
                    (relation_name, "prefetch_related" if relation.kind == "generic_fk" else "select_related")
                    for relation_name, relation in sorted(item.model.relations.items())
                    if relation.is_single and not item.has_loaded(relation_name)
                )
                if relations:
                    unloaded.append((name, relations))
                many = tuple(relation_name for relation_name, relation in sorted(item.model.relations.items()) if not relation.is_single and not item.has_loaded(relation_name))
                if many:
                    unloaded_many.append((name, many))
        reexports = package_reexports(ctx) if ctx.is_package else ()
        querysets = _module_querysets(ctx, node, inference)
        if results or reexports or querysets:
            ctx.add_fact(
                FunctionResults(
                    module=ctx.module_name,
                    results=tuple(results),
                    unloaded=tuple(unloaded),
                    single=tuple(single),
                    reexports=reexports,
                    querysets=querysets,
                    unloaded_many=tuple(unloaded_many),
                    many=tuple(many_relations),
                )
            )


def _module_querysets(ctx, module: cst.Module, inference) -> tuple[tuple[str, bool], ...]:
    """The module-level names bound once, by a plain assignment, to a lazy QuerySet."""
    from async_lint.analysis.django_models import QuerySetValue

    out = []
    for statement in module.body:
        if type(statement) is not cst.SimpleStatementLine:
            continue
        for small in statement.body:
            if type(small) is not cst.Assign or len(small.targets) != 1 or type(small.targets[0].target) is not cst.Name:
                continue
            name = small.targets[0].target.value
            bindings = ctx.module_scope.bindings.get(name)
            if not bindings or len(bindings) != 1:
                continue
            value = inference.infer(small.value, ctx.module_scope)
            if isinstance(value, QuerySetValue):
                out.append((name, value.rows))
    return tuple(sorted(out))


def package_reexports(ctx) -> tuple[tuple[str, str], ...]:
    """(name, what it names) of the names a package's ``__init__`` binds
    only by an unconditional ``from ... import`` of another module."""
    out = []
    for name, bindings in ctx.module_scope.bindings.items():
        if len(bindings) != 1 or bindings[0].kind != IMPORT or not bindings[0].unconditional:
            continue
        target = bindings[0].target
        if target and "." in target and target.rpartition(".")[0] != ctx.module_name and type(bindings[0].node) is cst.ImportFrom:
            out.append((name, target))
    return tuple(sorted(out))


# Frameworks whose classes' methods the framework calls (a model's, a view's,
# a serializer's): not what another module imports to call for a result.
FRAMEWORK_PACKAGES = ("django", "rest_framework", "adrf", "channels", "ninja", "graphene", "celery")


def _framework_class(ctx, node: cst.ClassDef) -> bool:
    """A class deriving from a framework's class (or a module of the framework itself)."""
    if ctx.module_name is not None and ctx.module_name.partition(".")[0] in FRAMEWORK_PACKAGES:
        return True
    return any((ctx.qualified_name(base.value) or "").partition(".")[0] in FRAMEWORK_PACKAGES for base in node.bases if base.keyword is None)


def _project_model(ctx, inference, node: cst.ClassDef) -> bool:
    """A model class of the project (not of a framework module)."""
    if ctx.module_name is not None and ctx.module_name.partition(".")[0] in FRAMEWORK_PACKAGES:
        return False
    return inference.model_of_class(node, ctx.module_scope) is not None


class ForeignResultCheck(ProjectCheck):
    codes = ("DJA201", "DJA202", "DJA203", "DJA204", "DJA206")
    fact_kinds = (ForeignResultUse, FunctionResults)

    def needs(self, facts: ProjectFacts, project) -> set[str]:
        """The modules the functions are imported from (a method's: the
        module its class is imported from), and where a package re-exports
        one, the module it comes from."""
        reexports = _reexport_table(facts)
        uses = [fact for _, fact in facts.of(ForeignResultUse)]
        targets = {reexported_name(target, reexports) for fact in uses if fact.how != VALUE for target in (fact.target, *fact.alternatives)}
        paths = defining_paths(targets | {target.rpartition(".")[0] for target in targets if target.count(".") > 1}, project)
        values = {reexported_name(fact.target, reexports) for fact in uses if fact.how == VALUE}
        if values:
            # An imported name used as a QuerySet: only a module binding one at its top level is read.
            paths |= {path for path in defining_paths(values, project) if project.file_matches(path, MODULE_QUERYSET)}
        return paths

    def run(self, facts: ProjectFacts) -> list[Finding]:
        reexports = _reexport_table(facts)
        known = _by_qualified_name(facts, lambda fact: ((name, (kind, coroutine)) for name, kind, coroutine in fact.results))
        values = _by_qualified_name(facts, lambda fact: fact.querysets)
        unloaded = {name: dict(relations) for name, relations in _by_qualified_name(facts, lambda fact: fact.unloaded).items()}
        single = {name: frozenset(names) for name, names in _by_qualified_name(facts, lambda fact: fact.single).items()}
        unloaded_many = {name: frozenset(names) for name, names in _by_qualified_name(facts, lambda fact: fact.unloaded_many).items()}
        many = {name: frozenset(names) for name, names in _by_qualified_name(facts, lambda fact: fact.many).items()}
        out = []
        for path, use in facts.of(ForeignResultUse):
            if use.how == VALUE:
                # A module-level QuerySet of another module, used as itself.
                target = reexported_name(use.target, reexports)
                if target in values and (use.need == QUERYSET or (use.need == ROWS and not values[target])) and not use.through and not use.relation and use.positioned:
                    out.append(finding_at(path, use.where, use.code, use.message))
                continue
            # Of a star import's modules, the first that defines the function (Python's last import wins,
            # but the modules a file imports ``*`` from rarely define the same name).
            target = next((t for t in (reexported_name(t, reexports) for t in (use.target, *use.alternatives)) if t in known), None)
            found = known.get(target) if target is not None else None
            if found is None or not use.positioned:
                continue
            kind, coroutine = found
            if use.through:
                # The relation of the instance it returned: an instance of the related model.
                if kind not in (INSTANCE, USER) or use.through not in single.get(target, ()) or (use.how == "await") != coroutine:
                    continue
                out.append(finding_at(path, use.where, use.code, use.message))
                continue
            # A coroutine function's result is what awaiting it gives; a plain
            # function's, what calling it (here or in a thread) gives.  Rows
            # are a list's items, or a QuerySet's (its loop is DJA202's too).
            matches = kind == use.need or (use.need == ROWS and kind == QUERYSET) or (use.need == INSTANCE and kind == USER)
            if not matches or (use.how == "await") != coroutine:
                continue
            if not use.relation:
                out.append(finding_at(path, use.where, use.code, use.message))
                continue
            if use.written:
                if use.relation in many.get(target, ()):
                    out.append(finding_at(path, use.where, use.code, use.message))
                continue
            if use.many:
                if use.relation in unloaded_many.get(target, ()):
                    out.append(finding_at(path, use.where, use.code, use.message.replace(FUNCTION, target.rpartition(".")[2] + "()")))
                continue
            loader = unloaded.get(target, {}).get(use.relation)
            if loader is not None:
                message = use.message.replace(LOADER, loader).replace(FUNCTION, target.rpartition(".")[2] + "()")
                out.append(finding_at(path, use.where, use.code, message))
        return out


def _by_qualified_name(facts: ProjectFacts, pairs: Callable[[FunctionResults], Any]) -> dict[str, Any]:
    """``module.name`` -> value of the (name, value) ``pairs`` of each
    module's function-results fact, under every name the module goes by."""
    return facts.by_qualified_name(FunctionResults, pairs)


def _reexport_table(facts: ProjectFacts) -> dict[str, str]:
    """``package.name`` -> what it names, of every package's re-exports."""
    return _by_qualified_name(facts, lambda fact: fact.reexports)


def reexported_name(target: str, reexports: dict[str, str]) -> str:
    """``target`` with its leading part that a package re-exports replaced
    by what it names, through chains of re-exports (``repo.Orders.get`` ->
    ``repo.orders.Orders.get``)."""
    if not reexports:
        return target
    for _ in range(MAX_REEXPORT_CHAIN):
        parts = target.split(".")
        for cut in range(len(parts), 1, -1):
            head = ".".join(parts[:cut])
            if head in reexports:
                target = ".".join([reexports[head], *parts[cut:]])
                break
        else:
            return target
    return target


MAX_REEXPORT_CHAIN = 8
