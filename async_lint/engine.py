"""Orchestration: discover, parse and check each file (in worker processes),
join the module summaries into the project index, suppress, and return
findings in a stable order.

The flow of ``run``:

1. The files to report on are the ones under the given paths; the project
   (found upwards from them, see project.py) is every file under its root.
2. Each file to report on is read and hashed; a cache hit gives its local
   findings, facts and summary.  Misses go to worker processes.  A file whose
   text shows that no enabled check can report anything in it (no ``async``
   in a module, for the rules that only fire on the event loop) is only
   syntax-checked: its summary is computed later if the index needs it.
3. The project index follows the calls made on the event loop into other
   modules; the summaries it lacks are computed (or read from the cache) in
   rounds until nothing is missing.  DJA4xx and cross-module DJA302 come from
   the index on every run (cheap), so they always reflect the current helpers.
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from async_lint.catalog import catalog
from async_lint.discovery import Discovery, discover, display_path
from async_lint.findings import Edit, Finding, Fix
from async_lint.project import (
    ModuleLocator,
    ModuleNamer,
    conftest_opt_outs,
    find_project_root,
    import_roots,
    relative_display,
    sets_allow_async_unsafe,
)
from async_lint.settings import Settings
from async_lint.source import TOO_DEEP, SourceError, SourceFile, decode_source, parse_source, python_parse, read_source
from async_lint.suppress import is_suppressed

# Below this many files, worker processes cost more than they save.
PARALLEL_THRESHOLD = 16
# Rules computed from the project index rather than in a file's traversal.
PROJECT_INDEX_CODES = frozenset({"DJA302", "DJA401", "DJA402", "DJA403", "DJA404"})
ORM_CODE_PREFIX = "DJA2"


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    # Per-file facts the run summary reports (e.g. "skipped: DJANGO_ALLOW_ASYNC_UNSAFE").
    notes: list[str] = field(default_factory=list)
    # Facts for project-wide checks: {"kind": ..., "line": ..., **data}.
    facts: list[dict] = field(default_factory=list)
    # The module summary for the project index (summary.py); None when the
    # file was only syntax-checked or could not be parsed.
    summary: dict | None = None
    # True when only a syntax check ran (no enabled check can report here).
    light: bool = False
    # The file's own text asks for a full pass (the prefilter matched): its
    # calls in sync code are resolved by the project index.
    hinted: bool = False
    # Fact kinds that, once recorded by any file of the run, make this file
    # worth a full pass (``Check.text_hints_after_fact``).
    waits_for: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    files: list[str]
    findings: list[Finding]
    notes: dict[str, list[str]] = field(default_factory=dict)
    root: str | None = None
    cache_hits: int = 0
    cache_misses: int = 0
    # The project index the run built (None when no project-index rule is
    # enabled), and the files whose ORM rules are opted out (path -> where).
    index: Any = None
    orm_opt_outs: dict[str, str] = field(default_factory=dict)
    # Command-line paths that do not exist, and named files that are not
    # Python, each with the reason (see discovery.Discovery).
    missing: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _level(code: str) -> str:
    rule = catalog().get(code)
    return rule.level if rule else "error"


def _op_level(code: str) -> str:
    """The level of a blocking operation's rule (for DJA401's level), with
    RULES.md's family defaults for codes the catalog does not list yet."""
    rule = catalog().get(code)
    if rule is not None:
        return rule.level
    return "warning" if code.startswith("DJA1") or code == "DJA207" else "error"


@functools.lru_cache(maxsize=None)
def checked_codes(enabled: frozenset[str]) -> frozenset[str]:
    """The codes whose checks must run: the enabled ones, and with DJA401 the
    blocking rules (DJA1xx/DJA2xx) too, whose operations in sync functions
    make its chains (their own findings stay filtered by ``enabled``)."""
    if "DJA401" not in enabled:
        return enabled
    return enabled | {code for code in catalog() if code.startswith(("DJA1", ORM_CODE_PREFIX))}


def parse_error_finding(path: str, error: SourceError) -> Finding:
    return Finding(
        path=path,
        code="DJA000",
        message=f"Cannot analyse this file: {error.message}",
        line=error.line,
        column=error.column,
        end_line=error.line,
        end_column=error.column,
        level=_level("DJA000"),
    )


