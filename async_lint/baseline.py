"""Adopting async-lint on an existing code base: record today's findings once
(``--write-baseline FILE``), then report only new ones (``--baseline FILE``).

A finding is identified by a fingerprint that survives unrelated edits: its
rule code, its file (relative to the project root), the text of its source
line with whitespace normalized, and its occurrence index among findings with
the same code, file and line text. The line number is not part of it, so
adding an import at the top of a file does not make every old finding new.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from typing import Any

from async_lint import __version__
from async_lint.findings import Finding
from async_lint.output import atomic_writer
from async_lint.source import SourceError, read_source

FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file is missing or is not an async-lint baseline."""


def normalized_line(text: str) -> str:
    return " ".join(text.split())


def _relative(path: str, root: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), root)
    return (os.path.abspath(path) if rel.startswith("..") else rel).replace(os.sep, "/")


def _source_lines(path: str) -> list[str]:
    try:
        return read_source(path).lines
    except SourceError:
        return []


def fingerprints(findings: list[Finding], root: str, lines_of: dict[str, list[str]] | None = None) -> list[str]:
    """One fingerprint per finding, in the same order.  ``lines_of``: files'
    lines when the findings were made from text not (yet) on disk."""
    lines_of = dict(lines_of or {})
    seen: Counter[tuple[str, str, str]] = Counter()
    out: list[str] = [""] * len(findings)
    # Occurrences are counted in source order, whatever order findings come in.
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key)
    for i in order:
        f = findings[i]
        if f.path not in lines_of:
            lines_of[f.path] = _source_lines(f.path)
        lines = lines_of[f.path]
        text = normalized_line(lines[f.line - 1]) if 0 < f.line <= len(lines) else ""
        key = (f.code, _relative(f.path, root), text)
        occurrence = seen[key]
        seen[key] += 1
        # surrogatepass: a file name that is not UTF-8 still has a fingerprint.
        digest = hashlib.sha256("\0".join([*key, str(occurrence)]).encode("utf-8", "surrogatepass")).hexdigest()
        out[i] = digest[:32]
    return out


def write_baseline(path: str, findings: list[Finding], root: str) -> int:
    """Write the findings as a baseline; returns how many were recorded."""
    prints = fingerprints(findings, root)
    entries = sorted(
        ({"fingerprint": fp, "code": f.code, "path": _relative(f.path, root), "line": f.line, "message": f.message} for fp, f in zip(prints, findings)),
        key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]),
    )
    document = {"async-lint-baseline": FORMAT_VERSION, "tool-version": __version__, "findings": entries}
    try:
        with atomic_writer(path, newline="\n") as fh:
            json.dump(document, fh, indent=2)
            fh.write("\n")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}")
    return len(entries)


def read_baseline(path: str) -> Counter[str]:
    """The fingerprints recorded in a baseline (a multiset)."""
    try:
        with open(path, encoding="utf-8") as fh:
            document: Any = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"baseline file not found: {path} (create it with --write-baseline {path})")
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}")
    if not isinstance(document, dict) or "async-lint-baseline" not in document:
        raise BaselineError(f'{path} is not an async-lint baseline (no "async-lint-baseline" key)')
    if document["async-lint-baseline"] != FORMAT_VERSION:
        raise BaselineError(f"baseline {path} has format {document['async-lint-baseline']!r}; this async-lint reads format {FORMAT_VERSION}")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f'baseline {path} is corrupt: "findings" must be a list of objects with a "fingerprint"')
    return Counter(e["fingerprint"] for e in entries)


def new_findings(findings: list[Finding], baseline: Counter[str], root: str, lines_of: dict[str, list[str]] | None = None) -> list[Finding]:
    """The findings that the baseline does not record."""
    remaining = Counter(baseline)
    kept = []
    for fp, f in zip(fingerprints(findings, root, lines_of), findings):
        if remaining[fp] > 0:
            remaining[fp] -= 1
        else:
            kept.append(f)
    return kept
