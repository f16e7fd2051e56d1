"""What a check reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)
