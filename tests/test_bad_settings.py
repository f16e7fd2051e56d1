"""Bad settings and odd input get a clear answer: an exit-2 error naming the
file and the key, or a result that is right.  No false DJA000 on valid code,
a --diff that patch and git apply accept, and one line a finding."""

from __future__ import annotations

import codecs
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from async_lint.engine import run
from tests.cli_helpers import BLOCKING_VIEW, run_cli, write_tree
from tests.helpers import make_settings

pytestmark = pytest.mark.usefixtures("chdir_tmp")


@pytest.fixture
def chdir_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_usage_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr, result.stderr


# -- item 10: damaged cache entries, malformed dependency tables --------------------------------
def test_cache_entries_of_the_wrong_shape_are_ignored(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW, "models.py": "X = 1\n"})
    cache = tmp_path / "cache"
    settings = make_settings()
    cold = run(["."], settings, cache_dir=str(cache), use_cache=True)
    entries = [p for p in cache.rglob("*.json")]
    assert entries
    for entry in entries:
        # Valid JSON with the right key, every field of the wrong type.
        key = entry.stem
        entry.write_text(json.dumps({"key": key, "findings": [{"code": 1, "line": "x"}], "facts": [1], "summary": "x", "notes": 3}))
    warm = run(["."], settings, cache_dir=str(cache), use_cache=True)
    assert [(f.path, f.line, f.code) for f in warm.findings] == [(f.path, f.line, f.code) for f in cold.findings]
    assert warm.cache_hits == 0


@pytest.mark.parametrize(
    ("pyproject", "key"),
    [
        ('[project]\nname = "x"\ndependencies = "Django>=4.2"\n', "[project] dependencies"),
        ('[project]\nname = "x"\noptional-dependencies = ["Django>=4.2"]\n', "[project] optional-dependencies"),
        ('[project]\nname = "x"\n[project.optional-dependencies]\nweb = "Django"\n', "[project.optional-dependencies] web"),
        ("project = 3\n", "[project]"),
        ('[tool.poetry]\ndependencies = ["django"]\n', "[tool.poetry] dependencies"),
        ("[tool.poetry.dependencies]\ndjango = 4.2\n", "[tool.poetry.dependencies] django"),
        ("[tool.poetry.group]\ndev = 1\n", "[tool.poetry.group.dev]"),
    ],
)
def test_a_malformed_dependency_table_names_the_file_and_key(tmp_path, pyproject, key):
    write_tree(tmp_path, {"pyproject.toml": pyproject, "views.py": BLOCKING_VIEW})
    assert_usage_error(run_cli(["views.py"]), str(tmp_path / "pyproject.toml"), key)


def test_a_pyproject_that_is_not_utf8_names_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes('[project]\nname = "caf\xe9"\n'.encode("latin-1"))
    (tmp_path / "views.py").write_text(BLOCKING_VIEW)
    assert_usage_error(run_cli(["views.py"]), "pyproject.toml", "not UTF-8")


def test_poetry_constraints_still_set_the_version(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.poetry.dependencies]\ndjango = [{version = "^4.0", python = "<3.10"}, {version = "^4.2"}]\n'})
    from async_lint.django_version import detect_django_version

    assert detect_django_version([str(tmp_path)]) == (4, 0)


# -- item 11: empty codes, empty selections, absurd versions --------------------------------------
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('ignore = [""]\n', "ignore: empty rule code"),
        ('select = [" "]\n', "select: empty rule code"),
        ('extend-select = [""]\n', "extend-select: empty rule code"),
        ('[tool.async-lint.per-file-ignores]\n"*.py" = [""]\n', "per-file-ignores.'*.py': empty rule code"),
        ('ignore = ["DJA"]\n', "no rule is left enabled"),
        ('django-version = "0.0"\n', "django-version: '0.0' is not a Django version"),
        ('django-version = "4000.2"\n', "django-version: '4000.2' is not a Django version"),
        ('django-version = "99999999999999999999.1"\n', "django-version: expected MAJOR.MINOR"),
    ],
)
def test_bad_selection_or_version_in_the_config_is_an_error(tmp_path, body, key):
    write_tree(tmp_path, {"pyproject.toml": "[tool.async-lint]\n" + body, "views.py": BLOCKING_VIEW})
    assert_usage_error(run_cli(["."]), key, str(tmp_path / "pyproject.toml"))


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--select", ""], "--select: empty rule code"),
        (["--ignore", ","], "--ignore: empty rule code"),
        (["--ignore", "DJA"], "no rule is left enabled"),
        (["--django-version", "0.0"], "is not a Django version"),
        (["--django-version", "12.0"], "is not a Django version"),
    ],
)
def test_bad_selection_or_version_on_the_command_line_is_an_error(tmp_path, args, key):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    assert_usage_error(run_cli([*args, "."]), key)


