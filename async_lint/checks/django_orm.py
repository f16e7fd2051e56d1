"""DJA201-DJA204: the sync ORM in async code.

What a receiver is (manager, QuerySet, model instance, related manager) comes
from the shared inference in ``async_lint.analysis.django_models``; this
module only knows which uses of those evaluate a query.  Every finding goes
through ``ctx.report_blocking``: in sync functions the same operations are
recorded for the project index's call chains (DJA401).
"""

from __future__ import annotations

import itertools

from typing import Any, Callable

from async_lint import lazy_libcst

from async_lint import fixes
from async_lint.analysis.django_models import (
    LAZY_METHODS,
    EVALUATING_METHODS,
    RELATED_EVALUATING_METHODS,
    InstanceValue,
    IteratorValue,
    ManagerValue,
    ModelClass,
    ModelFormValue,
    ModelSerializerValue,
    QuerySetValue,
    django_inference,
    literal_attribute_read,
)
from async_lint.analysis.django_vocabulary import MODEL_TWINS, USER_TWINS
from async_lint.analysis.dominance import EvaluatedPoint
from async_lint.analysis.handoffs import covers, dotted, handed_by, root_name
from async_lint.analysis.django_twins import since, sync_names, target_version, twin
from async_lint.analysis.context import SYNC_TO_ASYNC_DECORATORS, BlockingOp
from async_lint.analysis.coroutine_uses import truth_tested
from async_lint.analysis.narrowing import narrowed_to_builtin
from async_lint.analysis.reaching import is_none_literal
from async_lint.analysis.scopes import ASSIGN, CLASS, PARAM, Binding, Scope, sole_binding
from async_lint.checks.base import Check
from async_lint.checks.django_cross_module import record_attribute_use, record_iteration
from async_lint.checks.foreign_results import FUNCTION, INSTANCE, LOADER, QUERYSET, record_foreign_use
from async_lint.index import PASSED_INSTANCE, PASSED_QUERYSET
from async_lint.walk import children

cst = lazy_libcst.bind(globals())

# Builtins that read an attribute named by a string: a relation's descriptor runs.
RELATION_PROBES = frozenset({"builtins.hasattr", "builtins.getattr"})
# Builtins that iterate (or otherwise evaluate) their argument at call time.
# Functions that render a template where they are called: qualified name ->
# the position of their ``context`` argument.
RENDERING_FUNCTIONS = {"django.shortcuts.render": 2, "django.template.loader.render_to_string": 1}
# Django functions that iterate a QuerySet argument where they are called:
# qualified name -> (its position, its keyword).  ``serialize("json", qs)``
# loops over ``qs`` (core/serializers/base.py ``Serializer.serialize``).
QUERYSET_ITERATING_FUNCTIONS = {"django.core.serializers.serialize": (1, "queryset")}
ITERATING_BUILTINS = frozenset("list tuple set frozenset sorted sum max min any all enumerate zip map filter iter next reversed dict".split())
# These evaluate a QuerySet (len, truth, repr) but not a generator such as qs.iterator().
EVALUATING_BUILTINS = ITERATING_BUILTINS | {"len", "bool", "repr", "str", "print"}
MODEL_METHODS = sync_names("model")
RELATED_TWINS = sync_names("related")


def shown(ctx, node: cst.CSTNode) -> str:
    """The code as a message shows it: on one line and whole, so that a
    suggested replacement built from it can be pasted back."""
    return " ".join(ctx.module.code_for_node(node).split())


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument ``call`` passes at ``position`` or as ``keyword`` (None
    where a star argument comes first, or none is passed)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None]
    if len(positional) <= position or any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position].value


def _model_method_does(method: str) -> str:
    """What a model instance's sync method does to the database."""
    return "reads the row from the database" if method == "refresh_from_db" else "writes to the database"


# Builtins that run a QuerySet's query and fill its result cache.
_FILLING_BUILTINS = frozenset({"len", "list", "bool", "tuple", "sorted"})


def _sync_evaluations(body: cst.BaseSuite, name: str) -> list[cst.Name]:
    """The reads of ``name`` in ``body`` (not in nested defs) that evaluate it
    whole: ``len(name)`` and the like, a ``for`` loop over it, the test of an
    ``if`` or ``while`` (``if not name:`` too: ``__bool__`` fetches the rows)."""
    out: list[cst.Name] = []
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None, cst.CSTNode | None]] = [(body, None, None)]
    while stack:
        node, parent, above = stack.pop()
        kind = type(node)
        if kind in (cst.FunctionDef, cst.ClassDef, cst.Lambda) and parent is not None:
            continue
        if kind is cst.Name and node.value == name:
            if type(parent) is cst.For and parent.iter is node:
                out.append(node)
            elif type(parent) in (cst.If, cst.While) and parent.test is node:
                out.append(node)
            elif type(parent) is cst.UnaryOperation and type(parent.operator) is cst.Not and type(above) in (cst.If, cst.While) and above.test is parent:
                out.append(node)
            elif type(parent) is cst.Arg and parent.value is node and type(above) is cst.Call and type(above.func) is cst.Name and above.func.value in _FILLING_BUILTINS and len(above.args) == 1:
                out.append(node)
            continue
        stack.extend((child, node, parent) for child in children(node))
    return out


# Django's async methods of a model instance (``asave``, ``ahas_perm``...).
_INSTANCE_TWINS = frozenset({*MODEL_TWINS.values(), *USER_TWINS.values()})


