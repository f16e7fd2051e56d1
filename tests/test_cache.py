"""The result cache: warm runs equal cold ones, edits invalidate exactly what
depends on them, a damaged cache is never trusted, concurrent runs are safe."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from async_lint.engine import run
from tests.cli_helpers import write_tree
from tests.helpers import FIXTURES, forget_kept_runs, make_settings

PROJECT = FIXTURES / "dja4_project"


def copy_project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(PROJECT, target)
    return target


def lint(paths, cache_dir: Path, **kwargs):
    return run([str(p) for p in paths], make_settings(**kwargs), cache_dir=str(cache_dir), use_cache=True)


def as_rows(result):
    return [(f.path, f.line, f.column, f.code, f.message, f.level) for f in result.findings]


def entries(cache_dir: Path) -> list[Path]:
    """The per-file entries (not the project-wide checks' entry, nor the whole run's)."""
    return [p for p in cache_dir.rglob("*.json") if not p.name.startswith(("project-", "run-"))]


def test_project_wide_findings_are_cached_and_a_damaged_entry_is_recomputed(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    expected = as_rows(lint([project], cache_dir))
    project_entries = [p for p in cache_dir.rglob("project-*.json")]
    assert project_entries
    for entry in project_entries:
        entry.write_text('{"key": "x", "findings": [{"path": 1}]}')
    assert as_rows(lint([project], cache_dir)) == expected
    assert as_rows(lint([project], cache_dir)) == expected


def test_warm_run_equals_cold_run_and_is_served_from_the_cache(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    cold = lint([project], cache_dir)
    assert cold.cache_hits == 0 and cold.findings
    warm = lint([project], cache_dir)
    assert as_rows(warm) == as_rows(cold)
    assert warm.cache_misses == 0 and warm.cache_hits == len(warm.files)
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    uncached = run([str(project)], make_settings())
    assert as_rows(uncached) == as_rows(cold)


def test_default_cache_lives_at_the_project_root(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    run([str(project / "shop" / "views.py")], make_settings(), use_cache=True)
    assert (project / ".async_lint_cache" / ".gitignore").is_file()
    assert entries(project / ".async_lint_cache")


def test_editing_a_helper_module_changes_the_dependent_finding(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    views = project / "shop" / "views.py"
    services = project / "shop" / "services.py"

    def rows_on_views():
        return sorted(f.line for f in lint([views], cache_dir).findings if f.code == "DJA401")

    assert rows_on_views() == [13, 14, 15, 27, 39]
    original = services.read_text()
    services.write_text(original.replace("    time.sleep(0.2)  # waits for the upstream export to settle\n", ""))
    assert rows_on_views() == [15, 27, 39]  # fetch_rows() no longer blocks
    services.write_text(original)
    assert rows_on_views() == [13, 14, 15, 27, 39]


def test_a_finding_that_another_file_led_to_goes_with_that_file(tmp_path: Path) -> None:
    """A sync module gets a full pass only because an async view calls into
    it; its finding (a coroutine function of a third module called without
    ``await``) is one of that run.  Once the view is deleted, a run served
    from the cache reports what a run without it does, and once it is back,
    what a run with it does."""
    project = tmp_path / "project"
    files = {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/notify.py": "import asyncio\n\n\nasync def send(message):\n    await asyncio.sleep(0)\n",
        "app/services.py": "from app.notify import send\n\n\ndef helper(message):\n    send(message)\n    return message\n",
        "app/views.py": 'from app.services import helper\n\n\nasync def view(request):\n    return helper("hi")\n',
    }
    write_tree(project, files)
    cache_dir = tmp_path / "cache"
    views = project / "app" / "views.py"

    def found(**kwargs) -> list[tuple[str, int, str]]:
        result = run([str(project)], make_settings(), cache_dir=str(cache_dir), **kwargs)
        return [(Path(f.path).name, f.line, f.code) for f in result.findings]

    with_view = [("services.py", 5, "DJA302")]
    assert found(use_cache=True) == with_view
    views.unlink()
    assert found(use_cache=False) == []
    assert found(use_cache=True) == []
    views.write_text(files["app/views.py"])
    assert found(use_cache=True) == with_view
    assert found(use_cache=False) == with_view


def test_corrupt_and_foreign_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    expected = as_rows(lint([project], cache_dir))
    files = sorted(entries(cache_dir))
    assert len(files) >= 4
    files[0].write_bytes(b"\x00garbage{")
    files[1].write_text("[1, 2, 3]")
    files[2].write_bytes(files[3].read_bytes())  # another file's entry under this key
    files[3].write_text('{"key": "x", "findings": "not a list"}')
    forget_kept_runs(cache_dir)
    again = lint([project], cache_dir)
    assert as_rows(again) == expected
    assert again.cache_misses >= 4
    healed = lint([project], cache_dir)
    assert healed.cache_misses == 0 and as_rows(healed) == expected


def test_settings_are_part_of_the_key(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    everything = lint([project], cache_dir)
    only_dja1 = lint([project], cache_dir, select=["DJA1"])
    assert only_dja1.cache_hits == 0
    assert everything.findings and not [f for f in only_dja1.findings if f.code.startswith("DJA4")]


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    cache_dir = tmp_path / "cache"
    command = [sys.executable, "-m", "async_lint", "--format", "concise", "--cache-dir", str(cache_dir), str(project)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 1 for p in processes)
    assert len(set(outputs)) == 1 and outputs[0].count(b"DJA401") == 6
    assert not [p for p in cache_dir.rglob(".tmp-*")]
    warm = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, timeout=120)
    assert warm.stdout == outputs[0]


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run([sys.executable, "-m", "async_lint", "--no-cache", str(project)], stdout=subprocess.DEVNULL, env=env, timeout=120)
    assert not (project / ".async_lint_cache").exists()
