"""The command-line contract: exit codes, formats, rule selection, noqa,
parallelism and colour, on real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from async_lint import __version__, file_pool
from async_lint.cli import main_command
from tests.cli_helpers import installed
from tests.test_bad_input import build_bad_tree

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAD = """\
import time


async def poll(request):
    time.sleep(1)
    return None
"""
CLEAN = """\
import asyncio


async def poll(request):
    await asyncio.sleep(1)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working folder with one bad and one clean module."""
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "clean.py").write_text(CLEAN)
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main_command, list(args), env=env, catch_exceptions=False)


# exit codes


def test_exit_codes(project):
    assert cli("clean.py").exit_code == 0
    assert cli("bad.py").exit_code == 1
    assert cli("bad.py", "--exit-zero").exit_code == 0
    assert cli("--select", "DJA999", "bad.py").exit_code == 2
    assert cli("--jobs", "0", "bad.py").exit_code == 2


def test_missing_path_is_a_clear_error(project):
    result = cli("bad.py", "missing_dir")
    assert result.exit_code == 2
    assert "path does not exist: missing_dir" in result.output
    assert "Traceback" not in result.output


def test_nothing_to_lint_is_a_warning_not_an_error(project):
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("ignored/\n")
    (project / "ignored").mkdir()
    (project / "ignored" / "bad.py").write_text(BAD)
    result = cli("ignored")
    assert result.exit_code == 0
    assert "no Python files found" in result.stderr
    assert cli("--no-respect-gitignore", "ignored").exit_code == 1


def test_default_path_is_the_working_folder(project):
    result = cli()
    assert result.exit_code == 1
    assert result.stdout.startswith("bad.py:5:5: DJA101 ")
    assert result.stderr == "Found 1 problem.\n[*] 1 fixable with the --fix option.\n"


# formats


def test_concise_is_the_default_off_a_terminal(project):
    proc = installed(cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [proc.stdout.splitlines()[0]]
    assert re.fullmatch(r"bad\.py:5:5: DJA101 .*sleep.*", proc.stdout.strip())
    assert "Found 1 problem" in proc.stderr
    assert not ANSI.search(proc.stdout)


def test_a_clean_concise_run_says_so_beside_the_output(project):
    result = cli("--format", "concise", "clean.py")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == "All checks passed!\n"
    assert cli("--format", "concise", "--quiet", "clean.py").stderr == ""


def test_json_has_ruffs_keys(project):
    result = cli("--format", "json", ".")
    assert result.exit_code == 1
    (item,) = json.loads(result.stdout)
    assert {"code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"} <= set(item)
    assert item["code"] == "DJA101"
    assert item["filename"] == str(project / "bad.py")
    assert item["location"] == {"row": 5, "column": 5}
    assert item["end_location"] == {"row": 5, "column": 18}
    assert item["noqa_row"] == 5
    assert item["url"].startswith("https://") and "dja101" in item["url"]
    assert item["fix"] is None or {"applicability", "message", "edits"} <= set(item["fix"])


def test_json_of_a_clean_run_is_an_empty_list(project):
    result = cli("--format", "json", "clean.py")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_rich_shows_code_message_span_and_summary(project):
    result = cli("--format", "rich", ".")
    assert result.exit_code == 1
    out = result.output
    assert "DJA101" in out and "time.sleep" in out
    assert "bad.py" in out
    assert "    time.sleep(1)" in out  # the code frame
    assert "^^^^^^^^^^^^^" in out  # under `time.sleep(1)`, 13 characters
    assert "Found 1 problem in 1 file" in out
    assert "blocking-sleep" in out  # the summary table
    assert not ANSI.search(out)


def test_rich_of_a_clean_run(project):
    result = cli("--format", "rich", "clean.py")
    assert result.exit_code == 0 and "All checks passed" in result.output


def test_no_color_and_force_color(project):
    plain = installed("--format", "rich", ".", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert plain.returncode == 1 and "DJA101" in plain.stdout
    assert not ANSI.search(plain.stdout)
    coloured = installed("--format", "rich", ".", cwd=project, env={"FORCE_COLOR": "1"})
    assert coloured.returncode == 1 and ANSI.search(coloured.stdout)
    assert ANSI.sub("", coloured.stdout).split() == plain.stdout.split()


# rule selection


def add_broken_file(project: Path) -> None:
    (project / "broken.py").write_text(BAD + "\n\nasync def broken(:\n    pass\n")


@pytest.mark.parametrize(
    "args, codes",
    [
        ((), ["DJA000", "DJA101"]),
        # DJA000 (a file that cannot be analysed) is reported whatever is selected ...
        (("--select", "DJA101"), ["DJA000", "DJA101"]),
        (("--select", "DJA1"), ["DJA000", "DJA101"]),
        (("--select", "dja1"), ["DJA000", "DJA101"]),
        (("--select", "DJA000"), ["DJA000"]),
        (("--select", "DJA000", "--extend-select", "DJA101"), ["DJA000", "DJA101"]),
        (("--select", "DJA", "--ignore", "DJA101"), ["DJA000"]),
        (("--ignore", "DJA1"), ["DJA000"]),
        # ... unless it is ignored by name or prefix.
        (("--ignore", "DJA0"), ["DJA101"]),
        (("--ignore", "DJA1,DJA000"), []),
    ],
)
def test_select_and_ignore(project, args, codes):
    add_broken_file(project)
    result = cli("--format", "json", *args, ".")
    assert sorted({item["code"] for item in json.loads(result.stdout)}) == codes
    assert result.exit_code == (1 if codes else 0)


def test_syntax_error_file_is_dja000(project):
    add_broken_file(project)
    result = cli("broken.py")
    assert result.exit_code == 1
    assert "broken.py:9:" in result.output and "DJA000 error: Cannot analyse this file: syntax error" in result.output


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_is_a_usage_error(project, option):
    result = cli(option, "DJA101,XYZ1", "bad.py")
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'XYZ1'" in result.output


def test_statistics(project):
    (project / "more.py").write_text(BAD + BAD.replace("poll", "poll_again").replace("import time\n", ""))
    result = cli("--statistics", ".")
    assert result.exit_code == 1
    assert result.output.split() == ["3", "DJA101", "[*]", "warning", "blocking-sleep"]


# suppression comments


def test_noqa(project):
    (project / "bad.py").write_text(
        "import time\n\n\nasync def poll(request):\n"
        "    time.sleep(1)  # noqa\n"
        "    time.sleep(2)  # noqa: DJA101\n"
        "    time.sleep(3)  # NOQA:DJA000,DJA101\n"
        "    time.sleep(4)  # noqa: DJA000\n"
        "    time.sleep(5)  # noqa: E501\n"
        "    time.sleep(6)  # a comment that mentions noqa: DJA101 later\n"
        "    label = '# noqa'; time.sleep(7)\n"
    )
    rows = [item["location"]["row"] for item in json.loads(cli("--format", "json", "bad.py").stdout)]
    assert rows == [8, 9, 10, 11]


# information


def test_list_rules(project):
    result = cli("--list-rules")
    assert result.exit_code == 0
    assert "DJA101" in result.output and "blocking-sleep" in result.output and "DJA000" in result.output


def test_explain(project):
    result = cli("--explain", "dja101")
    assert result.exit_code == 0
    assert "DJA101" in result.output and "Why is this bad?" in result.output and "asyncio.sleep" in result.output


def test_explain_unknown_code(project):
    result = cli("--explain", "DJA999")
    assert result.exit_code == 2 and "unknown rule code: DJA999" in result.output


def test_version(project):
    proc = installed("--version", cwd=project)
    assert proc.returncode == 0 and proc.stdout.strip() == f"async-lint, version {__version__}"


def test_python_dash_m_matches_the_script(project):
    module = subprocess.run([sys.executable, "-m", "async_lint", "."], cwd=project, capture_output=True, text=True, timeout=120)
    script = installed(".", cwd=project)
    assert (module.returncode, module.stdout) == (script.returncode, script.stdout) == (1, script.stdout)
    assert "bad.py:5:5: DJA101" in module.stdout


# parallelism and robustness


def test_jobs_1_and_2_agree_beyond_the_parallel_threshold(project):
    for i in range(file_pool.PARALLEL_THRESHOLD + 5):
        folder = project / f"app{i % 3}"
        folder.mkdir(exist_ok=True)
        body = BAD if i % 2 else CLEAN
        (folder / f"views_{i}.py").write_text(body + "\n" * (i % 4) + ("async def late():\n    time.sleep(0)\n" if i % 5 == 0 else ""))
    (project / "app0" / "views_3.py").write_text("def broken(:\n")
    serial = cli("--jobs", "1", "--format", "json", ".")
    parallel = cli("--jobs", "2", "--format", "json", ".")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    assert len(json.loads(serial.stdout)) > file_pool.PARALLEL_THRESHOLD // 2


def test_bad_files_do_not_hide_the_others(tmp_path):
    build_bad_tree(tmp_path / "proj")
    proc = installed("--check-syntax", "proj", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = sorted(line.split(" ", 2)[:2] for line in proc.stdout.splitlines())
    assert lines == [
        ["proj/also_good.py:3:5:", "DJA101"],
        ["proj/broken.py:1:9:", "DJA000"],
        ["proj/deep.py:1:205:", "DJA000"],
        ["proj/good.py:5:5:", "DJA101"],
        ["proj/latin.py:1:1:", "DJA000"],
        ["proj/nul.py:2:1:", "DJA000"],
        ["proj/py2.py:1:1:", "DJA000"],
    ]
    assert proc.stderr.strip() == "Found 7 problems.\n[*] 2 fixable with the --fix option."


# the rich code frame


def frame(line: int, column: int, end_line: int, end_column: int, lines: list[str], width: int = 100) -> list[str]:
    from async_lint.findings import Finding
    from async_lint.formats.rich_format import _code_frame

    finding = Finding("x.py", "DJA101", "m", line, column, end_line, end_column, "warning")
    return _code_frame(finding, lines, width).plain.splitlines()


def test_frame_single_row_with_tabs_and_on_the_last_row():
    lines = ["async def f():", "\tif x:", "\t\ttime.sleep(1)"]
    assert frame(3, 3, 3, 16, lines) == [" 2 │     if x:", " 3 │         time.sleep(1)", "             ^^^^^^^^^^^^^"]


def test_frame_long_span_shows_its_start_and_end():
    lines = ["async def f():", "    time.sleep(", *["        1,"] * 8, "    )", "x = 1"]
    out = frame(2, 5, 11, 6, lines)
    assert out[:2] == ["  1 │ async def f():", "  2 │     time.sleep("]
    assert out[-3:] == ["  … │", " 11 │     )", " 12 │ x = 1"]
    assert "^" not in "".join(out)


def test_frame_wide_row_is_cut_around_the_span():
    lines = ["async def f():", "    label = '" + "x" * 300 + "'; time.sleep(1)"]
    column = lines[1].index("time") + 1
    out = frame(2, column, 2, column + 13, lines, width=80)
    assert all(len(row) <= 80 for row in out)
    code, carets = out[1], out[2]
    start = carets.index("^")
    assert code[start : start + 13] == "time.sleep(1)" and carets.strip() == "^" * 13


def test_frame_wide_characters_keep_the_carets_aligned():
    row = "x = ('日本', time.sleep(1))"
    column = row.index("time") + 1
    out = frame(1, column, 1, column + 13, [row])
    assert out[1].strip() == "^" * 13
    assert out[1].index("^") == len(" 1 │ ") + len("x = ('日本', ") + 2


def test_frame_past_the_end_of_the_file_shows_the_last_row():
    # The caret sits just after the last character, where the parser ran out.
    assert frame(3, 1, 3, 1, ["def f(", "    x"]) == [" 1 │ def f(", " 2 │     x", "          ^"]
