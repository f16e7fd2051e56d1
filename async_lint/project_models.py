"""Reading the project's model declarations before any file is analysed.

The files that can declare a model, manager or QuerySet (a class on some
base, in a file that mentions models, managers or QuerySets, or names a class
found to be one) are read with CPython's ``ast`` into skeletons, cached by
content, and joined into the model table (``analysis/model_table.py``),
together with the installed apps' models the project uses.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import functools
import json
import os
import re
from typing import Callable

from async_lint.analysis.cache_config import SETTINGS_MODULE, STAR_IMPORT, is_sample_path, local_cache_aliases
from async_lint.analysis.middleware_config import listed_after_auth, loads_user, parsed
from async_lint.analysis.model_evidence import may_use_models, names_async_framework
from async_lint.analysis.model_skeleton import SKELETON_FORMAT, build_skeleton, defines_class_with_bases, resolve_relative
from async_lint.analysis.reexports import ReexportScan
from async_lint.analysis.sys_path import is_start_up_module, start_up_path_folders
from async_lint.analysis.model_table import (
    CONTRIB_MODEL_MODULES,
    EMPTY_TABLE,
    MAX_EXTERNAL_MODULES,
    InstalledSource,
    ModelTable,
    build_model_table,
    installed_skeleton_reader,
    models_imports,
    models_module,
)
from async_lint.cache import content_digest
from async_lint.catalog import catalog
from async_lint.discovery import discover
from async_lint.project import ModuleNamer, import_roots, pytest_pythonpath_folders, sets_allow_async_unsafe
from async_lint.settings import Settings

# ``MIDDLEWARE = [...]`` (or ``+=``, annotated) at the top of a settings module.
MIDDLEWARE_SETTING = re.compile(rb"(?m)^MIDDLEWARE\s*(?::[^=\n]*)?[+]?=")
# A module that imports django-ninja (or django-ninja-extra).
NINJA_API = re.compile(rb"(?m)^[ \t]*(?:from|import)[ \t]+ninja(?:_extra)?\b")
# ``SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"`` at a line's start.
SESSION_ENGINE_SETTING = re.compile(rb"(?m)^SESSION_ENGINE\s*(?::[^=\n]*)?=\s*(?:\"([\w.]+)\"|'([\w.]+)'|(.*))")
SIGNED_COOKIE_SESSIONS = b"django.contrib.sessions.backends.signed_cookies"
# Words that a file declaring a model, manager or QuerySet almost always has.
FIRST_HINTS = re.compile(r"Model|Manager|QuerySet|Queryset|models|AUTH_USER_MODEL|Request\b")
MAX_ROUNDS = 6
_MODELS_PACKAGE_INIT = os.sep + os.path.join("models", "__init__.py")
# From this many files to read, worker processes build the skeletons, in
# batches of SKELETON_BATCH files: the table is built before any file is
# analysed, so on one core it held up the whole run (about 1 s on saleor).
PARALLEL_SKELETONS = 64
SKELETON_BATCH = 16
# The skeletons made in this process, of the project's files and of the
# installed modules, by (content digest, module, is_package), and the facts a
# light pass of a project file records, made with its skeleton, by (that key,
# the enabled rules, whether extra async contexts are set): a process that
# runs the engine many times (the flake8 plugin, a file at a time; the
# language server's workspaces; a test session) makes each once.  Bounded:
# past the bound, the oldest is forgotten.
MAX_MADE = 4096
_SKELETONS_MADE: dict[tuple[str, str, bool], dict | None] = {}
_LIGHT_FACTS_MADE: dict[tuple, list[dict] | None] = {}


def forget_made_skeletons() -> None:
    """Forget the skeletons (and light facts) made in this process: the next
    run makes (or reads from its cache) each one it needs, as a new process does."""
    _SKELETONS_MADE.clear()
    _LIGHT_FACTS_MADE.clear()


def _made(data: bytes, module: str, is_package: bool) -> tuple[tuple[str, str, bool], tuple[dict | None] | None]:
    """The key of a module's text, and its skeleton as ``(skeleton,)`` where
    this process made it already."""
    key = (content_digest(data), module, is_package)
    return key, ((_SKELETONS_MADE[key],) if key in _SKELETONS_MADE else None)


def _remember(memo: dict, key: tuple, value) -> None:
    if key not in memo and len(memo) >= MAX_MADE:
        del memo[next(iter(memo))]
    memo[key] = value


def _light_key(made_key: tuple[str, str, bool], settings: Settings) -> tuple:
    # What light_fact_records reads of the settings: the rules that record facts and the prefilter's hints.
    return (made_key, settings.enabled, bool(settings.extra_async_contexts))


def needs_model_table(settings: Settings) -> bool:
    # The ORM rules, and the sync_to_async rules that ask whether a helper returns a QuerySet or touches the ORM.
    return any(rule.family in ("orm", "sync-to-async") for code, rule in catalog().items() if code in settings.enabled)


def _skeleton_key(data: bytes, module: str, is_package: bool) -> str:
    from async_lint.cache import entry_key

    return "skel-" + entry_key(content_digest(data), f"skeleton-{SKELETON_FORMAT}", module, is_package)


def _cached_skeleton(cache, key: str) -> dict | None:
    entry = cache.get(key)
    skeleton = entry.get("skeleton") if entry is not None else None
    if isinstance(skeleton, dict) and isinstance(skeleton.get("classes"), dict) and isinstance(skeleton.get("imports"), dict):
        return skeleton
    return None


def _skeleton(text: str, data: bytes, module: str, is_package: bool, cache, built: tuple[dict | None] | None = None) -> dict | None:
    """The skeleton of a module's text, from the cache or made (``built``:
    made already, by a worker, from this text)."""
    key = None
    if cache is not None:
        key = _skeleton_key(data, module, is_package)
        skeleton = _cached_skeleton(cache, key)
        if skeleton is not None:
            return skeleton
    skeleton = built[0] if built is not None else build_skeleton(text, module, is_package)
    _store(cache, key, skeleton)
    return skeleton


def _store(cache, key: str | None, skeleton: dict | None) -> None:
    if key is not None and skeleton is not None:
        cache.put(key, {"findings": [], "skeleton": skeleton})


def _build_one(item: tuple, settings: Settings | None = None) -> tuple[dict | None, list[dict] | None]:
    """The skeleton of (path, text, module, is_package[, of the project]),
    in a worker, and with ``settings``, for a file of the project, the facts
    a light pass of it will record (file_analysis.light_fact_records), read
    from the same tree."""
    path, text, module, is_package = item[:4]
    if settings is None or len(item) < 5 or "\ufffd" in text:
        return build_skeleton(text, module, is_package), None
    from async_lint.file_analysis import light_fact_records
    from async_lint.source import SourceError, python_parse

    try:
        tree, _error = python_parse(text)
    except SourceError:  # too deep for Python's own limit: as without the facts
        return build_skeleton(text, module, is_package), None
    if tree is None:
        return None, None
    return build_skeleton(text, module, is_package, tree), light_fact_records(path, text, module, is_package, settings, tree)


def _skeletons(
    paths: list[str],
    texts: dict[str, tuple[str, bytes]],
    namer: ModuleNamer,
    cache,
    jobs: int,
    processes: bool,
    ahead: _InstalledAhead | None = None,
    light: tuple[Settings, dict[str, tuple[bytes, list[dict]]]] | None = None,
) -> list[dict | None]:
    """The skeletons of ``paths`` (in their order): from the cache, else
    built, by worker processes when there are many to build; those workers
    also build the skeletons of the installed modules ``ahead`` holds.
    ``light``: (the run's settings, where to put (the file's bytes, the
    facts a light pass of it will record) of each file built), so that the
    light pass need not parse it again."""
    out: dict[str, dict | None] = {}
    todo: list[tuple[str, str, bool, str | None]] = []  # path, module, is_package, cache key
    settings, records = light if light is not None else (None, {})
    made_keys: dict[str, tuple[str, str, bool]] = {}
    for path in paths:
        data = texts[path][1]
        module, is_package = namer.module_name(path)
        key = _skeleton_key(data, module, is_package) if cache is not None else None
        skeleton = _cached_skeleton(cache, key) if key is not None else None
        if skeleton is not None:
            out[path] = skeleton
            continue
        made_keys[path], made = _made(data, module, is_package)
        if made is None:
            todo.append((path, module, is_package, key))
            continue
        out[path] = made[0]
        _store(cache, key, made[0])
        facts = _LIGHT_FACTS_MADE.get(_light_key(made_keys[path], settings)) if settings is not None else None
        if facts is not None:
            records[path] = (data, facts)

    def built(path: str, outcome: tuple[dict | None, list[dict] | None]) -> dict | None:
        skeleton, facts = outcome
        _remember(_SKELETONS_MADE, made_keys[path], skeleton)
        if settings is not None:
            _remember(_LIGHT_FACTS_MADE, _light_key(made_keys[path], settings), facts)
        if facts is not None:
            records[path] = (texts[path][1], facts)
        return skeleton

    # The installed modules go to workers started for the project's own (on
    # their own, the start and the guess's extra modules cost what they save).
    if processes and jobs > 1 and len(todo) >= PARALLEL_SKELETONS:
        from async_lint.workers import Failure, WorkerPool

        if settings is not None:
            # The functions that read light facts, imported here, not by
            # each worker forked below.
            from async_lint.file_analysis import light_fact_checks

            for _hints, entry in light_fact_checks(settings):
                entry.light_facts_function()

        keys = {path: key for path, _module, _is_package, key in todo}
        installed = [item for item in ahead.items() if item[0] not in keys] if ahead is not None else []
        pool = WorkerPool(functools.partial(_build_one, settings=settings), jobs, seconds=0)
        try:
            sent = [(path, texts[path][0], module, is_package, True) for path, module, is_package, _ in todo]
            # The project's many small files go in batches; the few large
            # installed modules one by one, the largest first.
            installed.sort(key=lambda item: -len(item[1]))
            for (path, *_), outcome in pool.map_batched([*sent, *installed], lambda item: item[0] in keys, SKELETON_BATCH):
                if isinstance(outcome, Failure):
                    continue  # built below, in this process, as without workers (an installed one when asked for)
                if path in keys:
                    out[path] = built(path, outcome)
                    _store(cache, keys[path], out[path])
                else:
                    ahead.built[path] = outcome[0]  # type: ignore[union-attr]
        finally:
            pool.close()
    for path, module, is_package, key in todo:
        if path not in out:
            out[path] = skeleton = built(path, _build_one((path, texts[path][0], module, is_package, True), settings))
            _store(cache, key, skeleton)
    return [out[path] for path in paths]


class _InstalledAhead:
    """The installed modules the join will likely read (``models_module``),
    guessed before it starts, so that the workers that build the project's
    first skeletons (a project with many files that may declare a model)
    build theirs too.  Read one by one as the join asks, Django's
    ``django.db.models`` package alone (the fields, the QuerySet, the model
    base) was about 0.3 s of a cold run on such a project, in this process
    while the workers waited.

    The guess follows the import lines of the modules the join starts from
    (the contrib apps, the installed modules the project imports models
    from) through installed modules it may read.  It only saves time: the
    join still asks for each module it needs, and takes a skeleton made here
    only when the file is the one it reads (``take``)."""

    IMPORT_LINE = re.compile(r"(?m)^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t(]+([\w \t,]*)|import[ \t]+([\w.]+))")

    def __init__(self, root: str, starts: list[str], project_modules: set[str], cache):
        self.root = root
        self.starts = starts
        self.project_modules = project_modules
        self.cache = cache
        # path -> (text, module, is_package, data), in the order found.
        self.files: dict[str, tuple[str, str, bool, bytes]] = {}
        self.path_of: dict[str, str] = {}
        # path -> the skeleton a worker built.
        self.built: dict[str, dict | None] = {}

    def items(self) -> list[tuple[str, str, str, bool]]:
        """(path, text, module, is_package) of each module to build (the
        guess is made here, when workers are there to build them)."""
        self._guess()
        return [(path, text, module, is_package) for path, (text, module, is_package, _data) in self.files.items()]

    def _guess(self) -> None:
        source = InstalledSource(self.root)
        project_modules, cache = self.project_modules, self.cache
        seen: set[str] = set()
        pending = collections.deque(self.starts)
        while pending and len(seen) < MAX_EXTERNAL_MODULES:
            module = pending.popleft()
            if module in seen or module in project_modules or not models_module(module):
                continue
            seen.add(module)
            found = source.locate(module)
            if found is None:
                continue
            path, is_package = found
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            text = data.decode("utf-8", "replace")
            if _made(data, module, is_package)[1] is None and (cache is None or _cached_skeleton(cache, _skeleton_key(data, module, is_package)) is None):
                self.files[path] = (text, module, is_package, data)
                self.path_of[module] = path
            for relative, names, plain in self.IMPORT_LINE.findall(text):
                if plain:
                    pending.append(plain)
                    continue
                level = len(relative) - len(relative.lstrip("."))
                target = resolve_relative(relative[level:] or None, level, module, is_package)
                pending.append(target)
                pending.extend(f"{target}.{name}" for name in re.findall(r"\w+", names) if name != "as")

    def take(self, data: bytes, module: str, is_package: bool) -> tuple[dict | None] | None:
        """The skeleton a worker built of this module's text, as ``(skeleton,)``; None when none was."""
        path = self.path_of.get(module)
        if path is None or path not in self.built:
            return None
        _text, _module, package, known_data = self.files[path]
        if package != is_package or known_data != data:
            return None
        return (self.built.pop(path),)


