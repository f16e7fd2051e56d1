"""DJA101's fix end to end: before/after files, and a second run changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from async_lint.apply_fixes import fix_paths
from tests.helpers import lint_paths, make_settings

DATA = Path(__file__).parent / "data" / "fix"
CASES = sorted(p for p in DATA.glob("dja101_*.py") if not p.name.endswith(".expected.py"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fix_gives_the_expected_file_and_is_idempotent(case: Path, tmp_path: Path) -> None:
    target = tmp_path / case.name
    shutil.copyfile(case, target)
    settings = make_settings(select=["DJA101"])
    first = fix_paths([str(target)], settings, write=True)
    assert not first.refused_files, [f.refused for f in first.refused_files]
    expected = case.with_name(case.stem + ".expected.py").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == expected
    assert first.fixed_count > 0
    again = fix_paths([str(target)], settings, write=True)
    assert again.changed_files == [] and not again.refused_files
    assert target.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_what_remains_after_the_fix_has_no_fix(case: Path) -> None:
    # The expected file's remaining DJA101 findings are the ones the fix declines.
    remaining = lint_paths([case.with_name(case.stem + ".expected.py")], select=["DJA101"])
    assert all(f.fix is None for f in remaining)
    before = lint_paths([case], select=["DJA101"])
    assert len(remaining) < len(before)
