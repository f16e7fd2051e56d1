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

if TYPE_CHECKING:
    from async_lint.findings import Finding
    from async_lint.settings import Settings


class Check:
    codes: ClassVar[tuple[str, ...]] = ()
    # The check can only report or record anything in a file whose text
    # matches one of these regular expressions (e.g. (r"\basync\s+def\b",));
    # None: in any file.
    # Files no enabled check can matter in are only syntax-checked, unless
    # the project index needs their summary.  Checks of only DJA1xx/DJA2xx
    # codes that do not set it default to ``async def``: they report through
    # ``ctx.report_blocking``, which reports only on the event loop.
    text_hints: ClassVar[tuple[str, ...] | None] = None
    # (fact kind, patterns): files whose text matches only these patterns
    # get a full pass once a file of the run has recorded a fact of that
    # kind, since only then can what the check records there matter (model
    # facts, once async code reads a model's relation).
    text_hints_after_fact: ClassVar[tuple[str, tuple[str, ...]] | None] = None

    def __init__(self, ctx: FileContext):
        self.ctx = ctx

    @classmethod
    def handlers(cls) -> list[tuple[str, str]]:
        """(kind, node type name) pairs for the visit_/leave_ methods defined."""
        out = []
        for attr in dir(cls):
            if attr.startswith("visit_"):
                out.append(("visit", attr[len("visit_"):]))
            elif attr.startswith("leave_"):
                out.append(("leave", attr[len("leave_"):]))
        return out


class ProjectCheck:
    """A check over the whole project, run once after every file is analysed.

    It sees only the facts that per-file checks recorded with
    ``ctx.add_fact(kind, node, **data)`` (plain data with positions, so they
    can be cached and travel between worker processes), keyed by file path.
    It reports findings for any file; the engine drops those on files the
    user did not ask about."""

    codes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: "Settings"):
        self.settings = settings

    def run(self, facts: dict[str, list[dict]]) -> list["Finding"]:
        raise NotImplementedError