def project_model_table(
    root: str,
    settings: Settings,
    namer: ModuleNamer,
    cache=None,
    files: list[str] | None = None,
    targets: list[str] = (),
    *,
    processes: bool = True,
    light_facts: dict[str, tuple[bytes, list[dict]]] | None = None,
    texts_linted: list[bytes] | None = None,
) -> ModelTable:
    """The model table of the project under ``root`` (its files, or ``files``
    when given): the modules importable from its import roots (as the project
    index finds modules), so a sample project in a folder of its own is not
    mixed with its neighbours.  ``processes``: False where no worker process
    may be forked (a language server's threads).  ``light_facts``: where to
    put, for each file whose skeleton the first round builds, its bytes and
    the facts a light pass of it will record (``_skeletons``).
    ``texts_linted``: where the run's inputs are all known (the command
    line), the texts it lints in place of files (stdin); then, where none of
    them nor any file of the project has code the table can change a finding
    in (``model_evidence.py``), the table is empty.  None: texts not known
    yet may be linted (an editor's buffers), the table is built."""
    root = os.path.abspath(root)
    roots = set(import_roots(root, list(targets), namer))
    if files is None:
        try:
            files = discover([root], exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, root=settings.root).files
        except Exception:  # an unreadable root: no table, the per-file heuristics remain
            return EMPTY_TABLE
    texts: dict[str, tuple[str, bytes]] = {}
    # A models package's __init__ that only re-exports its submodules'
    # models (``from .order import Order``, ``import *``): read in the first
    # round, so the names it gives them are known (table aliases).
    reexporters: set[str] = set()
    external_modules: set[str] = set()
    # The texts that mention CACHES, and whether a settings module is among the files.
    cache_texts: list[str] = []
    has_settings = False
    settings_star_imports: set[bytes] = set()
    async_unsafe_settings: list[str] = []
    settings_paths: list[str] = []
    root_of_folder: dict[str, str] = {}
    reexported = ReexportScan()
    # The folders the settings (or manage.py, wsgi.py, ...) put on sys.path.
    path_folders: list[str] = []
    # Whether the settings list MIDDLEWARE, and whether any file names Django's
    # AuthenticationMiddleware (a settings list, a subclass, a check).
    lists_middleware = False
    names_auth_middleware = False
    # What the settings list after AuthenticationMiddleware (middleware_config.py).
    after_auth: list[str] = []
    # The session engines the settings name (each value; None: one not a plain string).
    session_engines: list[bytes | None] = []
    # Whether a module imports django-ninja (``ModelTable.ninja_api``).
    ninja_api = False
    # Whether a file read has code the table can change a finding in, and
    # the files not read here (to be read for that only while none has).
    uses_models = texts_linted is None or bool(settings.extra_async_contexts) or any(map(may_use_models, texts_linted))
    async_framework = texts_linted is not None and any(map(names_async_framework, texts_linted))
    listed = set(files)
    unread: list[str] = [path for path in targets if path not in listed]
    for path in files:
        if f"{os.sep}migrations{os.sep}" in path or not path.endswith(".py"):
            unread.append(path)
            continue
        folder = os.path.dirname(path)
        if folder not in root_of_folder:
            root_of_folder[folder] = namer.import_root(path)
        if root_of_folder[folder] not in roots:
            unread.append(path)
            continue
        try:
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        uses_models = uses_models or may_use_models(data)
        async_framework = async_framework or names_async_framework(data)
        text = data.decode("utf-8", "replace")
        reexported.add(text, *namer.module_name(path), path)
        if b"sys.path" in data and is_start_up_module(path, text):
            path_folders.extend(start_up_path_folders(path, text))
        if b"CACHES" in data:
            cache_texts.append(text)
        if b"AuthenticationMiddleware" in data:
            names_auth_middleware = True
        if b"INSTALLED_APPS" in data and SETTINGS_MODULE.search(data):
            relative = os.path.relpath(path, root)
            sample = is_sample_path(relative)
            if not sample:
                has_settings = True
                settings_paths.append(path)
                # ``from shared.settings import *``: settings may come from outside the tree.
                settings_star_imports.update(STAR_IMPORT.findall(data))
                if MIDDLEWARE_SETTING.search(data) is not None:
                    lists_middleware = True
                    after_auth.extend(listed_after_auth(text))
            # Test settings opt the tests out; an example's settings opt out its own project (engine.orm_opt_outs).
            if b"DJANGO_ALLOW_ASYNC_UNSAFE" in data and sets_allow_async_unsafe(text):
                async_unsafe_settings.append(path)
        ninja_api = ninja_api or (b"ninja" in data and NINJA_API.search(data) is not None)
        if b"SESSION_ENGINE" in data and not is_sample_path(os.path.relpath(path, root)):
            # Any module that sets it (a settings module, or one of a split
            # settings package's that star-imports the base): each counts.
            session_engines.extend(match.group(1) or match.group(2) for match in SESSION_ENGINE_SETTING.finditer(data))
        if defines_class_with_bases(text) or "AUTH_USER_MODEL" in text:
            texts[path] = (text, data)
        elif path.endswith(_MODELS_PACKAGE_INIT) and "import" in text:
            texts[path] = (text, data)
            reexporters.add(path)
        external_modules |= models_imports(text)
    local_caches = local_cache_aliases(cache_texts, has_settings)
    user_set_by_project = lists_middleware and not names_auth_middleware
    if (local_caches is not None or user_set_by_project or after_auth) and settings_star_imports:
        tops = {namer.module_name(path)[0].partition(".")[0] for path in files if path.endswith(".py")}
        if any(module.decode().partition(".")[0] not in tops for module in settings_star_imports):
            # Settings of another package: its CACHES and MIDDLEWARE are not read.
            local_caches = None
            user_set_by_project = False
            after_auth = []
    # Before any file's other names are asked for: those below these folders are imported by names from them.
    namer.set_path_roots([*path_folders, *pytest_pythonpath_folders(root)])
    user_loaded = bool(after_auth) and _middleware_loads_user(after_auth, files, namer)
    # Every engine the settings name is the signed-cookie store (other settings modules inherit it).
    session_without_io = bool(session_engines) and all(engine == SIGNED_COOKIE_SESSIONS for engine in session_engines)
    reexported.name_also(namer.aliases)

    def finished(table: ModelTable) -> ModelTable:
        return _with_settings_reads(table, local_caches, async_unsafe_settings, reexported, user_set_by_project, settings_paths, user_loaded, session_without_io, ninja_api)

    if not uses_models:
        uses_models, unread_framework = _unread_evidence(unread)
        async_framework = async_framework or unread_framework
    if not uses_models:
        # Every file was read for that, and whether it names an async
        # framework. A package named as the root (``config/`` with its own
        # setup.py) is imported from the folder above it, whose other files
        # the project checks may read: no verdict then.
        inside = all(folder == root or folder.startswith(root + os.sep) for folder in roots)
        table = ModelTable(async_free=inside and not async_framework)
        table.installed = {}  # no installed module read
        return finished(table)
    project_modules = {namer.module_name(path)[0] for path in texts}
    module_aliases = _module_aliases(texts, namer, project_modules)
    # The table of the same files is kept whole: a warm run reads the files
    # (for this key) and the installed modules the table leaned on, no more.
    contents = {path: content_digest(data) for path, (_text, data) in texts.items()} if cache is not None else {}
    memo_key = _table_key(root, roots, contents, namer, external_modules, module_aliases) if cache is not None else None
    if memo_key is not None:
        kept = _cached_table(cache, memo_key, root)
        if kept is not None:
            return finished(kept)
    hints = _Hints(texts, reexporters)
    # An edit that changes no skeleton the table is made of (a function's
    # body, a comment) keeps the table too: the same files are picked, round
    # by round, and each has the skeleton it had.
    shape_key = _table_key(root, roots, contents, namer, external_modules, module_aliases, with_contents=False) if memo_key is not None else None
    if shape_key is not None:
        kept = _table_of_same_skeletons(cache, shape_key, root, texts, contents, namer, hints)
        if kept is not None:
            _store_table(cache, memo_key, kept, kept.installed)
            return finished(kept)
    skeletons: dict[str, dict] = {}
    done: set[str] = set()
    # What the table is made of: each round's files and the names it found
    # (to pick the next round's), and each file's content and skeleton digests.
    trace: list[tuple[list[str], list[str]]] = []
    made_of: dict[str, list[str]] = {}
    mentions: Callable[[str], bool] = hints.first
    searched: set[str] = set()
    # The installed apps' modules (django.contrib's) are read on every run:
    # their skeletons are cached like the project's (and read once a run).
    installed: dict[str, list | None] = {}
    starts = [*CONTRIB_MODEL_MODULES, *sorted(external_modules - project_modules)]
    ahead = _InstalledAhead(root, starts, project_modules, cache) if processes and settings.jobs > 1 else None

    def installed_skeleton(text: str, data: bytes, module: str, is_package: bool) -> dict | None:
        made_key, made = _made(data, module, is_package)
        if made is None and ahead is not None:
            made = ahead.take(data, module, is_package)
        skeleton = _skeleton(text, data, module, is_package, cache, made)
        _remember(_SKELETONS_MADE, made_key, skeleton)
        return skeleton

    reader = installed_skeleton_reader(root, installed_skeleton, read=installed)
    table = ModelTable()
    for _round in range(MAX_ROUNDS):
        fresh = [p for p in texts if p not in done and mentions(p)]
        if not fresh:
            break
        done.update(fresh)
        # The first round's workers build the installed modules ahead too.
        light = (settings, light_facts) if light_facts is not None and _round == 0 else None
        for path, skeleton in zip(fresh, _skeletons(fresh, texts, namer, cache, settings.jobs, processes, ahead if _round == 0 else None, light)):
            if shape_key is not None:  # kept: a run without a cache digests nothing
                made_of[path] = [contents[path], _skeleton_digest(skeleton)]
            if skeleton is not None:
                skeletons.setdefault(skeleton["module"], skeleton)
        table = build_model_table(skeletons, reader, sorted(external_modules - project_modules), project_modules, module_aliases)
        # A class deriving from one found so far may live in a file with none of the first hints.
        found = [q for q in (*table.models, *table.methods, *table.request_classes) if q.rpartition(".")[0] in project_modules]
        names = {q.rpartition(".")[2] for q in found}
        # Every file left was searched for the names of the rounds before, in vain: only new names can find one.
        new_names = names - searched
        trace.append((fresh, sorted(new_names)))
        if not new_names:
            break
        searched |= new_names
        mentions = hints.naming(new_names)
    if not done and external_modules - project_modules:
        # No file of the project declares a model: those of the installed apps it imports still count.
        table = build_model_table({}, reader, sorted(external_modules - project_modules), project_modules)
    if memo_key is not None:
        _store_table(cache, memo_key, table, installed)
        _store_table(cache, shape_key, table, installed, trace=trace, made_of=made_of, contents=contents)
    table.installed = installed  # a table of its own: built here, never EMPTY_TABLE
    return finished(table)


