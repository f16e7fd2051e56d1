"""`flake8 --select DJA`: the real flake8 command, with the plugin registered
through this package's ``flake8.extension`` entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "_flake8_project"  # "_": not a marker fixture of test_fixtures.py


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "project"))


def flake8(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flake8", *args], cwd=cwd, capture_output=True, text=True, timeout=120, input=input)


def codes(result: subprocess.CompletedProcess) -> list[str]:
    """``path:line:col: CODE`` of each finding."""
    return [" ".join(line.split(" ")[:2]) for line in result.stdout.splitlines()]


def test_flake8_select_dja_reports_the_per_file_rules(project):
    result = flake8("--select", "DJA", "shop", cwd=project)
    assert result.returncode == 1, result.stderr
    assert codes(result) == [
        "shop/views.py:13:5: DJA101",
        # A chain within the file is followed; one into shop/helpers.py is not (one file at a time).
        "shop/views.py:15:5: DJA401",
    ], result.stdout
    # Line 14 carries a noqa comment for DJA101; DJA102 (requests) is ignored in [tool.async-lint].
    assert "local_helper() -> time.sleep() at views.py:9" in result.stdout


def test_flake8_options_and_noqa_apply(project):
    assert codes(flake8("--select", "DJA", "--extend-ignore", "DJA101", "shop", cwd=project)) == ["shop/views.py:15:5: DJA401"]
    views = project / "shop/views.py"
    views.write_text(views.read_text().replace("    local_helper()\n", "    local_helper()  # NOQA\n"))
    assert codes(flake8("--select", "DJA", "shop", cwd=project)) == ["shop/views.py:13:5: DJA101"]
    # Other plugins' codes are not async-lint's business, nor the reverse.
    assert codes(flake8("--select", "E9", "shop", cwd=project)) == []


def test_project_option_follows_calls_into_other_modules(project):
    result = flake8("--select", "DJA", "--async-lint-project", "shop", cwd=project)
    assert "shop/views.py:16:5: DJA401" in codes(result), result.stdout + result.stderr
    assert "slow() -> time.sleep() at shop/helpers.py:5" in result.stdout


def test_stdin_and_a_syntax_error(project):
    result = flake8("--select", "DJA", "-", cwd=project, input="import time\n\nasync def v(r):\n    time.sleep(1)\n")
    assert codes(result) == ["stdin:4:5: DJA101"], result.stdout + result.stderr
    (project / "shop/broken.py").write_text("async def v(:\n")
    # flake8 reports a file it cannot parse as E999 and runs no plugin on it.
    result = flake8("--select", "DJA,E999", "shop", cwd=project)
    assert codes(result) == ["shop/broken.py:1:14: E999", "shop/views.py:13:5: DJA101", "shop/views.py:15:5: DJA401"], result.stdout + result.stderr


OPTED_OUT = """\
import os
import time

from django.contrib.auth.models import User

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


async def report(request):
    time.sleep(1)
    return User.objects.count()
"""


@pytest.mark.parametrize("project_option", [[], ["--async-lint-project"]])
def test_the_orm_opt_out_hides_orm_findings_as_a_run_does(project, project_option):
    """A file that sets DJANGO_ALLOW_ASYNC_UNSAFE opts out of the ORM rules, in
    flake8's one-file mode as on the command line; the other rules still apply."""
    (project / "shop/reports.py").write_text(OPTED_OUT)
    result = flake8("--select", "DJA", *project_option, "shop/reports.py", cwd=project)
    assert codes(result) == ["shop/reports.py:10:5: DJA101"], result.stdout + result.stderr
    (project / "shop/reports.py").write_text(OPTED_OUT.replace('"DJANGO_ALLOW_ASYNC_UNSAFE"', '"DEBUG"'))
    assert codes(flake8("--select", "DJA", *project_option, "shop/reports.py", cwd=project)) == [
        "shop/reports.py:10:5: DJA101",
        "shop/reports.py:11:12: DJA201",
    ]
