"""The project run: discover, have each file analysed (file_analysis.py, in
the worker processes of file_pool.py),
join the module summaries into the project index, suppress, and return
findings in a stable order.

The flow of ``run``:

1. The files to report on are the ones under the given paths; the project
   (found upwards from them, see project.py) is every file under its root.
2. Each file to report on is read and hashed; a cache hit gives its local
   findings, facts and summary.  Misses go to worker processes.  A file whose
   text shows that no enabled check can report anything in it (no ``async``
   in a module, for the rules that only fire on the event loop) is only
   read (and syntax-checked with ``--check-syntax``, or when it is a buffer
   or has async code): its summary is computed later if the index needs it.
3. The project index follows the calls made on the event loop into other
   modules; the summaries it lacks are computed (or read from the cache) in
   rounds until nothing is missing.  The index checks (``checks.base.IndexCheck``)
   run over it on every run (cheap), so they always reflect the current helpers.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from async_lint.catalog import PARSE_ERROR_CODE, async_unsafe_codes, level_of
from async_lint.discovery import Discovery, discover, discover_folder_and_root, display_path, gitignore_spec
from async_lint.file_analysis import FileResult, FileTask, analyze_source, async_free, enabled_index_checks, may_need_full_pass, parse_error_finding, project_index_findings
from async_lint.file_pool import PARALLEL_THRESHOLD, FileWorkers, start_early_workers
from async_lint.findings import Finding, finding_from_located, finding_from_record, finding_record, located_record
from async_lint.analysis.cache_config import sample_project_folder
from async_lint.django_version import ASYNC_SAFETY_VERSION, without_async_safety
from async_lint.project import (
    ModuleLocator,
    ModuleNamer,
    ProjectFiles,
    conftest_opt_outs,
    pytest_env_opt_outs,
    find_project_root,
    import_roots,
    is_test_module,
    opts_out_for,
    relative_display,
    sets_allow_async_unsafe,
)
from async_lint.settings import Settings
from async_lint.source import SourceError, SourceFile, decode_source, read_bytes
from async_lint.suppress import is_suppressed


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
    # Command-line paths that do not exist (see discovery.Discovery).
    missing: list[tuple[str, str]] = field(default_factory=list)
    # Named files that are not Python, and paths that are not regular files,
    # each with why they were not read.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Files whose analysis failed: path -> (one-line cause, traceback or None).
    failures: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # The project's model table the run's analyses read (None without one).
    models: Any = None


# -- cache entries ----------------------------------------------------------------------------------
def _entry(result: FileResult) -> dict:
    return {
        "findings": [finding_record(f) for f in result.findings],
        "facts": result.facts,
        "notes": result.notes,
        "summary": result.summary,
        "light": result.light,
        "syntax_checked": result.syntax_checked,
        "hinted": result.hinted,
        "own_pass": result.own_pass,
        "waits_for": result.waits_for,
        "ast_facts": result.ast_facts,
        "coroutine_words": result.coroutine_words,
    }


def _result_from_entry(path: str, entry: dict) -> FileResult | None:
    try:
        return FileResult(
            path=path,
            findings=[finding_from_record(path, r) for r in entry["findings"]],
            facts=list(entry.get("facts") or []),
            notes=list(entry.get("notes") or []),
            summary=entry.get("summary"),
            light=bool(entry.get("light")),
            syntax_checked=bool(entry.get("syntax_checked", True)),
            hinted=bool(entry.get("hinted")),
            own_pass=bool(entry.get("own_pass")),
            waits_for=[str(kind) for kind in entry.get("waits_for") or ()],
            ast_facts=[str(group) for group in entry.get("ast_facts") or ()],
            coroutine_words=_coroutine_words(entry.get("coroutine_words")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _coroutine_words(value) -> list | None:
    """A cached ``text_words``, or None unless it has that shape."""
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, list) for part in value)):
        return None
    defs, pairs = value
    if not all(isinstance(name, str) for name in defs) or not all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) for n in pair) for pair in pairs):
        return None
    return value


# -- the run ---------------------------------------------------------------------------------------------
class _Analyzer:
    """Reads, hashes, serves from the cache or analyses project files on request."""

    def __init__(
        self,
        settings: Settings,
        namer: ModuleNamer,
        cache,
        on_file_done: Callable[[int, int], None] | None = None,
        texts: dict[str, bytes] | None = None,
        processes: bool = True,
        parses=None,
        early=None,
    ):
        self.settings = settings
        self.namer = namer
        self.cache = cache
        self.fingerprint = settings.fingerprint()
        self.results: dict[str, FileResult] = {}
        self.texts: dict[str, bytes] = {}
        # Files' contents read already, and their digests (the run memo's
        # key), read and hashed no more.
        self.preread: dict[str, tuple[bytes, str]] = {}
        # Texts that stand in for files on disk (stdin, an editor's buffers).
        self.overrides: dict[str, bytes] = dict(texts or {})
        # path -> (bytes, the facts a light pass of them records), made
        # where the model table parsed the file: its light pass parses nothing.
        self.light_facts: dict[str, tuple[bytes, list[dict]]] = {}
        self.hits = 0
        self.misses = 0
        # Files this run asked a full pass of (the index, a waited-for fact):
        # a full result made or cached for another run reports only here.
        self.asked_full: set[str] = set()
        self.workers = FileWorkers(settings, on_file_done, processes, parses, early)

    def load(self, paths: list[str], full: bool, ast_facts: frozenset[str] = frozenset()) -> None:
        """Analyse ``paths`` (or serve them from the cache): ``full``, with a
        full pass; else a light result where the prefilter allows, holding
        the file's facts of the groups ``ast_facts`` (file_analysis.AST_FACTS)."""
        from async_lint.cache import content_digest, entry_key

        tasks: list[FileTask] = []
        keys: dict[str, str] = {}
        if full:
            self.asked_full.update(paths)
        for path in paths:
            digest = None
            # A text standing in for a file is one buffer being edited: its
            # syntax is always checked (one parse), the tree's only when asked.
            check_syntax = self.settings.check_syntax or path in self.overrides
            known = self.results.get(path)
            if known is not None and self._serves(known, full, check_syntax, ast_facts):
                continue
            # A light result made already keeps its groups in the one that replaces it.
            wanted = ast_facts | frozenset(known.ast_facts) if known is not None and known.light and not full else ast_facts
            data = self.overrides.get(path)
            if data is None:
                try:
                    data, digest = self.preread.pop(path) if path in self.preread else (read_bytes(path), None)
                except OSError as exc:
                    self.results[path] = FileResult(path, [parse_error_finding(path, SourceError(f"cannot read file: {exc.strerror or exc}"))])
                    continue
            self.texts[path] = data
            module_name, is_package = self.namer.module_name(path)
            if self.cache is not None:
                key = entry_key(digest or content_digest(data), self.fingerprint, module_name, is_package)
                entry = self.cache.get(key)
                result = _result_from_entry(path, entry) if entry is not None else None
                if result is not None and self._serves(result, full, check_syntax, wanted):
                    if result.light and not check_syntax:
                        result.findings = []  # the syntax check's, which this run does not ask for
                    self.results[path] = result
                    self.hits += 1
                    continue
                # Texts not on disk are not stored: an editor's every keystroke would fill the cache.
                if path not in self.overrides:
                    keys[path] = key
                self.misses += 1
            made = self.light_facts.pop(path, None)
            light_facts = tuple(made[1]) if made is not None and made[0] == data and path not in self.overrides else None
            no_hint_words = not full and not may_need_full_pass(data, self.settings)
            tasks.append(FileTask(path, data, module_name, is_package, full, check_syntax, ast_facts=wanted, buffer=path in self.overrides, light_facts=light_facts, no_hint_words=no_hint_words))
        for result in self.workers.run(tasks):
            self.results[result.path] = result
            if self.cache is not None and result.path in keys and result.failure is None and not result.partial:
                self.cache.put(keys[result.path], _entry(result))

    @staticmethod
    def _serves(result: FileResult, full: bool, check_syntax: bool, ast_facts: frozenset[str] = frozenset()) -> bool:
        """Whether a result already made answers this request: a light one
        serves neither a full pass, nor a syntax check, nor facts it did not read."""
        return not result.light or (not full and (result.syntax_checked or not check_syntax) and ast_facts.issubset(result.ast_facts))

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

    def reports_whole(self, path: str) -> bool:
        """Whether ``path``'s result counts with everything a full pass
        found: the file's own text asks for one, or this run did.  A full
        result made or cached for another run (where another file's call
        led to it) stands for the light result this run asked for: no
        findings but DJA000, no summary for the index; else a finding would
        outlive the file that led to it."""
        result = self.results[path]
        return result.light or result.own_pass or path in self.asked_full

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
    root = find_project_root(paths)
    both = None
    if len(on_disk) == 1 and os.path.abspath(on_disk[0]) != os.path.abspath(root) and _builds_model_table(settings):
        # A sub-folder named: it and the project (for the model table) from one walk.
        both = discover_folder_and_root(on_disk[0], root, exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, exclude_root=settings.root)
    if both is not None:
        discovery, project = both
    else:
        discovery = discover(on_disk, exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, root=settings.root) if on_disk else Discovery()
        # The run given the project root: its files are the project's.
        project = discovery if [os.path.abspath(p) for p in paths] == [os.path.abspath(root)] else None
    # The run's files are every module of the project, each walked.
    whole_tree = project is not None and project.complete and set(project.files) == set(discovery.files) and not texts
    targets = [*discovery.files, *(p for p in texts if p not in discovery.files)]
    cache = None
    if use_cache:
        from async_lint.cache import CACHE_DIR_NAME, ResultCache

        cache = ResultCache(cache_dir or os.path.join(root, CACHE_DIR_NAME))
    namer = ModuleNamer(root)
    memo = _RunMemo.open(cache, paths, root, settings, discovery) if cache is not None and whole_tree else None
    if memo is not None and memo.kept is not None:
        findings, notes, opt_outs = memo.kept
        return RunResult(files=targets, findings=findings, notes=notes, root=root, cache_hits=len(targets), orm_opt_outs=opt_outs, missing=discovery.missing, skipped=discovery.skipped)
    builds_table = _builds_model_table(settings)
    preread = memo.texts if memo is not None else _read_few(targets, texts)
    fingerprint_key = _fingerprint_key(root, settings) if cache is not None else None
    # The workers import the analysis while this process builds the model
    # table: for a few files named (a pre-commit hook), unless the cache
    # holds their results under the settings of the project's last run; for
    # many, unless the project was linted with these settings before (the
    # cache then likely holds most).
    few = preread if len(preread) < PARALLEL_THRESHOLD else {}
    if few:
        cached = fingerprint_key is not None and _all_cached(few, cache, fingerprint_key, namer)
        early = start_early_workers([data for data, _digest in few.values()], settings) if not cached else []
    else:
        linted_before = fingerprint_key is not None and cache.get(fingerprint_key) is not None
        early = start_early_workers(None, settings) if len(targets) >= PARALLEL_THRESHOLD and not linted_before else []
    # The light passes' facts of the files the table parses (their bytes with them).
    light_facts: dict[str, tuple[bytes, list[dict]]] = {}
    try:
        settings = _with_model_table(
            settings, root, namer, cache, discovery.files, project_files=project.files if project is not None else None, light_facts=light_facts, texts_linted=list(texts.values())
        )
    except BaseException:
        from async_lint.workers import stop

        for worker in early:
            stop(worker)
        raise
    if fingerprint_key is not None:
        _remember_fingerprint(cache, fingerprint_key, settings.fingerprint())
    analyzer = _Analyzer(settings, namer, cache, on_file_done, texts, early=early)
    analyzer.preread = preread
    analyzer.light_facts = light_facts
    result = _lint_targets(analyzer, targets, paths, root, settings, cache, discovery, whole_tree=whole_tree)
    if memo is not None:
        memo.keep(result, analyzer, namer, settings.models.installed if builds_table else {})
    return result