def _middleware_loads_user(listed: list[str], files: list[str], namer: ModuleNamer) -> bool:
    """Whether one of the middleware ``listed`` after AuthenticationMiddleware
    reads ``request.user`` before the view runs (middleware_config.py).
    Each module is read and parsed once, however many of its classes are listed."""
    by_module: dict[str, str] | None = None
    trees: dict[str, ast.Module | None] = {}

    def tree_of(module: str) -> ast.Module | None:
        nonlocal by_module
        if module in trees:
            return trees[module]
        if by_module is None:
            by_module = {}
            for path in files:
                if path.endswith(".py"):
                    by_module.setdefault(namer.module_name(path)[0], path)
        path = by_module.get(module)
        tree = None
        if path is not None:
            try:
                with open(path, "rb") as fh:
                    tree = parsed(fh.read().decode("utf-8", "replace"))
            except OSError:
                pass
        trees[module] = tree
        return tree

    return any(loads_user(name, tree_of) for name in dict.fromkeys(listed))


def _unread_evidence(paths: list[str]) -> tuple[bool, bool]:
    """Of the files the table's read left out, each read once: whether one
    has code the table can change a finding in (the first that has ends the
    read), and whether one read names an async framework."""
    framework = False
    for path in paths:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # not linted either: the run reports it
        if may_use_models(data):
            return True, framework
        framework = framework or names_async_framework(data)
    return False, framework