def test_real_versions_and_selections_still_work(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    for args in (["--django-version", "1.11"], ["--django-version", "5.2"], ["--select", "DJA000"], ["--ignore", "DJA1"]):
        assert run_cli([*args, "."]).exit_code in (0, 1), args


# -- item 12: no false DJA000 on valid code, never a line that does not exist ---------------------
VALID_BUT_ODD = {
    "operands-400": "import time\n\n\nasync def f(x):\n    time.sleep(1)\n    return " + " and ".join(f"x{i}" for i in range(400)) + "\n",
    "sum-400": "import time\n\n\nasync def f(x):\n    time.sleep(1)\n    return " + " + ".join(f"x{i}" for i in range(400)) + "\n",
    "brackets-150": "import time\n\n\nasync def f(x):\n    time.sleep(1)\n    return " + "[" * 150 + "x" + "]" * 150 + "\n",
    "parens-150": "import time\n\n\nasync def f(x):\n    time.sleep(1)\n    return " + "(" * 150 + "x" + ")" * 150 + "\n",
    "form-feed-indent": "import time\n\n\nasync def f(x):\n\x0c    time.sleep(1)\n\x0c    return x\n",
}


@pytest.mark.parametrize("name", sorted(VALID_BUT_ODD))
def test_valid_code_is_analysed_not_refused(tmp_path, name):
    (tmp_path / "odd.py").write_text(VALID_BUT_ODD[name], newline="")
    result = run_cli(["--no-cache", "odd.py"])
    assert [line.split(" ")[1] for line in result.stdout.splitlines()] == ["DJA101"], result.stdout
    assert result.stdout.startswith("odd.py:5:")


@pytest.mark.parametrize("text", ["if x:\n", "x = (\n", "async def f():\n    return [\n", "x = 1\nif y:\n    \n"])
def test_a_syntax_error_is_on_a_line_the_file_has(tmp_path, text):
    (tmp_path / "broken.py").write_text(text)
    [line] = run_cli(["--no-cache", "--check-syntax", "broken.py"]).stdout.splitlines()
    row = int(line.split(":")[1])
    assert 1 <= row <= len(text.splitlines())


def test_a_too_deep_reason_is_never_empty(tmp_path):
    (tmp_path / "deep.py").write_text("x = " + " + ".join(["1"] * 20000) + "\n")
    [line] = run_cli(["--no-cache", "--check-syntax", "deep.py"]).stdout.splitlines()
    assert "DJA000" in line and ": )" not in line and not line.endswith(": ")


# -- item 13: --diff is a patch that applies ----------------------------------------------------------
BODY = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
ODD_FILES = {
    "formfeed.py": b"import time\n\x0c\n\nasync def view(request):\n    time.sleep(1)\n",
    "separator.py": "import time\n\n\nasync def view(request):\n    note = '\u2028'\n    time.sleep(1)\n".encode(),
    "lone_cr.py": b"import time\n\n# one\rtwo = 2\n\nasync def view(request):\n    time.sleep(1)\n",
    "bom.py": codecs.BOM_UTF8 + BODY.encode(),
    "latin.py": ("# -*- coding: latin-1 -*-\n" + BODY.replace("(1)", "(1)  # caf\xe9")).encode("latin-1"),
    "crlf.py": BODY.replace("\n", "\r\n").encode(),
    "no_eol.py": BODY.rstrip("\n").encode(),
}


def write_odd_files(folder: Path) -> None:
    folder.mkdir()
    for name, data in ODD_FILES.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("tool", ["git", "patch"])
def test_diff_applies_with_git_and_patch_and_equals_fix(tmp_path, tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    write_odd_files(tmp_path / "diffed")
    write_odd_files(tmp_path / "fixed")
    diff = run_cli(["--diff", "--no-cache", "diffed"])
    assert diff.exit_code == 1, diff.output
    assert diff.stdout_bytes.count(b"\n--- a/diffed/") + diff.stdout_bytes.startswith(b"--- a/diffed/") == len(ODD_FILES)
    (tmp_path / "fix.patch").write_bytes(diff.stdout_bytes)
    assert run_cli(["--fix", "--no-cache", "fixed"]).exit_code == 0
    command = ["git", "apply", "fix.patch"] if tool == "git" else ["patch", "-p1", "-i", "fix.patch"]
    subprocess.run([*command[:2], "--check", *command[2:]] if tool == "git" else [*command, "--dry-run"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    for name in ODD_FILES:
        assert (tmp_path / "diffed" / name).read_bytes() == (tmp_path / "fixed" / name).read_bytes(), name
        assert (tmp_path / "fixed" / name).read_bytes() != ODD_FILES[name], name


# -- item 14: one finding, one line, control characters escaped ------------------------------------
def test_a_finding_is_one_line_with_control_characters_escaped(tmp_path):
    # The message quotes the QuerySet, string literal and all: raw ESC and BEL inside.
    (tmp_path / "views.py").write_bytes(
        b"from django.db import models\n\n\nclass Entry(models.Model):\n    name = models.CharField(max_length=10)\n\n\n"
        b'async def feed(request):\n    for e in Entry.objects.filter(name="\x1b[31m\x07",\n                                  pk=1):\n        print(e)\n'
    )
    result = run_cli(["--no-cache", "--format", "concise", "views.py"])
    [line] = result.stdout.splitlines()
    assert line.startswith("views.py:9:14: DJA202") and 'name="\\x1b[31m\\x07"' in line, line
    for fmt in ("json", "github", "sarif", "rich"):
        other = run_cli(["--no-cache", "--format", fmt, "views.py"])
        assert "DJA202" in other.stdout, fmt
        assert "\x1b[31m" not in other.stdout and "\x07" not in other.stdout, fmt


def test_one_line_escapes_what_a_terminal_would_act_on():
    from async_lint.findings import Finding

    finding = Finding("p.py", "DJA101", "`f(\n    a,\n)` rings \x07 and \x1b[2J clears \u2028 and \x9b", 1, 1, 1, 1, "warning")
    assert finding.message == "`f( a, )` rings \\x07 and \\x1b[2J clears and \\x9b"
