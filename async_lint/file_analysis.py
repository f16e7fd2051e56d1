"""One file's analysis: parse once, run every enabled check in one
traversal, apply ``# noqa``, and produce the file's findings, facts and
module summary (``analyze_source``); the text prefilter that decides whether
a file needs a full pass; and the task a worker process runs for a file
(``analyze_task``), with the fallback of analysing a file too large for its
budget in parts.  Nothing here knows about other files except through the
project index handed in.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import string
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from async_lint.catalog import PARSE_ERROR_CODE, blocking_codes, level_of
from async_lint.facts import ATOMIC_FACTS, CLASS_FACTS
from async_lint.findings import Finding
from async_lint.project import (
    sets_allow_async_unsafe,
)
from async_lint.settings import Settings
from async_lint.source import TOO_DEEP, SourceError, SourceFile, decode_source, parse_source, python_parse, read_source
from async_lint.suppress import is_suppressed
from async_lint.text_hints import AnyOf

if TYPE_CHECKING:
    from async_lint.checks import CheckEntry


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    # Per-file facts the run summary reports (e.g. "skipped: DJANGO_ALLOW_ASYNC_UNSAFE").
    notes: list[str] = field(default_factory=list)
    # Facts for project-wide checks (``Fact.record()``: plain data tagged with its kind).
    facts: list[dict] = field(default_factory=list)
    # The module summary for the project index (summary.py); None when the
    # file got no full pass (``light``) or could not be parsed.
    summary: dict | None = None
    # True when no full pass ran (no enabled check can report here): at most
    # a syntax check, whose DJA000 is then its only finding.
    light: bool = False
    # For a light result: whether the syntax check ran (``--check-syntax``,
    # or a buffer); a run that asks for the check does not take one without.
    syntax_checked: bool = True
    # The file's own text asks for a full pass (the prefilter matched): its
    # calls in sync code are resolved by the project index.
    hinted: bool = False
    # A full pass of it runs whether or not the run asks for one (it is
    # hinted, or has async code a narrow selection's prefilter passes over);
    # else a full result reports only where the run asked for a full pass.
    own_pass: bool = False
    # Fact kinds that, once recorded by any file of the run, make this file
    # worth a full pass (``Check.text_hints_after_fact``).
    waits_for: list[str] = field(default_factory=list)
    # Why the analysis failed (a crash, the time or memory budget, a dead
    # worker), in one line, and the traceback for --verbose; never cached.
    failure: str | None = None
    trace: str | None = None
    # True when only parts of the file were analysed (within the budget): never cached.
    partial: bool = False
    # For a light result: the groups of facts it also holds, read with
    # CPython's ``ast`` as a full pass records them (``AST_FACTS``): what a
    # project-wide check needs of a file with no async code.
    ast_facts: list[str] = field(default_factory=list)
    # The file's names that may be a coroutine function's, and its
    # ``name as new_name`` pairs (coroutine_names.text_words); None where the
    # text could not be read.
    coroutine_words: list | None = None


def enabled_index_checks(enabled: frozenset[str]) -> tuple:
    """The enabled index checks' manifest entries (checks/__init__.py)."""
    from async_lint.checks import entries_for

    return entries_for(enabled, "index")


@functools.lru_cache(maxsize=None)
def checked_codes(enabled: frozenset[str]) -> frozenset[str]:
    """The codes whose checks must run: the enabled ones, and with an index
    check that follows blocking calls the blocking rules too, whose
    operations in sync functions make its chains (their own findings stay
    filtered by ``enabled``)."""
    if not any(check.follows_blocking_calls for check in enabled_index_checks(enabled)):
        return enabled
    return enabled | blocking_codes()


@functools.lru_cache(maxsize=None)
def _pass_checks(enabled: frozenset[str], async_free: bool) -> tuple[CheckEntry, ...]:
    from async_lint.checks import entries_for

    entries = entries_for(checked_codes(enabled))
    if not async_free:
        return entries
    # No async code in the project: the DJA1xx/DJA2xx checks report only on
    # the event loop, and what they record in sync functions serves only
    # chains from async code (DJA401) and ``sync_to_async`` (DJA403), which
    # would have made the project not async-free.
    blocking = blocking_codes()
    return tuple(entry for entry in entries if not entry.async_code_only and not set(entry.codes) <= blocking)