def _with_settings_reads(
    table: ModelTable,
    local: tuple[str, ...] | None,
    async_unsafe: list[str],
    reexported: ReexportScan,
    user_set_by_project: bool,
    settings_paths: list[str],
    user_loaded: bool,
    session_without_io: bool = False,
    ninja_api: bool = False,
) -> ModelTable:
    """The table with what the settings say of the caches, of
    DJANGO_ALLOW_ASYNC_UNSAFE and of the middleware, and the names the
    project's modules re-export from outside it: read on every run from
    every file's text (already read here), not kept with the table, whose
    key covers only the files that may declare a class."""
    return dataclasses.replace(
        table,
        local_caches=local,
        async_unsafe_settings=tuple(async_unsafe),
        # A project model re-exported by a module that is not its own
        # (``from app.services import Category``): the model's name.
        reexports=reexported.table(keep=lambda qualified: qualified in table.models),
        user_set_by_project=user_set_by_project,
        user_loaded_by_middleware=user_loaded,
        settings_paths=tuple(sorted(settings_paths)),
        session_without_io=session_without_io,
        ninja_api=ninja_api,
        _digest=None,
    )


TABLE_FORMAT = 10


def _module_aliases(texts, namer: ModuleNamer, project_modules: set[str]) -> dict[str, str]:
    """The other names the project imports its model files by (ModuleNamer.aliases):
    alias -> the module's own name, none that is another module's own name."""
    out: dict[str, str] = {}
    for path in texts:
        module = namer.module_name(path)[0]
        for alias in namer.aliases(path):
            if alias != module and alias not in project_modules:
                out.setdefault(alias, module)
    return out


