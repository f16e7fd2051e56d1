"""``async-lint - --stdin-filename PATH``: what ALE, none-ls and efm run on an
unsaved buffer.  The installed command on a real project on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import installed, write_tree

HELPERS = """\
import time


def slow():
    time.sleep(1)
"""
# On disk the view is clean; the editor's buffer (stdin) calls the helper.
VIEW_ON_DISK = """\
from shop.helpers import slow


async def view(request):
    return 1
"""
VIEW_IN_EDITOR = """\
import time
from shop.helpers import slow


async def view(request):
    slow()
    time.sleep(2)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path, {"pyproject.toml": "", "shop/__init__.py": "", "shop/helpers.py": HELPERS, "shop/views.py": VIEW_ON_DISK})


def test_stdin_is_linted_as_the_named_file_with_the_projects_cross_module_facts(project):
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", cwd=project, input=VIEW_IN_EDITOR)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    # The chain into shop/helpers.py comes from the real module on disk.
    assert any(line.startswith("shop/views.py:6:5: DJA401 ") and "shop/helpers.py:5" in line for line in lines), lines
    assert any(line.startswith("shop/views.py:7:5: DJA101 ") for line in lines), lines
    assert (project / "shop/views.py").read_text() == VIEW_ON_DISK


def test_stdin_text_replaces_the_file_for_the_rest_of_the_project(project):
    """A buffer of the helper that no longer blocks: callers on disk are
    linted against it (a module's text is the stdin text, not the disk's)."""
    (project / "shop/views.py").write_text(VIEW_IN_EDITOR)
    calm = "def slow():\n    return 1\n"
    result = installed("--no-cache", "-", "--stdin-filename", "shop/helpers.py", cwd=project, input=calm)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_stdin_file_need_not_exist_and_a_clean_text_exits_zero(project):
    result = installed("--no-cache", "-", "--stdin-filename", "shop/new_views.py", cwd=project, input="async def view(request):\n    return 1\n")
    assert result.returncode == 0, result.stdout + result.stderr
    result = installed("--no-cache", "-", "--stdin-filename", "shop/new_views.py", cwd=project, input="import time\n\nasync def v(r):\n    time.sleep(1)\n")
    assert result.stdout.startswith("shop/new_views.py:4:5: DJA101 ")
    assert not (project / "shop/new_views.py").exists()


def test_fix_with_stdin_prints_the_fixed_text_and_writes_no_file(project):
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", "--fix", cwd=project, input=VIEW_IN_EDITOR)
    assert result.returncode == 0, result.stderr
    assert "await sync_to_async(slow)()" in result.stdout
    assert "await asyncio.sleep(2)" in result.stdout
    compile(result.stdout, "views.py", "exec")
    assert (project / "shop/views.py").read_text() == VIEW_ON_DISK
    assert sorted(p.name for p in (project / "shop").iterdir()) == ["__init__.py", "helpers.py", "views.py"]


def test_fix_with_stdin_echoes_text_it_cannot_fix_and_reports_on_stderr(project):
    unfixable = "import requests\n\n\nasync def view(request):\n    x = [requests.get(u) for u in ()]\n"
    clean = "async def view(request):\n    return 1\n"
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", "--fix", cwd=project, input=clean)
    assert (result.returncode, result.stdout) == (0, clean)
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", "--fix", "--format", "concise", cwd=project, input=unfixable)
    assert result.stdout == unfixable
    assert "shop/views.py:5:" in result.stderr


def test_diff_with_stdin_shows_the_fix(project):
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", "--diff", cwd=project, input=VIEW_IN_EDITOR)
    assert result.returncode == 1
    assert "+    await asyncio.sleep(2)" in result.stdout


def test_stdin_usage_errors(project):
    result = installed("-", "shop/helpers.py", cwd=project, input="")
    assert result.returncode == 2 and "cannot be combined" in result.stderr
    result = installed("--stdin-filename", "x.py", "shop", cwd=project)
    assert result.returncode == 2 and "needs `-`" in result.stderr


def test_fix_with_stdin_keeps_stdout_for_the_text_whatever_the_report(project):
    unfixable = "import requests\n\n\nasync def view(request):\n    x = [requests.get(u) for u in ()]\n"
    result = installed("--no-cache", "-", "--stdin-filename", "shop/views.py", "--fix", "--statistics", cwd=project, input=unfixable)
    assert result.stdout == unfixable
    assert "DJA102" in result.stderr
