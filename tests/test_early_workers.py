"""A run given a few files (a pre-commit hook's), or a cold run of many,
starts the workers that will analyse them before it builds the model
table, so that their imports (libcst, the checks) overlap the table
instead of following it; the pool sends them their function, holding the
table, when it is made.  Workers
that end up unused are stopped, none is started where the cache holds the
files' results, and the findings are those of a run without them."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from async_lint import engine, file_pool, workers
from async_lint.engine import run
from tests.helpers import make_settings

EXAMPLES = Path(__file__).parent.parent / "examples"
NAMED = ["shop/views.py", "shop/services.py", "shop/consumers.py"]
ANALYZE_TASK = file_pool.analyze_task


def _recording(task, settings):
    # Forked workers inherit this patch; the function their pool sends is
    # pickled by name, so they find it again.
    with open(os.environ["ASYNC_LINT_TEST_PIDS"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    return ANALYZE_TASK(task, settings)


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root)
    (root / "pyproject.toml").touch()
    return root


def _started(monkeypatch) -> list:
    """The workers started early in the runs that follow."""
    started: list = []
    real = workers.start_early

    def recording(prepare, size):
        worker = real(prepare, size)
        if worker is not None:
            started.append(worker)
        return worker

    monkeypatch.setattr(workers, "start_early", recording)
    return started


def _without_early_workers(monkeypatch) -> None:
    monkeypatch.setattr(engine, "start_early_workers", lambda texts, settings: [])


def _alive(started: list) -> list:
    return [w for w in started if w.process.is_alive()]


def test_the_named_files_are_analysed_by_the_workers_started_early_with_the_same_findings(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    consumers = root / "shop" / "consumers.py"
    # Past PARALLEL_BYTES with one comment line: as many blank lines cost
    # libcst seconds, near the file's time budget on a slow machine.
    consumers.write_text(consumers.read_text() + "# " + "x" * file_pool.PARALLEL_BYTES + "\n")
    files = [str(root / name) for name in NAMED]
    pids = tmp_path / "pids"
    monkeypatch.setenv("ASYNC_LINT_TEST_PIDS", str(pids))
    monkeypatch.setattr(file_pool, "analyze_task", _recording)
    started = _started(monkeypatch)
    found = run(files, make_settings(jobs=2)).findings
    assert len(started) == 2  # past PARALLEL_BYTES in all: both workers
    analysing = {int(pid) for pid in pids.read_text().split()}
    assert analysing and analysing <= {w.process.pid for w in started}
    assert not _alive(started) and not multiprocessing.active_children()
    assert {Path(f.path).name for f in found} == {"views.py", "consumers.py"}
    monkeypatch.undo()
    _without_early_workers(monkeypatch)
    assert run(files, make_settings(jobs=2)).findings == found


def test_one_worker_is_started_early_for_a_few_small_files(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    started = _started(monkeypatch)
    run([str(root / "shop" / "services.py")], make_settings(jobs=2))
    assert len(started) == 1
    started.clear()
    # Nothing the prefilter sends to a full pass: no worker at all.
    run([str(root / "shop" / "apps.py")], make_settings(jobs=2))
    assert started == []


def test_no_worker_is_started_where_the_cache_holds_the_files_results(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    files = [str(root / name) for name in NAMED]
    cache = str(tmp_path / "cache")
    started = _started(monkeypatch)
    cold = run(files, make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert started
    started.clear()
    warm = run(files, make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert started == [] and warm.cache_misses == 0 and warm.findings == cold.findings
    # An edit: that file's result is not in the cache, so workers start again.
    views = root / "shop" / "views.py"
    views.write_text(views.read_text() + "\n# edited\n")
    edited = run(files, make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert started and edited.cache_misses == 1
    assert [(f.code, f.line) for f in edited.findings] == [(f.code, f.line) for f in cold.findings]


def test_a_cold_run_of_many_files_starts_a_worker_per_job_early_unless_the_project_was_linted_before(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    whole = run([str(root)], make_settings(jobs=2)).findings
    assert len(list(root.rglob("*.py"))) >= file_pool.PARALLEL_THRESHOLD and whole
    pids = tmp_path / "pids"
    monkeypatch.setenv("ASYNC_LINT_TEST_PIDS", str(pids))
    monkeypatch.setattr(file_pool, "analyze_task", _recording)
    started = _started(monkeypatch)
    cache = str(tmp_path / "cache")
    cold = run([str(root)], make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert len(started) == 2 and cold.findings == whole
    # The workers started early analysed the files, and are stopped.
    assert {int(pid) for pid in pids.read_text().split()} <= {w.process.pid for w in started}
    assert not _alive(started) and not multiprocessing.active_children()
    # A folder of the project linted with the same settings: the cache
    # likely holds its files, so no worker is started before it is known.
    started.clear()
    shop = run([str(root / "shop")], make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert started == [] and shop.cache_misses == 0
    assert shop.findings == [f for f in whole if f.path.startswith(str(root / "shop"))]


def test_workers_started_early_are_passed_over_where_no_file_needs_a_full_pass(tmp_path: Path, monkeypatch) -> None:
    """They import libcst before their first file: where no file needs it,
    workers forked when the files are known analyse them at once."""
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").touch()
    for index in range(file_pool.PARALLEL_THRESHOLD + 4):
        (root / "app" / f"module_{index}.py").write_text(f"VALUE = {index}\n\n\ndef value():\n    return VALUE\n")
    pids = tmp_path / "pids"
    monkeypatch.setenv("ASYNC_LINT_TEST_PIDS", str(pids))
    monkeypatch.setattr(file_pool, "analyze_task", _recording)
    started = _started(monkeypatch)
    result = run([str(root)], make_settings(jobs=2))
    assert result.findings == [] and len(result.files) == file_pool.PARALLEL_THRESHOLD + 4
    assert len(started) == 2
    analysing = {int(pid) for pid in pids.read_text().split()}
    assert analysing and not analysing & {w.process.pid for w in started}
    assert not _alive(started) and not multiprocessing.active_children()


def test_workers_started_early_and_not_needed_are_stopped(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    files = [str(root / name) for name in NAMED]
    cache = str(tmp_path / "cache")
    cold = run(files, make_settings(jobs=2), use_cache=True, cache_dir=cache)
    # The guess says the files are not cached: workers start, and the cache serves every file.
    monkeypatch.setattr(engine, "_all_cached", lambda *args: False)
    started = _started(monkeypatch)
    warm = run(files, make_settings(jobs=2), use_cache=True, cache_dir=cache)
    assert started and warm.cache_misses == 0 and warm.findings == cold.findings
    assert not _alive(started) and not multiprocessing.active_children()


def test_a_run_that_fails_building_the_model_table_stops_its_early_workers(tmp_path: Path, monkeypatch) -> None:
    root = _project(tmp_path)
    started = _started(monkeypatch)

    def failing(*args, **kwargs):
        raise RuntimeError("a bug in the model table")

    monkeypatch.setattr(engine, "_with_model_table", failing)
    with pytest.raises(RuntimeError, match="model table"):
        run([str(root / name) for name in NAMED], make_settings(jobs=2))
    assert started and not _alive(started) and not multiprocessing.active_children()


def _marked(path: str) -> None:
    with open(path, "w") as fh:
        fh.write(str(os.getpid()))


def _double(item: int) -> tuple[int, int]:
    return item * 2, os.getpid()


def test_a_worker_started_early_prepares_then_runs_the_function_its_pool_sends(tmp_path: Path) -> None:
    import functools

    marker = tmp_path / "prepared"
    early = workers.start_early(functools.partial(_marked, str(marker)), 2)
    dead = workers.start_early(functools.partial(_marked, str(tmp_path / "other")), 2)
    assert early is not None and dead is not None
    dead.process.kill()
    dead.process.join(5)
    pool = workers.WorkerPool(_double, 2, 10, early=[dead, early])
    try:
        results = dict(pool.map([1, 2, 3], workers=1))
    finally:
        pool.close()
    assert {item: value for item, (value, _pid) in results.items()} == {1: 2, 2: 4, 3: 6}
    # The live early worker did the work, after its preparation; the dead one was passed over.
    assert {pid for _value, pid in results.values()} == {early.process.pid}
    assert marker.read_text() == str(early.process.pid)
    assert not multiprocessing.active_children()
