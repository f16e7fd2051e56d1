"""--write-baseline / --baseline: only new findings are reported, and a
baseline survives unrelated edits that move lines."""

from __future__ import annotations

import json

import pytest

from async_lint.baseline import fingerprints
from tests.cli_helpers import finding_lines, run_cli, write_tree

VIEWS = """\
import time


async def list_view(request):
    time.sleep(1)


async def detail_view(request):
    time.sleep(1)
    time.sleep(2)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint]\n", "shop/views.py": VIEWS})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_round_trip_survives_a_line_shift_and_reports_only_new(project):
    written = run_cli(["shop", "--write-baseline", "baseline.json"])
    assert written.exit_code == 0
    assert "recorded 3 findings in baseline.json" in written.stderr
    document = json.loads((project / "baseline.json").read_text())
    assert {e["path"] for e in document["findings"]} == {"shop/views.py"}

    assert run_cli(["shop", "--baseline", "baseline.json"]).exit_code == 0

    # Unrelated edits shift every line and re-indent nothing: still clean.
    views = project / "shop" / "views.py"
    views.write_text('"""Views."""\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n' + VIEWS)
    assert run_cli(["shop", "--baseline", "baseline.json"]).exit_code == 0

    # A second identical `time.sleep(1)` in detail_view is new; the old ones are not.
    views.write_text(views.read_text().replace("    time.sleep(2)\n", "    time.sleep(2)\n    time.sleep(1)\n"))
    result = run_cli(["shop", "--baseline", "baseline.json"])
    assert result.exit_code == 1
    assert finding_lines(result) == ["shop/views.py:16:5: DJA101"]

    # Fixing a recorded finding never makes another one appear.
    views.write_text(views.read_text().replace("    time.sleep(2)\n", ""))
    assert finding_lines(run_cli(["shop", "--baseline", "baseline.json"])) == ["shop/views.py:15:5: DJA101"]


def test_baseline_paths_are_relative_to_the_project_root(project, monkeypatch):
    run_cli(["shop", "--write-baseline", "baseline.json"])
    # The same project, linted from inside a sub-folder, matches the same baseline.
    monkeypatch.chdir(project / "shop")
    assert run_cli([".", "--baseline", "../baseline.json"]).exit_code == 0


def test_fingerprint_ignores_line_numbers_and_whitespace_but_not_code_or_file(project):
    from async_lint.findings import Finding

    path = str(project / "shop" / "views.py")
    a = Finding(path, "DJA101", "m", 5, 5, 5, 18, "warning")
    same_text_other_line = Finding(path, "DJA101", "m", 9, 5, 9, 18, "warning")
    other_code = Finding(path, "DJA102", "m", 5, 5, 5, 18, "warning")
    prints = fingerprints([a, same_text_other_line, other_code], str(project))
    assert len(set(prints)) == 3  # occurrence index separates the two identical lines
    # Re-indenting (tabs, trailing spaces) keeps the fingerprint.
    (project / "shop" / "views.py").write_text(VIEWS.replace("    time.sleep(1)", "\ttime.sleep(1)   ", 1))
    assert fingerprints([a], str(project)) == prints[:1]


@pytest.mark.parametrize(
    "content,expected",
    [
        (None, "baseline file not found: baseline.json (create it with --write-baseline baseline.json)"),
        ("{not json", "baseline baseline.json is not valid JSON"),
        ("[]", 'baseline.json is not an async-lint baseline (no "async-lint-baseline" key)'),
        ('{"async-lint-baseline": 99, "findings": []}', "baseline baseline.json has format 99"),
        ('{"async-lint-baseline": 1, "findings": [{"code": "DJA101"}]}', "baseline baseline.json is corrupt"),
    ],
)
def test_missing_or_corrupt_baseline_is_an_error(project, content, expected):
    if content is not None:
        (project / "baseline.json").write_text(content)
    result = run_cli(["shop", "--baseline", "baseline.json"])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stdout == ""


def test_baseline_applies_to_every_format(project):
    run_cli(["shop", "--write-baseline", "baseline.json"])
    (project / "shop" / "new.py").write_text("import time\n\nasync def v(request):\n    time.sleep(3)\n")
    for fmt in ("concise", "json", "github", "sarif"):
        result = run_cli(["shop", "--baseline", "baseline.json", "--format", fmt])
        assert result.exit_code == 1
        assert "new.py" in result.stdout and "views.py" not in result.stdout, fmt
