"""Every fixture's findings equal its ``# expect: DJAnnn`` markers, exactly.

A top-level ``.py`` file in tests/fixtures/ is linted on its own; a folder is
linted as a whole project (markers from all of its files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, expected_markers, fixture_options, lint_paths

FIXTURE_ENTRIES = sorted(p for p in FIXTURES.iterdir() if (p.suffix == ".py" or p.is_dir()) and not p.name.startswith(("_", ".")))


def _options(entry: Path) -> dict:
    head = entry if entry.is_file() else entry / "fixture.py"
    options = fixture_options(head)
    kwargs: dict = {}
    if "django-version" in options:
        major, minor = options["django-version"].split(".")
        kwargs["django_version"] = (int(major), int(minor))
    if "select" in options:
        kwargs["select"] = options["select"].split(",")
    return kwargs


@pytest.mark.parametrize("entry", FIXTURE_ENTRIES, ids=lambda p: p.name)
def test_fixture_findings_match_markers(entry: Path) -> None:
    files = [entry] if entry.is_file() else sorted(entry.rglob("*.py"))
    expected = set().union(*(expected_markers(f) for f in files))
    findings = lint_paths([entry], **_options(entry))
    actual = {(f.path, f.line, f.code) for f in findings}
    messages = {(f.path, f.line, f.code): f.message for f in findings}
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    report = []
    for path, line, code in missing:
        report.append(f"missing    {Path(path).name}:{line} {code}")
    for key in unexpected:
        report.append(f"unexpected {Path(key[0]).name}:{key[1]} {key[2]} {messages[key]}")
    assert not report, "\n".join(report)


def test_there_are_fixtures() -> None:
    assert FIXTURE_ENTRIES
