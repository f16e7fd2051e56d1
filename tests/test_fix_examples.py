"""``async-lint --fix`` on a copy of the example project: every fixable
finding is fixed, the result parses, and a second run changes nothing."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from async_lint.apply_fixes import fix_paths
from tests.helpers import lint_paths, make_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_fix_on_the_example_project_is_complete_and_idempotent(tmp_path: Path) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    settings = make_settings()
    before = lint_paths([copy])
    assert any(f.fix is not None for f in before)

    first = fix_paths([str(copy)], settings, write=True)
    assert not first.refused_files, [(f.path, f.refused) for f in first.refused_files]
    assert first.fixed_count == sum(1 for f in before if f.fix is not None)
    for path in copy.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), str(path))

    after = lint_paths([copy])
    assert not [f for f in after if f.fix is not None], "a fixable finding survived --fix"
    assert len(after) == len(before) - first.fixed_count

    snapshot = {p: p.read_bytes() for p in copy.rglob("*.py")}
    second = fix_paths([str(copy)], settings, write=True)
    assert second.changed_files == [] and not second.refused_files
    assert snapshot == {p: p.read_bytes() for p in copy.rglob("*.py")}