# -- one file -----------------------------------------------------------------------------
def analyze_source(
    path: str,
    source: SourceFile,
    settings: Settings,
    *,
    module_name: str | None = None,
    is_package: bool = False,
    index=None,
    standalone: bool = True,
) -> FileResult:
    """Parse once, run every enabled check in one traversal, apply noqa.

    ``standalone``: the file is its own project (the project-index rules are
    computed over this one module and added); ``run`` passes False and
    computes them over the whole project."""
    # Imported here so that a run served wholly from a cache never loads libcst.
    from async_lint.analysis.context import FileContext
    from async_lint.checks import checks_for
    from async_lint.positions import resolve_positions
    from async_lint.summary import SummaryCollector, build_summary, position_nodes
    from async_lint.traversal import FileTraversal
    from async_lint.walk import walk

    result = FileResult(path)
    try:
        module = parse_source(source)
    except SourceError as exc:
        result.findings.append(parse_error_finding(path, exc))
        return result

    ctx = FileContext(
        path=path,
        module=module,
        source=source,
        module_name=module_name,
        is_package=is_package,
        settings=settings,
        index=index,
        enabled=settings.enabled,
    )
    checks = [cls(ctx) for cls in checks_for(checked_codes(settings.enabled))]
    collector = SummaryCollector(ctx)
    traversal = FileTraversal(ctx, [*checks, collector])
    try:
        walk(module, traversal.on_visit, traversal.on_leave, traversal)
    except RecursionError:
        result.findings.append(parse_error_finding(path, SourceError(TOO_DEEP)))
        return result
    for crash in traversal.crashes:
        result.findings.append(
            Finding(path, "DJA000", f"Internal error in async-lint ({crash}); other rules still ran on this file", 1, 1, 1, 1, _level("DJA000"))
        )

    ops = [op for function in ctx.functions for op in function.ops]
    positions = None
    wanted = [*(op.node for op in ops), *position_nodes(collector), *(fact.node for fact in ctx.facts if fact.node is not None)]
    if ctx.reports or wanted:
        positions = resolve_positions(module, source.text, wanted, collector.call_ordinals, exact=bool(ctx.reports), tree=source.python_tree)
    for fact in ctx.facts:
        record = {"kind": fact.kind, **fact.data}
        where = positions.get(fact.node) if positions is not None and fact.node is not None else None
        if where is not None:
            record.update(line=where.start.line, column=where.start.column + 1, end_line=where.end.line, end_column=where.end.column + 1)
        result.facts.append(record)
    lines = source.lines
    if positions is not None:
        # Fixes arrive as node replacements; they become text edits here.
        from async_lint.fixes import FixResolver

        fixes = FixResolver(module, source.text)
        for op in ops:
            where = positions.get(op.node)
            if where is not None:
                op.line, op.column = where.start.line, where.start.column + 1
        for report in ctx.reports:
            where = positions.get(report.node)
            if where is None:
                continue
            start, end = where.start, where.end
            noqa_row = is_suppressed(report.code, lines, start.line, end.line)
            if noqa_row is not None:
                continue
            result.findings.append(
                Finding(
                    path=path,
                    code=report.code,
                    message=report.message,
                    line=start.line,
                    column=start.column + 1,
                    end_line=end.line,
                    end_column=end.column + 1,
                    level=_level(report.code),
                    fix=fixes.resolve(report.fix),
                    extra=report.extra,
                )
            )
    summary = build_summary(ctx, collector, positions)
    summary["handoffs"] = [f for f in result.facts if f["kind"] == "handoff"]
    result.facts = [f for f in result.facts if f["kind"] != "handoff"]
    summary["noqa"] = {str(n): line for n, line in enumerate(lines, start=1) if "noqa" in line.lower()}
    result.summary = summary
    if standalone and settings.enabled & PROJECT_INDEX_CODES:
        from async_lint.index import ProjectIndex

        project = ProjectIndex({path: summary}, level_of=_op_level, display=os.path.basename)
        orm_opt_out = sets_allow_async_unsafe(source.text)
        result.findings.extend(_project_findings(project, path, settings, orm_opt_out))
        result.findings.sort(key=lambda f: f.sort_key)
    return result


class _NoqaLines:
    """The ``lines`` that ``is_suppressed`` reads, from a summary's noqa lines only."""

    def __init__(self, noqa: dict[str, str]):
        self.noqa = noqa

    def __len__(self) -> int:
        return sys.maxsize

    def __getitem__(self, index: int) -> str:
        return self.noqa.get(str(index + 1), "")


