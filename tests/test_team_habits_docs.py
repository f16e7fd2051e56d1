"""Issue 13, adoption: the README's snippets work as written, the release
recipe makes the tag they name, the licence matches the package metadata, and
the benchmark table lives in the contributor document."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from async_lint import __version__
from async_lint._toml import load as load_toml

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCRIPT = Path(sys.executable).with_name("async-lint")


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)


def test_snippets_name_the_tag_the_release_recipe_makes():
    with (ROOT / "pyproject.toml").open("rb") as fh:
        version = load_toml(fh)["project"]["version"]
    assert version == __version__
    tags = re.findall(r"rev: (\S+)", README) + re.findall(r"@(v\d+\.\d+\.\d+)", README)
    assert tags and set(tags) == {f"v{version}"}
    releasing = (ROOT / "RELEASING.md").read_text(encoding="utf-8")
    assert "pyproject.toml" in releasing and "__version__" in releasing
    assert "git tag -a vX.Y.Z" in releasing and "git push origin main vX.Y.Z" in releasing
    assert "RELEASING.md" in README and "about 25 seconds" in README


def test_pre_commit_variants_with_fix_and_from_a_checkout():
    blocks = yaml_blocks()
    assert any("rev: v" in b and "args: [--fix]" in b for b in blocks)
    local = [b for b in blocks if "repo: local" in b]
    assert len(local) == 1 and "entry: async-lint" in local[0]
    hook = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "id: async-lint" in hook


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_local_pre_commit_snippet_runs_from_a_checkout(tmp_path):
    """``repo: local`` builds nothing, so this runs offline with the
    async-lint installed beside this interpreter."""
    (local,) = [b for b in yaml_blocks() if "repo: local" in b]
    repo = tmp_path / "repo"
    (repo / "shop").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(local)
    views = repo / "shop" / "views.py"
    views.write_text("import time\n\n\nasync def checkout(request):\n    time.sleep(1)\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"), "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)

    failing = run()
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "shop/views.py:5:5: DJA101" in failing.stdout
    views.write_text("import asyncio\n\n\nasync def checkout(request):\n    await asyncio.sleep(1)\n")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    passing = run()
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_licence_file_matches_the_package_metadata():
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project = load_toml(fh)["project"]
    assert project["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text


def test_readme_says_the_first_commands_exit_1_is_expected():
    assert "It exits 1 and prints about thirty findings" in README and "expected result" in README
    proc = subprocess.run([str(SCRIPT), "examples/"], cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1 and 25 <= proc.stdout.count(": DJA") <= 40


def test_benchmark_table_is_in_the_contributor_document_not_the_readme():
    assert "| run | seconds |" not in README and "| target | measured | met |" not in README
    speed = README[README.index("## Speed") : README.index("## Autofix")]
    assert "BENCHMARKS.md" in speed and len(speed.strip().splitlines()) <= 6
    benchmarks = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "## Target table" in benchmarks and "| run | seconds |" in benchmarks and "| target | measured | met |" in benchmarks
