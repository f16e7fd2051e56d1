"""Applying fixes: edits, overlaps and rounds, the safety net, bytes on disk, the CLI."""

from __future__ import annotations

import codecs
import json
import os
import stat
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from async_lint import fixes
from async_lint.apply_fixes import apply_edits, fix_paths, select_fixes
from async_lint.checks import blocking
from async_lint.cli import main_command
from async_lint.findings import Edit, Finding, Fix
from tests.helpers import make_settings

SETTINGS = make_settings(select=["DJA101"])
VIEW = "import time\n\n\nasync def view(request):\n    time.sleep(1)  # wait\n    return None\n"
FIXED = "import asyncio\nimport time\n\n\nasync def view(request):\n    await asyncio.sleep(1)  # wait\n    return None\n"


@pytest.fixture
def view(tmp_path: Path) -> Path:
    path = tmp_path / "view.py"
    path.write_text(VIEW)
    return path


def _finding(*edits: Edit) -> Finding:
    # Reported where its first edit starts, as a check would.
    return Finding("x.py", "DJA101", "m", edits[0].row, edits[0].column, edits[0].end_row, edits[0].end_column, "warning", fix=Fix("f", "safe", edits))


def test_apply_edits_puts_an_insertion_before_a_replacement_at_the_same_point():
    text = "ab\ncd\n"
    assert apply_edits(text, [Edit("X", 2, 1, 2, 1), Edit("Y", 2, 1, 2, 3), Edit("Z", 1, 3, 1, 3)]) == "abZ\nXY\n"


def test_select_fixes_shares_identical_edits_and_defers_overlapping_ones():
    text = "a = f(g(1))\n"
    import_edit = Edit("import x\n", 1, 1, 1, 1)
    outer = _finding(Edit("await f(g(1))", 1, 5, 1, 12), import_edit)
    inner = _finding(Edit("await g(1)", 1, 7, 1, 11), import_edit)
    other = _finding(Edit("b", 1, 1, 1, 2), import_edit)
    chosen, edits = select_fixes(text, [inner, outer, other])
    assert chosen == [other, outer]
    assert set(edits) == {import_edit, Edit("b", 1, 1, 1, 2), Edit("await f(g(1))", 1, 5, 1, 12)}
    assert apply_edits(text, edits) == "import x\nb = await f(g(1))\n"
    # two different insertions at one point conflict
    first, second = _finding(Edit("A", 1, 1, 1, 1)), _finding(Edit("B", 1, 1, 1, 1))
    assert select_fixes(text, [first, second])[0] == [first]


def test_overlapping_fixes_are_applied_over_several_rounds(tmp_path: Path):
    path = tmp_path / "nested.py"
    path.write_text("import time\n\n\nasync def view():\n    time.sleep(time.sleep(1) or 1)\n")
    outcome = fix_paths([str(path)], SETTINGS, write=True)
    assert outcome.fixed_count == 2 and not outcome.refused_files
    assert path.read_text() == "import asyncio\nimport time\n\n\nasync def view():\n    await asyncio.sleep(await asyncio.sleep(1) or 1)\n"


# -- the safety net: a wrong fix is refused and the file left alone ---------------
def test_a_fix_that_brings_a_new_finding_is_refused(view: Path, monkeypatch):
    # An artificially wrong fix: it "fixes" time.sleep(1) into time.sleep(2).
    monkeypatch.setattr(blocking, "sleep_fix", lambda ctx, call: fixes.replace_node(ctx, call.args[0].value, cst.Integer("2"), "wrong"))
    path = view
    outcome = fix_paths([str(path)], SETTINGS, write=True)
    assert path.read_text() == VIEW
    [refused] = outcome.refused_files
    assert "DJA101" in refused.refused and outcome.fixed_count == 0


def test_a_fix_that_would_not_parse_is_refused(view: Path, monkeypatch):
    # A check may also hand over a ready Fix of text edits.
    monkeypatch.setattr(blocking, "sleep_fix", lambda ctx, call: Fix("broken", "safe", (Edit("await (", 5, 5, 5, 18),)))
    path = view
    outcome = fix_paths([str(path)], SETTINGS, write=True)
    assert path.read_text() == VIEW
    assert "would not parse" in outcome.refused_files[0].refused


def test_a_fix_that_parses_but_does_not_compile_is_refused(tmp_path: Path, monkeypatch):
    # `await` in a class body parses, but Python rejects it: a naive fix that
    # skips the can-await check must be caught by the net.
    monkeypatch.setattr(blocking, "sleep_fix", lambda ctx, call: fixes.replace_node(ctx, call, fixes.awaited(call), "naive"))
    source = "import time\n\n\nasync def view():\n    class Config:\n        delay = time.sleep(1)\n    return Config\n"
    path = tmp_path / "view.py"
    path.write_text(source)
    outcome = fix_paths([str(path)], SETTINGS, write=True)
    assert path.read_text() == source
    assert "compile" in outcome.refused_files[0].refused


