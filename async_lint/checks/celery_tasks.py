"""DJA105 for Celery tasks defined in another module of the project.

``from jobs.worker import reindex`` then ``reindex.delay(pk)`` in async code
publishes to the broker synchronously, but the calling file cannot see that
``reindex`` is a task: its module is not named ``tasks`` (the convention the
per-file rule reads), and the decorator is in the other file.  The calling
file records a ``celery_task_call`` fact for each such ``.delay()`` /
``.apply_async()`` on a name imported from elsewhere that it knows nothing
about; the defining module (analysed because the project check ``needs`` it)
records the names of its module-level defs that its decorators make Celery
tasks (``@shared_task``, ``@app.task`` on a known app); the project check
joins the two.  A name bound nowhere in a module that star-imports is
looked for in each star-imported module, and a module records the tasks it
imports by a known name (so re-exports), as well as those it defines.  A
name no module of the project defines stays silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.analysis.scopes import IMPORT, star_candidates
from async_lint.checks.base import Check, ImportedNameCheck, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())

TASK_TYPE = "celery.Task"
SIGNATURE_TYPE = "celery.Signature"
PUBLISHING_METHODS = frozenset({"delay", "apply_async"})
# ``task.s(...)``/``task.si(...)``/``task.signature(...)`` and ``.set(...)``
# on the signature: still the task, sent by the ``delay``/``apply_async`` after.
SIGNATURE_STEPS = frozenset({"s", "si", "signature", "set"})


@dataclass(frozen=True, kw_only=True)
class TaskCall(Fact):
    """``<name>.delay(...)``/``.apply_async(...)`` in async code, ``name``
    imported from another module and of unknown kind here."""

    kind = "celery_task_call"
    target: str  # the qualified name the receiver resolves to
    message: str  # the DJA105 message, should the target be a task


@dataclass(frozen=True, kw_only=True)
class TasksDefined(Fact):
    """The module-level defs of a module that are Celery tasks (and the
    methods of its classes that are: ``Class.name``)."""

    kind = "celery_tasks"
    module: str
    names: tuple[str, ...]


def task_root(func: cst.Attribute) -> cst.BaseExpression:
    """The expression a publishing call starts from: ``t`` of
    ``t.s(1).set(queue=q).apply_async``."""
    value = func.value
    while type(value) is cst.Call and type(value.func) is cst.Attribute and value.func.attr.value in SIGNATURE_STEPS:
        value = value.func.value
    return value


def record_task_call(check, call: cst.Call, message: str | None) -> None:
    """Record a ``TaskCall`` for ``call`` when it publishes through a name
    imported from another module that this file knows nothing of
    (``message``: the finding's text, built by the blocking check)."""
    ctx = check.ctx
    func = call.func
    if message is None or type(func) is not cst.Attribute or func.attr.value not in PUBLISHING_METHODS or not ctx.in_async_context:
        return
    root = task_root(func)
    target = ctx.imported_from_elsewhere(root)
    targets = [target] if target is not None else _star_candidates(ctx, root)
    if not targets or check.receivers.infer(root) is not None:
        return  # bound here, or known here: the per-file rule has decided
    for candidate in targets:
        ctx.add_fact(TaskCall(target=candidate, message=message), call)


def record_task_op(check, call: cst.Call) -> None:
    """``name.delay(...)`` in a sync function, ``name`` imported from another
    module (or brought by a star import) and unknown here: an operation of
    the function (DJA105) where the project index finds a Celery task at
    ``name``, for the DJA401 chains that reach the function."""
    from async_lint.analysis.context import BlockingOp

    ctx = check.ctx
    func = call.func
    function = ctx.current_function
    if ctx.in_async_context or function is None or function.runs_on_loop or ctx.in_lambda or ctx.only_without_loop():
        return
    root = task_root(func)
    target = ctx.imported_from_elsewhere(root)
    if target is not None:
        ref = f"q:{target}"
    elif _star_candidates(ctx, root):
        ref = f"q:{ctx.module_name or '<module>'}.{root.value}"  # type: ignore[attr-defined]  # the index follows the star imports
    else:
        return
    if check.receivers.infer(root) is not None:
        return  # known here: the per-file rule has decided
    type_name = SIGNATURE_TYPE if type(func.value) is cst.Call else TASK_TYPE
    entry = check.table.match_method(type_name, func.attr.value)
    if entry is not None:
        function.ops.append(BlockingOp(entry.code, check._method_message(func, entry, type_name), call, ancestors=tuple(ctx.stack), task=ref))


def _star_candidates(ctx, root: cst.BaseExpression) -> list[str]:
    """A name bound nowhere in a module that star-imports: what each
    ``from module import *`` may bring (``module.name``)."""
    if type(root) is not cst.Name or ctx.lookup(root.value) is not None:
        return []
    return star_candidates(ctx.module_scope, root.value)


def makes_task(receivers, node: cst.FunctionDef, scope) -> bool:
    """A def its decorators make a Celery task (``@shared_task``, ``@app.task``
    on a known app), read by ``receivers`` (a ``ReceiverInference``)."""
    made = receivers.from_decorators(node, scope)
    return made is not None and made.type == TASK_TYPE


class CeleryTaskDefinitions(Check):
    """Records the module's Celery tasks (in files given a full pass: those
    with async code, and the modules ``CrossModuleTaskCall`` needs)."""

    codes = ("DJA105",)

    def leave_Module(self, node: cst.Module) -> None:
        from async_lint.analysis.receivers import ReceiverInference

        ctx = self.ctx
        if ctx.module_name is None:
            return
        receivers = ReceiverInference(ctx)
        names = []
        for statement in node.body:
            if type(statement) is cst.ClassDef and type(statement.body) is cst.IndentedBlock:
                # ``class LoanTasks: @shared_task def approve(...)``, called as ``LoanTasks.approve.delay()``.
                for inner in statement.body.body:
                    if type(inner) is cst.FunctionDef and inner.decorators and makes_task(receivers, inner, ctx.module_scope):
                        names.append(f"{statement.name.value}.{inner.name.value}")
                continue
            if type(statement) is not cst.FunctionDef or not statement.decorators:
                continue
            if makes_task(receivers, statement, ctx.module_scope):
                names.append(statement.name.value)
        # Tasks the module imports and so re-exports (``from .tasks import
        # log_activity`` in a module another one star-imports), where known here.
        for name, bindings in ctx.module_scope.bindings.items():
            if len(bindings) == 1 and bindings[0].kind == IMPORT and name not in names:
                known = receivers.infer(cst.Name(name), ctx.module_scope)
                if known is not None and known.type == TASK_TYPE:
                    names.append(name)
        if names:
            ctx.add_fact(TasksDefined(module=ctx.module_name, names=tuple(names)))


class CrossModuleTaskCall(ImportedNameCheck):
    codes = ("DJA105",)
    use_fact = TaskCall
    names_fact = TasksDefined

    def run(self, facts: ProjectFacts) -> list[Finding]:
        out: dict[tuple, Finding] = {}  # one finding per call, whichever star import brings the task
        for path, fact in self.uses_of_listed_names(facts):
            out.setdefault((path, str(fact.where)), finding_at(path, fact.where, "DJA105", fact.message))
        return list(out.values())
