"""Syntax errors in files no rule looks at are reported only when asked
(``--check-syntax``, ``check-syntax = true``): by default such a file is read
and prefiltered, never parsed.  Files with async code, files analysed in full
for the project index, and single buffers (stdin, the editor, the flake8
plugin) are always checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_lint.engine import Workspace, run
from tests.cli_helpers import BLOCKING_VIEW, installed, run_cli, write_tree
from tests.helpers import make_settings

BROKEN_SYNC = "def helper(:\n    pass\n"
BROKEN_ASYNC = "async def view(request):\n    return (\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint]\n", "views.py": BLOCKING_VIEW, "broken.py": BROKEN_SYNC})


def codes_by_file(stdout: str) -> list[tuple[str, str]]:
    return sorted((line.split(":")[0], line.split(" ")[1]) for line in stdout.splitlines() if ": DJA" in line)


def test_a_syntax_error_in_a_file_without_async_code_is_reported_only_when_asked(project):
    assert codes_by_file(run_cli(["--no-cache", "."]).stdout) == [("views.py", "DJA101")]
    assert codes_by_file(run_cli(["--no-cache", "--check-syntax", "."]).stdout) == [("broken.py", "DJA000"), ("views.py", "DJA101")]


def test_the_config_key_turns_the_check_on_and_the_flag_turns_it_off(project):
    (project / "pyproject.toml").write_text("[tool.async-lint]\ncheck-syntax = true\n")
    result = run_cli(["--no-cache", "."])
    assert codes_by_file(result.stdout) == [("broken.py", "DJA000"), ("views.py", "DJA101")]
    assert "Cannot analyse this file: syntax error" in result.stdout
    assert codes_by_file(run_cli(["--no-cache", "--no-check-syntax", "."]).stdout) == [("views.py", "DJA101")]
    assert "check syntax: every file" in run_cli(["--show-settings"]).stdout


@pytest.mark.parametrize("value", ['"yes"', "1", "[true]"])
def test_a_bad_check_syntax_value_names_the_key(project, value):
    (project / "pyproject.toml").write_text(f"[tool.async-lint]\ncheck-syntax = {value}\n")
    result = run_cli(["."])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert str(project / "pyproject.toml") in result.stderr
    assert "[tool.async-lint] check-syntax: expected true or false" in result.stderr


@pytest.mark.parametrize("check_syntax", [False, True])
def test_a_syntax_error_in_a_file_with_async_code_is_reported_either_way(project, check_syntax):
    (project / "broken.py").write_text(BROKEN_ASYNC)
    findings = run(["."], make_settings(check_syntax=check_syntax)).findings
    assert sorted((Path(f.path).name, f.code, f.line) for f in findings) == [("broken.py", "DJA000", 2), ("views.py", "DJA101", 5)]


def test_a_module_analysed_for_the_project_index_reports_its_syntax_error(project):
    # The view's call makes the index analyse the broken module in full.
    write_tree(project, {"views.py": "from broken import helper\n\n\nasync def view(request):\n    helper()\n"})
    findings = run(["views.py", "broken.py"], make_settings()).findings
    assert [(Path(f.path).name, f.code) for f in findings] == [("broken.py", "DJA000")]


def test_the_cache_serves_each_run_what_it_asked_for(project):
    cache = str(project / "cache")

    def lint(check_syntax: bool):
        result = run(["."], make_settings(check_syntax=check_syntax), cache_dir=cache, use_cache=True)
        return sorted((Path(f.path).name, f.code) for f in result.findings), result

    without, cold = lint(False)
    assert without == [("views.py", "DJA101")] and cold.cache_hits == 0
    # A result made without the check is not served to a run that asks for it ...
    with_check, asked = lint(True)
    assert with_check == [("broken.py", "DJA000"), ("views.py", "DJA101")]
    assert asked.cache_misses == 1
    # ... and one made with it answers both kinds of run from the cache.
    again, warm = lint(False)
    assert again == without and warm.cache_misses == 0
    assert lint(True)[0] == with_check


def test_the_reverse_order_through_the_cli(project):
    assert codes_by_file(run_cli(["--check-syntax", "."]).stdout) == [("broken.py", "DJA000"), ("views.py", "DJA101")]
    assert codes_by_file(run_cli(["."]).stdout) == [("views.py", "DJA101")]
    assert codes_by_file(run_cli(["--check-syntax", "."]).stdout) == [("broken.py", "DJA000"), ("views.py", "DJA101")]


def test_stdin_is_always_checked(project):
    proc = installed("--format", "concise", "-", "--stdin-filename", "broken.py", cwd=project, input=BROKEN_SYNC)
    assert codes_by_file(proc.stdout) == [("broken.py", "DJA000")], proc.stderr


def test_an_editor_buffer_is_always_checked_and_its_saved_result_serves_the_command_line(project):
    settings = make_settings(root=str(project))
    cache = str(project / "cache")
    workspace = Workspace(str(project), settings, cache_dir=cache)
    path = str(project / "broken.py")
    workspace.set_text(path, BROKEN_SYNC.encode())
    assert [f.code for f in workspace.lint([path]).findings] == ["DJA000"]
    # Saved: the result joins the cache, and a run that does not ask for the check does not show it.
    workspace.saved(path)
    result = run(["broken.py"], settings, cache_dir=cache, use_cache=True)
    assert result.findings == [] and result.cache_hits == 1


def test_the_flake8_plugin_checks_its_file_inside_the_project(project):
    from async_lint.flake8_plugin import findings_for

    for in_project in (False, True):
        assert [f.code for f in findings_for(str(project / "broken.py"), BROKEN_SYNC, in_project=in_project)] == ["DJA000"]
