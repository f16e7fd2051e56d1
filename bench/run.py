"""Benchmark async-lint against ruff and flake8-async on one source tree.

    python bench/run.py DIRECTORY [--runs 5] [--jobs N]
    python bench/run.py --editor-only

Copies DIRECTORY to a temporary folder (so the cache and the edits of the
pre-commit scenario never touch the original), then reports the median
wall time of several whole-process runs of:

- async-lint cold (``--no-cache``),
- async-lint warm (cache filled, nothing changed),
- async-lint pre-commit shape (5 files edited, only those 5 given as paths),
- ``ruff check --no-cache --select ASYNC,RUF006`` and
  ``flake8 --select ASYNC`` (flake8-async), when installed,

as seconds and as ratios to ruff and flake8-async, plus async-lint's peak
memory (max RSS of the process and its workers).  It installs nothing.

Then the editor's latency: in a copy of the installed Django package, the
language server's warm workspace lints the file nearest 2,700 lines after an
edit (what ``async-lint server`` does once the typing pause has passed: the
debounce itself is not counted).

    python bench/run.py --pathological [--jobs N] [--file-timeout S]

Lints each pathological module of tests/pathological.py at its full sizes
(beside a small good file) and reports, per module: the wall time of the
run less the start-up of a run on the good file alone (the file's own
cost), the peak memory summed over the process and all its workers
(sampled from /proc), and whether the module was analysed or reported as
DJA000.  Targets: any single file within the time budget, memory under
1 GB summed over processes.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EDITED_FILES = 5
EDITOR_FILE_LINES = 2700
EDITOR_TARGET_MS = 150.0


def timed(command: list[str], cwd: str) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in KiB of the children so far)."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"failed: {' '.join(command)} (exit {completed.returncode})")
    return elapsed, completed.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def median_of(runs: int, command: list[str], cwd: str, before=None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        times.append(timed(command, cwd)[0])
    return statistics.median(times)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".async_lint_cache" not in p.parts)


def pick_edited(files: list[Path]) -> list[Path]:
    """Five files spread over the tree, preferring ones with async code (the
    files a change to an async code base touches)."""
    with_async = [p for p in files if "async def" in p.read_text(encoding="utf-8", errors="replace")]
    pool = with_async if len(with_async) >= EDITED_FILES else files
    step = max(1, len(pool) // EDITED_FILES)
    return pool[::step][:EDITED_FILES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--flake8-runs", type=int, default=1, help="flake8-async takes minutes on a large tree")
    parser.add_argument("--editor-only", action="store_true", help="only the editor's diagnostics latency")
    parser.add_argument("--pathological", action="store_true", help="measure the pathological modules instead of a tree")
    parser.add_argument("--file-timeout", type=float, default=10.0, help="the time budget of one file (with --pathological)")
    args = parser.parse_args()
    if args.pathological:
        pathological(args.jobs, args.file_timeout)
        return
    if not args.editor_only:
        if not args.directory:
            parser.error("a DIRECTORY to benchmark, or --editor-only or --pathological")
        whole_runs(args)
        print()
    editor_latency(args.runs)


def editor_latency(runs: int) -> None:
    """Milliseconds from an edit to the diagnostics of the edited file, in a
    warm ``engine.Workspace`` (the language server's), on Django's own file
    nearest EDITOR_FILE_LINES lines; median of ``runs`` edits."""
    import django

    from async_lint.config import folder_settings
    from async_lint.engine import Workspace

    work = Path(tempfile.mkdtemp(prefix="async-lint-editor-"))
    try:
        tree = work / "django"
        shutil.copytree(Path(django.__file__).parent, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "pyproject.toml").touch()
        target = min(python_files(tree), key=lambda p: abs(p.read_bytes().count(b"\n") - EDITOR_FILE_LINES))
        original = target.read_bytes()
        workspace = Workspace(str(work), folder_settings(str(work)), cache_dir=str(work / "cache"))
        start = time.perf_counter()
        workspace.lint([str(target)])
        first = time.perf_counter() - start
        times, cpu_times = [], []
        for n in range(max(runs, 3)):
            # A new function at the end of the file, as typing adds one.
            edited = original + f"\n\ndef _edited_{n}(request):\n    return {n}\n".encode()
            start, cpu_start = time.perf_counter(), time.process_time()
            workspace.set_text(str(target), edited)
            result = workspace.lint([str(target)])
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        assert result.files == [str(target)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    milliseconds = statistics.median(times) * 1000
    # On a shared machine the wall time includes waiting for a core; the CPU time does not.
    cpu_milliseconds = statistics.median(cpu_times) * 1000
    rel = target.relative_to(tree.parent)
    line_count = original.count(b"\n")
    print(f"Editor: {rel} ({line_count} lines), first lint {first * 1000:.0f} ms (the project index built), median of {len(times)} edits:")
    print()
    print("| target | measured | met |")
    print("|---|---:|---|")
    print(f"| diagnostics after an edit, warm < {EDITOR_TARGET_MS:.0f} ms | {milliseconds:.0f} ms (CPU {cpu_milliseconds:.0f} ms) | {'yes' if milliseconds < EDITOR_TARGET_MS else 'NO'} |")


def whole_runs(args) -> None:

    source = Path(args.directory).resolve()
    work = Path(tempfile.mkdtemp(prefix="async-lint-bench-"))
    tree = work / source.name
    shutil.copytree(source, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # A project root marker, so the copy is one project (like a checkout).
    (tree / "pyproject.toml").touch()
    files = python_files(tree)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    cache = work / "cache"
    lint = [sys.executable, "-m", "async_lint", "--format", "concise", "--exit-zero"]
    if args.jobs:
        lint += ["--jobs", str(args.jobs)]
    edited = pick_edited(files)
    originals = {p: p.read_bytes() for p in edited}
    counter = iter(range(10**6))

    def edit_files() -> None:
        # New content each time: a real cache miss for these 5 files only.
        marker = f"\n# edited {next(counter)}\n".encode()
        for path, data in originals.items():
            path.write_bytes(data + marker)

    results: dict[str, float] = {}
    try:
        results["async-lint cold"] = median_of(args.runs, [*lint, "--no-cache", str(tree)], str(work))
        timed([*lint, "--cache-dir", str(cache), str(tree)], str(work))  # fill the cache
        results["async-lint warm"] = median_of(args.runs, [*lint, "--cache-dir", str(cache), str(tree)], str(work))
        precommit = [*lint, "--cache-dir", str(cache), *map(str, edited)]
        results["async-lint pre-commit (5 files edited)"] = median_of(args.runs, precommit, str(work), before=edit_files)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ruff = shutil.which("ruff")
        if ruff:
            results["ruff cold"] = median_of(args.runs, [ruff, "check", "--no-cache", "--exit-zero", "--select", "ASYNC,RUF006", str(tree)], str(work))
        flake8 = shutil.which("flake8") or (shutil.which("flake8", path=os.path.dirname(sys.executable)))
        if flake8 and args.flake8_runs > 0:
            results["flake8-async"] = median_of(args.flake8_runs, [flake8, "--select", "ASYNC", "--exit-zero", str(tree)], str(work))
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        shutil.rmtree(work, ignore_errors=True)

    ruff_time = results.get("ruff cold")
    flake8_time = results.get("flake8-async")
    print(f"Tree: {source} ({len(files)} files, {lines} lines), median of {args.runs} runs, jobs={args.jobs or os.cpu_count()}")
    print()
    print("| run | seconds | vs ruff cold | vs flake8-async |")
    print("|---|---:|---:|---:|")
    for name, seconds in results.items():
        vs_ruff = f"{seconds / ruff_time:.1f}x" if ruff_time else "-"
        vs_flake8 = f"{seconds / flake8_time:.2f}x" if flake8_time else "-"
        print(f"| {name} | {seconds:.3f} | {vs_ruff} | {vs_flake8} |")
    print()
    peak_mb = peak_kib / 1024
    print(f"Peak memory of one async-lint process (max RSS): {peak_mb:.0f} MB")
    print()
    print("| target | measured | met |")
    print("|---|---:|---|")
    for label, measured, limit in _targets(results, ruff_time, flake8_time, peak_mb):
        shown = "-" if measured is None else (f"{measured:.0f} MB" if label.startswith("peak") else f"{measured:.2f}x")
        met = "-" if measured is None else ("yes" if measured <= limit else "NO")
        print(f"| {label} | {shown} | {met} |")


# -- pathological modules ------------------------------------------------------------------
MEMORY_TARGET_MB = 1024
GOOD = "import time\n\n\nasync def good(request):\n    time.sleep(2)\n"


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    tree, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in tree)


def measured_run(command: list[str], cwd: str) -> tuple[float, float, str]:
    """(seconds, peak MB summed over the process tree, stdout) of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0
    output: list[bytes] = []
    import threading

    reader = threading.Thread(target=lambda: output.append(process.stdout.read()))
    reader.start()
    while process.poll() is None:
        peak = max(peak, _tree_rss_kib(process.pid))
        time.sleep(0.05)
    reader.join()
    return time.perf_counter() - start, peak / 1024, b"".join(output).decode(errors="replace")


def pathological(jobs: int | None, budget: float) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pathological import CASES

    work = Path(tempfile.mkdtemp(prefix="async-lint-stress-"))
    lint = [sys.executable, "-m", "async_lint", "--no-cache", "--format", "concise", "--file-timeout", str(budget)]
    if jobs:
        lint += ["--jobs", str(jobs)]
    try:
        (work / "good.py").write_text(GOOD)
        startup = min(measured_run([*lint, "good.py"], str(work))[0] for _ in range(3))
        print(f"Pathological modules beside a good file; budget {budget:g} s a file; start-up {startup:.2f} s (subtracted)")
        print()
        print("| module | size | bytes | file seconds | peak MB (all processes) | result | within budget | memory <= 1 GB |")
        print("|---|---:|---:|---:|---:|---|---|---|")
        for name, (generate, _, sizes) in sorted(CASES.items()):
            for size in sizes:
                text = generate(size)
                (work / "bad.py").write_text(text)
                seconds, peak_mb, output = measured_run([*lint, "bad.py", "good.py"], str(work))
                bad = [line for line in output.splitlines() if line.startswith("bad.py:")]
                result = "DJA000: " + bad[0].split("Cannot analyse this file: ", 1)[-1][:60] if any(" DJA000 " in line for line in bad) else f"{len(bad)} findings"
                if not any(line.startswith("good.py:") for line in output.splitlines()):
                    result += "; GOOD FILE LOST"
                own = max(0.0, seconds - startup)
                print(f"| {name} | {size} | {len(text.encode())} | {own:.2f} | {peak_mb:.0f} | {result} | {'yes' if own <= budget * 1.2 else 'NO'} | {'yes' if peak_mb <= MEMORY_TARGET_MB else 'NO'} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# The project's speed and memory targets: (label, run, baseline, limit).
TARGETS = (
    ("cold <= 0.1x flake8-async", "async-lint cold", "flake8", 0.1),
    ("cold <= 60x ruff cold", "async-lint cold", "ruff", 60.0),
    ("warm, no change <= 4x ruff cold", "async-lint warm", "ruff", 4.0),
    ("pre-commit shape <= 6x ruff cold", "async-lint pre-commit (5 files edited)", "ruff", 6.0),
)


def _targets(results: dict[str, float], ruff_time: float | None, flake8_time: float | None, peak_mb: float):
    for label, run, baseline, limit in TARGETS:
        base = ruff_time if baseline == "ruff" else flake8_time
        measured = results[run] / base if base and run in results else None
        yield label, measured, limit
    yield "peak memory <= 500 MB", peak_mb, 500.0


if __name__ == "__main__":
    main()
