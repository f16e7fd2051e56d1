"""async-lint writes only where the user asked: the cache only in a folder it
owns, fixes only where the target Django has the API and the finding is not
suppressed, reports never over an input and never half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import BLOCKING_VIEW, finding_lines, run_cli, write_tree

pytestmark = pytest.mark.usefixtures("chdir_tmp")


@pytest.fixture
def chdir_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the cache folder ----------------------------------------------------------------------
def test_cache_dir_naming_a_source_folder_is_refused_and_nothing_is_written(tmp_path):
    write_tree(tmp_path, {"src/views.py": BLOCKING_VIEW, "src/models.py": "X = 1\n"})
    before = snapshot(tmp_path / "src")
    result = run_cli(["--cache-dir", "src", "src"])
    assert result.exit_code == 2, result.output
    assert "cache-dir" in result.stderr and "CACHEDIR.TAG" in result.stderr
    assert snapshot(tmp_path / "src") == before  # no .gitignore of `*`, no entries


def test_cache_dir_dot_in_the_config_is_refused(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.async-lint]\ncache-dir = "."\n', "views.py": BLOCKING_VIEW})
    result = run_cli(["."])
    assert result.exit_code == 2, result.output
    assert "cache-dir" in result.stderr
    assert not (tmp_path / ".gitignore").exists()
    # The files stay visible: with --no-cache the run finds them.
    assert finding_lines(run_cli([".", "--no-cache"])) == ["views.py:5:5: DJA101"]


def test_a_new_cache_folder_is_tagged_and_reused(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    assert run_cli(["--cache-dir", "out/cache", "views.py"]).exit_code == 1
    tag = (tmp_path / "out" / "cache" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert finding_lines(run_cli(["--cache-dir", "out/cache", "views.py"])) == ["views.py:5:5: DJA101"]


def test_an_empty_folder_is_adopted(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    (tmp_path / "empty").mkdir()
    assert run_cli(["--cache-dir", "empty", "views.py"]).exit_code == 1
    assert (tmp_path / "empty" / "CACHEDIR.TAG").is_file()


def test_a_cache_written_before_the_tag_is_still_ours(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW, "old/.gitignore": "# Created by async-lint.\n*\n", "old/ab/abcd.json": "{}"})
    assert run_cli(["--cache-dir", "old", "views.py"]).exit_code == 1
    assert (tmp_path / "old" / "CACHEDIR.TAG").is_file()


def test_cache_dir_naming_a_file_is_an_error(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[tool.async-lint]\ncache-dir = "notes.txt"\n', "notes.txt": "mine\n", "views.py": BLOCKING_VIEW})
    result = run_cli(["."])
    assert result.exit_code == 2, result.output
    assert "cache-dir" in result.stderr and "notes.txt" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_cache_dir_expands_the_home_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    write_tree(tmp_path, {"pyproject.toml": '[tool.async-lint]\ncache-dir = "~/al-cache"\n', "views.py": BLOCKING_VIEW})
    result = run_cli(["."], env={"HOME": str(home)})
    assert result.exit_code == 1, result.output
    assert (home / "al-cache" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / "~").exists()


# -- fixes only use APIs the target Django has --------------------------------------------
ITERATING_VIEW = """\
from django.db import models


class Entry(models.Model):
    headline = models.CharField(max_length=200)


async def feed(request):
    out = []
    for entry in Entry.objects.all():
        out.append(entry.headline)
    names = [e.headline for e in Entry.objects.all()]
    rows = list(Entry.objects.values("id"))
    return out, names, rows
