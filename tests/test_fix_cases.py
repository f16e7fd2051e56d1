"""Every fix end to end, one harness for all: each case under tests/data/fix/
is copied, fixed, compared with its ``.expected`` twin, and fixed again
without change; what the fix leaves has no fix.

A case is ``<code>_<what>.py`` (one module) or a folder ``<code>_<what>``
(a project; its ``.expected`` folder holds only the files the fix changes).
The rule comes from the name; a ``# fixture:`` header line in the case (or,
for a folder, in any of its files) may say more:

- ``# fixture: select=DJA201,DJA202``: the rules fixed together;
- ``# fixture: declined=marked``: every finding the fix declines is on a line
  that says so ("no fix" or "not flagged"), and those are all that remain.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from async_lint.apply_fixes import fix_paths
from async_lint.catalog import catalog
from tests.helpers import copy_entry, fixture_options, lint_paths, make_settings

DATA = Path(__file__).parent / "data" / "fix"
CASES = sorted(p for p in DATA.iterdir() if re.match(r"dja\d{3}_", p.name) and not p.name.endswith((".expected.py", ".expected")))


def _expected_path(case: Path) -> Path:
    return case.with_name(case.stem + ".expected.py") if case.is_file() else case.with_name(case.name + ".expected")


def _files(root: Path) -> dict[str, str]:
    if root.is_file():
        return {root.name: root.read_text(encoding="utf-8")}
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}


def _options(case: Path) -> dict[str, str]:
    options: dict[str, str] = {}
    for path in [case] if case.is_file() else sorted(case.rglob("*.py")):
        options.update(fixture_options(path))
    return options


def _codes(case: Path) -> list[str]:
    selected = _options(case).get("select")
    return selected.split(",") if selected else [case.name[:6].upper()]


def _expected(case: Path) -> dict[str, str]:
    after = _expected_path(case)
    if case.is_file():
        return {case.name: after.read_text(encoding="utf-8")}
    # A project's expected folder holds only the files the fix changes.
    return {**_files(case), **_files(after)}


def _after(case: Path, tmp_path: Path) -> Path:
    """The case with its expected files in place, in ``tmp_path``."""
    target = tmp_path / "after" / case.name
    target.parent.mkdir()
    if case.is_file():
        shutil.copyfile(_expected_path(case), target)
    else:
        shutil.copytree(case, target)
        shutil.copytree(_expected_path(case), target, dirs_exist_ok=True)
    return target


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_gives_the_expected_files_and_is_idempotent(case: Path, tmp_path: Path) -> None:
    target = copy_entry(case, tmp_path / case.name)
    settings = make_settings(select=_codes(case))
    first = fix_paths([str(target)], settings, write=True)
    assert not first.refused_files, [f.refused for f in first.refused_files]
    assert first.fixed_count > 0
    assert _files(target) == _expected(case)
    for name, text in _expected(case).items():
        compile(text, name, "exec", dont_inherit=True)
    again = fix_paths([str(target)], settings, write=True)
    assert again.changed_files == [] and not again.refused_files
    assert _files(target) == _expected(case)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_what_the_fix_leaves_has_no_fix(case: Path, tmp_path: Path) -> None:
    codes = _codes(case)
    before = lint_paths([case], select=codes)
    remaining = lint_paths([_after(case, tmp_path)], select=codes)
    assert all(f.fix is None for f in remaining)
    assert len(remaining) < len(before)
    if _options(case).get("declined") == "marked":
        declined = [f for f in before if f.fix is None]
        for finding in declined:
            line = Path(finding.path).read_text(encoding="utf-8").splitlines()[finding.line - 1]
            assert "no fix" in line or "not flagged" in line, (finding.path, finding.line, line)
        assert declined and len(remaining) == len(declined)


def test_every_fixable_rule_has_a_fix_case() -> None:
    fixed_by_cases = {code for case in CASES for code in _codes(case) for f in lint_paths([case], select=[code]) if f.fix is not None}
    fixable = {code for code, rule in catalog().items() if rule.fixable}
    assert fixable <= fixed_by_cases, f"no fix case under tests/data/fix/ for {sorted(fixable - fixed_by_cases)}"
