"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Every rule of the catalog is described in ``tool.driver.rules`` (so a viewer
can show the why and the fix of a rule with no finding yet); each result
points at its rule by id and index. Paths are relative to the repository root
(``%SRCROOT%``), as code scanning expects.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from async_lint import __version__
from async_lint.catalog import Rule, catalog
from async_lint.findings import Finding

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/async-lint/async-lint"
SRCROOT = "%SRCROOT%"
# Our levels -> SARIF levels (SARIF has no "info": "note" is its lowest).
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    from async_lint.docs import rule_markdown, rule_sections

    what, why = rule_sections(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": "\n\n".join(part for part in (what, why, f"Fix: {rule.suggest}") if part), "markdown": rule_markdown(rule)},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.level]},
        "properties": {"tags": ["django", "async"], "fix": rule.fix},
    }


def artifact_location(path: str, root: str) -> dict[str, Any]:
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    if rel.startswith(".."):  # outside the repository: an absolute file URI
        return {"uri": Path(absolute).as_uri()}
    # The file name's own bytes, percent-encoded: names that are not UTF-8 too.
    return {"uri": quote(os.fsencode(rel.replace(os.sep, "/"))), "uriBaseId": SRCROOT}


def _def_line(path: str, name: str) -> int:
    """The line of ``def name`` in the file (the first one), else 1."""
    pattern = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\b")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if pattern.match(line):
                    return number
    except OSError:
        pass
    return 1


def _step_location(step: dict[str, Any], root: str) -> dict[str, Any]:
    line = step["line"] if step.get("line") is not None else _def_line(step["path"], step.get("def", ""))
    return {
        "physicalLocation": {"artifactLocation": artifact_location(step["path"], root), "region": {"startLine": max(1, line)}},
        "message": {"text": step["text"]},
    }


def _chain_locations(f: Finding, steps: list[dict[str, Any]], root: str) -> dict[str, Any]:
    """A call chain (DJA401) as code scanning shows it: each step a related
    location, and the whole chain, from the flagged call on, one code flow."""
    related = [{"id": i, **_step_location(step, root)} for i, step in enumerate(steps, start=1)]
    start = {"path": f.path, "line": f.line, "text": f"called here: {f.extra.get('callee', f.code)}"}
    flow = [{"location": _step_location(step, root)} for step in [start, *steps]]
    return {"relatedLocations": related, "codeFlows": [{"threadFlows": [{"locations": flow}]}]}


def sarif_log(findings: list[Finding], root: str, fingerprints: dict[int, str] | None = None) -> dict[str, Any]:
    rules = list(catalog().values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for i, f in enumerate(findings):
        result: dict[str, Any] = {
            "ruleId": f.code,
            "level": SARIF_LEVEL.get(f.level, "error"),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(f.path, root),
                        "region": {
                            # SARIF positions are 1-based; never emit an invalid log.
                            "startLine": max(1, f.line),
                            "startColumn": max(1, f.column),
                            "endLine": max(1, f.line, f.end_line),
                            "endColumn": max(1, f.end_column),
                        },
                    }
                }
            ],
        }
        steps = f.extra.get("steps")
        if steps:
            result.update(_chain_locations(f, steps, root))
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if fingerprints and i in fingerprints:
            # Stable across unrelated edits (see baseline.py): lets code
            # scanning track an alert when lines above it move.
            result["partialFingerprints"] = {"asyncLintFingerprint/v1": fingerprints[i]}
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "async-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
                # libcst counts columns in code points, not UTF-16 units.
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(findings: list[Finding], out: TextIO, *, root: str | None = None, **_: object) -> None:
    from async_lint.baseline import fingerprints

    root = os.path.abspath(root or os.getcwd())
    prints = fingerprints(findings, root)
    json.dump(sarif_log(findings, root, dict(enumerate(prints))), out, indent=2)
    out.write("\n")
