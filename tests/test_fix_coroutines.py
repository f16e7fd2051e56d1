"""DJA302 (add `await`) and DJA303 (`get_running_loop`) fixes end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from async_lint.apply_fixes import fix_paths
from tests.helpers import lint_paths, make_settings

DATA = Path(__file__).parent / "data" / "fix"
CASES = sorted(p for p in DATA.glob("dja30[23]_*.py") if not p.name.endswith(".expected.py"))


def _code(case: Path) -> str:
    return case.name[:6].upper()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fix_gives_the_expected_file_and_is_idempotent(case: Path, tmp_path: Path) -> None:
    target = tmp_path / case.name
    shutil.copyfile(case, target)
    settings = make_settings(select=[_code(case)])
    first = fix_paths([str(target)], settings, write=True)
    assert not first.refused_files, [f.refused for f in first.refused_files]
    expected = case.with_name(case.stem + ".expected.py").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == expected
    assert first.fixed_count > 0
    again = fix_paths([str(target)], settings, write=True)
    assert again.changed_files == [] and not again.refused_files


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_only_unfixable_findings_remain(case: Path) -> None:
    code = _code(case)
    remaining = lint_paths([case.with_name(case.stem + ".expected.py")], select=[code])
    assert all(f.fix is None for f in remaining)
    assert len(remaining) < len(lint_paths([case], select=[code]))