def pass_checks(settings: Settings) -> tuple[CheckEntry, ...]:
    """The manifest entries of the checks a full pass runs."""
    return _pass_checks(settings.enabled, async_free(settings))


def parse_error_finding(path: str, error: SourceError) -> Finding:
    return Finding(
        path=path,
        code=PARSE_ERROR_CODE,
        message=f"Cannot analyse this file: {error.message}",
        line=error.line,
        column=error.column,
        end_line=error.line,
        end_column=error.column,
        level=level_of(PARSE_ERROR_CODE),
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
    parses=None,
) -> FileResult:
    """Parse once, run every enabled check in one traversal, apply noqa.

    ``standalone``: the file is its own project (the project-index rules are
    computed over this one module and added); ``run`` passes False and
    computes them over the whole project.  ``parses``: a
    ``reparse.ParseMemory`` (an editor's buffers), which parses an edited
    text again by its changed statements."""
    # Imported here so that a run served wholly from a cache never loads libcst.
    from async_lint.analysis.context import FileContext
    from async_lint.positions import resolve_positions
    from async_lint.summary import SummaryCollector, build_summary, position_nodes
    from async_lint.traversal import FileTraversal

    result = FileResult(path)
    try:
        module = parse_source(source, parses)
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
        subtree_memo=parses.memo(path) if parses is not None else None,
    )
    checks = [entry.load()(ctx) for entry in pass_checks(settings)]
    collector = SummaryCollector(ctx)
    traversal = FileTraversal(ctx, [*checks, collector])
    try:
        traversal.run(module)
    except RecursionError:
        result.findings.append(parse_error_finding(path, SourceError(TOO_DEEP)))
        return result
    for crash in traversal.crashes:
        result.findings.append(Finding(path, PARSE_ERROR_CODE, f"Internal error in async-lint ({crash}); other rules still ran on this file", 1, 1, 1, 1, level_of(PARSE_ERROR_CODE)))

    ops = [op for function in ctx.functions for op in function.ops]
    positions = None
    wanted = [*(report.node for report in ctx.reports), *(op.node for op in ops), *position_nodes(collector), *(fact.node for fact in ctx.facts if fact.node is not None)]
    approximate = False
    if wanted:
        try:
            positions = resolve_positions(module, source.text, wanted, collector.call_ordinals, tree=source.python_tree)
        except RecursionError:
            # libcst renders the module again, recursing once per nesting level;
            # CPython's parser still places the calls and names (without fixes,
            # which need libcst's exact ranges).  None: nothing to fall back to.
            positions = resolve_positions(module, source.text, wanted, collector.call_ordinals, tree=source.python_tree, approximate=True)
            if positions is None:
                raise
            approximate = True
    # Facts the project index reads go to the summary (e.g. "handoffs").
    summary_facts: dict[str, list[dict]] = {}
    for recorded in ctx.facts:
        where = positions.get(recorded.node) if positions is not None and recorded.node is not None else None
        position = (where.start.line, where.start.column + 1, where.end.line, where.end.column + 1) if where is not None else None
        record = recorded.fact.record(position)
        if recorded.fact.summary_key is not None:
            summary_facts.setdefault(recorded.fact.summary_key, []).append(record)
        else:
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
                    level=level_of(report.code),
                    fix=None if approximate else fixes.resolve(report.fix),
                    extra=report.extra,
                )
            )
    summary = build_summary(ctx, collector, positions)
    # The analyses shared by the checks hold the context: dropped now, the
    # file's objects go when its last reference does, not at the next collection.
    ctx.release()
    summary.update(summary_facts)
    summary["noqa"] = {str(n): line for n, line in enumerate(lines, start=1) if "noqa" in line.lower()}
    result.summary = summary
    if standalone and enabled_index_checks(settings.enabled):
        from async_lint.index import ProjectIndex

        project = ProjectIndex({path: summary}, level_of=level_of, display=os.path.basename)
        orm_opt_out = sets_allow_async_unsafe(source.text)
        result.findings.extend(project_index_findings(project, path, settings, orm_opt_out))
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


def project_index_findings(index, path: str, settings: Settings, orm_opt_out: bool) -> list[Finding]:
    from async_lint.checks import index_findings

    lines = _NoqaLines(index.by_path[path].get("noqa", {}))
    return [f for f in index_findings(index, path, settings.enabled, orm_opt_out) if is_suppressed(f.code, lines, f.line, f.end_line) is None]


