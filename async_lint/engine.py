"""Orchestration: discover, parse and check each file (in worker processes),
suppress, and return findings in a stable order."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable

from async_lint.catalog import catalog
from async_lint.discovery import discover
from async_lint.findings import Finding
from async_lint.settings import Settings
from async_lint.source import TOO_DEEP, SourceError, SourceFile, parse_source, read_source
from async_lint.suppress import is_suppressed

# Below this many files, worker processes cost more than they save.
PARALLEL_THRESHOLD = 16


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    # Per-file facts the run summary reports (e.g. "skipped: DJANGO_ALLOW_ASYNC_UNSAFE").
    notes: list[str] = field(default_factory=list)
    # Facts for project-wide checks: {"kind": ..., "line": ..., **data}.
    facts: list[dict] = field(default_factory=list)


@dataclass
class RunResult:
    files: list[str]
    findings: list[Finding]
    notes: dict[str, list[str]] = field(default_factory=dict)


def _level(code: str) -> str:
    rule = catalog().get(code)
    return rule.level if rule else "error"


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


def analyze_source(path: str, source: SourceFile, settings: Settings, *, module_name: str | None = None, is_package: bool = False, index=None) -> FileResult:
    """Parse once, run every enabled check in one traversal, apply noqa."""
    # Imported here so that a run served wholly from a cache never loads libcst.
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from async_lint.analysis.context import FileContext
    from async_lint.checks import checks_for
    from async_lint.traversal import FileTraversal

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
    checks = [cls(ctx) for cls in checks_for(settings.enabled)]
    traversal = FileTraversal(ctx, checks)
    try:
        module.visit(traversal)
    except RecursionError:
        result.findings.append(parse_error_finding(path, SourceError(TOO_DEEP)))
        return result
    for crash in traversal.crashes:
        result.findings.append(
            Finding(path, "DJA000", f"Internal error in async-lint ({crash}); other rules still ran on this file", 1, 1, 1, 1, _level("DJA000"))
        )

    ops = [op for function in ctx.functions for op in function.ops]
    positions = None
    if ctx.reports or ops or any(fact.node is not None for fact in ctx.facts):
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for fact in ctx.facts:
        record = {"kind": fact.kind, **fact.data}
        where = positions.get(fact.node) if positions is not None and fact.node is not None else None
        if where is not None:
            record.update(line=where.start.line, column=where.start.column + 1, end_line=where.end.line, end_column=where.end.column + 1)
        result.facts.append(record)
    if positions is not None:
        for op in ops:
            where = positions.get(op.node)
            if where is not None:
                op.line, op.column = where.start.line, where.start.column + 1
        lines = source.lines
        # Fixes arrive as node replacements; they become text edits here.
        from async_lint.fixes import FixResolver

        fixes = FixResolver(module, source.text)
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
    del cst
    return result


def analyze_path(path: str, settings: Settings) -> FileResult:
    try:
        source = read_source(path)
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


def _analyze_batch(args: tuple[list[str], Settings]) -> list[FileResult]:
    paths, settings = args
    return [analyze_path(path, settings) for path in paths]


def _pool_context():
    # fork is cheap and inherits the imported engine; elsewhere use the default.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def analyze_files(paths: list[str], settings: Settings, on_file_done: Callable[[int, int], None] | None = None) -> list[FileResult]:
    """``on_file_done(done, total)`` is called in this process as files finish
    (after each batch when workers run them), e.g. to draw a progress bar."""
    jobs = max(1, settings.jobs)
    if jobs == 1 or len(paths) < PARALLEL_THRESHOLD:
        results = []
        for path in paths:
            results.append(analyze_path(path, settings))
            if on_file_done is not None:
                on_file_done(len(results), len(paths))
        return results
    # Interleave files over batches so that big and small files spread evenly.
    batch_count = min(len(paths), jobs * 4)
    batches = [paths[i::batch_count] for i in range(batch_count)]
    results: list[FileResult] = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context()) as pool:
            for batch in pool.map(_analyze_batch, [(b, settings) for b in batches]):
                results.extend(batch)
                if on_file_done is not None:
                    on_file_done(len(results), len(paths))
    except BrokenProcessPool:
        # A worker died (a crash in native code, the OOM killer): every file
        # not yet reported is analysed again, each in a process of its own, so
        # the one that kills its process becomes a DJA000 and the rest are kept.
        done = {result.path for result in results}
        for path in paths:
            if path not in done:
                results.append(_analyze_isolated(path, settings))
                if on_file_done is not None:
                    on_file_done(len(results), len(paths))
    return results


def _analyze_isolated(path: str, settings: Settings) -> FileResult:
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=_pool_context()) as pool:
            return pool.submit(analyze_path, path, settings).result()
    except BrokenProcessPool:
        result = FileResult(path)
        error = SourceError("async-lint's worker process died while analysing this file (a crash in the parser?); the other files were analysed")
        result.findings.append(parse_error_finding(path, error))
        return result


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run(paths: list[str], settings: Settings, on_file_done: Callable[[int, int], None] | None = None) -> RunResult:
    discovery = discover(paths, exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, root=settings.root)
    from async_lint.checks import project_checks_for

    findings: list[Finding] = []
    notes: dict[str, list[str]] = {}
    facts: dict[str, list[dict]] = {}
    for path, reason in discovery.unreadable:
        findings.append(Finding(path, "DJA000", f"Cannot analyse this path: {reason}", 1, 1, 1, 1, _level("DJA000")))
    for result in analyze_files(discovery.files, settings, on_file_done):
        findings.extend(f for f in result.findings if f.code in settings.enabled)
        if result.notes:
            notes[result.path] = result.notes
        if result.facts:
            facts[result.path] = result.facts
    reported = set(discovery.files)
    for check_class in project_checks_for(settings.enabled):
        for finding in check_class(settings).run(facts):
            if finding.code in settings.enabled and finding.path in reported:
                findings.append(finding)
    findings.sort(key=lambda f: f.sort_key)
    return RunResult(files=discovery.files, findings=findings, notes=notes)