class DjangoCheck(Check):
    """Shared plumbing of the DJA2xx checks: the file's inference, the
    deliberate opt-out, and twin-aware suggestions."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.inference = django_inference(ctx)

    def flag(self, node: cst.CSTNode, code: str, message: str, fix=None, session_param: str | None = None, user_param: str | None = None) -> None:
        if self.inference.async_unsafe_opt_out and self.ctx.in_async_context:
            return
        if self._in_attribute_error_fallback():
            return
        self.ctx.report_blocking(node, code, message, fix=fix, session_param=session_param, user_param=user_param)

    def _in_attribute_error_fallback(self) -> bool:
        """Inside ``except AttributeError:`` (duck typing: ``try: await
        qs.acount() except AttributeError: len(qs)``) the object evidently is
        not the Django one its annotation or origin suggested."""
        if not self.ctx.shared(_names_attribute_error):
            return False
        for ancestor in self.ctx.ancestors():
            kind = type(ancestor)
            if kind is cst.FunctionDef or kind is cst.Lambda or kind is cst.ClassDef:
                return False
            if kind is cst.ExceptHandler and ancestor.type is not None:
                caught = ancestor.type.elements if isinstance(ancestor.type, cst.Tuple) else [ancestor.type]
                names = [e.value if isinstance(e, cst.Element) else e for e in caught]
                if any(self.ctx.qualified_name(n) == "builtins.AttributeError" for n in names):
                    return True
        return False

    def iteration_advice(self) -> str:
        """How to evaluate a QuerySet in async code on the target Django:
        ``async for`` needs QuerySet.__aiter__ (4.1)."""
        target = target_version(self.ctx)
        if twin("iteration", "__iter__", target) is not None:
            return "use `async for`, `[x async for x in qs]` or an `a`-method such as `await qs.acount()`"
        version = ".".join(map(str, target)) if target else "newest"
        return f"use `await sync_to_async(list)(qs)` (`async for` over a QuerySet needs Django {since('iteration', '__iter__')}; the target is {version})"

    def suggestion(self, kind: str, name: str, twin_text: Callable[[str], str], fallback: str) -> str:
        """``twin_text(twin)`` where the target Django has the twin, else
        ``fallback`` plus why. A function, not a ``str.format`` template: the
        texts quote source code, whose braces are not placeholders."""
        target = target_version(self.ctx)
        found = twin(kind, name, target)
        if found is not None:
            return twin_text(found)
        added = since(kind, name)
        if added is None:
            return fallback
        version = ".".join(map(str, target)) if target else "newest"
        return f"{fallback} (`{twin(kind, name, None)}()` needs Django {added}; the target is {version})"


def _names_attribute_error(ctx) -> bool:
    """The file's text names AttributeError (once per file): most modules do
    not, and need no walk up a deep stack for each finding."""
    text = getattr(ctx.source, "text", None)
    return text is None or "AttributeError" in text


class SyncOrmCheck(DjangoCheck):
    """DJA201 evaluating QuerySet/manager methods, DJA202 implicit QuerySet
    evaluation, DJA203 model instance and ModelForm writes, DJA204 lazy
    relation loads."""

    codes = ("DJA201", "DJA202", "DJA203", "DJA204")

    def __init__(self, ctx):
        super().__init__(ctx)
        # The bindings of local names of a many-relation's QuerySet already
        # evaluated (``_manager_chain``): the later evaluations read its rows.
        self._evaluated_managers: set[int] = set()
        # id(and/or operation) -> whether its value is tested for truth, with
        # the node (so the id stays its own): a chain of n terms is n nodes.
        self._tested_operations: dict[int, tuple[cst.BooleanOperation, bool]] = {}
        # id(function) -> the names ``async for`` iterated in it, in visiting order
        self._async_iterated: dict[int, list[cst.Name]] = {}
        # id(function) -> (name, the call that hands it on) of the values a
        # thread or an awaited call got, in visiting order (DJA204)
        self._handed: dict[int, list[tuple[tuple[str, bool], cst.Call]]] = {}
        # id(function) -> (instance path, the fields refreshed (None: all),
        # the call, the block of its statement, how many handoffs came
        # before it) of each
        # ``refresh_from_db()`` in it, in visiting order (DJA204)
        self._refreshed: dict[int, list[tuple[str, frozenset[str] | None, cst.Call, cst.CSTNode, int]]] = {}
        # id(function) -> (``inst.relation`` path, where, the ``inst`` name
        # assigned to) of each assignment to an attribute (DJA204)
        self._assigned: dict[int, list[tuple[str, EvaluatedPoint, cst.Name]]] = {}
        # (id(function), parameter, relation) of the reads ``_note_parameter_relation`` recorded
        self._parameter_relations: set[tuple[int, str, str]] = set()

    # -- explicit calls (DJA201, DJA203) -------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_context:
            # Before this call's own handoff is noted: it is what may load them.
            self._note_unloaded(node)
            if node.args:
                self._note_formatted(node)
            self._note_handed(node)
            self._note_refresh(node)
            self._note_thread_evaluation(node)
        elif self.ctx.current_function is not None and node.args:
            self._note_querysets_passed(node)
        func = node.func
        if isinstance(func, cst.Attribute):
            self._method_call(node, func)
        name = self.ctx.qualified_name(func)
        if name is not None and name.startswith("builtins.") and name[9:] in EVALUATING_BUILTINS:
            for arg in node.args:
                if arg.keyword is None and not arg.star:
                    self.evaluated(arg.value, f"`{name[9:]}()`", iterates=name[9:] in ITERATING_BUILTINS, context=node if name == "builtins.list" else None)
        for arg in node.args:
            if arg.star == "*":
                self.evaluated(arg.value, "star-unpacking")
        if name in QUERYSET_ITERATING_FUNCTIONS:
            iterated = _argument(node, *QUERYSET_ITERATING_FUNCTIONS[name])
            if iterated is not None:
                short = name.rpartition(".")[2]

                def advice() -> str:
                    return f"evaluate it first ({self._listed_first()}), or call `await sync_to_async({short})(...)`"

                self.evaluated(iterated, f"`{short}()`", advice=advice)
        if name in RENDERING_FUNCTIONS and self.ctx.in_async_context:
            self._rendered_context(node, name)
        if name in RELATION_PROBES and self.ctx.in_async_context:
            self._relation_probe(node)

    def _rendered_context(self, node: cst.Call, name: str) -> None:
        """``render(request, "page.html", {"posts": qs})`` renders the
        template here, on the event loop: the template's ``{% for %}`` (or
        any read) evaluates a QuerySet of its context synchronously.  (A
        ``TemplateResponse`` is rendered later, by Django, in a thread.)"""
        context = _argument(node, RENDERING_FUNCTIONS[name], "context")
        if context is None:
            return
        short = name.rpartition(".")[2]

        def advice() -> str:
            return f"evaluate it first ({self._listed_first()}), return a `TemplateResponse` (Django renders it in a thread), or call `await sync_to_async({short})(...)`"

        for value in _context_values(self.ctx, context):
            self.evaluated(value, f"rendering the template with `{short}()` on the event loop", advice=advice)

    def _listed_first(self) -> str:
        """How to evaluate a QuerySet in async code on the target Django
        (``async for`` needs QuerySet.__aiter__, 4.1)."""
        return "`[x async for x in qs]`" if twin("iteration", "__iter__", target_version(self.ctx)) is not None else "`await sync_to_async(list)(qs)`"

    def _method_call(self, node: cst.Call, func: cst.Attribute) -> None:
        method = func.attr.value
        if method not in EVALUATING_METHODS and method not in RELATED_EVALUATING_METHODS and method not in MODEL_METHODS:
            self._custom_query_method(node, func, method)
            return
        receiver = self.inference.infer(func.value)
        if receiver is None:
            function = self.ctx.current_function
            if function is not None and not self.ctx.in_async_context:
                function.may_query = True
            on_parameters = not self.ctx.in_async_context or self._in_async_def()
            if method in EVALUATING_METHODS and on_parameters:
                root = self._parameter_queryset(func.value)
                if root is not None:
                    self._note_parameter_relation(node, root, PASSED_QUERYSET)
            if method in MODEL_METHODS and type(func.value) is cst.Name and on_parameters:
                # ``client.save()`` on a parameter: a query where the call passes a model instance.
                self._note_parameter_relation(node, func.value, PASSED_INSTANCE)
            self._foreign_method_call(node, func, method)
            return
        if isinstance(receiver, (ManagerValue, QuerySetValue)):
            self._query_method(node, func, method, receiver)
        elif isinstance(receiver, InstanceValue) and method in MODEL_METHODS:
            if type(self.ctx.parent) is cst.Await and self.inference.only_imported(receiver.model) and self._made_by_calling_its_class(func.value):
                # ``await collector.delete()`` on ``Collector(...)``: a class of a
                # models module the table does not know, whose own method the
                # code awaits (a row fetched through its manager is a model's).
                return
            fix = self.suggestion("model", method, lambda twin: f"`await {shown(self.ctx, func.value)}.{twin}()`", f"`await sync_to_async({shown(self.ctx, func)})()`")
            self.flag(
                node,
                "DJA203",
                f"`{shown(self.ctx, node)}` {_model_method_does(method)} synchronously (SynchronousOnlyOperation in async code); use {fix}",
                fix=model_method_fix(self.ctx, node, method),
            )
        elif isinstance(receiver, ModelFormValue) and method == "save" and not _commit_false(node):
            self.flag(
                node,
                "DJA203",
                f"`{shown(self.ctx, node)}` saves the form's model instance synchronously (SynchronousOnlyOperation in async code); "
                f"use `await sync_to_async({shown(self.ctx, func)})()`, or `save(commit=False)` then `await instance.asave()`",
            )
        elif isinstance(receiver, ModelSerializerValue) and method == "save":
            # DRF's ModelSerializer.save() runs create()/update(): Model._default_manager.create(...), instance.save().
            self.flag(
                node,
                "DJA203",
                f"`{shown(self.ctx, node)}` saves the serializer's model instance synchronously (SynchronousOnlyOperation in async code); "
                f"use `await sync_to_async({shown(self.ctx, func)})()` (with adrf's serializers: `await {shown(self.ctx, func.value)}.asave()`)",
            )

    def _foreign_method_call(self, node: cst.Call, func: cst.Attribute, method: str) -> None:
        """A method of a value this file knows nothing of, which may be what a
        function of another module returned (checks/foreign_results.py): a
        model instance's write, or a QuerySet's evaluating method."""
        if method in MODEL_METHODS:

            def write_message() -> str:
                base = shown(self.ctx, func.value)
                fix = self.suggestion("model", method, lambda twin: f"`await {base}.{twin}()`", f"`await sync_to_async({shown(self.ctx, func)})()`")
                return f"`{shown(self.ctx, node)}` {_model_method_does(method)} synchronously (SynchronousOnlyOperation in async code); use {fix}"

            record_foreign_use(self, func.value, INSTANCE, "DJA203", write_message, node)
        if method in EVALUATING_METHODS and method != "iterator":

            def query_message() -> str:
                base = shown(self.ctx, func.value)
                args = "(...)" if node.args else "()"
                fix = self.suggestion("queryset", method, lambda twin: f"`await {base}.{twin}{args}`", f"`await sync_to_async({base}.{method}){args}`")
                return f"`{base}.{method}()` runs a database query synchronously (SynchronousOnlyOperation in async code); use {fix}"

            record_foreign_use(self, func.value, QUERYSET, "DJA201", query_message, node)
            chain = _relation_chain(func.value)
            if chain is not None:
                # ``task.executors.count()``, ``task`` what another module's
                # function fetched: a query unless the fetch prefetched the
                # relation; ``task.executors.filter(...).exists()``: a query of
                # its own, whatever it prefetched.
                base, name, refined = chain
                record_foreign_use(self, base, INSTANCE, "DJA201", query_message, node, relation=name, many=True, written=refined)
        if method in RELATED_EVALUATING_METHODS and type(func.value) is cst.Attribute:
            # ``order.candidates.clear()``, ``order`` what another module's function fetched:
            # a many-relation's write runs its query whatever the fetch prefetched.

            def relation_message() -> str:
                base = shown(self.ctx, func.value)
                args = "(...)" if node.args else "()"
                fix = self.suggestion("related", method, lambda twin: f"`await {base}.{twin}{args}`", f"`await sync_to_async({base}.{method}){args}`")
                return f"`{base}.{method}()` runs a database query synchronously (SynchronousOnlyOperation in async code); use {fix}"

            record_foreign_use(self, func.value.value, INSTANCE, "DJA201", relation_message, node, relation=func.value.attr.value, many=True, written=True)

    def _custom_query_method(self, node: cst.Call, func: cst.Attribute, method: str) -> None:
        """A custom manager or QuerySet method whose body runs a query
        (``Post.published.total()`` where ``total`` returns ``self.count()``)."""
        receiver = self.inference.infer(func.value)
        if not isinstance(receiver, (ManagerValue, QuerySetValue)):
            return
        custom = self.inference.custom_method(receiver, method)
        if custom is not None and custom[0] == "django":
            # ``User.objects.create_user(...)``: a query method of Django's own manager.
            self._query_method(node, func, method, receiver, kind=custom[1])
            return
        if custom is None or custom[0] != "evaluates":
            return
        base = shown(self.ctx, func.value)
        what = "QuerySet" if self.inference.table.method_kind(receiver.queryset_class, method) else "manager"
        self.flag(
            node,
            "DJA201",
            f"`{base}.{method}()` is a custom {what} method that runs a database query ({custom[1]}) synchronously "
            f"(SynchronousOnlyOperation in async code); use `await sync_to_async({base}.{method}){'(...)' if node.args else '()'}`",
        )

    def _query_method(self, node: cst.Call, func: cst.Attribute, method: str, receiver: ManagerValue | QuerySetValue, kind: str | None = None) -> None:
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
        kind = kind or ("related" if related and method in RELATED_TWINS else "queryset")
        if method == "iterator":
            return  # lazy until iterated: see evaluated()
        base = shown(self.ctx, func.value)
        args = "(...)" if node.args else "()"  # the call's own arguments go along; none, none
        fix = self.suggestion(kind, method, lambda twin: f"`await {base}.{twin}{args}`", f"`await sync_to_async({base}.{method}){args}`")
        self.flag(
            node,
            "DJA201",
            f"`{base}.{method}()` runs a database query synchronously (SynchronousOnlyOperation in async code); use {fix}",
            fix=query_twin_fix(self.ctx, node, kind, method, on_manager=isinstance(receiver, ManagerValue)),
        )

    # -- implicit evaluation (DJA202, DJA204; DJA201 for qs.iterator()) ------
    def evaluated(self, expr: cst.BaseExpression, how: str, iterates: bool = True, context: cst.CSTNode | None = None, advice: Callable[[], str] | None = None) -> None:
        """``expr`` is iterated, measured, indexed or truth-tested here;
        ``context``: the ``for``, comprehension ``for`` or ``list()`` call
        (the node being visited) that iterates it, which a fix may rewrite.
        ``advice``: what to do instead, where not ``iteration_advice``."""
        advice = advice or self.iteration_advice
        if type(expr) is cst.Name and narrowed_to_builtin(self.ctx, expr.value):
            return  # ``if isinstance(qs, list): len(qs)``: a list there
        value = self.inference.infer(expr)
        if value is None and (not self.ctx.in_async_context or self._in_async_def()):
            # ``if qs:`` in a helper, ``qs`` its parameter (or built from it): a
            # query where a call on the event loop passes a lazy QuerySet
            # (a coroutine function's too: the index's ``relation_chain``).
            root = self._parameter_queryset(expr)
            if root is not None:
                self._note_parameter_relation(expr, root, PASSED_QUERYSET)
        if value is None:
            if iterates:
                record_iteration(self, expr)  # a related manager of a model of another module?

            # What a function of another module returned: a QuerySet?
            def message() -> str:
                return f"{how} evaluates the QuerySet `{shown(self.ctx, expr)}` synchronously (SynchronousOnlyOperation in async code); " + advice()

            record_foreign_use(self, expr, QUERYSET, "DJA202", message, expr)
            found = _manager_chain(self.ctx, expr, self._evaluated_managers)
            if found is not None:
                # ``order.candidates.all()``, ``order`` what another module's function fetched.
                base, name, refined = found
                if refined:
                    # ``task.executors.filter(...)``: a new query, which no prefetch serves.
                    record_foreign_use(self, base, INSTANCE, "DJA202", message, expr, relation=name, many=True, written=True)
                else:

                    def many_message() -> str:
                        return (
                            f"`{shown(self.ctx, expr)}` loads `{name}` with a query in async code (SynchronousOnlyOperation): "
                            f'add `prefetch_related("{name}")` to the query in `{FUNCTION}`, or iterate it with `async for`'
                        )

                    record_foreign_use(self, base, INSTANCE, "DJA204", many_message, expr, relation=name, many=True)
        if isinstance(value, IteratorValue) and iterates:
            fix = self.suggestion("queryset", "iterator", lambda twin: f"`async for x in qs.{twin}()`", "`await sync_to_async(list)(qs.iterator())`")
            self.flag(
                expr,
                "DJA201",
                f"iterating `{shown(self.ctx, expr)}` runs the query synchronously (SynchronousOnlyOperation in async code); use {fix}",
                fix=aiterator_fix(self.ctx, context, expr),
            )
            return
        if not isinstance(value, QuerySetValue):
            return
        owner, relation = value.owner, value.relation
        if owner is not None and relation is not None:
            if owner.loaded is None and (not self.ctx.in_async_context or self._in_async_def()):
                # ``self.tags.all()`` in a model method: a query unless the caller's instance was prefetched.
                root = _relation_root(expr, relation.name)
                if root is not None:
                    self._note_parameter_relation(expr, root, relation.name)
            if owner.loaded is None or owner.has_loaded(relation.name) or self._maybe_loaded_elsewhere(expr):
                return  # prefetched, or the instance's origin is unknown
            if self._filled_by_async_iteration(expr) or self._evaluated_by_enclosing_function(expr):
                return  # its result cache is filled: no query here
            self.flag(
                expr,
                "DJA204",
                f"`{shown(self.ctx, expr)}` loads `{relation.name}` with a query in async code (SynchronousOnlyOperation): "
                f'add `prefetch_related("{relation.name}")` to the query that fetched the instance, or iterate it with `async for`',
            )
            return
        if self._filled_by_async_iteration(expr) or self._evaluated_by_enclosing_function(expr):
            return
        self.flag(
            expr,
            "DJA202",
            f"{how} evaluates the QuerySet `{shown(self.ctx, expr)}` synchronously (SynchronousOnlyOperation in async code); " + advice(),
            fix=async_iteration_fix(self.ctx, context, value),
        )

    def visit_Return(self, node: cst.Return) -> None:
        """A QuerySet an async django-ninja operation returns: ninja
        validates it against the response schema on the event loop."""
        ctx = self.ctx
        if node.value is None or not ctx.in_async_context or ctx.in_lambda:
            return
        from async_lint.checks.django_ninja import returned_body, validates_response

        function = ctx.current_function
        if function is None or not validates_response(ctx, function):
            return
        self.evaluated(
            returned_body(ctx, node.value),
            "django-ninja's response validation (this async operation returns it)",
            advice=lambda: "return a list: `return [x async for x in qs]`, or let `@paginate` fetch the page",
        )

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self.evaluated(node.iter, "a `for` loop", context=node)
        else:
            self._note_async_iteration(node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is None:
            self.evaluated(node.iter, "a comprehension", context=node)
        else:
            self._note_async_iteration(node.iter)

    # -- QuerySets whose result cache ``async for`` filled ----------------------
    def _note_thread_evaluation(self, node: cst.Call) -> None:
        """``await sync_to_async(len)(qs)``: the builtin iterates ``qs`` in
        the thread, filling its result cache as ``async for`` does."""
        from async_lint.checks.sync_to_async import QUERYSET_COPIES

        wrapped = _sync_to_async_callable(self.ctx, node.func) if type(node.func) is cst.Call and type(self.ctx.parent) is cst.Await else None
        if wrapped is None or len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star or type(node.args[0].value) is not cst.Name:
            return
        if self.ctx.qualified_name(wrapped) in QUERYSET_COPIES:
            self._note_async_iteration(node.args[0].value)

    def _note_async_iteration(self, iterated: cst.BaseExpression) -> None:
        function = self.ctx.current_function
        if function is not None and type(iterated) is cst.Name:
            self._async_iterated.setdefault(id(function), []).append(iterated)

    def _filled_by_async_iteration(self, expr: cst.BaseExpression) -> bool:
        """``expr`` names a local QuerySet that ``async for`` (a loop or a
        comprehension) iterated earlier, in a statement every path to this
        one runs, with the same value: ``QuerySet.__aiter__`` fetches every
        row into the result cache first, so this evaluation runs no query."""
        function = self.ctx.current_function
        earlier = self._async_iterated.get(id(function)) if function is not None else None
        if not earlier or type(expr) is not cst.Name:
            return False
        local = self._local(expr.value)
        if local is None:
            return False
        from async_lint.analysis.reaching import statement_order_of

        order = statement_order_of(self.ctx, local[0])
        value = self._reaching(local, expr)
        return any(iterated.value == expr.value and order.runs_before(iterated, expr) and self._reaching(local, iterated) == value for iterated in earlier)

    def _evaluated_by_enclosing_function(self, expr: cst.BaseExpression) -> bool:
        """``users`` of an enclosing plain def that evaluated it (``len(users)``,
        ``list(users)``, a ``for`` loop) before the statement defining this
        coroutine: its rows are cached, so the closure's loop runs no query
        (``asyncio.run(send())`` in a Celery task)."""
        if type(expr) is not cst.Name:
            return False
        found = self.ctx.lookup_with_scope(expr.value)
        function = self.ctx.current_function
        if found is None or function is None or found[0] is function.scope or found[0].kind != "function":
            return False
        outer = found[0].node
        if type(outer) is not cst.FunctionDef or outer.asynchronous is not None:
            return False
        stack = self.ctx.stack
        at = next((i for i, node in enumerate(stack) if node is outer), None)
        nested = next((node for node in stack[at + 1 :] if type(node) is cst.FunctionDef), None) if at is not None else None
        if nested is None:
            return False
        from async_lint.analysis.reaching import statement_order_of

        order = statement_order_of(self.ctx, found[0])
        # Bound again after the evaluation (``users = users.filter(...)``): a new, unevaluated QuerySet.
        bound_at = [order.places.get(id(binding.node)) for binding in found[1]]
        if any(place is None for place in bound_at):
            return False

        def last_value(read: cst.Name) -> bool:
            at = order.places.get(id(read))
            return at is not None and all(place[0] < at[0] for place in bound_at)

        return any(order.runs_before(read, nested) and last_value(read) for read in _sync_evaluations(outer.body, expr.value))

    def _local(self, name: str) -> tuple[Scope, list[Binding]] | None:
        """The scope and bindings of ``name`` where it is a local of the
        function being visited (not of an enclosing scope)."""
        function = self.ctx.current_function
        found = self.ctx.lookup_with_scope(name)
        if function is None or found is None or found[0] is not function.scope:
            return None
        return found

    def _reaching(self, local: tuple[Scope, list[Binding]], node: cst.CSTNode) -> set[int]:
        """Which of a local's bindings can reach ``node``: two places with the
        same set see the same value."""
        from async_lint.analysis.reaching import reaching_bindings

        scope, bindings = local
        return {id(b) for b in reaching_bindings(self.ctx, scope, bindings, node)}

    # -- instances whose relations a thread may have loaded (DJA204) -------------
    def _note_handed(self, node: cst.Call) -> None:
        """Remember what this call hands to code that may load relations off
        the loop (``handoffs.handed_by``), with the call: reading such a
        relation later on the loop runs no query."""
        function = self.ctx.current_function
        if function is None or self._thread_refresh(node):
            return
        handed = handed_by(
            self.ctx,
            node,
            None,
            awaited=type(self.ctx.parent) is cst.Await,
            local_def=lambda name: next(function.local_defs(name), None),
            is_instance=self._is_model_instance,
            runs_in_a_thread=self._runs_in_a_thread,
            is_orm_method=self._is_orm_method,
            is_django_call=self._is_orm_call,
            loads_nothing=self._plain_model_method,
        )
        if handed:
            self._handed.setdefault(id(function), []).extend((path, node) for path in handed)

    def _is_model_instance(self, value: cst.BaseExpression) -> bool:
        inferred = self.inference.infer(value)
        return isinstance(inferred, InstanceValue) and inferred.model is not None

    def _runs_in_a_thread(self, attribute: cst.Attribute) -> bool:
        """``p.aget_host`` where ``p`` is an instance the analysis fetched, of
        a model this module defines, whose ``aget_host`` (a method or a
        property's getter) is decorated to run in a thread: what it loads
        there stays cached on ``p``."""
        inferred = self.inference.infer(attribute.value)
        if not isinstance(inferred, InstanceValue) or inferred.model is None or inferred.loaded is None or not inferred.model.defined_here:
            return False

        name = attribute.attr.value
        for statement in self.ctx.module.body:
            if type(statement) is cst.ClassDef and statement.name.value == inferred.model.name and type(statement.body) is cst.IndentedBlock:
                for member in statement.body.body:
                    if type(member) is cst.FunctionDef and member.name.value == name:
                        decorators = (d.decorator.func if type(d.decorator) is cst.Call else d.decorator for d in member.decorators)
                        return any(self.ctx.qualified_name(d) in SYNC_TO_ASYNC_DECORATORS for d in decorators)
        return False

    def _thread_refresh(self, node: cst.Call) -> bool:
        """``sync_to_async(inst.refresh_from_db)`` called at once, without
        ``from_queryset``: it reloads fields in the thread and loads no
        relation (``_note_refresh`` keeps it as the refresh it is)."""
        parent = self.ctx.parent
        method = _sync_to_async_callable(self.ctx, node) if type(parent) is cst.Call and parent.func is node else None
        if type(method) is not cst.Attribute or method.attr.value != "refresh_from_db":
            return False
        return _refreshed_fields(parent) is not False

    def _plain_model_method(self, method: cst.Attribute) -> bool:
        """``obj.save`` / ``obj.delete`` of a model instance whose model (and
        every base) leaves Django's own: it loads no relation."""
        value = self.inference.infer(method.value)
        return isinstance(value, InstanceValue) and value.model is not None and method.attr.value in value.model.plain_methods

    def _note_refresh(self, node: cst.Call) -> None:
        """Remember ``inst.refresh_from_db()`` / ``await inst.arefresh_from_db()``:
        Django drops the cached relations of the fields it reloads (every
        forward relation without ``fields``), so reading one afterwards runs
        a query whatever the instance's own query selected.  Not with
        ``from_queryset`` (its ``select_related`` may load them again), nor
        with fields this cannot read."""
        func = node.func
        wrapped = _sync_to_async_callable(self.ctx, func) if type(func) is cst.Call else None
        if wrapped is not None:
            # ``await sync_to_async(inst.refresh_from_db)()``: the same refresh, in a thread.
            func = wrapped
            if type(func) is not cst.Attribute or func.attr.value != "refresh_from_db":
                return
        if type(func) is not cst.Attribute or func.attr.value not in REFRESH_METHODS:
            return
        function = self.ctx.current_function
        path = dotted(func.value)
        fields = _refreshed_fields(node)
        if function is None or path is None or fields is False:
            return
        block = _statement_block(self.ctx.stack)
        if block is None:
            return  # in an expression that may not run it (``x and inst.refresh_from_db()``)
        receiver = self.inference.infer(func.value)
        if not isinstance(receiver, InstanceValue) or receiver.model is None:
            return
        self._refreshed.setdefault(id(function), []).append((path, fields, node, block, len(self._handed.get(id(function), ()))))  # type: ignore[arg-type]

    def _refreshed_since(self, expr: cst.BaseExpression, relation: str) -> int | None:
        """Where the last refresh of ``expr`` (the same value of its local
        name) that dropped ``relation`` stands among the function's
        handoffs; None when none did."""
        function = self.ctx.current_function
        refreshes = self._refreshed.get(id(function)) if function is not None else None
        root = root_name(expr)
        path = dotted(expr)
        if not refreshes or root is None or path is None:
            return None
        local = self._local(root.value)
        if local is None:
            return None
        value = self._reaching(local, root)
        stack = self.ctx.stack
        for refreshed_path, fields, anchor, block, handed_before in reversed(refreshes):
            if refreshed_path != path or (fields is not None and relation not in fields and f"{relation}_id" not in fields):
                continue
            # Only a refresh that ran on every path to the read: a statement
            # of a block the read is in (not of a branch or loop left since).
            if any(outer is block for outer in stack) and self._reaching(local, anchor) == value:
                return handed_before
        return None

    def _is_orm_method(self, method: cst.BaseExpression) -> bool:
        """``Order.objects.create``, ``qs.update``: a manager's or a QuerySet's method."""
        return type(method) is cst.Attribute and isinstance(self.inference.infer(method.value), (ManagerValue, QuerySetValue))

    def _is_orm_call(self, call: cst.Call) -> bool:
        """``await Comment.objects.acreate(post=post)``, ``await post.asave()``:
        Django's own methods, which load no relation of their arguments (an
        instance's own: its async twins; a method the model defines, ``await
        p.aget_host()``, may load relations of ``p`` in a thread)."""
        func = call.func
        if type(func) is not cst.Attribute:
            return False
        receiver = self.inference.infer(func.value)
        if isinstance(receiver, InstanceValue):
            return func.attr.value in _INSTANCE_TWINS
        return isinstance(receiver, (ManagerValue, QuerySetValue))

    def visit_Await(self, node: cst.Await) -> None:
        """``await p.username_async``: a property whose getter runs in a
        thread (``@property @database_sync_to_async``) may load any relation
        of ``p`` there; later reads of them on the loop run no query."""
        expr = node.expression
        function = self.ctx.current_function
        if function is None or type(expr) is not cst.Attribute or not self.ctx.in_async_context:
            return
        path = dotted(expr.value)
        if path is not None and self._runs_in_a_thread(expr):
            self._handed.setdefault(id(function), []).append(((path, True), expr))

    def _maybe_loaded_elsewhere(self, expr: cst.BaseExpression, relation: str | None = None, since: int = 0) -> bool:
        """``relation`` of ``expr`` (None: anything below it) may have been
        loaded by what an earlier statement handed on with the same value
        of ``expr``'s local name (``_note_handed``); ``since``: counting
        only the handoffs from that one on (those after a refresh)."""
        function = self.ctx.current_function
        handed = self._handed.get(id(function))[since:] if function is not None and id(function) in self._handed else None
        root = root_name(expr)
        if not handed or root is None:
            return False
        path = dotted(expr)

        def anchors():
            for (handed_path, whole), anchor in handed:
                if handed_path.partition(".")[0] != root.value:
                    continue
                if type(anchor) is cst.Attribute and any(outer is anchor for outer in self.ctx.stack):
                    continue  # a read (``_note_read``) of which this one is a part: it comes first
                if whole if path is None else covers((handed_path, whole), path, relation):
                    yield anchor

        return self._same_value_at(root, anchors())

    def _same_value_at(self, root: cst.Name, anchors) -> bool:
        """Whether ``root``'s local name holds here the value it held at one
        of ``anchors`` (nodes of the function before this one)."""
        local = self._local(root.value)
        if local is None:
            return False
        value: set[int] | None = None
        for anchor in anchors:
            if value is None:
                value = self._reaching(local, root)
            if self._reaching(local, anchor) == value:
                return True
        return False

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
        if self._value_tested(node):
            # ``if found and qs:``: the right operand is the value the ``if`` tests.
            self.evaluated(node.right, "a truth test", iterates=False)

    def _value_tested(self, node: cst.BooleanOperation) -> bool:
        """Whether the and/or operation being visited is tested for truth
        (its parent, visited first, answered already where it is one)."""
        stack = self.ctx.stack
        if len(stack) < 2 or stack[-1] is not node:
            return False
        parent = stack[-2]
        if type(parent) is cst.BooleanOperation:
            known = self._tested_operations.get(id(parent))
            tested = parent.left is node or (known is not None and known[1])
        else:
            tested = truth_tested(stack, len(stack) - 1)
        self._tested_operations[id(node)] = (node, tested)
        return tested

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, (cst.In, cst.NotIn)):
                self.evaluated(target.comparator, "`in`")

    def visit_StarredElement(self, node: cst.StarredElement) -> None:
        if not isinstance(self.ctx.parent, cst.AssignTarget):
            self.evaluated(node.value, "star-unpacking")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self.evaluated(node.expression, "formatting", iterates=False)
        if self.ctx.in_async_context:
            self._note_formatted(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if type(node.operator) is cst.Modulo and self.ctx.in_async_context:
            self._note_formatted(node)

    def _note_formatted(self, node: cst.CSTNode) -> None:
        """The relations not loaded on each instance ``node`` formats on the
        event loop: what its class's ``__str__`` may load with a query (the
        summary's site of it, ``SummaryCollector._formatting``)."""
        from async_lint.analysis.formatting import formatted_objects

        for expr in formatted_objects(self.ctx, node):
            receiver = self._unloaded(expr)
            if receiver and receiver != [PASSED_QUERYSET]:
                self.ctx.unloaded_at[id(expr)] = [[], {}, receiver]

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
    def _unpacked_into(self) -> bool:
        """The node being visited is an item of a tuple or list an
        assignment or a ``for`` loop unpacks into (``a.b, _ = pair``)."""
        stack = self.ctx.stack
        child = stack[-1]
        for parent in reversed(stack[:-1]):
            kind = type(parent)
            if kind in (cst.Element, cst.StarredElement, cst.Tuple, cst.List):
                child = parent
                continue
            if kind is cst.AssignTarget or kind in (cst.For, cst.CompFor):
                return parent.target is child
            return False
        return False

    def visit_Attribute(self, node: cst.Attribute) -> None:
        parent = self.ctx.parent
        # ``type()``: run at every attribute; isinstance against libcst's
        # (ABC) classes goes through abc, and these have no subclasses.
        parent_type = type(parent)
        if parent_type is cst.AssignTarget or (parent_type is cst.Element and self._unpacked_into()):
            # ``team.category = ...``, ``team.category, _ = ...``: stored, not read.
            self._note_assigned(node)
            return
        if parent_type is cst.Del or (parent_type is cst.AugAssign and parent.target is node):
            return
        in_async = self.ctx.in_async_context
        if node.attr.value == "data" and in_async:
            self._list_serializer_data(node)
        if (not in_async or self._in_async_def()) and type(node.value) is cst.Name and node.attr.value in self.inference.single_relation_names():
            self._note_parameter_relation(node, node.value, node.attr.value)
        receiver = self.inference.infer(node.value)
        if in_async and type(receiver) is InstanceValue and not (parent_type is cst.Call and parent.func is node):
            self._note_unloaded_receiver(node, receiver)
        if receiver is None and node.attr.value in self.inference.table.single_relation_names():
            self._foreign_relation_read(node)
            return
        if not isinstance(receiver, InstanceValue) or receiver.model is None:
            return
        relation = receiver.model.relations.get(node.attr.value)
        if relation is None or not relation.is_single:
            if receiver.loaded is not None and not receiver.model.defined_here:
                # Fields known in another module.
                record_attribute_use(self, node, loaded_elsewhere=self._maybe_loaded_elsewhere(node.value, node.attr.value))
                self._note_read(node)
            return
        refreshed = self._refreshed_since(node.value, relation.name) if self._refreshed else None
        if refreshed is not None:
            # Whatever the query selected, the refresh dropped it.
            if not self._maybe_loaded_elsewhere(node.value, relation.name, since=refreshed):
                target = target_version(self.ctx)
                advice = "read it in a thread"
                if target is None or tuple(target) >= REFRESH_FROM_QUERYSET_SINCE:
                    advice = f'refresh with `from_queryset={receiver.model.name}.objects.select_related("{relation.name}")` (5.1), or {advice}'
                self.flag(
                    node,
                    "DJA204",
                    f"`{shown(self.ctx, node)}` loads the related `{relation.name}` with a query in async code (SynchronousOnlyOperation): "
                    f"refreshing `{shown(self.ctx, node.value)}` from the database dropped its cached `{relation.name}`; {advice}",
                )
                self._note_read(node)
            return
        if receiver.loaded is not None and receiver.has_loaded(relation.name):
            self._loop_carried_read(node, relation)
            return
        self._unloaded_relation_read(node, node, receiver, relation)

    def _made_by_calling_its_class(self, expr: cst.BaseExpression) -> bool:
        """``expr`` is ``Cls(...)``, or a local every reaching binding of which is."""
        if type(expr) is cst.Name:
            local = self._local(expr.value)
            if local is None:
                return False
            from async_lint.analysis.reaching import reaching_assigned_values

            values = reaching_assigned_values(self.ctx, local[0], local[1], expr)
            return values is not None and all(map(self._made_by_calling_its_class, values))
        return type(expr) is cst.Call and isinstance(self.inference.infer(expr.func), ModelClass)

    def _list_serializer_data(self, node: cst.Attribute) -> None:
        """``PostSerializer(qs, many=True).data`` (or the serializer bound to
        a name first): DRF's ``ListSerializer.to_representation`` iterates
        the QuerySet it was given, here, on the event loop."""
        call = node.value
        if type(call) is cst.Name:
            from async_lint.checks.foreign_results import sole_local_binding

            binding = sole_local_binding(self.ctx, call, lambda b: type(b.value) is cst.Call)
            assign = binding.node if binding is not None else None
            if type(assign) is not cst.Assign or len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name:
                return
            call = assign.value
        if type(call) is not cst.Call or not any(arg.keyword is not None and arg.keyword.value == "many" and type(arg.value) is cst.Name and arg.value.value == "True" for arg in call.args):
            return
        if not isinstance(self.inference.infer(call), ModelSerializerValue):
            return
        listed = _argument(call, 0, "instance")
        if listed is None:
            return
        serializer = shown(self.ctx, call.func)

        def advice() -> str:
            return (
                f"evaluate it first ({self._listed_first()}), read `.data` in a thread (`await sync_to_async(lambda: {serializer}(...).data)()`), or, with adrf's serializers, `await serializer.adata`"
            )

        self.evaluated(listed, f"`{serializer}(..., many=True).data`", advice=advice)

    def _loop_carried_read(self, node: cst.Attribute, relation) -> None:
        """``while root.canonical: root = root.canonical``: the instance the
        first pass reads had the relation loaded, but a binding later in the
        loop gives the next pass one without it (each step of a walk up a
        chain is fetched without its own relations).  The reads merge what
        every binding loaded, so this asks the loop's own bindings."""
        if type(node.value) is not cst.Name:
            return
        local = self._local(node.value.value)
        if local is None:
            return
        from async_lint.analysis.reaching import reaching_bindings, statement_order_of

        scope, bindings = local
        order = statement_order_of(self.ctx, scope)
        for binding in reaching_bindings(self.ctx, scope, bindings, node.value):
            assign = binding.node
            if type(assign) not in (cst.Assign, cst.AnnAssign, cst.NamedExpr) or assign.value is None or not order.loop_carried(assign, node.value):
                continue
            if type(assign) is cst.Assign and (len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name):
                continue
            value = self.inference.infer(assign.value)
            if not isinstance(value, InstanceValue) or value.loaded is None or value.has_loaded(relation.name):
                continue
            if self._maybe_loaded_elsewhere(node.value, relation.name) or self._assigned_before(node):
                return
            given = assign.value.expression if type(assign.value) is cst.Await else assign.value
            if type(given) is cst.Attribute:
                advice = "walk the chain in a thread (`sync_to_async`)"
            else:
                loader = "prefetch_related" if relation.kind == "generic_fk" else "select_related"
                advice = f'add `{loader}("{relation.name}")` to that query'
            self.flag(
                node,
                "DJA204",
                f"`{shown(self.ctx, node)}` loads the related `{relation.name}` with a query in async code (SynchronousOnlyOperation) on the loop's next pass: "
                f"`{shown(self.ctx, given)}` gives `{node.value.value}` an instance fetched without it; {advice}",
            )
            self._note_read(node)
            return

    def _unloaded_relation_read(self, shown_node: cst.CSTNode, node: cst.Attribute, receiver: InstanceValue, relation) -> None:
        """DJA204 at ``shown_node`` for ``node`` (``inst.rel``, maybe spelled
        ``hasattr(inst, "rel")``), ``receiver`` an instance whose relations
        are known, unless the relation may be loaded by now."""
        if receiver.loaded is None or receiver.has_loaded(relation.name) or self._maybe_loaded_elsewhere(node.value, relation.name) or self._read_by_enclosing_function(node):
            return
        if self._assigned_before(node) or self._read_when_created(node, relation.name):
            return
        path, fetched = self._relation_path(node.value, relation.name)
        # A GenericForeignKey is no field select_related() takes (FieldError): it is prefetched.
        loader = "prefetch_related" if relation.kind == "generic_fk" else "select_related"
        advice = f'add `{loader}("{path}")` to the query that fetched `{shown(self.ctx, fetched)}`'
        if self.inference.is_consumer_scope_user(fetched):
            advice = (
                f"Channels' `AuthMiddleware` fetched `{shown(self.ctx, fetched)}` without its relations; "
                f'fetch the user again with `{loader}("{path}")`, or read it in a thread (`database_sync_to_async`)'
            )
        self.flag(shown_node, "DJA204", f"`{shown(self.ctx, shown_node)}` loads the related `{relation.name}` with a query in async code (SynchronousOnlyOperation): {advice}")
        self._note_read(node)

    def _relation_probe(self, call: cst.Call) -> None:
        """``hasattr(user, "profile")``, ``getattr(user, "profile", None)``:
        the descriptor runs as for ``user.profile`` (a query where it is not
        loaded), and SynchronousOnlyOperation is no AttributeError, so
        neither ``hasattr`` nor the default stops it."""
        read = literal_attribute_read(call)
        if read is None or read[1] not in self.inference.single_relation_names():
            return
        obj, name = read
        receiver = self.inference.infer(obj)
        if type(receiver) is not InstanceValue or receiver.model is None:
            return
        relation = receiver.model.relations.get(name)
        if relation is not None and relation.is_single:
            self._unloaded_relation_read(call, cst.Attribute(value=obj, attr=cst.Name(name)), receiver, relation)

    # -- relations a sync function reads on its parameters (DJA401) ----------
    def _in_async_def(self) -> bool:
        """In the body of an ``async def`` itself (not a nested def or lambda)."""
        function = self.ctx.current_function
        return function is not None and function.is_async and not self.ctx.in_lambda

    def _note_parameter_relation(self, node: cst.BaseExpression, param: cst.Name, relation: str) -> None:
        """``post.author`` (or ``post.tags.all()`` evaluated) at ``node`` in a
        sync function, ``post`` its parameter (never rebound): a query where
        a call on the event loop passes an instance fetched without that
        relation (``_note_unloaded``; the project index pairs them).  Also in
        an ``async def`` (``self.user`` in a model's async method), where
        only a call passing such an instance is evidence (the index's
        ``relation_chain``).  Recorded once per parameter and relation."""
        ctx = self.ctx
        function = ctx.current_function
        if function is None or (function.runs_on_loop and not function.is_async) or ctx.in_lambda or ctx.only_without_loop() or ctx.in_dead_code():
            return
        name = param.value
        if not ctx.is_own_parameter(name):
            return
        if function.is_async and self._maybe_loaded_elsewhere(param, relation):
            return  # handed to a thread or an awaited call before: it may have loaded it
        key = (id(function), name, relation)
        if key in self._parameter_relations:
            return
        self._parameter_relations.add(key)
        function.ops.append(BlockingOp("DJA204", "", node, ancestors=tuple(ctx.stack), param_relation=(name, relation)))

    def _parameter_queryset(self, expr: cst.BaseExpression) -> cst.Name | None:
        """The parameter of the sync function being visited that ``expr`` is
        a lazy chain on (``qs``, ``qs.filter(...)[:5]``), directly or
        through a local bound only to such chains on it (or to None)."""
        name = _peel_lazy(expr)
        function = self.ctx.current_function
        if type(name) is not cst.Name or function is None:
            return None
        found = self.ctx.lookup_with_scope(name.value)
        if found is None or found[0] is not function.scope:
            return None
        if all(binding.kind == PARAM for binding in found[1]):
            return name
        roots: list[cst.Name] = []
        for binding in found[1]:
            if binding.kind != ASSIGN or binding.value is None:
                return None
            if is_none_literal(binding.value):
                continue
            inner = _peel_lazy(binding.value)
            if inner is binding.value or type(inner) is not cst.Name:
                return None  # not a chain: ``qs = other`` may be anything
            if not self.ctx.is_own_parameter(inner.value):
                return None
            roots.append(inner)
        return roots[0] if roots and all(root.value == roots[0].value for root in roots) else None

    def _note_unloaded(self, node: cst.Call) -> None:
        """The single relations not loaded on the instances a call on the
        event loop passes (its arguments, and the receiver of a method):
        what a sync function it runs may load with a query."""
        if any(arg.star for arg in node.args):
            return
        from async_lint.summary import callee_ref

        positional: list = []
        keywords: dict = {}
        results: dict[str, Any] = {}
        for arg in node.args:
            names = self._unloaded(arg.value, passed=True)
            if arg.keyword is not None:
                if names:
                    keywords[arg.keyword.value] = names
            else:
                positional.append(names)
            if not names:
                made = self._result_of_call(arg.value)
                ref = callee_ref(self.ctx, made.func) if made is not None else None
                if ref is not None:
                    results[arg.keyword.value if arg.keyword is not None else str(len(positional) - 1)] = ref
        if results:
            self.ctx.call_results_at[id(node)] = results
        receiver = self._unloaded(node.func.value) if type(node.func) is cst.Attribute else None
        if any(positional) or keywords or receiver:
            self.ctx.unloaded_at[id(node)] = [positional, keywords, receiver]

    def _note_querysets_passed(self, node: cst.Call) -> None:
        """The lazy QuerySets a call in a plain def passes (``users_text(
        Member.objects.filter(task=task))``): where the def runs on the event
        loop, a helper it calls that evaluates its parameter queries there."""
        if any(arg.star for arg in node.args):
            return
        positional: list = []
        keywords: dict = {}
        for arg in node.args:
            names = [PASSED_QUERYSET] if self._unloaded(arg.value, passed=True) == [PASSED_QUERYSET] else None
            if arg.keyword is not None:
                if names:
                    keywords[arg.keyword.value] = names
            else:
                positional.append(names)
        if any(positional) or keywords:
            self.ctx.querysets_passed_at[id(node)] = [positional, keywords]

    def _result_of_call(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The call whose result ``expr`` is, where nothing here tells what
        that is (``get_images(pk)``, or a local bound only to it): the
        project index may know (a helper of another module returning a lazy
        QuerySet, which the called function may evaluate)."""
        if type(expr) is cst.Name:
            from async_lint.checks.foreign_results import sole_local_binding

            binding = sole_local_binding(self.ctx, expr, lambda b: type(b.value) is cst.Call)
            expr = binding.value if binding is not None and len(getattr(binding.node, "targets", ())) == 1 else None
        return expr if type(expr) is cst.Call and self.inference.infer(expr) is None else None

    def _note_unloaded_receiver(self, node: cst.Attribute, value: InstanceValue) -> None:
        """``post.summary`` read on the event loop, where it may be a
        property (not a field or relation of the model)."""
        if value.model is None or value.loaded is None or node.attr.value in value.model.relations:
            return
        receiver = self._unloaded(node.value, value)
        if receiver:
            self.ctx.unloaded_at[id(node)] = [[], {}, receiver]

    def _unloaded(self, expr: cst.BaseExpression, value=None, passed: bool = False) -> list[str] | None:
        """The relations of the instance ``expr`` is that were neither
        fetched with it nor loaded since; ``[PASSED_QUERYSET]`` for a lazy
        QuerySet (not a prefetched relation's); None: neither.  ``passed``
        (an argument of a call): an instance's also holds ``PASSED_INSTANCE``
        (a helper that writes its parameter writes it)."""
        value = self.inference.infer(expr) if value is None else value
        if isinstance(value, (QuerySetValue, ManagerValue)) and value.model is not None and not (isinstance(value, QuerySetValue) and value.rows):
            owner, relation = value.owner, value.relation
            if owner is not None and relation is not None and (owner.loaded is None or owner.has_loaded(relation.name)):
                return None  # maybe prefetched: its rows are cached
            return [PASSED_QUERYSET]
        if not isinstance(value, InstanceValue) or value.model is None:
            return None
        if value.loaded is None:
            return [PASSED_INSTANCE] if passed else None
        path = dotted(expr)
        # A row ``get_or_create()`` just made, on the branch where it did: its lookups' objects.
        created = self._created_lookups(expr) if type(expr) is cst.Name else frozenset()
        names = [
            name
            for name in value.model.relations
            if not value.has_loaded(name) and name not in created and not self._maybe_loaded_elsewhere(expr, name) and not (path is not None and self._assigned_at(root_name(expr), f"{path}.{name}"))
        ]
        return [*sorted(names), PASSED_INSTANCE] if passed else sorted(names) or None

    def _note_assigned(self, node: cst.Attribute) -> None:
        """``inst.team = other``: Django's descriptor caches the instance
        assigned, so reading ``inst.team`` where only this statement can have
        run before (``_assigned_before``) runs no query."""
        function = self.ctx.current_function
        root = root_name(node)
        path = dotted(node)
        if function is not None and root is not None and path is not None and self._local(root.value) is not None:
            self._assigned.setdefault(id(function), []).append((path, EvaluatedPoint.at(self.ctx.stack), root))

    def _read_when_created(self, node: cst.Attribute, name: str) -> bool:
        return type(node.value) is cst.Name and name in self._created_lookups(node.value)

    def _created_lookups(self, obj: cst.Name) -> frozenset[str]:
        """``obj, created = await X.objects.aget_or_create(user=user)`` then
        ``if created: obj.user`` (or the ``else`` of ``if not created:``):
        a row just made from the lookups has their objects cached (an
        existing one, fetched, has not).  The keywords of that call where
        ``obj`` is read on such a branch; else none."""
        local = self._local(obj.value)
        if local is None:
            return frozenset()
        from async_lint.analysis.reaching import reaching_bindings

        reaching = reaching_bindings(self.ctx, local[0], local[1], obj)
        if len(reaching) != 1 or type(reaching[0].node) is not cst.Assign:
            return frozenset()
        assign = reaching[0].node
        target = assign.targets[0].target if len(assign.targets) == 1 else None
        if type(target) not in (cst.Tuple, cst.List) or len(target.elements) != 2 or type(target.elements[1].value) is not cst.Name:
            return frozenset()
        call = assign.value.expression if type(assign.value) is cst.Await else assign.value
        if type(call) is not cst.Call:
            return frozenset()
        flag = target.elements[1].value.value
        for inner, outer in itertools.pairwise(self.ctx.ancestors()):
            if type(outer) is not cst.If:
                continue
            test = outer.test
            negated = type(test) is cst.UnaryOperation and type(test.operator) is cst.Not and type(test.expression) is cst.Name and test.expression.value == flag
            if (inner is outer.body and type(test) is cst.Name and test.value == flag) or (negated and inner is outer.orelse and type(outer.orelse) is cst.Else):
                return frozenset(arg.keyword.value for arg in call.args if arg.keyword is not None)
        return frozenset()

    def _assigned_before(self, node: cst.Attribute) -> bool:
        """An assignment of ``node`` (``inst.team``) on every path to it, to
        the same value of ``inst``."""
        return self._assigned_at(root_name(node), dotted(node))

    def _assigned_at(self, root: cst.Name | None, path: str | None) -> bool:
        """``path`` (``inst.team``) assigned on every path to here, to the same value of ``root``."""
        function = self.ctx.current_function
        assigned = self._assigned.get(id(function)) if function is not None else None
        if not assigned or root is None or path is None:
            return False
        return self._same_value_at(root, (anchor for assigned_path, point, anchor in assigned if assigned_path == path and point.dominates(self.ctx.stack)))

    def _foreign_relation_read(self, node: cst.Attribute) -> None:
        """``member.org`` where ``member`` is what a function of another
        module returned (``await fetch_member(pk)``): DJA204 if it returns an
        instance fetched without that relation (checks/foreign_results.py)."""
        name = node.attr.value
        if self._maybe_loaded_elsewhere(node.value, name):
            return

        def message() -> str:
            return (
                f"`{shown(self.ctx, node)}` loads the related `{name}` with a query in async code (SynchronousOnlyOperation): "
                f'add `{LOADER}("{name}")` to the query in `{FUNCTION}` that fetched `{shown(self.ctx, node.value)}`'
            )

        record_foreign_use(self, node.value, INSTANCE, "DJA204", message, node, relation=name)
        self._note_read(node)

    def _read_by_enclosing_function(self, node: cst.Attribute) -> bool:
        """``repo.signer`` in a nested def, ``repo`` a variable of the
        function around it, which read ``repo.signer`` already (before the
        nested def runs): the related object is cached on the instance."""
        root = root_name(node.value)
        path = dotted(node)
        function = self.ctx.current_function
        found = self.ctx.lookup_with_scope(root.value) if root is not None else None
        if found is None or path is None or function is None or found[0] is function.scope or found[0].kind != "function":
            return False
        outer = self.ctx.function_info(found[0].node) if isinstance(found[0].node, cst.FunctionDef) else None
        return outer is not None and any(handed == (path, False) for handed, _node in self._handed.get(id(outer), ()))

    def _note_read(self, node: cst.Attribute) -> None:
        """``inst.rel`` read: once loaded, Django caches it on the instance,
        so a later read of the same value reports nothing new (the first
        one's finding, and its fix, cover it)."""
        function = self.ctx.current_function
        path = dotted(node)
        if function is not None and path is not None:
            self._handed.setdefault(id(function), []).append(((path, False), node))  # type: ignore[arg-type]

    def _relation_path(self, instance: cst.BaseExpression, name: str) -> tuple[str, cst.BaseExpression]:
        """``comment.issue.project``: the lookup from the instance a query
        fetched (``issue__project`` on ``comment``'s), walking up the
        forward relations that reached ``instance``."""
        path = [name]
        while isinstance(instance, cst.Attribute):
            owner = self.inference.infer(instance.value)
            if not isinstance(owner, InstanceValue) or owner.model is None or owner.loaded is None:
                break
            relation = owner.model.relations.get(instance.attr.value)
            if relation is None or not relation.is_single:
                break
            path.insert(0, relation.name)
            instance = instance.value
        return "__".join(path), instance


REFRESH_METHODS = frozenset({"refresh_from_db", "arefresh_from_db"})
# ``refresh_from_db(from_queryset=...)`` arrived in Django 5.1.
REFRESH_FROM_QUERYSET_SINCE = (5, 1)


def _peel_lazy(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``qs`` of ``qs.filter(...).order_by(...)[:5]``: the lazy steps taken off."""
    while True:
        if type(expr) is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value in LAZY_METHODS:
            expr = expr.func.value
        elif type(expr) is cst.Subscript and len(expr.slice) == 1 and type(expr.slice[0].slice) is cst.Slice and expr.slice[0].slice.step is None:
            expr = expr.value
        else:
            return expr


def _relation_chain(expr: cst.BaseExpression) -> tuple[cst.Name, str, bool] | None:
    """(``task``, ``"executors"``, False) for ``task.executors`` or
    ``task.executors.all()``, (..., True) for ``task.executors.filter(...)``
    (lazy QuerySet steps on an attribute of a name: True where one refines
    it, a query that no prefetch serves), else None."""
    node = expr
    refined = False
    while type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in LAZY_METHODS:
        refined = refined or node.func.attr.value != "all"
        node = node.func.value
    if type(node) is not cst.Attribute or type(node.value) is not cst.Name:
        return None
    return node.value, node.attr.value, refined


def _manager_chain(ctx, expr: cst.BaseExpression, seen: set[int]) -> tuple[cst.BaseExpression, str, bool] | None:
    """(``order``, ``"candidates"``, False) for ``order.candidates.all()`` (lazy
    QuerySet steps on a manager read as an attribute of a name), or a local
    name bound only to one where it is read, the first time (``seen``: the
    bindings evaluated before, whose QuerySet then holds its rows), else
    None.  The third item: a step other than ``all()`` refines the
    relation's QuerySet (``filter()``, ``order_by()``), a query of its own
    that no ``prefetch_related`` serves."""
    if type(expr) is cst.Name:
        from async_lint.checks.foreign_results import sole_local_binding

        binding = sole_local_binding(ctx, expr, lambda b: type(b.value) is cst.Call)
        if binding is None or type(binding.node) is not cst.Assign or binding.value is None or id(binding) in seen:
            return None
        seen.add(id(binding))
        expr = binding.value
    # A call: at least one lazy step (a call that is none ends on a call, not a relation).
    return _relation_chain(expr) if type(expr) is cst.Call else None


def _relation_root(expr: cst.BaseExpression, relation: str) -> cst.Name | None:
    """``post`` of ``post.tags.all()`` / ``post.tags.filter(...)``, a chain
    of calls on the relation read on a name; else None."""
    while type(expr) is cst.Call and type(expr.func) is cst.Attribute:
        expr = expr.func.value
    if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.attr.value == relation:
        return expr.value
    return None


def _sync_to_async_callable(ctx, call: cst.Call) -> cst.BaseExpression | None:
    """``f`` of ``sync_to_async(f)`` (asgiref's or Channels' adapter, given
    the callable alone), else None."""
    if len(call.args) != 1 or call.args[0].keyword is not None or ctx.qualified_name(call.func) not in SYNC_TO_ASYNC_DECORATORS:
        return None
    return call.args[0].value


def _statement_block(stack: list) -> cst.CSTNode | None:
    """The block whose statement the call at the top of ``stack`` is, when
    the statement is that call alone (``inst.refresh_from_db()``, or
    ``await`` of it); else None."""
    index = len(stack) - 2
    if index >= 0 and type(stack[index]) is cst.Await:
        index -= 1
    if index < 2 or type(stack[index]) is not cst.Expr or type(stack[index - 1]) is not cst.SimpleStatementLine:
        return None
    block = stack[index - 2]
    return block if type(block) in (cst.IndentedBlock, cst.Module) else None


def _refreshed_fields(call: cst.Call) -> frozenset[str] | bool | None:
    """The fields a ``refresh_from_db(...)`` call reloads: None for all of
    them, a set for literal ``fields=[...]``; False where it cannot tell
    (computed fields, a ``from_queryset`` that may select relations again)."""
    for position, arg in enumerate(call.args):
        if arg.star:
            return False
        name = arg.keyword.value if arg.keyword is not None else ("using", "fields", "from_queryset")[min(position, 2)]
        if name == "from_queryset":
            return False
        if name == "fields":
            value = arg.value
            if type(value) not in (cst.List, cst.Tuple, cst.Set):
                return False
            names = [element.value.evaluated_value if type(element.value) is cst.SimpleString else None for element in value.elements]
            if any(type(n) is not str for n in names):
                return False
            return frozenset(names)  # type: ignore[arg-type]
    return None


def _commit_false(call: cst.Call) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "commit":
            return isinstance(arg.value, cst.Name) and arg.value.value == "False"
    return False


# -- autofixes ---------------------------------------------------------------------
# Built only where the finding is (async code), and only where the result is
# certainly right; otherwise the finding keeps its message and has no fix.

# A model method's twin takes only Django's own parameters (a custom
# ``save(self, *args, **kwargs)`` may accept more, which ``asave()`` refuses);
# the twin runs the (possibly overridden) sync method in a thread.
MODEL_METHOD_PARAMS = {
    "save": ("force_insert", "force_update", "using", "update_fields"),
    "delete": ("using", "keep_parents"),
    "refresh_from_db": ("using", "fields", "from_queryset"),
}
# aiterator() before 5.0 raises NotSupportedError after prefetch_related(),
# which iterator() accepted.
AITERATOR_PREFETCH_SINCE = (5, 0)


def query_twin_fix(ctx, call: cst.Call, kind: str, method: str, *, on_manager: bool) -> fixes.NodeFix | None:
    """DJA201: ``<chain>.get(...)`` -> ``await <chain>.aget(...)`` when the
    target Django has the twin.  The QuerySet, Manager and related-manager
    twins take the sync method's arguments, so they are kept as written.  A
    Manager's twin is the QuerySet's (proxied), so it skips a ``get``/``create``
    that a manager class of this file overrides: then no fix."""
    if not ctx.in_async_context or fixes.comprehension_depth(ctx) > 1:
        return None
    found = twin(kind, method, target_version(ctx))
    if found is None:
        return None
    if on_manager and kind == "queryset" and _manager_overrides(ctx, method):
        return None
    return fixes.await_method_twin(ctx, call, found)


def model_method_fix(ctx, call: cst.Call, method: str) -> fixes.NodeFix | None:
    """DJA203: ``obj.save(...)`` -> ``await obj.asave(...)`` (delete,
    refresh_from_db likewise) when the target Django has the twin (4.2)."""
    if not ctx.in_async_context or fixes.comprehension_depth(ctx) > 1:
        return None
    found = twin("model", method, target_version(ctx))
    if found is None or not fixes.args_fit(call, MODEL_METHOD_PARAMS[method]):
        return None
    return fixes.await_method_twin(ctx, call, found)


def aiterator_fix(ctx, context: cst.CSTNode | None, expr: cst.BaseExpression) -> fixes.NodeFix | None:
    """DJA201 on iterating ``qs.iterator(...)``: the whole iteration becomes
    ``async for x in qs.aiterator(...)`` (never ``await qs.aiterator()``)."""
    if context is None or not ctx.in_async_context or not _iterates(context, expr):
        return None
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "iterator"):
        return None  # e.g. a name bound to qs.iterator(): its assignment would change too
    target = target_version(ctx)
    if twin("queryset", "iterator", target) is None or (target is not None and tuple(target) < AITERATOR_PREFETCH_SINCE):
        return None
    new_iter = fixes.rename_method(expr, "aiterator")
    return fixes.make_async_iteration(ctx, context, new_iter=new_iter, var=("obj", "item"), message="Iterate with `async for ... in ....aiterator()`")


def async_iteration_fix(ctx, context: cst.CSTNode | None, value: QuerySetValue) -> fixes.NodeFix | None:
    """DJA202: ``for x in qs`` -> ``async for x in qs``; a list/set/dict
    comprehension -> an async one; ``list(qs)`` -> ``[x async for x in qs]``.
    QuerySet.__aiter__ fetches the rows in a thread and yields them, as
    iterating did.  len()/bool()/indexing get no fix: ``acount()`` and
    ``aexists()`` are other queries (COUNT ignores a distinct() query's
    order_by columns, and neither fills the result cache a later loop used)."""
    if context is None or not ctx.in_async_context or twin("iteration", "__iter__", target_version(ctx)) is None:
        return None  # before QuerySet.__aiter__ (4.1) `async for` raises TypeError
    names = ["row"] if value.rows else ([_snake(value.model.name)] if value.model is not None else [])
    return fixes.make_async_iteration(ctx, context, var=(*names, "obj", "item"))


def _iterates(context: cst.CSTNode, expr: cst.BaseExpression) -> bool:
    if isinstance(context, (cst.For, cst.CompFor)):
        return context.iter is expr
    return isinstance(context, cst.Call) and len(context.args) == 1 and context.args[0].value is expr


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _manager_overrides(ctx, method: str) -> bool:
    """A manager class of this module defines ``method`` itself."""
    for bindings in ctx.module_scope.bindings.values():
        for binding in bindings:
            node = binding.node
            if binding.kind != CLASS or not isinstance(node, cst.ClassDef):
                continue
            bases = " ".join(ctx.module.code_for_node(arg.value) for arg in node.bases)
            if not (node.name.value.endswith("Manager") or "Manager" in bases or "from_queryset" in bases):
                continue
            body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
            if any(isinstance(statement, cst.FunctionDef) and statement.name.value == method for statement in body):
                return True
    return False


def _context_values(ctx, context: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values of a template context: a dict display's, ``dict(k=v)``'s,
    or those of the dict display a name is bound to (and only to)."""
    if type(context) is cst.Name:
        found = sole_binding(ctx.scope, context.value)
        if found is None or found[0].value is None:
            return []
        context = found[0].value
    if type(context) is cst.Dict:
        return [element.value for element in context.elements if type(element) is cst.DictElement]
    if type(context) is cst.Call and ctx.qualified_name(context.func) == "builtins.dict":
        return [arg.value for arg in context.args if arg.keyword is not None]
    return []