def _project_findings(index, path: str, settings: Settings, orm_opt_out: bool) -> list[Finding]:
    summary = index.by_path[path]
    lines = _NoqaLines(summary.get("noqa", {}))
    out = []
    for raw in index.findings_for(path, orm_opt_out=orm_opt_out):
        if raw["code"] not in settings.enabled:
            continue
        if is_suppressed(raw["code"], lines, raw["line"], raw["end_line"]) is not None:
            continue
        fix = raw.get("fix")
        if fix is not None:
            raw = {**raw, "fix": Fix(fix["message"], fix["applicability"], tuple(Edit(*edit) for edit in fix["edits"]))}
        out.append(Finding(path=path, **raw))
    return out


# -- text prefilter ---------------------------------------------------------------------------
# Code runs on the event loop only inside an ``async def`` (``async for``/``with``
# and ``await`` cannot appear elsewhere).
ASYNC_DEF_HINT = r"\basync\s+def\b"


def _check_hints(check_class) -> tuple[str, ...] | None:
    """Regular expressions one of which a file's text must match for this check
    to report or record anything in it; None: any file.  Checks declare
    ``text_hints``; checks of only DJA1xx/DJA2xx codes that declare nothing
    report through ``ctx.report_blocking``, which reports only on the event
    loop, so only in files with an ``async def``."""
    from async_lint.checks.base import Check

    for klass in type.mro(check_class):
        if klass is Check:
            break
        if "text_hints" in vars(klass):
            return vars(klass)["text_hints"]
    if check_class.codes and all(code.startswith(("DJA1", "DJA2")) for code in check_class.codes):
        return (ASYNC_DEF_HINT,)
    return None


@functools.lru_cache(maxsize=None)
def _prefilter(enabled: frozenset[str]):
    """One compiled pattern for the enabled checks' hints; None: every file needs a full pass."""
    from async_lint.checks import checks_for

    patterns = []
    for check_class in checks_for(enabled):
        hints = _check_hints(check_class)
        if hints is None:
            return None
        patterns.extend(p for p in hints if p not in patterns)
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else re.compile(r"(?!x)x")


def _needs_full_pass(text: str, settings: Settings) -> bool:
    if settings.extra_async_contexts:
        return True
    pattern = _prefilter(checked_codes(settings.enabled))
    return pattern is None or pattern.search(text) is not None


@functools.lru_cache(maxsize=None)
def _after_fact_hints(enabled: frozenset[str]) -> tuple[tuple[str, re.Pattern], ...]:
    """(fact kind, compiled hints) of the enabled checks that wait for a fact."""
    from async_lint.checks import checks_for

    return tuple((c.text_hints_after_fact[0], re.compile("|".join(f"(?:{p})" for p in c.text_hints_after_fact[1]))) for c in checks_for(enabled) if c.text_hints_after_fact)


def _waited_facts(text: str, settings: Settings) -> list[str]:
    return sorted({kind for kind, pattern in _after_fact_hints(checked_codes(settings.enabled)) if pattern.search(text)})


def _syntax_ok(text: str, path: str) -> bool:
    """CPython's own parser: several times faster than a full libcst parse."""
    try:
        _tree, error = python_parse(text)
    except SourceError:
        return False
    return error is None


# -- workers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileTask:
    path: str
    data: bytes | None
    module_name: str | None
    is_package: bool
    full: bool  # False: a syntax check suffices when the prefilter says so


def _analyze_task(task: FileTask, settings: Settings) -> FileResult:
    try:
        source = decode_source(task.path, task.data) if task.data is not None else read_source(task.path)
    except SourceError as exc:
        result = FileResult(task.path)
        result.findings.append(parse_error_finding(task.path, exc))
        return result
    hinted = _needs_full_pass(source.text, settings)
    waits_for = _waited_facts(source.text, settings)
    if not task.full and not hinted and _syntax_ok(source.text, task.path):
        return FileResult(task.path, light=True, hinted=hinted, waits_for=waits_for)
    try:
        result = analyze_source(task.path, source, settings, module_name=task.module_name, is_package=task.is_package, standalone=False)
    except RecursionError:  # deep trees in a check or in position metadata
        result = FileResult(task.path)
        result.findings.append(parse_error_finding(task.path, SourceError(TOO_DEEP)))
    result.hinted, result.waits_for = hinted, waits_for
    return result


def _analyze_batch(args: tuple[list[FileTask], Settings]) -> list[FileResult]:
    tasks, settings = args
    return [_analyze_task(task, settings) for task in tasks]


