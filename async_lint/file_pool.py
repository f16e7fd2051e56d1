"""Files analysed in worker processes (workers.py): started on first need,
kept for a run's later rounds, each file within the time and memory budget.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import Callable

from async_lint.file_analysis import IN_PARTS_MIN_BYTES, FileResult, FileTask, analyze_task, failed_result, may_need_full_pass
from async_lint.settings import Settings

# Below this many files, and this many bytes of them, one worker process
# analyses them all: more cost more than they save.  (Five files of a
# pre-commit run, one of them 100 KB, take half the time on two workers.)
PARALLEL_THRESHOLD = 16
PARALLEL_BYTES = 64 * 1024
# Small files that need no full pass for their text go to a worker
# BATCH_FILES at a time, sharing one budget: most of a project's files are
# such, and a round trip to a worker for each cost more than their analysis
# (0.3 s of wall time on a 4,000-file project).  Which ones is told from
# their bytes (``FileTask.no_hint_words``: none of the words the rules
# start from), so a batch is a few reads and text tests, far within a budget.  A
# batch that fails (a crash, the budget, an exception) is analysed again
# file by file, each within a budget of its own (WorkerPool.map_batched).
BATCH_MAX_BYTES = 16 * 1024
BATCH_FILES = 16


def _batchable(task: FileTask) -> bool:
    return task.no_hint_words and not task.in_parts and len(task.data or b"") < BATCH_MAX_BYTES


def _may_need_libcst(task: FileTask) -> bool:
    """The task may get a full pass (libcst): asked for one, or its text may ask."""
    return task.full or task.in_parts or not task.no_hint_words


class FileWorkers:
    """Worker processes (workers.py), started on first need and kept for the
    run's later rounds: each file is analysed in one, within the time and
    memory budget, so no file can crash, hang or exhaust the run."""

    def __init__(self, settings: Settings, on_file_done: Callable[[int, int], None] | None = None, processes: bool = True, parses=None, early=None):
        self.settings = settings
        self.processes = processes
        # Workers started before the settings were complete (``start_early_workers``),
        # importing the analysis meanwhile: the pool's first.
        self.early = list(early or ())
        # Buffers' previous trees (reparse.ParseMemory), kept in this process: in-process analysis only.
        self.parses = parses if not processes else None
        self.pool = None
        # ``on_file_done(done, total)``, called in this process as files finish,
        # e.g. to draw a progress bar.
        self.on_file_done = on_file_done
        self.done = 0
        self.total = 0

    def run(self, tasks: list[FileTask]) -> list[FileResult]:
        from async_lint.workers import Failure, WorkerPool

        if not tasks:
            return []
        settings = self.settings
        self.total += len(tasks)
        if self.pool is None:
            needs_libcst = any(map(_may_need_libcst, tasks))
            if self.early and not needs_libcst:
                # Workers started early import libcst before their first
                # file: where none needs it, workers forked now start at once
                # (a small project with no async code waited 0.1 s for them).
                self._stop_early()
            if not self.early and needs_libcst:
                # Imported before the workers are forked, which then share it
                # (a run served wholly from the cache never gets here, nor
                # one whose files all need no full pass: 0.2 s of a small run).
                from async_lint import lazy_libcst

                lazy_libcst.load()
            task = functools.partial(analyze_task, settings=settings) if self.parses is None else functools.partial(analyze_task, settings=settings, parses=self.parses)
            early, self.early = self.early, []
            self.pool = WorkerPool(task, max(1, settings.jobs), settings.file_timeout, self.processes, early=early)
        # Few small files: one worker costs less than starting several,
        # unless several are already running (a later round of the run).
        # Biggest files first, so that the workers finish together.
        few = len(tasks) < PARALLEL_THRESHOLD and sum(len(t.data or b"") for t in tasks) < PARALLEL_BYTES
        workers = max(1, len(self.pool.idle)) if few else None
        ordered = sorted(tasks, key=lambda t: -len(t.data or b""))
        results: list[FileResult] = []
        too_large: dict[FileTask, Failure] = {}
        for task, outcome in self.pool.map_batched(ordered, _batchable, BATCH_FILES, workers):
            if isinstance(outcome, Failure) and outcome.resource and len(task.data or b"") >= IN_PARTS_MIN_BYTES:
                too_large[dataclasses.replace(task, in_parts=True)] = outcome
                continue
            results.append(failed_result(task, outcome) if isinstance(outcome, Failure) else outcome)
            self._progress()
        # Out of time or memory on a large file: its async code, part by part.
        for task, outcome in self.pool.map(list(too_large), workers):
            results.append(failed_result(task, too_large[task]) if isinstance(outcome, Failure) else outcome)
            self._progress()
        return results

    def _progress(self) -> None:
        self.done += 1
        if self.on_file_done is not None:
            self.on_file_done(self.done, self.total)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        self._stop_early()

    def _stop_early(self) -> None:
        from async_lint.workers import stop

        for worker in self.early:
            stop(worker)
        self.early = []


def _prepare_analysis(enabled: frozenset[str]) -> None:
    """What a worker imports before its first full pass: libcst, the checks
    and the modules a pass uses."""
    from async_lint import lazy_libcst

    lazy_libcst.load()
    from async_lint import positions, summary, traversal  # noqa: F401
    from async_lint.checks import checks_for
    from async_lint.file_analysis import checked_codes

    checks_for(checked_codes(enabled))


def start_early_workers(texts: list[bytes] | None, settings: Settings) -> list:
    """The workers a run's pool will use, started now, importing libcst and
    the checks while this process builds the model table (the settings the
    pool then sends them hold the table).  ``texts``: the few files a run is
    given (a pre-commit hook's): as many workers as ``run`` will use (one
    for a few small files), none where the prefilter sends none to a full
    pass.  None: a run of many files, not read yet: a worker per job, which
    imports on a core this process leaves idle while it reads the files
    (forked after it imported libcst, as before, they cost a cold run 0.1 s:
    its import, in this process, before the first file is sent)."""
    from async_lint.workers import start_early

    if texts is None:
        wanted = max(1, settings.jobs)
    elif len(texts) >= PARALLEL_THRESHOLD:
        return []
    else:
        full = sum(1 for data in texts if may_need_full_pass(data, settings))
        few = sum(map(len, texts)) < PARALLEL_BYTES
        wanted = min(full, 1 if few else max(1, settings.jobs))
    prepare = functools.partial(_prepare_analysis, settings.enabled)
    return [worker for worker in (start_early(prepare, max(1, settings.jobs)) for _ in range(wanted)) if worker is not None]


def _run_tasks(tasks: list[FileTask], settings: Settings, on_file_done: Callable[[int, int], None] | None = None) -> list[FileResult]:
    workers = FileWorkers(settings, on_file_done)
    try:
        return workers.run(tasks)
    finally:
        workers.close()


def analyze_files(paths: list[str], settings: Settings, on_file_done: Callable[[int, int], None] | None = None) -> list[FileResult]:
    """Each file analysed on its own (no project index), in worker processes."""
    tasks = [FileTask(p, None, None, False, True) for p in paths]
    return [r for r in _run_tasks(tasks, settings, on_file_done)]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