def _fingerprint_key(root: str, settings: Settings) -> str:
    """Where the cache keeps the full settings fingerprint (with the model
    table's digest) of the project's last run with these settings."""
    from async_lint.cache import content_digest

    return "fingerprint-" + content_digest(f"{root}\0{settings.fingerprint()}".encode("utf-8", "surrogatepass"))


def _remember_fingerprint(cache, key: str, fingerprint: str) -> None:
    entry = cache.get(key)
    if entry is None or entry.get("fingerprint") != fingerprint:
        cache.put(key, {"findings": [], "fingerprint": fingerprint})


def _all_cached(preread: dict[str, tuple[bytes, str | None]], cache, key: str, namer: ModuleNamer) -> bool:
    """Whether the cache holds a result of each of these files under the
    project's last settings (likely, not sure: only a guess of whether
    workers will be needed).  Their digests are kept for the analyzer."""
    from async_lint.cache import content_digest, entry_key

    entry = cache.get(key)
    fingerprint = entry.get("fingerprint") if entry is not None else None
    if not isinstance(fingerprint, str) or not preread:
        return False
    for path, (data, digest) in list(preread.items()):
        if digest is None:
            digest = content_digest(data)
            preread[path] = (data, digest)
        module_name, is_package = namer.module_name(path)
        if not cache.has(entry_key(digest, fingerprint, module_name, is_package)):
            return False
    return True


