"""``--statistics``: findings counted per rule, with how many ``--fix`` fixes
and the rule's level; as text (one tab-separated row a rule) or as JSON with
ruff's keys (code, name, count, fixable) plus fixable_count and level."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, TextIO

from async_lint.catalog import catalog
from async_lint.findings import Finding


def rows(findings: list[Finding]) -> list[dict[str, Any]]:
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fixable)
    levels = {f.code: f.level for f in findings}
    rules = catalog()
    out = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rules.get(code)
        out.append(
            {
                "code": code,
                "name": rule.name if rule else "",
                "count": count,
                "fixable": fixable[code] == count,
                "fixable_count": fixable[code],
                "level": levels[code],
            }
        )
    return out


def _mark(row: dict[str, Any]) -> str:
    """ruff's marks: ``[*]`` every finding fixable, ``[-]`` some, ``[ ]`` none."""
    if row["fixable"]:
        return "[*]"
    return "[-]" if row["fixable_count"] else "[ ]"


def render(findings: list[Finding], out: TextIO, *, as_json: bool = False) -> None:
    table = rows(findings)
    if as_json:
        json.dump(table, out, indent=2)
        out.write("\n")
        return
    for row in table:
        out.write(f"{row['count']:>5}\t{row['code']}\t{_mark(row)}\t{row['level']}\t{row['name']}\n")
