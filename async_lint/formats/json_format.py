"""ruff's JSON schema: a list of findings with code, message, filename,
location, end_location, fix, url and noqa_row; beside them the rule's
``name`` (as in ruff's statistics and rule JSON), ``severity`` (the level,
under the key code-quality readers take it from) and ``level``."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO

from async_lint.catalog import catalog
from async_lint.findings import Finding


def fix_to_json(finding: Finding) -> dict[str, Any] | None:
    fix = finding.fix
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": e.content,
                "location": {"row": e.row, "column": e.column},
                "end_location": {"row": e.end_row, "column": e.end_column},
            }
            for e in fix.edits
        ],
    }


def finding_to_json(f: Finding) -> dict[str, Any]:
    rule = catalog().get(f.code)
    return {
        "cell": None,
        "code": f.code,
        "end_location": {"column": f.end_column, "row": f.end_line},
        "filename": os.path.abspath(f.path),
        "fix": fix_to_json(f),
        "location": {"column": f.column, "row": f.line},
        "message": f.message,
        "noqa_row": f.noqa_row if f.noqa_row is not None else f.line,
        "url": rule.url if rule else None,
        "name": rule.name if rule else None,
        "severity": f.level,
        "level": f.level,
    }


def render(findings: list[Finding], out: TextIO, **_: object) -> None:
    json.dump([finding_to_json(f) for f in findings], out, indent=2)
    out.write("\n")