def analyze_path(path: str, settings: Settings, source: SourceFile | None = None) -> FileResult:
    """One file as its own project (``source``: its text, else read from disk)."""
    try:
        source = source if source is not None else read_source(path)
    except SourceError as exc:
        result = FileResult(path)
        result.findings.append(parse_error_finding(path, exc))
        return result
    try:
        return analyze_source(path, source, settings)
    except RecursionError:  # deep trees in a check or in position metadata
        result = FileResult(path)
        result.findings.append(parse_error_finding(path, SourceError(TOO_DEEP)))
        return result


def _pool_context():
    # fork is cheap and inherits the imported engine; elsewhere use the default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class _Workers:
    """A process pool started on first need and kept for the run's later rounds."""

    def __init__(self, settings: Settings, on_file_done: Callable[[int, int], None] | None = None):
        self.settings = settings
        self.pool: ProcessPoolExecutor | None = None
        # ``on_file_done(done, total)``, called in this process as files finish
        # (after each batch when workers run them), e.g. to draw a progress bar.
        self.on_file_done = on_file_done
        self.done = 0
        self.total = 0

    def _progress(self, count: int) -> None:
        self.done += count
        if self.on_file_done is not None:
            self.on_file_done(self.done, self.total)

    def run(self, tasks: list[FileTask]) -> list[FileResult]:
        settings = self.settings
        self.total += len(tasks)
        jobs = max(1, settings.jobs)
        if jobs == 1 or len(tasks) < PARALLEL_THRESHOLD:
            results = []
            for task in tasks:
                results.append(_analyze_task(task, settings))
                self._progress(1)
            return results
        # Biggest files first, interleaved over batches, so that the workers finish together.
        batch_count = min(len(tasks), jobs * 4)
        ordered = sorted(tasks, key=lambda t: -len(t.data or b""))
        batches = [ordered[i::batch_count] for i in range(batch_count)]
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context())
        results: list[FileResult] = []
        try:
            for batch in self.pool.map(_analyze_batch, [(b, settings) for b in batches]):
                results.extend(batch)
                self._progress(len(batch))
        except BrokenProcessPool:
            # A worker died (a crash in native code, the OOM killer): every file
            # not yet reported is analysed again, each in a process of its own, so
            # the one that kills its process becomes a DJA000 and the rest are kept.
            self.pool = None
            done = {result.path for result in results}
            for task in ordered:
                if task.path not in done:
                    results.append(_analyze_isolated(task, settings))
                    self._progress(1)
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None


def _analyze_isolated(task: FileTask, settings: Settings) -> FileResult:
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=_pool_context()) as pool:
            return pool.submit(_analyze_task, task, settings).result()
    except BrokenProcessPool:
        result = FileResult(task.path)
        error = SourceError("async-lint's worker process died while analysing this file (a crash in the parser?); the other files were analysed")
        result.findings.append(parse_error_finding(task.path, error))
        return result


def _run_tasks(tasks: list[FileTask], settings: Settings, on_file_done: Callable[[int, int], None] | None = None) -> list[FileResult]:
    workers = _Workers(settings, on_file_done)
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


# -- cache entries ----------------------------------------------------------------------------------
def _finding_record(finding: Finding) -> dict:
    record = asdict(finding)
    del record["path"]
    return record


def _finding_from_record(path: str, record: dict) -> Finding:
    fix = record.get("fix")
    if fix is not None:
        fix = Fix(fix["message"], fix["applicability"], tuple(Edit(**edit) for edit in fix["edits"]))
    return Finding(path=path, **{**record, "fix": fix})


def _entry(result: FileResult) -> dict:
    return {
        "findings": [_finding_record(f) for f in result.findings],
        "facts": result.facts,
        "notes": result.notes,
        "summary": result.summary,
        "light": result.light,
        "hinted": result.hinted,
        "waits_for": result.waits_for,
    }


def _result_from_entry(path: str, entry: dict) -> FileResult | None:
    try:
        return FileResult(
            path=path,
            findings=[_finding_from_record(path, r) for r in entry["findings"]],
            facts=list(entry.get("facts") or []),
            notes=list(entry.get("notes") or []),
            summary=entry.get("summary"),
            light=bool(entry.get("light")),
            hinted=bool(entry.get("hinted")),
            waits_for=[str(kind) for kind in entry.get("waits_for") or ()],
        )
    except (KeyError, TypeError, ValueError):
        return None


