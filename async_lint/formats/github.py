"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice``
line a finding, which Actions shows as an annotation on the pull request's diff.

Escaping follows the Actions runner (``toolkit/packages/core/src/command.ts``):
in the message ``%``, CR and LF; in properties also ``:`` and ``,``.
"""

from __future__ import annotations

import os
from typing import TextIO

from async_lint.findings import Finding

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, root: str) -> str:
    rel = os.path.relpath(os.path.abspath(f.path), root)
    path = os.path.abspath(f.path) if rel.startswith("..") else rel
    properties = {
        "file": path.replace(os.sep, "/"),
        "line": f.line,
        "col": f.column,
        "endLine": f.end_line,
        "endColumn": f.end_column,
        "title": f.code,
    }
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{COMMAND.get(f.level, 'error')} {props}::{escape_data(f.message)}"


def render(findings: list[Finding], out: TextIO, *, root: str | None = None, **_: object) -> None:
    root = os.path.abspath(root or os.getcwd())
    for f in findings:
        out.write(annotation(f, root) + "\n")
