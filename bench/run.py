"""Benchmark async-lint against ruff (and flake8-async) on real trees, and
check the project's speed and memory targets, all in one run.

    python bench/run.py [--saleor DIR] [--runs 3] [--jobs N]
    python bench/run.py --editor-only

Trees (each copied to a temporary folder, so neither the cache nor the edits
of the pre-commit scenario touch the original, with a ``pyproject.toml`` so
the copy is one project):

- Django's own source (the installed ``django`` package);
- the same tree without its files that contain ``async def`` (a project with
  no async code);
- saleor (``--saleor DIR``, a checkout of saleor/saleor), when given.

For each tree: async-lint cold (``--no-cache``) and ``ruff check --no-cache
--select ASYNC,RUF006``, the median wall time of ``--runs`` whole-process
runs; on Django's tree also warm (cache filled, nothing changed), the
pre-commit shape (5 files edited, only those named) and flake8-async when it
is installed (``pip install -e '.[bench]'``).  Memory is the peak of the
resident memory summed over async-lint's whole process tree (the main
process and its workers), sampled every 10 ms during one more cold run.
The Python tools run with their bytecode compiled and kept, as an installed
package has it, also where PYTHONDONTWRITEBYTECODE is set.
Then how cold time grows with the number of files (100, 200, 400, ... files
of Django's tree, the first ones in path order), and the editor's latency:
the language server's warm workspace linting the Django file nearest 2,700
lines after an edit (the typing pause is not counted).

Then the editor's latency: in a copy of the installed Django package, the
language server's warm workspace lints the file nearest 2,700 lines after an
edit (what ``async-lint server`` does once the typing pause has passed: the
debounce itself is not counted): a function appended (the target), and a
line typed inside a method of the file's largest class (reported beside it).

    python bench/run.py --pathological [--jobs N] [--file-timeout S]

Lints each pathological module of tests/pathological.py at its full sizes
(beside a small good file) and reports, per module: the wall time of the
run less the start-up of a run on the good file alone (the file's own
cost), the peak memory summed over the process and all its workers
(sampled from /proc), and whether the module was analysed or reported as
DJA000.  Targets: any single file within the time budget (a file of 64 KB
or more: twice it, its whole-file attempt and then its async parts), memory under
1 GB summed over processes.

Every figure is printed with its ratio to ruff on the same tree and whether
the target is met. The targets are never asserted in tests: a shared
machine's timings are not a test.
"""

from __future__ import annotations

import argparse
import os
import re
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
GROWTH_SIZES = (100, 200, 400)
ASYNC_DEF = re.compile(rb"\basync\s+def\b")
SAMPLE_SECONDS = 0.01


def run_once(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        sys.stderr.write(completed.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"failed: {' '.join(command)} (exit {completed.returncode})")
    return elapsed


def median_of(runs: int, command: list[str], cwd: str, before=None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        times.append(run_once(command, cwd))
    return statistics.median(times)


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    out, pending = [], [pid]
    while pending:
        current = pending.pop()
        out.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as fh:
                pending.extend(int(child) for child in fh.read().split())
        except OSError:
            continue
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def peak_tree_memory_mb(command: list[str], cwd: str) -> float | None:
    """The peak over time of the resident memory summed over the process and
    all its children (workers), sampled; None where /proc cannot tell."""
    if not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        return None
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, sum(_rss_kib(pid) for pid in _descendants(process.pid)))
        time.sleep(SAMPLE_SECONDS)
    return peak / 1024


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".async_lint_cache" not in p.parts)


def has_async(path: Path) -> bool:
    return ASYNC_DEF.search(path.read_bytes()) is not None