def _table_key(
    root: str,
    roots: set[str],
    contents: dict[str, str],
    namer: ModuleNamer,
    external_modules: set[str],
    module_aliases: dict[str, str],
    with_contents: bool = True,
) -> str:
    """What the table is made of: the files that may declare a class (each
    by path, module name and content digest) and the installed modules the
    others import models from; the installed modules it read are checked
    apart.  ``with_contents=False``: the files without their contents (the
    key of a table kept with what it was made of, ``_table_of_same_skeletons``)."""
    from async_lint.cache import entry_key

    parts = [root, *sorted(roots), "\0", *sorted(external_modules), "\0", *sorted(f"{a}={m}" for a, m in module_aliases.items()), "\0"]
    for path in sorted(contents):
        module, is_package = namer.module_name(path)
        parts.append(f"{path}\0{module}\0{int(is_package)}\0{contents[path] if with_contents else ''}")
    return ("table-" if with_contents else "shape-") + entry_key(content_digest("\n".join(parts).encode("utf-8", "surrogatepass")), f"model-table-{TABLE_FORMAT}-{SKELETON_FORMAT}", "", False)


def _store_table(cache, key: str, table: ModelTable, installed: dict[str, list | None], **made_of) -> None:
    data = [table.models, table.methods, table.aliases, table.user_model, sorted(table.request_classes), sorted(table.plain_classes), sorted(table.model_serializers)]
    cache.put(key, {"findings": [], "table": data, "installed": installed, **made_of})


