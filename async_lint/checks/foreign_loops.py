"""DJA301 for an event loop another module of the project made.

``loop = asyncio.new_event_loop()`` in ``loops.py``, then ``from .loops
import loop`` and a bare ``loop.create_task(job())`` elsewhere drops the
task as surely as a local loop's would, but the calling file cannot see
what ``loop`` is.  Where a loop's task method is called on a name imported
from another module and unknown here, and the task is dropped, the calling
file records a ``loop_task_call`` fact (``coroutines.DanglingTaskCheck``);
each module records its module-level names bound to a new or running loop
(``module_loops``); the project check joins the two, asking for the
defining modules' analysis.  A name no module binds to a loop stays silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from async_lint import lazy_libcst
from async_lint.checks.base import Check, ImportedNameCheck, finding_at
from async_lint.checks.coroutines import ASYNCIO_USE, coroutine_apis
from async_lint.facts import Fact, ProjectFacts
from async_lint.findings import Finding

cst = lazy_libcst.bind(globals())


@dataclass(frozen=True, kw_only=True)
class LoopTaskCall(Fact):
    """``<name>.create_task(...)`` whose task is dropped, ``name`` imported
    from another module and of unknown kind here."""

    kind = "loop_task_call"
    target: str  # the qualified name the receiver resolves to
    spelled: str  # the call as written (for the message)
    dropped: str  # how the task is dropped ("its result is discarded", ...)


@dataclass(frozen=True, kw_only=True)
class ModuleLoops(Fact):
    """The module's module-level names bound (once) to an event loop."""

    kind = "module_loops"
    module: str
    names: tuple[str, ...]


def dropped_task_message(spelled: str, dropped: str) -> str:
    return f"The task from `{spelled}` may be garbage-collected before it finishes: {dropped}; keep a reference (a set + `task.add_done_callback(tasks.discard)`) or use `asyncio.TaskGroup`"


class ModuleLoopFacts(Check):
    """Records the module's loops (in files given a full pass: those whose
    text may create or use a loop, and the modules ``ForeignLoopTaskCheck`` needs)."""

    codes = ("DJA301",)
    # A module that makes a loop names asyncio: the hints of the DJA3xx checks cover it.
    text_hints = (r"\basync\s+def\b", *ASYNCIO_USE)

    def leave_Module(self, node: cst.Module) -> None:
        ctx = self.ctx
        if ctx.module_name is None:
            return
        # ``loop = asyncio.new_event_loop()``; ``try: loop = get_running_loop()
        # except RuntimeError: loop = new_event_loop()`` (every binding).
        names = ctx.module_names_bound_to_calls(coroutine_apis().loop_factories)
        if names:
            ctx.add_fact(ModuleLoops(module=ctx.module_name, names=tuple(names)))


class ForeignLoopTaskCheck(ImportedNameCheck):
    codes = ("DJA301",)
    use_fact = LoopTaskCall
    names_fact = ModuleLoops

    def run(self, facts: ProjectFacts) -> list[Finding]:
        return [finding_at(path, call.where, "DJA301", dropped_task_message(call.spelled, call.dropped)) for path, call in self.uses_of_listed_names(facts)]
