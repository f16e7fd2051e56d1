"""DJA505 for a sync generator another module of the project defines.

``StreamingHttpResponse(frames())`` in an async view, ``frames`` a plain
``def`` with ``yield`` in ``streams.py``: under ASGI Django reads the whole
iterator into memory in a thread before sending anything, as it does for a
generator of the view's own module, but the view's file cannot see what
``frames`` is.  The view records a ``streamed_call`` fact (the imported
name called for the response's content); each module records its
module-level sync generator functions (``module_generators``); the project
check joins the two, asking for the defining modules' analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.checks.base import Check, ImportedNameCheck, finding_at
from async_lint.facts import Fact, ProjectFacts
from async_lint.file_analysis import ASYNC_DEF_HINT
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())


@dataclass(frozen=True, kw_only=True)
class StreamedCall(Fact):
    """``StreamingHttpResponse(name(...))`` in an async view, ``name``
    imported from another module and of unknown kind here."""

    kind = "streamed_call"
    target: str  # the qualified name the called name resolves to
    spelled: str  # the name as written (for the message)


@dataclass(frozen=True, kw_only=True)
class ModuleGenerators(Fact):
    """The module's module-level plain functions that ``yield``."""

    kind = "module_generators"
    module: str
    names: tuple[str, ...]


def streamed_message(what: str) -> str:
    return (
        f"StreamingHttpResponse over {what} in an async view: under ASGI Django warns and reads the whole "
        "iterator into memory in a thread before sending anything; stream an async generator "
        "(`async def` with `yield`) instead"
    )


class ModuleGeneratorFacts(Check):
    """Records the module's sync generator functions (in files given a full
    pass: those with async code, and the modules ``ForeignStreamedGenerator`` needs)."""

    codes = ("DJA505",)
    text_hints = (ASYNC_DEF_HINT,)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.ctx
        if ctx.module_name is None or "yield" not in ctx.source.text:
            return
        from async_lint.checks.django_structure_views import yields

        names = sorted(
            statement.name.value
            for statement in node.body
            if type(statement) is cst.FunctionDef and statement.asynchronous is None and len(ctx.module_scope.bindings.get(statement.name.value, ())) == 1 and yields(statement)
        )
        if names:
            ctx.add_fact(ModuleGenerators(module=ctx.module_name, names=tuple(names)))


class ForeignStreamedGenerator(ImportedNameCheck):
    codes = ("DJA505",)
    use_fact = StreamedCall
    names_fact = ModuleGenerators

    def run(self, facts: ProjectFacts) -> list[Finding]:
        return [finding_at(path, call.where, "DJA505", streamed_message(f"the sync generator `{call.spelled}()`")) for path, call in self.uses_of_listed_names(facts)]
