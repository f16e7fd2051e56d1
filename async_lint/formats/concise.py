"""``path:line:col: CODE [*] level: message``: one line a finding, for editors
and grep (``[*]``, as in ruff: ``--fix`` fixes it)."""

from __future__ import annotations

from typing import TextIO

from async_lint.discovery import display_path
from async_lint.findings import Finding, one_line

FIXABLE_MARK = "[*]"


def line(f: Finding) -> str:
    # A file name may hold a line break too: one finding stays one line.
    mark = f" {FIXABLE_MARK}" if f.fixable else ""
    return f"{one_line(display_path(f.path))}:{f.line}:{f.column}: {f.code}{mark} {f.level}: {f.message}"


def render(findings: list[Finding], out: TextIO, **_: object) -> None:
    for f in findings:
        out.write(line(f) + "\n")