# -- the run ---------------------------------------------------------------------------------------------
class _Analyzer:
    """Reads, hashes, serves from the cache or analyses project files on request."""

    def __init__(self, settings: Settings, namer: ModuleNamer, cache, on_file_done: Callable[[int, int], None] | None = None, texts: dict[str, bytes] | None = None):
        self.settings = settings
        self.namer = namer
        self.cache = cache
        self.fingerprint = settings.fingerprint()
        self.results: dict[str, FileResult] = {}
        self.texts: dict[str, bytes] = {}
        # Texts that stand in for files on disk (stdin, an editor's buffers).
        self.overrides: dict[str, bytes] = dict(texts or {})
        self.hits = 0
        self.misses = 0
        self.workers = _Workers(settings, on_file_done)

    def load(self, paths: list[str], full: bool) -> None:
        from async_lint.cache import content_digest, entry_key

        tasks: list[FileTask] = []
        keys: dict[str, str] = {}
        for path in paths:
            known = self.results.get(path)
            if known is not None and (not full or not known.light):
                continue
            data = self.overrides.get(path)
            if data is None:
                try:
                    with open(path, "rb") as fh:
                        data = fh.read()
                except OSError as exc:
                    self.results[path] = FileResult(path, [parse_error_finding(path, SourceError(f"cannot read file: {exc.strerror or exc}"))])
                    continue
            self.texts[path] = data
            module_name, is_package = self.namer.module_name(path)
            if self.cache is not None:
                key = entry_key(content_digest(data), self.fingerprint, module_name, is_package)
                entry = self.cache.get(key)
                if entry is not None and (not full or not entry.get("light")):
                    result = _result_from_entry(path, entry)
                    if result is not None:
                        self.results[path] = result
                        self.hits += 1
                        continue
                # Texts not on disk are not stored: an editor's every keystroke would fill the cache.
                if path not in self.overrides:
                    keys[path] = key
                self.misses += 1
            tasks.append(FileTask(path, data, module_name, is_package, full))
        for result in self.workers.run(tasks):
            self.results[result.path] = result
            if self.cache is not None and result.path in keys:
                self.cache.put(keys[result.path], _entry(result))

    def store(self, path: str) -> None:
        """Cache ``path``'s result when the file on disk is the text it is of
        (an editor's buffer, once saved)."""
        from async_lint.cache import content_digest, entry_key

        result, data = self.results.get(path), self.texts.get(path)
        if self.cache is None or result is None or data is None:
            return
        try:
            with open(path, "rb") as fh:
                if fh.read() != data:
                    return
        except OSError:
            return
        module_name, is_package = self.namer.module_name(path)
        self.cache.put(entry_key(content_digest(data), self.fingerprint, module_name, is_package), _entry(result))

    def set_text(self, path: str, data: bytes | None) -> bool:
        """Let ``data`` stand in for the file (None: the file on disk again);
        its result is recomputed when next asked for.  False: nothing changed."""
        if data is not None and self.overrides.get(path) == data and path in self.results:
            return False
        if data is None:
            self.overrides.pop(path, None)
        else:
            self.overrides[path] = data
        self.results.pop(path, None)
        self.texts.pop(path, None)
        return True


def run(
    paths: list[str],
    settings: Settings,
    on_file_done: Callable[[int, int], None] | None = None,
    *,
    cache_dir: str | None = None,
    use_cache: bool = False,
    texts: dict[str, bytes] | None = None,
) -> RunResult:
    """Lint ``paths``; the project around them is indexed so that calls into
    other modules are followed.  ``use_cache``: keep per-file results in
    ``cache_dir`` (default: ``.async_lint_cache`` at the project root).
    ``texts``: path -> content linted instead of that file's content on disk
    (the file need not exist: stdin given a file name); each is linted as a
    file of the project its path is in, and the other files see it so."""
    texts = {os.path.abspath(path): data for path, data in (texts or {}).items()}
    on_disk = [p for p in paths if os.path.abspath(p) not in texts]
    discovery = discover(on_disk, exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, root=settings.root) if on_disk else Discovery()
    targets = [*discovery.files, *(p for p in texts if p not in discovery.files)]
    root = find_project_root(paths)
    cache = None
    if use_cache:
        from async_lint.cache import CACHE_DIR_NAME, ResultCache

        cache = ResultCache(cache_dir or os.path.join(root, CACHE_DIR_NAME))
    namer = ModuleNamer(root)
    settings = _with_model_table(settings, root, namer, cache, discovery.files, paths)
    analyzer = _Analyzer(settings, namer, cache, on_file_done, texts)
    return _lint_targets(analyzer, targets, paths, root, settings, cache, discovery)