def _cached_table(cache, key: str, root: str) -> ModelTable | None:
    """The kept table, if every installed module it read is still the file
    it read (same path, same content) and those it found missing still are."""
    entry = cache.get(key)
    if entry is None or not isinstance(entry.get("installed"), dict) or not installed_unchanged(entry["installed"], root):
        return None
    return _table_of(entry)


def _table_of(entry: dict) -> ModelTable | None:
    """The table a kept entry holds, or None where it is not of that shape."""
    try:
        models, methods, aliases, user_model, request_classes, plain_classes, model_serializers = entry["table"]
    except (TypeError, ValueError):
        return None
    if not (
        isinstance(models, dict)
        and isinstance(methods, dict)
        and isinstance(aliases, dict)
        and isinstance(request_classes, list)
        and isinstance(plain_classes, list)
        and isinstance(model_serializers, list)
    ):
        return None
    return ModelTable(
        models=models,
        methods=methods,
        aliases=aliases,
        user_model=user_model,
        request_classes=frozenset(request_classes),
        plain_classes=frozenset(plain_classes),
        model_serializers=frozenset(model_serializers),
        installed=entry["installed"],
    )


def _table_of_same_skeletons(cache, key: str, root: str, texts: dict[str, tuple[str, bytes]], contents: dict[str, str], namer: ModuleNamer, hints: "_Hints") -> ModelTable | None:
    """The table kept under ``key`` (the same files, not their contents), if
    it would be built again as it was: each round picks the files it picked
    (from the first hints, then the names the round before found), each
    picked file has the skeleton it had, and the installed modules are
    unchanged.  Then each round's table, and so the names it finds, is the
    same.  A file with the content it had is picked as it was; only the
    changed files are asked again."""
    entry = cache.get(key)
    try:
        if entry is None or not isinstance(entry["installed"], dict):
            return None
        trace = [(list(fresh), set(names)) for fresh, names in entry["trace"]]
        made_of = {str(path): list(digests) for path, digests in entry["made_of"].items()}
        contents_then = dict(entry["contents"])
    except (KeyError, TypeError, ValueError):
        return None
    round_of = {path: index for index, (fresh, _names) in enumerate(trace) for path in fresh}
    if set(contents_then) != set(contents) or set(made_of) != set(round_of):
        return None
    for path in contents:
        if contents_then[path] == contents[path]:
            continue
        if _round_picking(path, trace, hints) != round_of.get(path):
            return None
        if path in made_of and made_of[path][0] != contents[path]:
            text, data = texts[path]
            module, is_package = namer.module_name(path)
            if _skeleton_digest(_skeleton(text, data, module, is_package, cache)) != made_of[path][1]:
                return None
    if not installed_unchanged(entry["installed"], root):
        return None
    return _table_of(entry)


