"""DJA401's fix end to end on a small project: views in several modules call
report builders of another package that block.  The fix wraps the call in
``await sync_to_async(...)`` with the file's own name for it, extends an
existing ``from asgiref.sync import ...`` line or adds one, and leaves alone
what it cannot certainly fix (a generator expression, a shadowed name)."""

from __future__ import annotations

import shutil
from pathlib import Path

from async_lint.apply_fixes import fix_paths
from tests.helpers import lint_paths, lint_text, make_settings

DATA = Path(__file__).parent / "data" / "fix"
BEFORE = DATA / "dja401_project"
# Only the files the fix changes; the others must stay as they are.
AFTER = DATA / "dja401_project.expected"


def test_the_fix_rewrites_each_call_it_can(tmp_path: Path) -> None:
    # The files it gives are test_fix_cases.py's; here, how many calls it rewrites.
    project = tmp_path / "project"
    shutil.copytree(BEFORE, project)
    first = fix_paths([str(project)], make_settings(select=["DJA401"]), write=True)
    assert not first.refused_files, [f.refused for f in first.refused_files]
    assert first.fixed_count == 7


def test_what_the_fix_leaves_is_flagged_without_a_fix(tmp_path: Path) -> None:
    before = lint_paths([BEFORE], select=["DJA401"])
    after_project = tmp_path / "after"
    shutil.copytree(BEFORE, after_project)
    shutil.copytree(AFTER, after_project, dirs_exist_ok=True)
    after = lint_paths([after_project], select=["DJA401"])
    assert len(before) == 9
    assert all(f.fix is None for f in after)
    left = sorted((Path(f.path).name, f.line) for f in after)
    # The generator expression in views.py and the shadowed name in shadowed.py.
    assert left == [("shadowed.py", 9), ("views.py", 29)]


def test_the_fix_is_on_the_finding_with_every_edit() -> None:
    findings = {Path(f.path).name: f for f in lint_paths([BEFORE], select=["DJA401"])}
    fix = findings["api.py"].fix
    assert fix is not None and fix.applicability == "safe"
    assert [e.content for e in fix.edits] == ["from asgiref.sync import sync_to_async\n", "await sync_to_async(", ")"]
    assert "sync_to_async(build_report)" in fix.message


def test_every_rule_still_ran_for_the_chains_when_only_dja401_is_selected() -> None:
    # The chains come from the blocking rules' operations in sync code:
    # selecting DJA401 alone must still record them.
    assert [f.code for f in lint_paths([BEFORE / "shop" / "api.py", BEFORE / "shop" / "reports"], select=["DJA401"])] == ["DJA401"]


def _fixed(source: str) -> str:
    from async_lint.apply_fixes import apply_edits

    findings = [f for f in lint_text(source, select=["DJA401"]) if f.fix is not None]
    return apply_edits(source, [e for f in findings for e in f.fix.edits])


def test_single_module_cases() -> None:
    helpers = "import time\n\n\ndef slow(x=0):\n    time.sleep(1)\n    return [x]\n\n\n"
    # Parentheses where the await would bind looser than its parent; the import added.
    text = _fixed(helpers + "async def v():\n    return slow(1)[0], slow(3).count(3)\n")
    assert text.endswith("return (await sync_to_async(slow)(1))[0], (await sync_to_async(slow)(3)).count(3)\n")
    assert text.startswith("import time\n\nfrom asgiref.sync import sync_to_async\n")
    # No fix: a lambda, a nested def, a nested comprehension (an error before 3.11), a
    # local named sync_to_async, an already awaited call (wrong, but not this fix).
    for body in (
        "    f = lambda: slow()\n    return f",
        "    def inner():\n        return slow()\n    return inner",
        "    return [[slow(i) for i in row] for row in [[1]]]",
        "    sync_to_async = None\n    return slow(), sync_to_async",
        "    return await slow()",
    ):
        source = helpers + "async def v():\n" + body + "\n"
        assert _fixed(source) == source, body
