"""Driving the real command line on small projects written into tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from async_lint.catalog import Rule, catalog
from async_lint.cli import main_command

BLOCKING_VIEW = """\
import time


async def view(request):
    time.sleep(1)
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_cli(args: list[str], env: dict[str, str] | None = None) -> Result:
    """Run ``async-lint ARGS`` in-process in the current folder."""
    return CliRunner().invoke(main_command, args, env=env, catch_exceptions=False)


def installed(*args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the console script installed beside this interpreter."""
    script = Path(sys.executable).with_name("async-lint")
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=120, input=input)


def finding_lines(result: Result) -> list[str]:
    """``path:line:col: CODE`` of each concise-format finding."""
    return sorted(line.split(" ")[0] + " " + line.split(" ")[1] for line in result.stdout.splitlines() if ": DJA" in line)


@pytest.fixture
def with_dja105(monkeypatch):
    """DJA105 (blocking-network-call) is where extra-blocking-calls land; make
    sure the catalog has it even where that rule family is not written yet."""
    rules = catalog()
    if "DJA105" not in rules:
        monkeypatch.setitem(
            rules,
            "DJA105",
            Rule("DJA105", "blocking-network-call", "warning", "A blocking network call in async code", "It blocks.", "Use an async client.", "never", family="blocking"),
        )