class Workspace:
    """A project kept warm between lints (a language server's): every file's
    result and summary stays in memory, so linting again after an edit
    analyses only the edited file (and any module it now reaches) and
    recomputes the project-index findings of the files asked for.  Editor
    buffers stand in for files on disk; results of files read from disk go
    to the same on-disk cache as the command line's."""

    def __init__(self, root: str, settings: Settings, *, cache_dir: str | None = None, use_cache: bool = True):
        self.root = root
        self.settings = settings
        self.cache = None
        if use_cache:
            from async_lint.cache import CACHE_DIR_NAME, ResultCache

            self.cache = ResultCache(cache_dir or os.path.join(root, CACHE_DIR_NAME))
        namer = ModuleNamer(root)
        # The model table of the whole project, as a command-line run builds it.
        self.settings = settings = _with_model_table(settings, root, namer, self.cache, [], [])
        self.analyzer = _Analyzer(settings, namer, self.cache)

    def set_text(self, path: str, data: bytes | None) -> bool:
        """An editor's text for ``path`` (None: the file on disk, e.g. once
        saved or closed).  False when it is the text already linted."""
        return self.analyzer.set_text(os.path.abspath(path), data)

    def saved(self, path: str) -> None:
        """The editor saved ``path``: its result is kept in the on-disk cache,
        so the next command-line run (a pre-commit hook) starts warm."""
        self.analyzer.store(os.path.abspath(path))

    def text(self, path: str) -> bytes | None:
        """The content last linted for ``path``."""
        return self.analyzer.texts.get(os.path.abspath(path))

    def lint(self, paths: list[str]) -> RunResult:
        """The findings of these files (absolute paths, as editors name them)."""
        paths = [os.path.abspath(p) for p in paths]
        # The project-wide checks' cache is keyed by all facts: a new entry at
        # each keystroke, so a warm workspace recomputes them instead.
        return _lint_targets(self.analyzer, paths, paths, self.root, self.settings, None, Discovery())


def _lint_targets(analyzer: "_Analyzer", targets: list[str], paths: list[str], root: str, settings: Settings, cache, discovery: Discovery) -> RunResult:
    try:
        analyzer.load(targets, full=False)
        # Before the index: modules loaded for facts bring summaries it uses.
        _load_fact_dependencies(analyzer, targets, root, settings)
        index = _build_index(analyzer, targets, paths, root, settings) if settings.enabled & PROJECT_INDEX_CODES else None
    finally:
        analyzer.workers.close()

    findings: list[Finding] = []
    notes: dict[str, list[str]] = {}
    facts: dict[str, list[dict]] = {}
    for path, reason in discovery.unreadable:
        findings.append(Finding(path, "DJA000", f"Cannot analyse this path: {reason}", 1, 1, 1, 1, _level("DJA000")))
    opt_outs = _orm_opt_outs(targets, analyzer, root)
    for path in targets:
        result = analyzer.results[path]
        opt_out = opt_outs.get(path)
        local = [f for f in result.findings if f.code in settings.enabled]
        if opt_out is not None:
            local = [f for f in local if not f.code.startswith(ORM_CODE_PREFIX)]
            notes.setdefault(path, []).append(f"ORM rules skipped: DJANGO_ALLOW_ASYNC_UNSAFE is set in {relative_display(opt_out, root)}")
        findings.extend(local)
        if result.notes:
            notes.setdefault(path, []).extend(result.notes)
        if result.facts:
            facts[path] = result.facts
        if index is not None and result.summary is not None and path in index.by_path:
            findings.extend(_project_findings(index, path, settings, orm_opt_out=opt_out is not None))
    # Facts of the other project modules analysed for this run (reached by a
    # call chain or named by a fact) inform the project-wide checks too.
    for path, result in analyzer.results.items():
        if path not in facts and result.facts:
            facts[path] = result.facts
    reported = set(targets)
    for finding in _project_check_findings(settings, facts, cache):
        if finding.code in settings.enabled and finding.path in reported and not _noqa_suppressed(finding, analyzer):
            findings.append(finding)
    findings.sort(key=lambda f: f.sort_key)
    return RunResult(
        files=targets,
        findings=findings,
        notes=notes,
        root=root,
        cache_hits=analyzer.hits,
        cache_misses=analyzer.misses,
        index=index,
        orm_opt_outs=opt_outs,
        missing=discovery.missing,
        skipped=discovery.skipped,
    )