"""


@pytest.mark.parametrize(
    ("version", "async_iteration"),
    [("3.2", False), ("4.0", False), ("4.1", True), ("4.2", True), ("5.2", True)],
)
def test_async_for_over_a_queryset_is_written_only_from_django_4_1(tmp_path, version, async_iteration):
    # QuerySet.__aiter__ came in 4.1: on 4.0 `async for` over a QuerySet raises TypeError.
    write_tree(tmp_path, {"views.py": ITERATING_VIEW})
    result = run_cli(["--diff", "--no-cache", "--select", "DJA202", "--django-version", version, "views.py"])
    added = [line for line in result.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert any("async for" in line for line in added) is async_iteration, result.stdout
    findings = run_cli(["--no-cache", "--select", "DJA202", "--django-version", version, "views.py"]).stdout
    assert findings.count("DJA202") == 3
    if not async_iteration:
        assert "sync_to_async(list)" in findings and f"the target is {version}" in findings


def test_fix_respects_the_django_range_the_project_declares(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "feed"\ndependencies = ["Django>=4.0,<4.1"]\n', "views.py": ITERATING_VIEW})
    result = run_cli(["--fix", "--no-cache", "--select", "DJA202", "views.py"])
    assert result.exit_code == 1
    assert (tmp_path / "views.py").read_text() == ITERATING_VIEW


# -- reports never overwrite an input, and are written whole or not at all -----------------
@pytest.mark.parametrize("flag", ["-o", "--write-baseline"])
def test_a_report_over_a_named_input_is_refused(tmp_path, flag):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    result = run_cli([flag, "views.py", "views.py"])
    assert result.exit_code == 2, result.output
    assert "one of the files being linted" in result.stderr and flag.lstrip("-") in result.stderr.replace("output-file", "o")
    assert (tmp_path / "views.py").read_text() == BLOCKING_VIEW


@pytest.mark.parametrize("flag", ["-o", "--write-baseline"])
def test_a_report_over_a_discovered_input_is_refused(tmp_path, flag):
    write_tree(tmp_path, {"app/views.py": BLOCKING_VIEW})
    result = run_cli([flag, "app/views.py", "app"])
    assert result.exit_code == 2, result.output
    assert (tmp_path / "app" / "views.py").read_text() == BLOCKING_VIEW


def test_a_crash_while_rendering_keeps_the_old_report(tmp_path):
    from async_lint.output import atomic_writer

    report = tmp_path / "report.txt"
    report.write_text("yesterday's report\n")
    report.chmod(0o640)
    with pytest.raises(RuntimeError), atomic_writer(str(report)) as fh:
        fh.write("half of today's")
        raise RuntimeError("renderer crashed")
    assert report.read_text() == "yesterday's report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    with atomic_writer(str(report)) as fh:
        fh.write("today's report\n")
    assert report.read_text() == "today's report\n"
    assert report.stat().st_mode & 0o777 == 0o640


def test_a_crash_while_rendering_a_new_report_leaves_no_file(tmp_path):
    from async_lint.output import atomic_writer

    with pytest.raises(RuntimeError), atomic_writer(str(tmp_path / "new.json")) as fh:
        fh.write("[")
        raise RuntimeError("renderer crashed")
    assert list(tmp_path.iterdir()) == []


def test_diff_with_an_output_file_writes_the_patch_there(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    result = run_cli(["--diff", "-o", "fix.patch", "views.py"])
    assert result.exit_code == 1, result.output
    patch = (tmp_path / "fix.patch").read_text()
    assert "+    await asyncio.sleep(1)" in patch
    assert "asyncio.sleep" not in result.stdout
    assert (tmp_path / "views.py").read_text() == BLOCKING_VIEW


# -- file names that are not UTF-8 -------------------------------------------------------------
def installed_bytes(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The installed command, its output as bytes (a file name's own bytes may not be UTF-8)."""
    script = Path(sys.executable).with_name("async-lint")
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, env={**os.environ, **env}, timeout=120)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
@pytest.mark.parametrize(
    "args,env",
    [
        (["--format", "sarif"], {}),
        (["--format", "json"], {}),
        (["--format", "github"], {}),
        (["--format", "concise", "-o", "report.txt"], {}),
        (["--format", "concise"], {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "ascii"}),
        (["--format", "rich"], {"PYTHONIOENCODING": "latin-1"}),
        (["--write-baseline", "baseline.json"], {}),
    ],
)
def test_a_file_name_that_is_not_utf8_never_crashes_the_output(tmp_path, args, env):
    name = os.fsdecode(b"caf\xe9.py")
    (tmp_path / name).write_text(BLOCKING_VIEW)
    result = installed_bytes(*args, "--no-cache", ".", cwd=tmp_path, env=env)
    assert result.returncode == (0 if "--write-baseline" in args else 1), result.stderr
    stdout, stderr = (os.fsdecode(stream) for stream in (result.stdout, result.stderr))
    assert "internal error" not in stderr and "Traceback" not in stderr
    produced = stdout + "".join(p.read_text(errors="surrogateescape") for p in tmp_path.glob("*.*") if p.suffix in (".txt", ".json"))
    assert "caf" in produced


# -- --fix and --diff never touch what the user suppressed ------------------------------------
def _fix_and_diff_leave_alone(tmp_path: Path, name: str, *extra: str) -> None:
    before = (tmp_path / name).read_bytes()
    diff = run_cli(["--diff", "--no-cache", *extra, "."])
    assert diff.stdout == "", diff.stdout
    assert diff.exit_code == 0, diff.output
    fixed = run_cli(["--fix", "--no-cache", *extra, "."])
    assert "Fixed" not in fixed.stderr, fixed.stderr
    assert (tmp_path / name).read_bytes() == before


def test_fixes_skip_findings_per_file_ignores_hides(tmp_path):
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.async-lint.per-file-ignores]\n"legacy/*" = ["DJA101"]\n',
            "legacy/views.py": BLOCKING_VIEW,
        },
    )
    _fix_and_diff_leave_alone(tmp_path, "legacy/views.py")


def test_fixes_skip_findings_noqa_hides(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW.replace("time.sleep(1)", "time.sleep(1)  # noqa: DJA101")})
    _fix_and_diff_leave_alone(tmp_path, "views.py")


@pytest.mark.parametrize("select", [[], ["--select", "DJA202"]])
def test_fixes_skip_orm_findings_the_allow_async_unsafe_opt_out_hides(tmp_path, select):
    opted_out = 'import os\n\nos.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"\n' + ITERATING_VIEW
    write_tree(tmp_path, {"views.py": opted_out})
    _fix_and_diff_leave_alone(tmp_path, "views.py", *select)


def test_fixes_skip_findings_the_baseline_records_and_fix_the_new_ones(tmp_path):
    write_tree(tmp_path, {"views.py": BLOCKING_VIEW})
    assert run_cli(["--write-baseline", "baseline.json", "--no-cache", "."]).exit_code == 0
    _fix_and_diff_leave_alone(tmp_path, "views.py", "--baseline", "baseline.json")
    (tmp_path / "views.py").write_text(BLOCKING_VIEW + "\n\nasync def other(request):\n    time.sleep(2)\n")
    fixed = run_cli(["--fix", "--no-cache", "--baseline", "baseline.json", "."])
    text = (tmp_path / "views.py").read_text()
    assert "    time.sleep(1)\n" in text and "await asyncio.sleep(2)" in text, (text, fixed.output)
