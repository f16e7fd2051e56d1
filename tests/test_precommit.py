"""The pre-commit hook, end to end: `pre-commit try-repo` builds the hook from
this checkout (it needs PyPI for the dependencies) and runs it in a fresh git
repository, failing on a blocking call in an async view and passing once fixed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True)


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(PROJECT_ROOT), "async-lint", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_precommit_hook_fails_on_a_finding_and_passes_when_fixed(tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo")
    home = tmp_path_factory.mktemp("pre-commit-home")
    git(repo, "init", "-q")
    views = repo / "shop" / "views.py"
    views.parent.mkdir()
    views.write_text("import time\n\n\nasync def checkout(request):\n    time.sleep(1)\n")
    (repo / "README.txt").write_text("not python\n")
    git(repo, "add", ".")

    failing = try_repo(repo, home)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "shop/views.py:5:5: DJA101" in failing.stdout, failing.stdout

    views.write_text("import asyncio\n\n\nasync def checkout(request):\n    await asyncio.sleep(1)\n")
    git(repo, "add", ".")
    passing = try_repo(repo, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "async-lint" in passing.stdout and "Passed" in passing.stdout