def _round_picking(path: str, trace: list[tuple[list[str], set[str]]], hints: "_Hints") -> int | None:
    """The round of the build ``trace`` records that would pick ``path`` as
    its text is now (a round past the last: one the build did not have), or None."""
    mentions: Callable[[str], bool] = hints.first
    for index, (_fresh, new_names) in enumerate(trace):
        if mentions(path):
            return index
        if not new_names:
            return None
        mentions = hints.naming(new_names)
    return len(trace) if len(trace) < MAX_ROUNDS and mentions(path) else None


def _skeleton_digest(skeleton: dict | None) -> str:
    return content_digest(json.dumps(skeleton, sort_keys=True).encode("utf-8", "surrogatepass"))


def installed_unchanged(installed: dict, root: str) -> bool:
    """Whether each installed module a table was made from is still found
    at the same path with the same content, and each one found missing still is."""
    source = InstalledSource(root)
    for module, read in installed.items():
        found = source.locate(module)
        if read is None or found is None:
            if read is not None or found is not None:
                return False
            continue
        try:
            with open(found[0], "rb") as fh:
                data = fh.read()
        except OSError:
            return False
        if [found[0], content_digest(data)] != read:
            return False
    return True


class _Hints:
    """Which files may declare a model, manager or QuerySet: the first hints,
    then the names of the classes found so far (``\\bName\\b``).  Each file's
    words are listed once, so a round asks a set, not a regex of hundreds of
    alternatives tried at every position of every file."""

    WORD = re.compile(r"\w+")

    def __init__(self, texts: dict[str, tuple[str, bytes]], always: set[str] = frozenset()):
        self.texts = texts
        self.always = always
        self.words: dict[str, frozenset[str]] = {}

    def first(self, path: str) -> bool:
        return path in self.always or FIRST_HINTS.search(self.texts[path][0]) is not None

    def naming(self, names: set[str]) -> Callable[[str], bool]:
        # A name of word characters only is a whole word of a text exactly where ``\bName\b`` matches.
        plain = frozenset(name for name in names if self.WORD.fullmatch(name))
        odd = sorted(names - plain)
        odd_pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, odd)) + r")\b") if odd else None

        def names_one(path: str) -> bool:
            text = self.texts[path][0]
            words = self.words.get(path)
            if words is None:
                words = self.words[path] = frozenset(self.WORD.findall(text))
            return not plain.isdisjoint(words) or (odd_pattern is not None and odd_pattern.search(text) is not None)

        return names_one
