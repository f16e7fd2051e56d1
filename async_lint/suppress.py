"""Suppressions: ``# noqa`` comments, and ``Suppressions``, the one step that
hides what the user asked not to see.

``# noqa`` is read where a finding is made (the engine has the file's text
there).  ``Suppressions.visible`` then drops what per-file-ignores, the
DJANGO_ALLOW_ASYNC_UNSAFE opt-out and the baseline hide.  The report, --fix
and --diff all take their findings through it, so a fix never rewrites code
whose finding the user suppressed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from async_lint.findings import Finding
    from async_lint.settings import Settings

_NOQA = re.compile(r"#\s*noqa(?P<sep>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def _comment_start(line: str) -> int | None:
    """Index of the ``#`` that starts a comment on this line (outside strings)."""
    quote: str | None = None
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif ch in "\"'":
            quote = line[i : i + 3] if line.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        elif ch == "#":
            return i
        i += 1
    return None


def noqa_codes(line: str) -> frozenset[str] | None:
    """None: no noqa; empty set: a blanket ``# noqa``; else the codes named."""
    if "noqa" not in line.lower():
        return None
    start = _comment_start(line)
    if start is None:
        return None
    match = _NOQA.search(line, start)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(c.upper() for c in _CODE.findall(codes))


def is_suppressed(code: str, lines: list[str], *rows: int) -> int | None:
    """The row whose noqa suppresses ``code``, if any of ``rows`` has one."""
    for row in rows:
        if 1 <= row <= len(lines):
            codes = noqa_codes(lines[row - 1])
            if codes is not None and (not codes or code in codes or any(code.startswith(c) for c in codes)):
                return row
    return None


@dataclass
class Suppressions:
    """What the user hid, besides ``# noqa``: per-file-ignores (in ``settings``),
    the baseline's fingerprints, and the files whose ORM rules are opted out
    (path -> where DJANGO_ALLOW_ASYNC_UNSAFE is set; a run's ``orm_opt_outs``)."""

    settings: "Settings"
    root: str
    baseline: Counter[str] | None = None
    orm_opt_outs: dict[str, str] = field(default_factory=dict)

    def visible(self, findings: list["Finding"], lines_of: dict[str, list[str]] | None = None) -> list["Finding"]:
        """The findings to report or fix.  ``lines_of``: the text of files whose
        findings were made from text not on disk (a fix in progress), for the
        baseline's fingerprints."""
        from async_lint.baseline import new_findings
        from async_lint.config import apply_per_file_ignores

        from async_lint.catalog import async_unsafe_codes

        orm = async_unsafe_codes()
        kept = [f for f in findings if not (f.path in self.orm_opt_outs and f.code in orm)]
        kept = apply_per_file_ignores(kept, self.settings)
        if self.baseline is not None:
            kept = new_findings(kept, self.baseline, self.root, lines_of=lines_of)
        return kept