def _read_few(targets: list[str], texts: dict[str, bytes]) -> dict[str, tuple[bytes, str | None]]:
    """The contents of a run's few files on disk, read once (the analyzer
    takes them); none for a run of many, nor where one cannot be read (the
    analyzer reports it)."""
    if len(targets) >= PARALLEL_THRESHOLD:
        return {}
    out: dict[str, tuple[bytes, str | None]] = {}
    for path in targets:
        if path in texts:
            continue
        try:
            out[path] = (read_bytes(path), None)
        except OSError:
            return {}
    return out


@dataclass
class _RunMemo:
    """A whole-tree run's findings kept in the cache (run_memo.py): the key
    read from the walk and every file's content, which the run then
    analyses (read once); ``kept``, what the cache holds for it."""

    cache: Any
    key: tuple[str, str]
    root: str
    discovery: Discovery
    texts: dict[str, tuple[bytes, str]]
    kept: Any

    @classmethod
    def open(cls, cache, paths: list[str], root: str, settings: Settings, discovery: Discovery) -> "_RunMemo | None":
        from async_lint.cache import content_digest
        from async_lint.run_memo import kept_findings, memo_key

        texts: dict[str, tuple[bytes, str]] = {}
        try:
            for path in discovery.files:
                data = read_bytes(path)
                texts[path] = (data, content_digest(data))
        except OSError:
            return None  # the run reports it (DJA000); such a run is not kept
        key = memo_key(paths, root, settings, discovery, {path: digest for path, (_data, digest) in texts.items()})
        return cls(cache, key, root, discovery, texts, kept_findings(cache, key, root))

    def keep(self, result: RunResult, analyzer: "_Analyzer", namer: ModuleNamer, installed: dict | None) -> None:
        """Keep ``result`` if the run vouches for its inputs (run_memo.py)."""
        from async_lint.run_memo import keep

        listed = set(self.discovery.files)
        inside = self.root.rstrip(os.sep) + os.sep
        if installed is None or result.failures or any(r.partial or r.failure is not None for r in analyzer.results.values()):
            return
        if not listed.issuperset(analyzer.results) or any(not (r + os.sep).startswith(inside) for r in import_roots(self.root, self.discovery.files, namer)):
            return
        keep(self.cache, self.key, result.findings, result.notes, result.orm_opt_outs, installed)


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
        self.settings = settings = _with_model_table(settings, root, namer, self.cache, [], processes=False)
        # A language server is a threaded process: a worker forked from it
        # inherits locks its other threads hold (the protocol writer, the
        # import lock) and can hang, so its files are analysed in-process
        # (still on a deep stack, an exception still a DJA000 for the file).
        # An edited buffer is parsed again by its changed statements (reparse.py).
        from async_lint.reparse import ParseMemory

        self.analyzer = _Analyzer(settings, namer, self.cache, processes=False, parses=ParseMemory())

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