def _with_model_table(settings: Settings, root: str, namer: ModuleNamer, cache, targets: list[str], paths: list[str]) -> Settings:
    """The settings with the project's model table, which every file's analysis reads."""
    from async_lint.project_models import needs_model_table, project_model_table

    if settings.models is not None or not needs_model_table(settings):
        return settings
    # The whole project declares the models, also on a run given a few files.
    whole_project = [os.path.abspath(p) for p in paths] == [os.path.abspath(root)]
    table = project_model_table(root, settings, namer, cache, files=targets if whole_project else None, targets=targets)
    return dataclasses.replace(settings, models=table)


def analyze_in_project(path: str, source: SourceFile, settings: Settings, run_result: RunResult) -> list[Finding]:
    """``path``'s findings as ``run_result``'s run would give them were the
    file's text ``source`` (the other files as they were): its own rules,
    and the project-index rules over the run's index with this file's summary
    replaced.  What the fix safety net re-lints with, so that a DJA401 fixed
    across modules is seen gone (a file linted alone sees no other module)."""
    index = run_result.index
    summary = index.by_path.get(path) if index is not None else None
    if summary is None:
        return analyze_source(path, source, settings).findings
    module = summary["module"]
    result = analyze_source(path, source, settings, module_name=None if module == "<module>" else module, is_package=summary["is_package"], standalone=False)
    if result.summary is None:
        return result.findings
    from async_lint.index import ProjectIndex

    opted_out = path in run_result.orm_opt_outs
    project = ProjectIndex({**index.by_path, path: result.summary}, index.known, level_of=index.level_of, display=index.display)
    findings = [f for f in result.findings if not (opted_out and f.code.startswith(ORM_CODE_PREFIX))]
    findings.extend(_project_findings(project, path, settings, orm_opt_out=opted_out))
    return sorted(findings, key=lambda f: f.sort_key)


def _noqa_suppressed(finding: Finding, analyzer: "_Analyzer") -> bool:
    """``# noqa`` for a project-wide finding, read from its file's text."""
    data = analyzer.texts.get(finding.path)
    if data is None or b"noqa" not in data.lower():
        return False
    try:
        lines = decode_source(finding.path, data).lines  # its encoding, Python's line breaks
    except SourceError:
        return False
    return is_suppressed(finding.code, lines, finding.line, finding.end_line) is not None


def _project_check_findings(settings: Settings, facts: dict[str, list[dict]], cache) -> list[Finding]:
    """The project-wide checks' findings. They depend only on the facts and
    the settings, so with a cache they are kept under a digest of both: a
    warm run whose facts did not change imports no check (and no libcst)."""
    if not facts:
        return []
    key = None
    if cache is not None:
        import json

        from async_lint.cache import build_stamp, content_digest

        blob = json.dumps([build_stamp(), settings.fingerprint(), sorted(facts.items())], sort_keys=True, default=str)
        key = "project-" + content_digest(blob.encode("utf-8", "surrogatepass"))
        entry = cache.get(key)
        if entry is not None:
            try:
                return [_finding_from_record(record.pop("path"), record) for record in entry["findings"]]
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a damaged entry: recompute and rewrite it
    out: list[Finding] = []
    for check_class in _project_checks(settings, facts):
        out.extend(check_class(settings).run(facts))
    if key is not None:
        cache.put(key, {"findings": [{**_finding_record(f), "path": f.path} for f in out]})
    return out


def _project_checks(settings: Settings, facts: dict[str, list[dict]]) -> list:
    if not facts:
        # Project checks work on facts only: with none, importing them (and
        # libcst with them) would be wasted on a run served from the cache.
        return []
    from async_lint.checks import project_checks_for

    return project_checks_for(settings.enabled)


