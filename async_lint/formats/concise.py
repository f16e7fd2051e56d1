"""``path:line:col: CODE message``: one line a finding, for editors and grep."""

from __future__ import annotations

from typing import TextIO

from async_lint.discovery import display_path
from async_lint.findings import Finding, one_line


def render(findings: list[Finding], out: TextIO, **_: object) -> None:
    for f in findings:
        # A file name may hold a line break too: one finding stays one line.
        out.write(f"{one_line(display_path(f.path))}:{f.line}:{f.column}: {f.code} {f.message}\n")