def _lint_targets(analyzer: "_Analyzer", targets: list[str], paths: list[str], root: str, settings: Settings, cache, discovery: Discovery, *, whole_tree: bool = False) -> RunResult:
    """``whole_tree``: the targets are every module of the project (each
    one's text is then read, and the index may rely on that)."""
    try:
        analyzer.load(targets, full=False)
        # Before the index: modules loaded for facts bring summaries it uses.
        _load_fact_dependencies(analyzer, targets, root, settings)
        index = _build_index(analyzer, targets, paths, root, settings, whole_tree=whole_tree) if enabled_index_checks(settings.enabled) else None
    finally:
        analyzer.workers.close()

    findings: list[Finding] = []
    notes: dict[str, list[str]] = {}
    facts: dict[str, list[dict]] = {}
    for path, reason in discovery.unreadable:
        findings.append(Finding(path, PARSE_ERROR_CODE, f"Cannot analyse this path: {reason}", 1, 1, 1, 1, level_of(PARSE_ERROR_CODE)))
    opt_outs = orm_opt_outs(targets, analyzer.texts, root, settings.models.async_unsafe_settings if settings.models is not None else ())
    for path in targets:
        result = analyzer.results[path]
        opt_out = opt_outs.get(path)
        whole = analyzer.reports_whole(path)
        local = [f for f in result.findings if f.code in settings.enabled and (whole or f.code == PARSE_ERROR_CODE)]
        if opt_out is not None:
            local = [f for f in local if f.code not in async_unsafe_codes()]
            notes.setdefault(path, []).append(f"ORM rules skipped: DJANGO_ALLOW_ASYNC_UNSAFE is set in {relative_display(opt_out, root)}")
        findings.extend(local)
        if result.notes:
            notes.setdefault(path, []).extend(result.notes)
        if result.facts:
            facts[path] = result.facts
        if index is not None and whole and result.summary is not None and path in index.by_path:
            findings.extend(project_index_findings(index, path, settings, orm_opt_out=opt_out is not None))
    # Facts of the other project modules analysed for this run (reached by a
    # call chain or named by a fact) inform the project-wide checks too.
    for path, result in analyzer.results.items():
        if path not in facts and result.facts:
            facts[path] = result.facts
    reported = set(targets)
    for finding in _project_check_findings(settings, facts, cache, analyzer.namer.aliases):
        if finding.code in settings.enabled and finding.path in reported and not _noqa_suppressed(finding, analyzer):
            findings.append(finding)
    if settings.django_version is not None and settings.django_version < ASYNC_SAFETY_VERSION:
        findings = [dataclasses.replace(f, message=without_async_safety(f.message)) for f in findings]
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
        failures={path: (result.failure, result.trace) for path, result in analyzer.results.items() if result.failure is not None},
        models=settings.models,
    )


