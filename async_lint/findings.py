"""What a check reports."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# A line break with the indentation around it (Python's and Unicode's breaks).
_BREAK = re.compile(r"[ \t]*[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+[ \t]*")
# What a terminal would act on: C0 and C1 controls, DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` as one line that prints as it reads: line breaks in quoted
    source become a space, and control characters (escape sequences, bells)
    are shown escaped (``\\x1b``) instead of acting on the terminal."""
    text = _BREAK.sub(" ", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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

    def __post_init__(self) -> None:
        # One finding is one line in every format, whatever source a message quotes.
        if not self.message.isprintable():
            object.__setattr__(self, "message", one_line(self.message))

    @property
    def fixable(self) -> bool:
        """``--fix`` would apply this finding's fix (ruff marks it ``[*]``)."""
        return self.fix is not None and self.fix.applicability == SAFE and bool(self.fix.edits)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)


def finding_record(finding: Finding) -> dict:
    """A finding as plain data (for the caches), without its path."""
    record = asdict(finding)
    del record["path"]
    return record


def finding_from_record(path: str, record: dict) -> Finding:
    """The finding of ``finding_record``'s data, at ``path``."""
    fix = record.get("fix")
    if fix is not None:
        fix = Fix(fix["message"], fix["applicability"], tuple(Edit(**edit) for edit in fix["edits"]))
    return Finding(path=path, **{**record, "fix": fix})


def located_record(finding: Finding) -> dict:
    """A finding as plain data with its path (for entries that hold findings of several files)."""
    return asdict(finding)


def finding_from_located(record: dict) -> Finding:
    """The finding of ``located_record``'s data."""
    return finding_from_record(str(record.pop("path")), record)


def fixable_summary(findings: list[Finding]) -> str | None:
    """ruff's ``[*] N fixable with the --fix option.``, or None when none is."""
    count = sum(1 for f in findings if f.fixable)
    return f"[*] {count} fixable with the --fix option." if count else None