# -- text prefilter ---------------------------------------------------------------------------
# Code runs on the event loop only inside an ``async def`` (``async for``/``with``
# and ``await`` cannot appear elsewhere).
ASYNC_DEF_HINT = r"\basync\s+def\b"


def _any_of(patterns) -> AnyOf:
    """A matcher that matches where any of ``patterns`` does (text_hints.py: searched fast)."""
    return AnyOf(patterns)


def _check_hints(check_class) -> tuple[str, ...] | None:
    """Regular expressions one of which a file's text must match for this check
    to report or record anything in it; None: any file.  Checks declare
    ``text_hints``; checks of only blocking codes (catalog families) that declare nothing
    report through ``ctx.report_blocking``, which reports only on the event
    loop, so only in files with an ``async def``."""
    from async_lint.checks.base import Check

    for klass in type.mro(check_class):
        if klass is Check:
            break
        if "text_hints" in vars(klass):
            return vars(klass)["text_hints"]
    if check_class.codes and all(code in blocking_codes() for code in check_class.codes):
        return (ASYNC_DEF_HINT,)
    return None


@functools.lru_cache(maxsize=None)
def _prefilter(enabled: frozenset[str], async_free: bool = False):
    """One compiled pattern for the enabled checks' hints (``async_free``:
    of those that matter in a project with no async code); None: every file
    needs a full pass."""
    from async_lint.checks import entries_for

    patterns = []
    for entry in entries_for(enabled):
        if async_free and entry.async_code_only:
            continue
        hints = entry.text_hints
        if hints is None:
            return None
        patterns.extend(p for p in hints if p not in patterns)
    return _any_of(patterns)


def async_free(settings: Settings) -> bool:
    """Whether the project has no async code at all (``ModelTable.async_free``):
    the checks that need some (``Check.async_code_only``) are then skipped."""
    return bool(getattr(settings.models, "async_free", False))


def _full_pass_hints(settings: Settings) -> AnyOf | None:
    """What a file's text must match to need a full pass; None: every file does."""
    if settings.extra_async_contexts:
        return None
    return _prefilter(checked_codes(settings.enabled), async_free(settings))


def _needs_full_pass(text: str, settings: Settings) -> bool:
    pattern = _full_pass_hints(settings)
    return pattern is None or pattern.search(text) is not None