def _builds_model_table(settings: Settings) -> bool:
    from async_lint.project_models import needs_model_table

    return settings.models is None and needs_model_table(settings)


def _with_model_table(
    settings: Settings,
    root: str,
    namer: ModuleNamer,
    cache,
    targets: list[str],
    *,
    processes: bool = True,
    project_files: list[str] | None = None,
    light_facts: dict[str, tuple[bytes, list[dict]]] | None = None,
    texts_linted: list[bytes] | None = None,
) -> Settings:
    """The settings with the project's model table, which every file's
    analysis reads: the whole project declares the models, also on a run
    given a few files.  ``project_files``: the files of the whole project,
    where the run has them (else they are discovered here).  ``light_facts``:
    where the table puts the light passes' facts of the files it parsed.
    ``texts_linted``: the texts linted in place of files, where the run's
    inputs are all known; None: texts not known yet may be (an editor's
    buffers), so the table is built whatever the files hold."""
    from async_lint.project_models import project_model_table

    if not _builds_model_table(settings):
        return settings
    table = project_model_table(root, settings, namer, cache, files=project_files, targets=targets, processes=processes, light_facts=light_facts, texts_linted=texts_linted)
    return dataclasses.replace(settings, models=table)


def analyze_in_project(path: str, source: SourceFile, settings: Settings, run_result: RunResult) -> list[Finding]:
    """``path``'s findings as ``run_result``'s run would give them were the
    file's text ``source`` (the other files as they were): its own rules,
    and the project-index rules over the run's index with this file's summary
    replaced.  What the fix safety net re-lints with, so that a DJA401 fixed
    across modules is seen gone (a file linted alone sees no other module)."""
    if settings.models is None and run_result.models is not None:
        # The table the run built: the file's models and relations read as the run read them.
        settings = dataclasses.replace(settings, models=run_result.models)
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
    findings = [f for f in result.findings if not (opted_out and f.code in async_unsafe_codes())]
    findings.extend(project_index_findings(project, path, settings, orm_opt_out=opted_out))
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