def pick_edited(files: list[Path]) -> list[Path]:
    """Five files spread over the tree, preferring ones with async code (the
    files a change to an async code base touches)."""
    with_async = [p for p in files if has_async(p)]
    pool = with_async if len(with_async) >= EDITED_FILES else files
    step = max(1, len(pool) // EDITED_FILES)
    return pool[::step][:EDITED_FILES]


def copy_tree(source: Path, work: Path, name: str, keep=None) -> Path:
    """A copy of ``source``'s Python files (those ``keep`` accepts) as one project."""
    tree = work / name / source.name
    for path in python_files(source):
        if keep is not None and not keep(path):
            continue
        target = tree / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (tree.parent / "pyproject.toml").touch()
    return tree


def django_source() -> Path:
    import django

    return Path(django.__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saleor", help="a checkout of saleor/saleor (its cold run and memory are targets)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--flake8-runs", type=int, default=1, help="flake8-async takes minutes on a large tree")
    parser.add_argument("--no-growth", action="store_true", help="skip the cold runs on 100/200/400 files")
    parser.add_argument("--editor-only", action="store_true", help="only the editor's diagnostics latency")
    parser.add_argument("--pathological", action="store_true", help="measure the pathological modules instead of a tree")
    parser.add_argument("--file-timeout", type=float, default=10.0, help="the time budget of one file (with --pathological)")
    args = parser.parse_args()
    if args.pathological:
        pathological(args.jobs, args.file_timeout)
        return
    if not args.editor_only:
        whole_runs(args)
        print()
    editor_latency(args.runs)


def editor_latency(runs: int) -> None:
    """Milliseconds from an edit to the diagnostics of the edited file, in a
    warm ``engine.Workspace`` (the language server's), on Django's own file
    nearest EDITOR_FILE_LINES lines, opened as the server opens it (a buffer);
    median of ``runs`` edits, at least 5."""
    import django

    from async_lint.config import folder_settings
    from async_lint.engine import Workspace
    from async_lint.source import tune_gc_for_parsing

    tune_gc_for_parsing()  # as `async-lint server` does (server.serve)

    work = Path(tempfile.mkdtemp(prefix="async-lint-editor-"))
    try:
        tree = work / "django"
        shutil.copytree(Path(django.__file__).parent, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "pyproject.toml").touch()
        target = min(python_files(tree), key=lambda p: abs(p.read_bytes().count(b"\n") - EDITOR_FILE_LINES))
        original = target.read_bytes()
        workspace = Workspace(str(work), folder_settings(str(work)), cache_dir=str(work / "cache"))
        start = time.perf_counter()
        # Opened: the server lints the editor's text of the file (didOpen), as a buffer.
        workspace.set_text(str(target), original)
        workspace.lint([str(target)])
        first = time.perf_counter() - start

        def timed(edits) -> tuple[float, float]:
            """Median wall and CPU milliseconds from an edit to its diagnostics."""
            times, cpu_times = [], []
            for edited in edits:
                start, cpu_start = time.perf_counter(), time.process_time()
                workspace.set_text(str(target), edited)
                result = workspace.lint([str(target)])
                times.append(time.perf_counter() - start)
                cpu_times.append(time.process_time() - cpu_start)
                assert result.files == [str(target)]
            # On a shared machine the wall time includes waiting for a core; the CPU time does not.
            return statistics.median(times) * 1000, statistics.median(cpu_times) * 1000

        count = max(runs, 5)
        # A new function at the end of the file, as typing adds one.
        appended = timed(original + f"\n\ndef _edited_{n}(request):\n    return {n}\n".encode() for n in range(count))
        # A line typed inside a method of the file's largest class (for
        # query.py, QuerySet: its whole class statement is parsed again).
        row, indent = _first_method_row(original)
        lines = original.splitlines(keepends=True)
        inside = timed(b"".join([*lines[: row - 1], f"{indent}_typed = {n}\n".encode(), *lines[row - 1 :]]) for n in range(count))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rel = target.relative_to(tree.parent)
    line_count = original.count(b"\n")
    print(f"Editor: {rel} ({line_count} lines), first lint {first * 1000:.0f} ms (the project index built), median of {count} edits:")
    print()
    print("| target | measured | met |")
    print("|---|---:|---|")
    print(f"| diagnostics after an edit, warm < {EDITOR_TARGET_MS:.0f} ms | {appended[0]:.0f} ms (CPU {appended[1]:.0f} ms) | {'yes' if appended[0] < EDITOR_TARGET_MS else 'NO'} |")
    print()
    print(f"A line typed inside a method of the file's largest class instead: {inside[0]:.0f} ms (CPU {inside[1]:.0f} ms).")


def _first_method_row(data: bytes) -> tuple[int, str]:
    """The row of the first statement in the first method of the largest
    top-level class, and its indentation."""
    import ast

    tree = ast.parse(data)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    largest = max(classes, key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    method = next(node for node in largest.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
    statement = method.body[0]
    line = data.splitlines()[statement.lineno - 1].decode("utf-8")
    return statement.lineno, line[: len(line) - len(line.lstrip())]


def with_bytecode(work: Path) -> None:
    """Let the Python tools measured here keep compiled bytecode (in a folder
    of ``work``), as an installed package has it: where PYTHONDONTWRITEBYTECODE
    is set, every run would compile async-lint's modules again (about 0.35
    CPU-s, more than ruff's whole run), a cost no user's install pays."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


class Bench:
    def __init__(self, args, work: Path):
        self.args = args
        self.work = work
        with_bytecode(work)
        self.lint = [sys.executable, "-m", "async_lint", "--format", "concise", "--exit-zero"]
        if args.jobs:
            self.lint += ["--jobs", str(args.jobs)]
        self.ruff = shutil.which("ruff") or shutil.which("ruff", path=os.path.dirname(sys.executable))
        flake8 = shutil.which("flake8", path=os.path.dirname(sys.executable)) or shutil.which("flake8")
        self.flake8 = flake8 if flake8 and _has_flake8_async(flake8) else None

    def cold(self, tree: Path) -> float:
        return median_of(self.args.runs, [*self.lint, "--no-cache", str(tree)], str(tree.parent))

    def ruff_cold(self, tree: Path) -> float | None:
        if not self.ruff:
            return None
        return median_of(self.args.runs, [self.ruff, "check", "--no-cache", "--exit-zero", "--select", "ASYNC,RUF006", str(tree)], str(tree.parent))

    def memory(self, tree: Path) -> float | None:
        return peak_tree_memory_mb([*self.lint, "--no-cache", str(tree)], str(tree.parent))


def _has_flake8_async(flake8: str) -> bool:
    completed = subprocess.run([flake8, "--version"], capture_output=True, text=True)
    return "flake8-async" in completed.stdout or "flake8_async" in completed.stdout


def ratio(seconds: float | None, base: float | None) -> float | None:
    return seconds / base if seconds is not None and base else None


def shown_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def whole_runs(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="async-lint-bench-"))
    bench = Bench(args, work)
    rows: list[tuple[str, float | None, float | None]] = []  # (run, seconds, ruff seconds on that tree)
    targets: list[tuple[str, str, float | None, float, str]] = []  # (run, figure, measured, limit, unit)
    try:
        django = copy_tree(django_source(), work, "full")
        files = python_files(django)
        async_files = [p for p in files if has_async(p)]
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        no_async = copy_tree(django_source(), work, "no-async", keep=lambda p: not has_async(p))
        no_async_files = python_files(no_async)

        ruff_django = bench.ruff_cold(django)
        # One run first, so that the measured ones find the bytecode compiled.
        run_once([*bench.lint, "--no-cache", *map(str, files[:50])], str(django.parent))
        cold = bench.cold(django)
        rows.append((f"Django cold ({len(files)} files, {len(async_files)} with async def)", cold, ruff_django))
        targets.append(("cold, Django's own tree", f"{cold:.2f} s", ratio(cold, ruff_django), 15.0, "x ruff"))

        cache = work / "cache"
        cached = [*bench.lint, "--cache-dir", str(cache)]
        run_once([*cached, str(django)], str(django.parent))  # fill the cache
        warm = median_of(args.runs, [*cached, str(django)], str(django.parent))
        rows.append(("Django warm (nothing changed)", warm, ruff_django))
        targets.append(("warm, nothing changed (Django)", f"{warm:.2f} s", ratio(warm, ruff_django), 2.0, "x ruff"))

        edited = pick_edited(files)
        originals = {p: p.read_bytes() for p in edited}
        counter = iter(range(10**6))

        def edit_files() -> None:
            # New content each time: a real cache miss for these 5 files only.
            marker = f"\n# edited {next(counter)}\n".encode()
            for path, data in originals.items():
                path.write_bytes(data + marker)

        precommit = median_of(args.runs, [*cached, *map(str, edited)], str(django.parent), before=edit_files)
        for path, data in originals.items():
            path.write_bytes(data)
        rows.append(("Django pre-commit shape (5 files edited and named, cache warm)", precommit, ruff_django))
        targets.append(("pre-commit shape, 5 files named, cache warm (Django)", f"{precommit:.2f} s", ratio(precommit, ruff_django), 4.0, "x ruff"))

        ruff_no_async = bench.ruff_cold(no_async)
        cold_no_async = bench.cold(no_async)
        rows.append((f"Django without its async files, cold ({len(no_async_files)} files, no async def)", cold_no_async, ruff_no_async))
        targets.append(("cold, a tree with no async def", f"{cold_no_async:.2f} s", ratio(cold_no_async, ruff_no_async), 5.0, "x ruff"))

        memory_django = bench.memory(django)
        if args.saleor:
            saleor = copy_tree(Path(args.saleor).resolve(), work, "saleor")
            saleor_files = python_files(saleor)
            ruff_saleor = bench.ruff_cold(saleor)
            cold_saleor = bench.cold(saleor)
            rows.append((f"saleor cold ({len(saleor_files)} files, {sum(map(has_async, saleor_files))} with async def)", cold_saleor, ruff_saleor))
            targets.append(("cold, saleor", f"{cold_saleor:.2f} s", ratio(cold_saleor, ruff_saleor), 10.0, "x ruff"))
            memory_saleor = bench.memory(saleor)
            targets.append(("peak memory, saleor cold, summed over all processes", "-" if memory_saleor is None else f"{memory_saleor:.0f} MB", memory_saleor, 300.0, "MB"))

        if bench.flake8 and args.flake8_runs > 0:
            flake8 = median_of(args.flake8_runs, [bench.flake8, "--select", "ASYNC", "--exit-zero", str(django)], str(django.parent))
            rows.append(("flake8-async on Django", flake8, ruff_django))

        growth = []
        if not args.no_growth:
            for size in (*[n for n in GROWTH_SIZES if n < len(files)], len(files)):
                chosen = set(files[:size])
                subset = django if size == len(files) else copy_tree(django, work, f"first-{size}", keep=chosen.__contains__)
                subset_files = python_files(subset)
                seconds = cold if size == len(files) else bench.cold(subset)
                ruff_seconds = ruff_django if size == len(files) else bench.ruff_cold(subset)
                growth.append((len(subset_files), sum(map(has_async, subset_files)), seconds, ruff_seconds))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"Django {django_version()} ({len(files)} files, {lines} lines); median of {args.runs} runs; jobs={args.jobs or os.cpu_count()}; ruff {tool_version(bench.ruff)}")
    print()
    print("| run | seconds | ruff on the same tree | ratio |")
    print("|---|---:|---:|---:|")
    for name, seconds, base in rows:
        print(f"| {name} | {seconds:.3f} | {'-' if base is None else f'{base:.3f}'} | {shown_ratio(ratio(seconds, base))} |")
    print()
    print(f"Peak memory, Django cold, summed over all processes: {'-' if memory_django is None else f'{memory_django:.0f} MB'}")
    print()
    print("| target | figure | measured | limit | met |")
    print("|---|---:|---:|---:|---|")
    for name, figure, measured, limit, unit in targets:
        value = "-" if measured is None else (f"{measured:.0f} MB" if unit == "MB" else f"{measured:.1f}x ruff")
        met = "-" if measured is None else ("yes" if measured <= limit else "NO")
        limit_text = f"{limit:.0f} MB" if unit == "MB" else f"{limit:.0f}x ruff"
        print(f"| {name} | {figure} | {value} | <= {limit_text} | {met} |")
    if growth:
        print()
        print("Cold time by tree size (the first files of Django's tree in path order):")
        print()
        print("| files | with async def | async-lint cold | ruff | ratio | seconds per 100 files |")
        print("|---:|---:|---:|---:|---:|---:|")
        for count, with_async, seconds, ruff_seconds in growth:
            print(f"| {count} | {with_async} | {seconds:.2f} | {'-' if ruff_seconds is None else f'{ruff_seconds:.2f}'} | {shown_ratio(ratio(seconds, ruff_seconds))} | {seconds / count * 100:.2f} |")


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
    from async_lint.file_analysis import IN_PARTS_MIN_BYTES
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
                print(
                    f"| {name} | {size} | {len(text.encode())} | {own:.2f} | {peak_mb:.0f} | {result} | {'yes' if own <= budget * 1.2 * (2 if len(text.encode()) >= IN_PARTS_MIN_BYTES else 1) else 'NO'} | {'yes' if peak_mb <= MEMORY_TARGET_MB else 'NO'} |",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


# The project's speed and memory targets: (label, run, baseline, limit).
TARGETS = (
    ("cold <= 0.1x flake8-async", "async-lint cold", "flake8", 0.1),
    ("cold <= 60x ruff cold", "async-lint cold", "ruff", 60.0),
    ("warm, no change <= 4x ruff cold", "async-lint warm", "ruff", 4.0),
    ("pre-commit shape <= 6x ruff cold", "async-lint pre-commit (5 files edited)", "ruff", 6.0),
)


def django_version() -> str:
    import django

    return django.get_version()


def tool_version(path: str | None) -> str:
    if not path:
        return "not installed"
    completed = subprocess.run([path, "--version"], capture_output=True, text=True)
    return completed.stdout.strip().rpartition(" ")[2] or "?"


if __name__ == "__main__":
    main()
