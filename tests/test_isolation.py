"""Every file is analysed in isolation, within a time and memory budget: a
crash, a hang, runaway memory or a dead worker costs only that file (a
DJA000 naming the cause, one line on stderr), never the run; workers die
with their parent; Ctrl-C exits 130; odd files are skipped, not read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from async_lint import engine, file_pool, workers
from tests.cli_helpers import run_cli
from tests.helpers import lint_paths

SLEEPY = "import time\n\n\nasync def view(request):\n    time.sleep(1)\n"
ANALYZE_TASK = file_pool.analyze_task
SCRIPT = Path(sys.executable).with_name("async-lint")


def names_and_codes(findings) -> list[tuple[str, str]]:
    return sorted((Path(f.path).name, f.code) for f in findings)


def project(tmp_path: Path, count: int = 3, bad: str = "bad.py") -> Path:
    tmp_path.mkdir(exist_ok=True)
    for i in range(count):
        (tmp_path / f"good_{i}.py").write_text(SLEEPY)
    (tmp_path / bad).write_text(SLEEPY)
    return tmp_path


def expected(count: int = 3) -> list[tuple[str, str]]:
    return sorted([("bad.py", "DJA000"), *((f"good_{i}.py", "DJA101") for i in range(count))])


def dja000_message(findings) -> str:
    return next(f.message for f in findings if f.code == "DJA000")


# Worker processes are forked, so they inherit a patched analyze_task.
def segfaulting(task, settings):
    if task.path.endswith("bad.py"):
        os.kill(os.getpid(), signal.SIGSEGV)
    return ANALYZE_TASK(task, settings)


def hanging(task, settings):
    # Asleep: no CPU spent, so stopped after WALL_CLOCK_FACTOR budgets of the clock's time.
    if task.path.endswith("bad.py"):
        time.sleep(120)
    return ANALYZE_TASK(task, settings)


def spinning(task, settings):
    # Busy: stopped once its CPU time passes the budget.
    if task.path.endswith("bad.py"):
        while True:
            pass
    return ANALYZE_TASK(task, settings)


def raising(task, settings):
    if task.path.endswith("bad.py"):
        raise KeyError("no such node")
    return ANALYZE_TASK(task, settings)


def recursing(task, settings):
    if task.path.endswith("bad.py"):

        def down(n):
            return down(n + 1) + 1

        down(0)
    return ANALYZE_TASK(task, settings)


def allocating(task, settings):
    if task.path.endswith("bad.py"):
        hog = [bytearray(64 << 20) for _ in range(64)]  # 4 GB, past any worker's budget
        return hog
    return ANALYZE_TASK(task, settings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_segfault_costs_only_its_file_even_with_one_job_and_few_files(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(file_pool, "analyze_task", segfaulting)
    findings = lint_paths([project(tmp_path)], jobs=jobs)
    assert names_and_codes(findings) == expected()
    assert "worker process died" in dja000_message(findings) and "SIGSEGV" in dja000_message(findings)


def test_a_file_past_the_time_budget_becomes_dja000(tmp_path, monkeypatch):
    monkeypatch.setattr(file_pool, "analyze_task", hanging)
    # The asleep worker is stopped by the wall-clock backstop: after 3 budgets here, not 10.
    monkeypatch.setattr(workers, "WALL_CLOCK_FACTOR", 3)
    started = time.monotonic()
    findings = lint_paths([project(tmp_path)], jobs=1, file_timeout=1.0)
    assert time.monotonic() - started < 60
    assert names_and_codes(findings) == expected()
    assert "longer than the 1 s budget" in dja000_message(findings)


@pytest.mark.parametrize(
    ("analyze", "cause"),
    [
        (raising, "internal error in async-lint: KeyError: 'no such node'"),
        (recursing, "nested too deeply to analyse (recursion limit)"),
        pytest.param(allocating, "more memory than its budget", marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the budget reads /proc")),
    ],
    ids=["exception", "recursion", "memory"],
)
def test_an_error_in_one_file_names_its_cause_and_the_others_are_kept(tmp_path, monkeypatch, analyze, cause):
    monkeypatch.setattr(file_pool, "analyze_task", analyze)
    findings = lint_paths([project(tmp_path)], jobs=2)
    assert names_and_codes(findings) == expected()
    assert cause in dja000_message(findings)


def test_a_failed_file_is_one_line_on_stderr_and_its_traceback_only_with_verbose(tmp_path, monkeypatch):
    monkeypatch.setattr(file_pool, "analyze_task", raising)
    project(tmp_path)
    monkeypatch.chdir(tmp_path)
    quiet = run_cli(["--no-cache", "."])
    assert quiet.exit_code == 1
    assert quiet.stderr.splitlines()[0] == "async-lint: bad.py: not analysed: internal error in async-lint: KeyError: 'no such node'"
    assert "Traceback" not in quiet.stderr
    verbose = run_cli(["--no-cache", "-v", "."])
    assert "Traceback (most recent call last)" in verbose.stderr and "KeyError" in verbose.stderr


def test_a_failed_file_is_not_cached(tmp_path, monkeypatch):
    monkeypatch.setattr(file_pool, "analyze_task", raising)
    project(tmp_path / "src")
    cache = tmp_path / "cache"
    first = engine.run([str(tmp_path / "src")], engine_settings(), cache_dir=str(cache), use_cache=True)
    assert ("bad.py", "DJA000") in names_and_codes(first.findings)
    monkeypatch.setattr(file_pool, "analyze_task", ANALYZE_TASK)
    again = engine.run([str(tmp_path / "src")], engine_settings(), cache_dir=str(cache), use_cache=True)
    assert ("bad.py", "DJA101") in names_and_codes(again.findings)


def engine_settings():
    from tests.helpers import make_settings

    return make_settings(jobs=1)


# -- real pathological input through the installed command ------------------------------------
def test_a_ten_thousand_term_chain_neither_crashes_nor_costs_the_neighbour(tmp_path):
    chain = " and ".join(f"x{i}" for i in range(10_000))
    (tmp_path / "chain.py").write_text(f"import time\n\n\nasync def f(x):\n    time.sleep(1)\n    return {chain}\n")
    (tmp_path / "good.py").write_text(SLEEPY)
    for mode in (["-j", "1"], ["--diff"]):
        result = subprocess.run([str(SCRIPT), "--no-cache", *mode, "chain.py", "good.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        if mode == ["--diff"]:
            assert "+++ good.py" in result.stdout or "+++ b/good.py" in result.stdout
        else:
            assert "good.py:5:5: DJA101" in result.stdout
            # libcst's positions recurse too deep here: CPython's place the finding.
            assert "chain.py:5:5: DJA101" in result.stdout, result.stdout


# -- workers and signals ------------------------------------------------------------------------
DRIVER = """
import sys, time
from async_lint import cli, file_pool

