"""The base class of every per-file check.

A check is a class with ``codes`` (the rules it reports) and ``visit_<Node>`` /
``leave_<Node>`` methods named after libcst node types, as in Fixit.  The
traversal walks each file once and calls every enabled check's methods for
each node; a check never walks the tree itself and never reads other files
(what it needs from them comes from ``ctx.index``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from async_lint.analysis.context import FileContext
from async_lint.catalog import level_of
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Edit, Finding, Fix

if TYPE_CHECKING:
    from async_lint.index import ProjectIndex
    from async_lint.project import ProjectFiles
    from async_lint.settings import Settings


class Check:
    codes: ClassVar[tuple[str, ...]] = ()
    # The check can only report or record anything in a file whose text
    # matches one of these regular expressions (e.g. (r"\basync\s+def\b",));
    # None: in any file.
    # Files no enabled check can matter in are only read (and syntax-checked
    # with --check-syntax), unless the project index or a project check
    # needs them.  Checks of only DJA1xx/DJA2xx
    # codes that do not set it default to ``async def``: they report through
    # ``ctx.report_blocking``, which reports only on the event loop.
    text_hints: ClassVar[tuple[str, ...] | None] = None
    # (fact kind, patterns): files whose text matches only these patterns
    # get a full pass once a file of the run has recorded a fact of that
    # kind, since only then can what the check records there matter (model
    # facts, once async code reads a model's relation).
    text_hints_after_fact: ClassVar[tuple[str, tuple[str, ...]] | None] = None
    # A file that gets no full pass but whose text matches one of these
    # patterns is read with CPython's ``ast`` instead, and the function
    # ``light_facts_reader`` names ("module:function", called with the
    # ``ast.Module``, the module's name and whether it is a package) records
    # cheap structural facts from it: enough for a project check's ``needs``
    # to decide whether the file needs the full pass after all.  Named, not a
    # method, so that a run reads those facts without importing the check.
    light_fact_hints: ClassVar[tuple[str, ...]] = ()
    light_facts_reader: ClassVar[str | None] = None
    # True: what the check records and reports needs async code of the
    # project (an ``async def``, or a view of an async framework such as
    # adrf), so a project with none (``ModelTable.async_free``) gives no
    # file a full pass, nor a light reading, for this check.
    async_code_only: ClassVar[bool] = False

    def __init__(self, ctx: FileContext):
        self.ctx = ctx

    @classmethod
    def handlers(cls) -> list[tuple[str, str]]:
        """(kind, node type name) pairs for the visit_/leave_ methods defined."""
        out = []
        for attr in dir(cls):
            if attr.startswith("visit_"):
                out.append(("visit", attr[len("visit_") :]))
            elif attr.startswith("leave_"):
                out.append(("leave", attr[len("leave_") :]))
        return out


class ProjectCheck:
    """A check over the whole project, run once after every file is analysed.

    It sees only the facts that per-file checks recorded with
    ``ctx.add_fact(SomeFact(...), node)``: typed dataclasses (``facts.Fact``)
    declared beside the check that records them, plain data with positions
    so they can be cached and travel between worker processes.  It reports
    findings for any file; the engine drops those on files the user did not
    ask about.

    A run given a few files must report on them what a run over the whole
    project would, so a check declares what it reads (``fact_kinds``) and,
    from the facts known so far, which other project files it needs
    (``needs``): the engine analyses those, asks again, and runs the check
    once nothing more is needed."""

    codes: ClassVar[tuple[str, ...]] = ()
    fact_kinds: ClassVar[tuple[type[Fact], ...]] = ()
    # The files ``needs`` names matter only for the facts of this group
    # (facts.AST_FACTS: CLASS_FACTS for ``ClassShape``/``MethodAt``,
    # ATOMIC_FACTS for DJA507's): one whose own text asks for no full pass is
    # read with CPython's ``ast`` instead (checks/class_shapes_ast.py,
    # checks/atomic_facts_ast.py).  None: the files need a full pass.
    ast_facts: ClassVar[str | None] = None
    # As ``Check.async_code_only``: in a project with no async code the
    # check is not run, and asks for no file.
    async_code_only: ClassVar[bool] = False

    def __init__(self, settings: "Settings"):
        self.settings = settings

    def needs(self, facts: ProjectFacts, project: "ProjectFiles") -> set[str]:
        """Paths of the project files whose facts the findings on the files
        analysed so far depend on."""
        return set()

    def run(self, facts: ProjectFacts) -> list[Finding]:
        raise NotImplementedError


def defining_paths(targets, project: "ProjectFiles") -> set[str]:
    """The project files of the modules that qualified names ``targets``
    (``jobs.indexing.reindex``) are defined in: what a project check joining
    a call with its callee's facts ``needs``."""
    modules = {target.rpartition(".")[0] for target in targets}
    return {path for module in modules for path in project.paths_of(module)}


class ImportedNameCheck(ProjectCheck):
    """A use of a name imported from another module of the project (a fact
    of ``use_fact``, its ``target`` the name's qualified name), reported
    where the defining module lists the name among its ``names`` of some
    kind (a fact of ``names_fact``, with ``module`` and ``names``: its
    Celery tasks, its loops, its sync generators)."""

    use_fact: ClassVar[type[Fact]]
    names_fact: ClassVar[type[Fact]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.fact_kinds = (cls.use_fact, cls.names_fact)

    def needs(self, facts: ProjectFacts, project: "ProjectFiles") -> set[str]:
        """The modules the used names are imported from."""
        return defining_paths({fact.target for _, fact in facts.of(self.use_fact)}, project)

    def uses_of_listed_names(self, facts: ProjectFacts) -> list[tuple[str, Fact]]:
        """(path, use) of each positioned use whose name its module lists, by
        any name the module is known by."""
        listed = {f"{module}.{name}" for path, fact in facts.of(self.names_fact) for module in facts.names_of(path, fact.module) for name in fact.names}
        return [(path, use) for path, use in facts.of(self.use_fact) if use.positioned and use.target in listed]


class IndexCheck:
    """A rule decided, for one file, over the project index: what a call of
    that file does depends on code in other modules (a helper that blocks,
    a coroutine function, a helper returning a QuerySet).  The file's module
    summary carries its call sites and ``sync_to_async`` handoffs; the index
    answers what the callees are and do.  Its findings are never cached: they
    change when another module does."""

    codes: ClassVar[tuple[str, ...]] = ()
    # The rule follows sync calls to the blocking operations that the per-file
    # blocking checks record in sync functions: those checks must run with it.
    follows_blocking_calls: ClassVar[bool] = False

    def __init__(self, index: "ProjectIndex"):
        self.index = index

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list[Finding]:
        """``orm_opt_out``: DJANGO_ALLOW_ASYNC_UNSAFE is set for this file."""
        raise NotImplementedError


def finding_at(path: str, where: dict, code: str, message: str, *, level: str | None = None, extra: dict | None = None, fix: dict | None = None) -> Finding:
    """A finding at a position recorded as plain data (a summary's call site,
    a fact), with a fix recorded as plain data (``{"message", "applicability", "edits"}``)."""
    line, column = where.get("line", 1), where.get("column", 1)
    return Finding(
        path=path,
        code=code,
        message=message,
        line=line,
        column=column,
        end_line=where.get("end_line", line),
        end_column=where.get("end_column", column),
        level=level or level_of(code),
        fix=Fix(fix["message"], fix["applicability"], tuple(Edit(*edit) for edit in fix["edits"])) if fix is not None else None,
        extra=extra or {},
    )