def _build_index(analyzer: _Analyzer, targets: list[str], paths: list[str], root: str, settings: Settings):
    from async_lint.index import ProjectIndex

    known = ModuleLocator(analyzer.namer, import_roots(root, targets, analyzer.namer), _exclusion(settings))

    def display(path: str) -> str:
        # Chains name files as the findings' own paths are shown: relative to
        # the working folder (project-wide findings are never cached, so this
        # cannot leak into another run's messages).
        return display_path(path).replace(os.sep, "/")

    def summaries() -> dict[str, dict]:
        return {p: r.summary for p, r in analyzer.results.items() if r.summary is not None}

    def sync_calls_of(path: str) -> bool:
        # The files whose own text asks for a full pass: the same set on a
        # cold and a warm run, whichever files the cache holds in full.
        return analyzer.results[path].hinted

    requested: set[str] = set()
    while True:
        index = ProjectIndex(summaries(), known, level_of=_op_level, display=display)
        missing = index.demand(targets, sync_calls_of) - requested
        if not missing:
            return index
        requested |= missing
        analyzer.load(sorted(missing), full=True)


def _fact_modules(results) -> set[str]:
    """Modules that facts name and project-wide checks need the facts of: the
    model behind a relation use, a model's bases (abstract models), and a
    view's or middleware's base classes."""
    out: set[str] = set()
    for result in results:
        for fact in result.facts:
            kind = fact.get("kind")
            if kind == "django_relation_use" and isinstance(fact.get("model"), str):
                out.add(fact["model"].rpartition(".")[0])
            elif kind == "django_model":
                out.update(base.rpartition(".")[0] for base in fact.get("bases") or () if isinstance(base, str) and "." in base)
            elif kind == "structure.class":
                # Base classes imported from other modules (views, middleware).
                for base in fact.get("bases") or ():
                    if isinstance(base, list) and len(base) == 2 and base[0] == "unknown" and "." in str(base[1]):
                        out.add(str(base[1]).rpartition(".")[0])
    out.discard("")
    return out


def _load_fact_dependencies(analyzer: "_Analyzer", targets: list[str], root: str, settings: Settings) -> None:
    """Analyse the project modules that the targets' facts name, and the ones
    those name in turn, so that a run on a few files (the pre-commit shape)
    still knows a model defined in a module it was not given."""
    if not any(code in settings.enabled for code in ("DJA204", "DJA502", "DJA503", "DJA506", "DJA507")):
        return  # no project-wide check that reads these facts
    _load_wanted_after_facts(analyzer, targets)
    if not _fact_modules(analyzer.results.values()):
        return
    locator = ModuleLocator(analyzer.namer, import_roots(root, targets, analyzer.namer), _exclusion(settings))
    requested: set[str] = set()
    while True:
        wanted = _fact_modules(analyzer.results.values()) - requested
        if not wanted:
            return
        requested |= wanted
        paths = sorted({path for module in wanted for path in locator.get(module)})
        missing = [p for p in paths if p not in analyzer.results or analyzer.results[p].light]
        if missing:
            analyzer.load(missing, full=True)


def _load_wanted_after_facts(analyzer: "_Analyzer", targets: list[str]) -> None:
    """The full pass of the only-syntax-checked targets that wait for a fact
    (``Check.text_hints_after_fact``), once a file of the run recorded it."""
    requested: set[str] = set()
    while True:
        recorded = {fact.get("kind") for result in analyzer.results.values() for fact in result.facts}
        waiting = [
            path
            for path in targets
            if path not in requested and path in analyzer.results and analyzer.results[path].light and recorded.intersection(analyzer.results[path].waits_for)
        ]
        if not waiting:
            return
        requested.update(waiting)
        analyzer.load(waiting, full=True)


def _exclusion(settings: Settings):
    """The user's exclude patterns as a test on a path (as discovery applies them)."""
    if not settings.exclude:
        return lambda path: False
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(list(settings.exclude))
    base = os.getcwd()

    def excluded(path: str) -> bool:
        rel = os.path.relpath(path, base)
        return spec.match_file(rel.replace(os.sep, "/") if not rel.startswith("..") else os.path.basename(path))

    return excluded


def _orm_opt_outs(targets: list[str], analyzer: _Analyzer, root: str) -> dict[str, str]:
    """Files where DJANGO_ALLOW_ASYNC_UNSAFE is set on purpose: in the file, or
    in a conftest.py of its folder or a parent folder."""

    def read_text(path: str) -> str:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    out = conftest_opt_outs(targets, root, read_text)
    for path in targets:
        data = analyzer.texts.get(path)
        if data is not None and b"DJANGO_ALLOW_ASYNC_UNSAFE" in data and sets_allow_async_unsafe(data.decode("utf-8", "replace")):
            out.setdefault(path, path)
    return out