real = file_pool.analyze_task

def hanging(task, settings):
    if task.path.endswith("bad.py"):
        print("worker-started", flush=True)
        time.sleep(600)
    return real(task, settings)

file_pool.analyze_task = hanging
sys.argv = ["async-lint", "--no-cache", "--file-timeout", "0", *sys.argv[1:]]
cli.main()
"""


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_hanging_run(tmp_path: Path) -> subprocess.Popen:
    project(tmp_path)
    (tmp_path / "driver.py").write_text(DRIVER)
    process = subprocess.Popen([sys.executable, "driver.py", "."], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "worker-started"
    return process


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_when_their_parent_is_killed(tmp_path):
    process = start_hanging_run(tmp_path)
    workers = children(process.pid)
    assert workers
    process.kill()
    process.wait(10)
    assert wait_gone(workers) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_exits_130_and_stops_the_workers(tmp_path):
    process = start_hanging_run(tmp_path)
    workers = children(process.pid)
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 130
    assert "interrupted" in process.stderr.read()
    assert wait_gone(workers) == []


def test_jobs_is_capped_at_the_cpu_count(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    for i in range(file_pool.PARALLEL_THRESHOLD + 8):
        (tmp_path / f"m{i}.py").write_text(SLEEPY)
    (tmp_path / "driver.py").write_text(
        textwrap.dedent(f"""
        import os, sys
        from async_lint import cli, file_pool
        real = file_pool.analyze_task
        def recording(task, settings):
            open(os.path.join({str(pids)!r}, str(os.getpid())), "w").close()
            return real(task, settings)
        file_pool.analyze_task = recording
        sys.argv = ["async-lint", "--no-cache", "-j", "200", *sys.argv[1:]]
        cli.main()
    """)
    )
    result = subprocess.run([sys.executable, "driver.py", "."], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert 1 <= len(list(pids.iterdir())) <= file_pool.default_jobs()


def test_a_closed_pipe_ends_the_run_quietly(tmp_path):
    for i in range(30):
        (tmp_path / f"m{i}.py").write_text(SLEEPY * 20)
    result = subprocess.run(f"{SCRIPT} --no-cache . | head -1", shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr and "internal error" not in result.stderr


# -- only regular files are read -----------------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("link", [False, True])
def test_a_fifo_is_skipped_with_a_note(tmp_path, link):
    os.mkfifo(tmp_path / "pipe.py")
    if link:
        os.symlink(tmp_path / "pipe.py", tmp_path / "link.py")
    (tmp_path / "good.py").write_text(SLEEPY)
    named = "link.py" if link else "pipe.py"
    result = subprocess.run([str(SCRIPT), "--no-cache", named, "good.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "good.py:5:5: DJA101" in result.stdout
    assert f"async-lint: note: skipped {named}: a FIFO, not a regular file" in result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_a_device_is_skipped_not_read(tmp_path):
    os.symlink("/dev/zero", tmp_path / "zero.py")
    (tmp_path / "good.py").write_text(SLEEPY)
    result = subprocess.run([str(SCRIPT), "--no-cache", "zero.py", "good.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "a character device, not a regular file" in result.stderr


def test_a_symlink_loop_named_first_does_not_end_the_run(tmp_path):
    os.symlink(tmp_path / "b.py", tmp_path / "a.py")
    os.symlink(tmp_path / "a.py", tmp_path / "b.py")
    (tmp_path / "good.py").write_text(SLEEPY)
    result = subprocess.run([str(SCRIPT), "--no-cache", "a.py", "good.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "good.py:5:5: DJA101" in result.stdout
    assert "a.py:1:1: DJA000" in result.stdout and "internal error" not in result.stderr


# -- the budget's setting -------------------------------------------------------------------------
@pytest.mark.parametrize("value", ['"soon"', "-1", "true", "1e9"])
def test_a_bad_file_timeout_in_the_config_names_the_key(tmp_path, monkeypatch, value):
    (tmp_path / "pyproject.toml").write_text(f"[tool.async-lint]\nfile-timeout = {value}\n")
    (tmp_path / "views.py").write_text(SLEEPY)
    monkeypatch.chdir(tmp_path)
    result = run_cli(["."])
    assert result.exit_code == 2, result.output
    assert "file-timeout" in result.stderr and "pyproject.toml" in result.stderr


def test_the_file_timeout_flag_and_key_reach_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(file_pool, "analyze_task", spinning)
    project(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.async-lint]\nfile-timeout = 1\n")
    monkeypatch.chdir(tmp_path)
    from_key = run_cli(["--no-cache", "."])
    assert "longer than the 1 s budget" in from_key.stdout
    assert run_cli(["--no-cache", "--file-timeout", "-3", "."]).exit_code == 2


# -- a file too large to analyse whole: its async code, in parts ---------------------------------
def test_a_large_file_past_its_budget_is_analysed_in_parts(tmp_path):
    from tests.pathological import data_module

    (tmp_path / "data.py").write_text(data_module(300_000))  # far more than 1 s of analysis whole
    (tmp_path / "good.py").write_text(SLEEPY)
    result = subprocess.run([str(SCRIPT), "--no-cache", "--file-timeout", "1", "data.py", "good.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "data.py:5:5: DJA101" in result.stdout and "good.py:5:5: DJA101" in result.stdout
    assert "DJA000" not in result.stdout
    assert "analysed in parts" in result.stderr
    # Besides the run summary ("Found N problems.", "[*] N fixable"): the note, at most one more line.
    notes = [line for line in result.stderr.splitlines() if not line.startswith(("Found ", "[*] "))]
    assert len(notes) <= 2, result.stderr


def test_parts_keep_the_file_rows(tmp_path):
    import ast

    from async_lint.slices import async_parts

    text = "import time\nfrom os import path\n\nDATA = [\n    1,\n]\n\n\n@decorated\nasync def view():\n    time.sleep(1)\n\n\ndef sync():\n    pass\n"
    [part] = async_parts(text, ast.parse(text))
    rows = part.text.splitlines()
    assert rows[:2] == ["import time", "from os import path"]
    sleep_row = next(i for i, row in enumerate(rows, start=1) if "time.sleep" in row)
    assert part.file_row(sleep_row) == 11 and part.file_row(1) is None
    assert "DATA" not in part.text and "def sync" not in part.text


def test_calls_on_the_deep_stack_share_one_thread_and_recurse_deep(tmp_path):
    """Every call runs on one long-lived thread with a deep stack (not a new
    thread a file); a call from another thread while it is busy gets a thread
    of its own; a forked worker starts its own; exceptions reach the caller."""
    import threading

    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    def where(_=None) -> int:
        return threading.get_ident()

    assert workers.call_with_deep_stack(depth, 20_000) == 20_000
    first = workers.call_with_deep_stack(where)
    assert first != threading.get_ident()
    assert workers.call_with_deep_stack(where) == first
    with pytest.raises(RecursionError):
        workers.call_with_deep_stack(depth, 10**6)
    assert workers.call_with_deep_stack(where) == first  # still serving after an error
    limit = sys.getrecursionlimit()

    # A call made from inside a call (the long-lived thread is busy): a thread of its own.
    def nested(_=None):
        return workers.call_with_deep_stack(where)

    inner = workers.call_with_deep_stack(nested)
    assert inner not in (first, threading.get_ident())
    assert sys.getrecursionlimit() == limit

    # A forked worker process has no such thread until it starts its own.
    pool = workers.WorkerPool(lambda n: (depth(n), os.getpid()), 1, 0)
    try:
        [(_, (result, pid))] = list(pool.map([20_000]))
    finally:
        pool.close()
    assert result == 20_000 and pid != os.getpid()


def _sleep_or_burn(item):
    what, seconds = item
    end = time.monotonic() + seconds
    if what == "sleep":
        time.sleep(seconds)
    else:
        while time.monotonic() < end:
            pass
    return what


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the budget reads /proc")
def test_the_budget_counts_a_workers_cpu_time_not_the_clocks():
    """A file whose worker waits longer than the budget (a busy machine) is
    not stopped before the wall-clock backstop; one that spins is stopped
    at its CPU budget, though the parent reads CPU times only every
    BUDGET_CHECK_SECONDS, not for every file."""
    from async_lint.workers import Failure, WorkerPool

    pool = WorkerPool(_sleep_or_burn, 2, 0.6)
    started = time.monotonic()
    try:
        outcomes = {item[0]: (outcome, time.monotonic() - started) for item, outcome in pool.map([("sleep", 1.5), ("burn", 30)])}
    finally:
        pool.close()
    assert outcomes["sleep"][0] == "sleep"
    burned, after = outcomes["burn"]
    assert isinstance(burned, Failure) and "longer than the 0.6 s budget" in burned.cause
    assert after < 5  # the CPU budget, not the 6 s wall-clock backstop


def test_small_files_without_the_rules_words_travel_in_batches_and_a_failed_batch_is_retried(tmp_path, monkeypatch):
    """Small files that need no full pass for their text go to a worker
    BATCH_FILES at a time; files with async code (and large ones) alone. A
    batch that fails is analysed again file by file, so only the bad file
    is lost, and the findings are those of file-by-file analysis."""
    root = tmp_path / "tree"
    root.mkdir()
    plain = file_pool.BATCH_FILES * 2 + 3
    for i in range(plain):
        (root / f"plain_{i}.py").write_text(f"def helper_{i}(x):\n    return x + {i}\n")
    (root / "bad.py").write_text("VALUE = 1\n")
    for i in range(3):
        (root / f"good_{i}.py").write_text(SLEEPY)
    (root / "large.py").write_text("VALUE = 2\n" + "\n" * file_pool.BATCH_MAX_BYTES)
    items = tmp_path / "items"
    real_each = workers._each

    def recording(function, item):
        with open(items, "a") as fh:
            fh.write(f"{len(item) if type(item) is workers.Batch else 'alone'}\n")
        return real_each(function, item)

    monkeypatch.setattr(workers, "_each", recording)
    monkeypatch.setattr(file_pool, "analyze_task", raising)
    batched = lint_paths([root], jobs=2)
    sizes = items.read_text().split()
    batches = [int(s) for s in sizes if s != "alone"]
    # The plain files and bad.py in batches (one fails on bad.py); the async
    # files and large.py alone, then each file of the failed batch alone.
    assert max(batches) == file_pool.BATCH_FILES and sum(batches) == plain + 1
    assert sizes.count("alone") - 4 in batches
    monkeypatch.setattr(file_pool, "BATCH_MAX_BYTES", 0)
    alone = lint_paths([root], jobs=2)
    assert names_and_codes(batched) == names_and_codes(alone)
    assert ("bad.py", "DJA000") in names_and_codes(batched) and "no such node" in dja000_message(batched)
    assert [code for name, code in names_and_codes(batched) if name.startswith("good_")] == ["DJA101"] * 3


def _where(task, settings):
    with open(os.environ["ASYNC_LINT_TEST_PIDS"], "a") as fh:
        fh.write(f"{os.getpid()}\n")
    return ANALYZE_TASK(task, settings)


@pytest.mark.parametrize(("padding", "processes"), [(0, 1), (file_pool.PARALLEL_BYTES, 2)])
def test_few_files_go_to_one_worker_unless_they_are_large(tmp_path, monkeypatch, padding, processes):
    """Three small files: one worker (starting a second costs more than it
    saves); three files of PARALLEL_BYTES in all: both workers."""
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(3):
        (root / f"view_{i}.py").write_text(SLEEPY + "# " + "x" * (padding // 3) + "\n")  # one comment line: cheap to parse
    pids = tmp_path / "pids"
    monkeypatch.setenv("ASYNC_LINT_TEST_PIDS", str(pids))
    monkeypatch.setattr(file_pool, "analyze_task", _where)
    findings = lint_paths([root], jobs=2)
    assert [code for _, code in names_and_codes(findings)] == ["DJA101"] * 3
    assert len(set(pids.read_text().split())) == processes