def _project_check_findings(settings: Settings, facts: dict[str, list[dict]], cache, aliases: Callable[[str], list[str]] | None = None) -> list[Finding]:
    """The project-wide checks' findings. They depend only on the facts, the
    names the files' modules are imported by (``aliases``) and the settings,
    so with a cache they are kept under a digest of those: a warm run whose
    facts did not change imports no check (and no libcst)."""
    if not facts:
        return []
    key = None
    if cache is not None:
        import json

        from async_lint.cache import build_stamp, content_digest

        names = [(path, aliases(path)) for path in sorted(facts)] if aliases is not None else []
        blob = json.dumps([build_stamp(), settings.fingerprint(), sorted(facts.items()), names], sort_keys=True, default=str)
        key = "project-" + content_digest(blob.encode("utf-8", "surrogatepass"))
        entry = cache.get(key)
        if entry is not None:
            try:
                return [finding_from_located(record) for record in entry["findings"]]
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a damaged entry: recompute and rewrite it
    from async_lint.facts import ProjectFacts

    out: list[Finding] = []
    project_facts = ProjectFacts(facts, aliases=aliases)
    for check_class in _project_checks(settings, facts):
        out.extend(check_class(settings).run(project_facts.only(check_class.fact_kinds)))
    if key is not None:
        cache.put(key, {"findings": [located_record(f) for f in out]})
    return out


def _project_checks(settings: Settings, facts: dict[str, list[dict]]) -> list:
    if not facts:
        # Project checks work on facts only: with none, importing them (and
        # libcst with them) would be wasted on a run served from the cache.
        return []
    from async_lint.checks import entries_for

    # Only the checks that read a kind of fact recorded: each one's findings
    # and needs come from its facts, and importing the others would cost
    # more than a small run's analysis.
    present = {record.get("kind") for records in facts.values() for record in records}
    skipped = async_free(settings)
    return [entry.load() for entry in entries_for(settings.enabled, "project") if present.intersection(entry.fact_kinds) and not (skipped and entry.async_code_only)]


def _build_index(analyzer: _Analyzer, targets: list[str], paths: list[str], root: str, settings: Settings, *, whole_tree: bool = False):
    from async_lint.index import ProjectIndex

    known = ModuleLocator(analyzer.namer, import_roots(root, targets, analyzer.namer), _exclusion(settings))

    def display(path: str) -> str:
        # Chains name files as the findings' own paths are shown: relative to
        # the working folder (project-wide findings are never cached, so this
        # cannot leak into another run's messages).
        return display_path(path).replace(os.sep, "/")

    def summaries() -> dict[str, dict]:
        return {p: r.summary for p, r in analyzer.results.items() if r.summary is not None and analyzer.reports_whole(p)}

    def sync_calls_of(path: str) -> bool:
        # The files whose own text asks for a full pass: the same set on a
        # cold and a warm run, whichever files the cache holds in full.
        return analyzer.results[path].hinted

    # A call in sync code is followed only where it may reach a coroutine
    # function: known from the text of every module, where the run has read them all.
    names = _coroutine_names(analyzer, targets) if whole_tree else None
    may_reach_coroutine = names.may_reach if names is not None else None
    requested: set[str] = set()
    while True:
        index = ProjectIndex(summaries(), known, level_of=level_of, display=display)
        missing = index.demand(targets, sync_calls_of, may_reach_coroutine) - requested
        if not missing:
            return index
        requested |= missing
        analyzer.load(sorted(missing), full=True)


def _coroutine_names(analyzer: _Analyzer, paths: list[str]):
    """The names the project's coroutine functions answer to, from the
    words each file's analysis kept; None where a file's are unknown."""
    from async_lint.coroutine_names import CoroutineNames

    words = [analyzer.results[path].coroutine_words if path in analyzer.results else None for path in paths]
    if any(w is None for w in words):
        return None
    return CoroutineNames(words)