def test_the_real_fix_leaves_the_class_body_case_alone(tmp_path: Path):
    source = "import time\n\n\nasync def view():\n    class Config:\n        delay = time.sleep(1)\n    return Config\n"
    path = tmp_path / "view.py"
    path.write_text(source)
    outcome = fix_paths([str(path)], SETTINGS, write=True)
    assert path.read_text() == source and outcome.files == []


# -- bytes on disk -----------------------------------------------------------------
def test_crlf_and_bom_survive_outside_the_edit(tmp_path: Path):
    path = tmp_path / "view.py"
    original = codecs.BOM_UTF8 + VIEW.replace("\n", "\r\n").replace("# wait", "# attendre é").encode("utf-8")
    path.write_bytes(original)
    fix_paths([str(path)], SETTINGS, write=True)
    expected = codecs.BOM_UTF8 + FIXED.replace("\n", "\r\n").replace("# wait", "# attendre é").encode("utf-8")
    assert path.read_bytes() == expected


def test_a_declared_encoding_is_kept(tmp_path: Path):
    path = tmp_path / "view.py"
    source = "# -*- coding: latin-1 -*-\n" + VIEW.replace("# wait", "# caf\xe9")
    path.write_bytes(source.encode("latin-1"))
    fix_paths([str(path)], SETTINGS, write=True)
    assert path.read_bytes() == ("# -*- coding: latin-1 -*-\n" + FIXED.replace("# wait", "# caf\xe9")).encode("latin-1")


def test_permissions_are_kept_and_no_temporary_file_is_left(view: Path):
    path = view
    os.chmod(path, 0o640)
    fix_paths([str(path)], SETTINGS, write=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert path.read_text() == FIXED
    assert sorted(p.name for p in view.parent.iterdir()) == ["view.py"]


def test_a_read_only_file_is_reported_not_crashed_on(view: Path):
    path = view
    os.chmod(path, 0o444)
    result = CliRunner().invoke(main_command, ["--fix", "--format", "concise", str(path)])
    assert result.exit_code == 1, result.output
    assert "not fixed: the file is read-only" in result.stderr
    assert "DJA101" in result.stdout
    assert path.read_text() == VIEW


def test_a_symlink_is_followed_not_replaced(tmp_path: Path):
    real = tmp_path / "real.py"
    real.write_text(VIEW)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    fix_paths([str(link)], SETTINGS, write=True)
    assert link.is_symlink() and real.read_text() == FIXED


# -- the command line ----------------------------------------------------------------
def test_diff_prints_and_writes_nothing(view: Path):
    path = view
    result = CliRunner().invoke(main_command, ["--diff", str(path)])
    assert result.exit_code == 1
    assert "-    time.sleep(1)  # wait\n+    await asyncio.sleep(1)  # wait\n" in result.stdout
    assert "+import asyncio\n" in result.stdout
    assert path.read_text() == VIEW


def test_fix_then_nothing_left_to_fix_or_diff(view: Path):
    path = view
    runner = CliRunner()
    first = runner.invoke(main_command, ["--fix", "--format", "concise", str(path)])
    assert first.exit_code == 0, first.output
    assert "Fixed 1 problem in 1 file." in first.stderr and first.stdout == ""
    assert path.read_text() == FIXED
    second = runner.invoke(main_command, ["--fix", str(path)])
    assert second.exit_code == 0 and path.read_text() == FIXED and "Fixed" not in second.stderr
    diff = runner.invoke(main_command, ["--diff", str(path)])
    assert diff.exit_code == 0 and diff.stdout == ""


def test_fix_with_select_fixes_only_those_rules(view: Path):
    path = view
    result = CliRunner().invoke(main_command, ["--fix", "--select", "DJA000", str(path)])
    assert result.exit_code == 0 and path.read_text() == VIEW


def test_json_output_carries_the_fix(view: Path):
    path = view
    result = CliRunner().invoke(main_command, ["--format", "json", str(path)])
    [finding] = json.loads(result.stdout)
    assert finding["fix"] == {
        "applicability": "safe",
        "message": "Use `await asyncio.sleep(...)`",
        "edits": [
            {"content": "import asyncio\n", "location": {"row": 1, "column": 1}, "end_location": {"row": 1, "column": 1}},
            {"content": "await asyncio.sleep(1)", "location": {"row": 5, "column": 5}, "end_location": {"row": 5, "column": 18}},
        ],
    }