@functools.lru_cache(maxsize=None)
def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` reads ASCII's printable characters as ASCII
    does (what a test of the raw bytes for ASCII words relies on)."""
    try:
        return string.printable.encode("ascii").decode(encoding) == string.printable
    except (LookupError, UnicodeError):
        return False


def may_need_full_pass(data: bytes, settings: Settings) -> bool:
    """False only when the file's bytes show it needs no full pass for its
    text (none of the prefilter's required words): its analysis is a read
    and a text test (file_pool.py sends such files to workers in batches)."""
    pattern = _full_pass_hints(settings)
    return pattern is None or pattern.may_match_bytes(data)


@functools.lru_cache(maxsize=None)
def _async_code_pattern(enabled: frozenset[str]) -> AnyOf | None:
    """``async def``, where the prefilter can pass over a file that has one
    (a narrow selection): such a file is still syntax-checked.  None: the
    prefilter already sends every file with async code to a full pass."""
    from async_lint.checks import entries_for

    if any(ASYNC_DEF_HINT in (entry.text_hints or ()) for entry in entries_for(enabled)):
        return None
    return _any_of([ASYNC_DEF_HINT])


def _has_unhinted_async_code(text: str, settings: Settings) -> bool:
    pattern = _async_code_pattern(checked_codes(settings.enabled))
    return pattern is not None and pattern.search(text) is not None


@functools.lru_cache(maxsize=None)
def _after_fact_hints(enabled: frozenset[str]) -> tuple[tuple[str, AnyOf], ...]:
    """(fact kind, compiled hints) of the enabled checks that wait for a fact."""
    from async_lint.checks import entries_for

    return tuple((e.text_hints_after_fact[0], _any_of(e.text_hints_after_fact[1])) for e in entries_for(enabled) if e.text_hints_after_fact)


def _waited_facts(text: str, settings: Settings) -> list[str]:
    return sorted({kind for kind, pattern in _after_fact_hints(checked_codes(settings.enabled)) if pattern.search(text)})


@functools.lru_cache(maxsize=None)
def _light_fact_checks(enabled: frozenset[str], async_free: bool = False) -> tuple[tuple[AnyOf, CheckEntry], ...]:
    """(compiled ``light_fact_hints``, manifest entry) of the enabled checks that record facts on a light pass."""
    from async_lint.checks import entries_for

    return tuple((_any_of(e.light_fact_hints), e) for e in entries_for(enabled) if e.light_fact_hints and not (async_free and e.async_code_only))


def _light_result(task: FileTask, text: str, settings: Settings, check_syntax: bool) -> FileResult | None:
    """The result of a file no enabled check needs a full pass of: read
    with CPython's own parser (several times faster than libcst) when its
    syntax is to be checked, or when a check records facts from ``ast`` on
    such files (unless the model table's reading of the file recorded them
    already: ``task.light_facts``); None when a syntax check fails (the full
    pass reports why)."""
    recording = [check for pattern, check in light_fact_checks(settings) if pattern.search(text)]
    if recording and task.light_facts is not None and not check_syntax:
        return FileResult(task.path, facts=list(task.light_facts), light=True, syntax_checked=False)
    tree = None
    if recording or check_syntax:
        try:
            tree, _error = python_parse(text)
        except SourceError:
            tree = None
        if tree is None and check_syntax:
            return None
    result = FileResult(task.path, light=True, syntax_checked=check_syntax)
    if tree is not None:
        for check in recording:
            result.facts.extend(fact.record() for fact in check.light_facts(tree, task.module_name, task.is_package))
    return result


def light_fact_checks(settings: Settings) -> tuple[tuple[AnyOf, CheckEntry], ...]:
    """(hints, check) of the enabled checks that record facts on a light pass."""
    return _light_fact_checks(checked_codes(settings.enabled), async_free(settings))


def light_fact_records(path: str, text: str, module_name: str | None, is_package: bool, settings: Settings, tree) -> list[dict] | None:
    """The facts ``_light_result`` records for the file whose bytes are
    ``text`` in UTF-8, from ``tree`` (``python_parse`` of it), made where
    the file was parsed already (the model table's skeletons); None where
    its light pass would parse nothing for them, or where its text is not
    what the light pass reads (another encoding, a BOM, a NUL byte)."""
    # The checks' own hints first: most files the table parses have none.
    recording = [check for pattern, check in light_fact_checks(settings) if pattern.search(text)]
    if not recording:
        return None
    try:
        source = decode_source(path, text.encode("utf-8", "surrogatepass"))
    except SourceError:
        return None
    if source.text != text or _needs_full_pass(text, settings):
        return None
    return [fact.record() for check in recording for fact in check.light_facts(tree, module_name, is_package)]


def _ast_facts_result(task: FileTask, source: SourceFile) -> FileResult | None:
    """A light result with the facts of the groups ``task.ast_facts`` that a full pass
    of this file would record (it needs a full pass for no check of its
    own), read with CPython's parser; None when it cannot parse the file or
    a group's reading may differ from the full pass's (which then runs)."""
    try:
        tree, _error = python_parse(source.text)
    except SourceError:
        return None
    if tree is None:
        return None
    facts: list[dict] = []
    try:
        if CLASS_FACTS in task.ast_facts:
            from async_lint.checks.class_shapes_ast import class_shape_records

            facts.extend(class_shape_records(tree, source.lines, task.module_name, task.is_package))
        if ATOMIC_FACTS in task.ast_facts:
            from async_lint.checks.atomic_facts_ast import atomic_request_records

            atomic = atomic_request_records(tree, source.text, source.lines, task.module_name, task.is_package)
            if atomic is None:
                return None
            facts.extend(atomic)
    except Exception:  # noqa: BLE001 - a bug here costs the file a full pass, not its facts
        return None
    return FileResult(task.path, facts=facts, light=True, ast_facts=sorted(task.ast_facts))


# -- workers --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileTask:
    path: str
    data: bytes | None
    module_name: str | None
    is_package: bool
    full: bool  # False: a light result suffices when the prefilter says so
    # With a light result: parse the file anyway, for its syntax error (DJA000).
    check_syntax: bool = True
    in_parts: bool = False  # the retry of a file too large to analyse whole (slices.py)
    # The groups of facts a light result must hold (``FileResult.ast_facts``).
    ast_facts: frozenset[str] = frozenset()
    # The text is an editor's buffer: parsed again by its changed statements
    # where the worker keeps its previous tree (reparse.py).
    buffer: bool = False
    # The facts a light pass of these bytes records, made already where the
    # model table parsed the file (``light_fact_records``); None: made here.
    light_facts: tuple | None = field(default=None, compare=False)
    # The bytes hold none of the words the full-pass hints require
    # (``may_need_full_pass``, asked in the main process, which batches such
    # files): the text, in an ASCII-compatible encoding, needs no search.
    no_hint_words: bool = False


# A file that ran out of time or memory is tried again in parts when it is
# at least this large (a small one is pathological in another way).
IN_PARTS_MIN_BYTES = 64 * 1024


PARTS_NOTE = "analysed in parts (too large to analyse whole within the budget): findings of its async code only"


def analyze_task(task: FileTask, settings: Settings, parses=None) -> FileResult:
    from async_lint.coroutine_names import text_words

    try:
        source = decode_source(task.path, task.data) if task.data is not None else read_source(task.path)
    except SourceError as exc:
        result = FileResult(task.path)
        result.findings.append(parse_error_finding(task.path, exc))
        return result
    result = _analyze_read_task(task, source, settings, parses)
    result.coroutine_words = text_words(source.text)
    return result


def _analyze_read_task(task: FileTask, source: SourceFile, settings: Settings, parses) -> FileResult:
    if task.in_parts:
        return _analyze_in_parts(task, source, settings)
    hinted = not (task.no_hint_words and _ascii_compatible(source.encoding)) and _needs_full_pass(source.text, settings)
    waits_for = _waited_facts(source.text, settings)
    light = not task.full and not hinted
    if light and task.ast_facts:
        read = _ast_facts_result(task, source)
        if read is not None:
            read.hinted, read.waits_for = hinted, waits_for
            return read
        light = False  # CPython cannot read it, or not surely as the full pass: that pass runs
    async_code = False
    if light:
        # A file with async code is parsed for its syntax error whether asked or not.
        async_code = _has_unhinted_async_code(source.text, settings)
        found = _light_result(task, source.text, settings, task.check_syntax or async_code)
        if found is not None:
            found.hinted, found.waits_for = hinted, waits_for
            return found
        # Only a check the run asked for leaves the result light: a run
        # that does not ask, served this result, drops its finding.
        light = not async_code
    elif not hinted:
        async_code = _has_unhinted_async_code(source.text, settings)
    try:
        result = analyze_source(task.path, source, settings, module_name=task.module_name, is_package=task.is_package, standalone=False, parses=parses if task.buffer else None)
    except RecursionError:  # deep trees in a check or in position metadata
        result = FileResult(task.path)
        result.findings.append(parse_error_finding(task.path, SourceError(TOO_DEEP)))
    result.light = light
    result.hinted, result.waits_for, result.own_pass = hinted, waits_for, hinted or async_code
    return result


def _analyze_in_parts(task: FileTask, source: SourceFile, settings: Settings) -> FileResult:
    """The findings of each part of the file that holds async code, at the
    file's rows, without fixes, facts or summary (they need the whole file)."""
    from async_lint.slices import async_parts

    tree, error = python_parse(source.text)
    if tree is None:
        raise error or SourceError("syntax error")
    result = FileResult(task.path, notes=[PARTS_NOTE], partial=True, own_pass=True)
    for part in async_parts(source.text, tree):
        piece = decode_source(task.path, part.text.encode("utf-8", "surrogatepass"))
        found = analyze_source(task.path, piece, settings, module_name=task.module_name, is_package=task.is_package, standalone=False)
        for finding in found.findings:
            start, end = part.file_row(finding.line), part.file_row(finding.end_line)
            if start is not None and end is not None and finding.code != "DJA000":
                result.findings.append(dataclasses.replace(finding, line=start, end_line=end, fix=None))
    result.findings.sort(key=lambda f: f.sort_key)
    return result


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


def failed_result(task: FileTask, failure) -> FileResult:
    """A file whose analysis crashed, ran out of time or memory, or killed its worker."""
    result = FileResult(task.path, failure=failure.cause, trace=failure.trace)
    result.findings.append(parse_error_finding(task.path, SourceError(f"{failure.cause}; the other files were analysed")))
    return result