def _load_fact_dependencies(analyzer: "_Analyzer", targets: list[str], root: str, settings: Settings) -> None:
    """Analyse the project files that the enabled project-wide checks say they
    need given the facts known so far (``ProjectCheck.needs``), and the ones
    those facts lead to in turn, so that a run on a few files (the pre-commit
    shape) reports on them what a run on the whole project would."""
    _load_wanted_after_facts(analyzer, targets)
    checks = _project_checks(settings, {path: result.facts for path, result in analyzer.results.items() if result.facts})
    if not checks:
        return
    from async_lint.facts import ProjectFacts

    def loaded(path: str) -> bool:
        return path in analyzer.results and not analyzer.results[path].light

    def holds(path: str, groups: frozenset[str]) -> bool:
        return loaded(path) or (path in analyzer.results and groups.issubset(analyzer.results[path].ast_facts))

    locator = ModuleLocator(analyzer.namer, import_roots(root, targets, analyzer.namer), _exclusion(settings))
    project = ProjectFiles(root, locator, settings, loaded)
    requested_full: set[str] = set()
    requested_light: dict[str, set[str]] = {}
    while True:
        facts = ProjectFacts({path: result.facts for path, result in analyzer.results.items() if result.facts})
        # Files wanted only by checks whose facts a light pass reads with
        # ``ast`` need no full pass when their own text asks for none
        # (``ProjectCheck.ast_facts``).
        full: set[str] = set()
        light: dict[str, set[str]] = {}
        for check in checks:
            needed = check(settings).needs(facts.only(check.fact_kinds), project)
            (light.setdefault(check.ast_facts, set()) if check.ast_facts else full).update(needed)
        full -= requested_full
        for group, paths in light.items():
            paths -= requested_light.get(group, set()) | requested_full | full
        if not full and not any(light.values()):
            return
        requested_full |= full
        for group, paths in light.items():
            requested_light.setdefault(group, set()).update(paths)
        missing = sorted(p for p in full if not loaded(p))
        if missing:
            analyzer.load(missing, full=True)
        # A file wanted for several groups gets one light pass reading them all.
        by_groups: dict[frozenset[str], list[str]] = {}
        for path in sorted(set().union(*light.values())):
            groups = frozenset(group for group, paths in light.items() if path in paths)
            if not holds(path, groups):
                by_groups.setdefault(groups, []).append(path)
        for groups, missing in sorted(by_groups.items(), key=lambda item: sorted(item[0])):
            analyzer.load(missing, full=False, ast_facts=groups)


def _load_wanted_after_facts(analyzer: "_Analyzer", targets: list[str]) -> None:
    """The full pass of the light targets that wait for a fact
    (``Check.text_hints_after_fact``), once a file of the run recorded it."""
    requested: set[str] = set()
    while True:
        recorded = {fact.get("kind") for result in analyzer.results.values() for fact in result.facts}
        waiting = [path for path in targets if path not in requested and path in analyzer.results and analyzer.results[path].light and recorded.intersection(analyzer.results[path].waits_for)]
        if not waiting:
            return
        requested.update(waiting)
        analyzer.load(waiting, full=True)


def _exclusion(settings: Settings):
    """The user's exclude patterns as a test on a path (as discovery applies them)."""
    if not settings.exclude:
        return lambda path: False
    spec = gitignore_spec(list(settings.exclude))
    base = os.getcwd()

    def excluded(path: str) -> bool:
        rel = os.path.relpath(path, base)
        return spec.match_file(rel.replace(os.sep, "/") if not rel.startswith("..") else os.path.basename(path))

    return excluded


def orm_opt_outs(targets: list[str], texts: dict[str, bytes], root: str, unsafe_settings: tuple[str, ...] = ()) -> dict[str, str]:
    """Files where DJANGO_ALLOW_ASYNC_UNSAFE is set on purpose (path -> where):
    in the file (its content in ``texts``), in a conftest.py of its folder
    or a parent folder, or in a settings module of the project
    (``unsafe_settings``), which the process imports before any code runs:
    for every file, for the test files only where the settings are a test
    module's (``settings/test.py``, ``test_settings.py``), for none where
    they are a developer's own (``settings/local.py``)."""

    def read_text(path: str) -> str:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    out = conftest_opt_outs(targets, root, read_text)
    for path, where in pytest_env_opt_outs(targets, root).items():
        out.setdefault(path, where)
    for path in targets:
        data = texts.get(path)
        if data is not None and b"DJANGO_ALLOW_ASYNC_UNSAFE" in data and sets_allow_async_unsafe(data.decode("utf-8", "replace")):
            out.setdefault(path, path)
    scopes = {path: opts_out_for(os.path.relpath(path, root), read_text(path) if os.path.isfile(path) else None) for path in unsafe_settings}
    for settings_path in sorted(unsafe_settings, key=lambda path: scopes[path] != "all"):
        scope = scopes[settings_path]
        # An example's (a demo's, a sandbox's) settings: its own project's files only.
        folder = sample_project_folder(os.path.relpath(settings_path, root)) if scope == "all" else None
        for path in targets:
            relative = os.path.relpath(path, root)
            if scope == "all" and (folder is None or (relative.replace(os.sep, "/") + "/").startswith(folder + "/")) or (scope == "tests" and is_test_module(relative)):
                out.setdefault(path, settings_path)
    return out
