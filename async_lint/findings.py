"""What a check reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


SAFE = "safe"  # the fix applicability ``--fix`` applies
# Most severe first: ``--fail-level warning`` fails on errors and warnings.
LEVEL_ORDER = ("error", "warning", "info")


def at_or_above(level: str, threshold: str) -> bool:
    """Whether a finding of ``level`` reaches ``threshold``; an unknown level counts as an error."""
    rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 0
    return rank <= LEVEL_ORDER.index(threshold)


@dataclass(frozen=True)
class Edit:
    """Replace [start, end) (1-based row/column, like ruff's JSON) with ``content``."""

    content: str
    row: int
    column: int
    end_row: int
    end_column: int


@dataclass(frozen=True)
class Fix:
    message: str
    applicability: str  # "safe" | "unsafe" | "display-only" (ruff's vocabulary)
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    message: str
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int
    level: str
    fix: Fix | None = None
    noqa_row: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def fixable(self) -> bool:
        """``--fix`` would apply this finding's fix (ruff marks it ``[*]``)."""
        return self.fix is not None and self.fix.applicability == SAFE and bool(self.fix.edits)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


def fixable_summary(findings: list[Finding]) -> str | None:
    """ruff's ``[*] N fixable with the --fix option.``, or None when none is."""
    count = sum(1 for f in findings if f.fixable)
    return f"[*] {count} fixable with the --fix option." if count else None
