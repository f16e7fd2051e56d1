"""The base class of every per-file check.

A check is a class with ``codes`` (the rules it reports) and ``visit_<Node>`` /
``leave_<Node>`` methods named after libcst node types, as in Fixit.  The
traversal walks each file once and calls every enabled check's methods for
each node; a check never walks the tree itself and never reads other files
(what it needs from them comes from ``ctx.index``).
"""

from __future__ import annotations

from typing import ClassVar

from async_lint.analysis.context import FileContext


class Check:
    codes: ClassVar[tuple[str, ...]] = ()

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
