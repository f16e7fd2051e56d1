"""The project around the linted paths: its root, and each file's module name.

A run given a few files (a pre-commit hook passes only the changed ones) still
needs the rest of the project to follow calls into unchanged helper modules,
so the project is found from the paths: the nearest folder upwards that holds
one of ``ROOT_MARKERS``.  Module names come from the package layout: a file's
import root is the first folder above it without an ``__init__.py``; that
covers flat layouts, ``src/`` layouts and Django's layout where the folder of
``manage.py`` is the import root.
"""

from __future__ import annotations

import ast
import configparser
import functools
import keyword
import os
import re
from dataclasses import dataclass, field
from typing import Callable

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "manage.py", ".git")

# Code that *sets* the variable, on a line that is not a comment:
# ``os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = ...``, ``setdefault/setenv/putenv("DJANGO_ALLOW_ASYNC_UNSAFE", ...)``,
# ``{"DJANGO_ALLOW_ASYNC_UNSAFE": ...}`` (``mock.patch.dict``), ``environ.update(DJANGO_ALLOW_ASYNC_UNSAFE=...)``.
# Reading it (``os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")``, as Django itself does) is not opting out.
_ALLOW_ASYNC_UNSAFE = re.compile(
    r"""(?m)^[^#\n]*(?:"""
    r"""\[\s*['"]DJANGO_ALLOW_ASYNC_UNSAFE['"]\s*\]\s*=(?!=)"""
    r"""|(?:setdefault|setenv|putenv)\(\s*['"]DJANGO_ALLOW_ASYNC_UNSAFE['"]"""
    r"""|['"]DJANGO_ALLOW_ASYNC_UNSAFE['"]\s*:"""
    r"""|\bDJANGO_ALLOW_ASYNC_UNSAFE\s*=(?!=))"""
)
ALLOW_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def sets_allow_async_unsafe(text: str) -> bool:
    """True when code in ``text`` sets DJANGO_ALLOW_ASYNC_UNSAFE: a cheap text
    test, confirmed by CPython's parser so that a docstring or a string that
    only mentions the setting (`first method (DJANGO_ALLOW_ASYNC_UNSAFE=True)`)
    opts nothing out."""
    if ALLOW_ASYNC_UNSAFE not in text or _ALLOW_ASYNC_UNSAFE.search(text) is None:
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # the text test alone
    return any(_sets_in_code(node) for node in ast.walk(tree))


def _sets_in_code(node: ast.AST) -> bool:
    def named(expr: ast.AST | None) -> bool:
        return isinstance(expr, ast.Constant) and expr.value == ALLOW_ASYNC_UNSAFE

    def switches_off(value: ast.AST | None) -> bool:
        # Django reads ``if not os.environ.get(...)``: an empty value keeps the guard on.
        return not (isinstance(value, ast.Constant) and value.value == "")

    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        # ``os.environ[...] = ...``; a variable of that name (a setting) is
        # not the environment, which is all Django reads.
        return any(isinstance(t, ast.Subscript) and named(t.slice) for t in targets) and switches_off(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("setdefault", "setenv", "putenv") and node.args and named(node.args[0]):
            return switches_off(node.args[1] if len(node.args) > 1 else None)
        return any(k.arg == ALLOW_ASYNC_UNSAFE and switches_off(k.value) for k in node.keywords)
    if isinstance(node, ast.Dict):
        return any(named(key) and switches_off(value) for key, value in zip(node.keys, node.values))
    return False


def is_test_module(path: str) -> bool:
    """A test module or a test's support: ``test_*.py``, ``*_test(s).py``,
    ``conftest.py``, or any file of a ``test(s)``/``testing`` folder."""
    folder, name = os.path.split(os.path.normpath(path))
    stem = name[:-3] if name.endswith(".py") else name
    if stem == "conftest" or stem.startswith("test") or stem.endswith(("_test", "_tests")):
        return True
    return any(part in ("test", "tests", "testing") for part in folder.split(os.sep))


# Settings modules of a developer's machine: what they switch off is not
# switched off where the project runs.
_DEVELOPMENT_SETTINGS = frozenset({"local", "dev", "develop", "development", "debug", "local_settings", "settings_local", "dev_settings", "settings_dev"})


def opts_out_for(settings_path: str, text: str | None = None) -> str | None:
    """Where DJANGO_ALLOW_ASYNC_UNSAFE set in this settings module holds:
    ``"all"`` (the project's settings, imported by every process), ``"tests"``
    (test settings, or settings that set it only when a test run is
    detected: ``if "test" in sys.argv:``), None (a developer's local
    settings).  ``text``: the module's source, where known."""
    stem = os.path.basename(settings_path)[:-3]
    if is_test_module(settings_path):
        return "tests"
    if stem in _DEVELOPMENT_SETTINGS:
        return None
    return "tests" if text is not None and _sets_only_for_tests(text) else "all"


def _sets_only_for_tests(text: str) -> bool:
    """Every statement of the module that sets DJANGO_ALLOW_ASYNC_UNSAFE is
    in the body of an ``if`` that tests for a test run (``"test" in
    sys.argv``, ``RUNNING_TESTS``, ``settings.TESTING``): the variable is set
    for the tests, not where the project serves requests."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    guarded: list[bool] = []

    def visit(node: ast.AST, under_test: bool) -> None:
        if isinstance(node, ast.If):
            visit(node.test, under_test)
            for child in node.body:
                visit(child, under_test or _tests_for_a_test_run(node.test))
            for child in node.orelse:
                visit(child, under_test)
            return
        if _sets_in_code(node):
            guarded.append(under_test)
        for child in ast.iter_child_nodes(node):
            visit(child, under_test)

    visit(tree, False)
    return bool(guarded) and all(guarded)


def _tests_for_a_test_run(test: ast.AST) -> bool:
    """An ``if`` test that holds in a test run: it names a test flag or the
    word "test" (``"test" in sys.argv``, ``TESTING``, ``"pytest" in
    sys.modules``), not negated."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return False
    for node in ast.walk(test):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return False
        word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if word is not None and "test" in word.lower():
            return True
    return False


def find_project_root(paths: list[str]) -> str:
    """The nearest folder upwards of the first path that holds a root marker;
    else the folder of the path itself."""
    start = os.path.abspath(paths[0] if paths else ".")
    folder = start if os.path.isdir(start) else os.path.dirname(start)
    current = folder
    while True:
        if any(os.path.exists(os.path.join(current, marker)) for marker in ROOT_MARKERS):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return folder
        current = parent


@dataclass
class ModuleNamer:
    """Module names from the package layout (``__init__.py`` and ``manage.py``
    lookups, and the names made of them, are cached: a run asks for each
    file's several times)."""

    root: str
    _holds: dict[str, bool] = field(default_factory=dict)
    _names: dict[str, tuple[str, bool]] = field(default_factory=dict)
    _packages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _manage_above: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # (project root, the files linted) -> the import roots of those files (``import_roots``).
    _roots: dict[tuple[str, tuple[str, ...]], list[str]] = field(default_factory=dict)
    _aliases: dict[str, list[str]] = field(default_factory=dict)
    _mapped: dict[str, tuple[str, ...]] | None = None
    # Folders of the project that its start-up code puts on ``sys.path``
    # (analysis/sys_path.py): the files below them are imported by their
    # names relative to them too.
    path_roots: tuple[str, ...] = ()

    def set_path_roots(self, folders) -> None:
        """The project folders among ``folders`` (absolute) are the import
        roots the start-up code adds (``sys.path.insert(0, APPS_DIR)`` in the
        settings), in place of those set before (a language server's
        workspace reads them again at each run); before any file's other
        names are asked for."""
        root = os.path.abspath(self.root)
        kept: list[str] = []
        for folder in folders:
            folder = os.path.normpath(folder)
            if folder not in kept and folder != root and (folder + os.sep).startswith(root + os.sep) and os.path.isdir(folder):
                kept.append(folder)
        if tuple(kept) != self.path_roots:
            self.path_roots = tuple(kept)
            self._aliases.clear()
            # A folder on sys.path ends the namespace packages above a module (``_enclosing_package``).
            self._packages.clear()
            self._names.clear()

    def package_dirs(self) -> dict[str, tuple[str, ...]]:
        """Folders that setuptools' ``package-dir`` (``[tool.setuptools]`` of
        the root's pyproject.toml) installs under another name: folder ->
        the package's dotted parts (``{"agent_runtime" = "."}``: the
        project's root folder is the package ``agent_runtime``)."""
        if self._mapped is None:
            self._mapped = _setuptools_package_dirs(os.path.abspath(self.root))
        return self._mapped

    def _holds_file(self, folder: str, name: str) -> bool:
        path = os.path.join(folder, name)
        found = self._holds.get(path)
        if found is None:
            found = self._holds[path] = os.path.isfile(path)
        return found

    def _has_init(self, folder: str) -> bool:
        return self._holds_file(folder, "__init__.py")

    def is_package_folder(self, folder: str) -> bool:
        return self._has_init(folder)

    def module_name(self, path: str) -> tuple[str, bool]:
        """(dotted module name, is_package) of a ``.py`` file."""
        known = self._names.get(path)
        if known is None:
            known = self._names[path] = self._module_name(path)
        return known

    def _module_name(self, path: str) -> tuple[str, bool]:
        path = os.path.abspath(path)
        folder, filename = os.path.split(path)
        stem = filename[:-3] if filename.endswith(".py") else filename
        is_package = stem == "__init__"
        package = self._package(folder)
        name = ".".join(package if is_package else (*package, stem))
        return name or stem, is_package

    def _package(self, folder: str) -> tuple[str, ...]:
        """The dotted name's parts of the package the modules in ``folder``
        are in, outermost first: the folders upwards that hold an
        ``__init__.py``; for a folder without one inside a package of the
        project, that package's and the folders' between (a namespace
        package of it, ``_enclosing_package``); () when it is none.  Kept
        per folder: a project's files share a few folders."""
        known = self._packages.get(folder)
        if known is None:
            known = self._package_chain(folder)
            if not known and not self._has_init(folder):
                enclosing = self._enclosing_package(folder)
                if enclosing is not None:
                    known = (*self._package_chain(enclosing[0]), *enclosing[1])
            self._packages[folder] = known
        return known

    def _package_chain(self, folder: str) -> tuple[str, ...]:
        """The dotted name's parts of the package ``folder`` is (the folders
        upwards that hold an ``__init__.py``, or setuptools' mapping); ()
        when it is none."""
        mapped = self.package_dirs().get(folder)
        if mapped is not None:
            return mapped
        if not self._has_init(folder):
            return ()
        parent = os.path.dirname(folder)
        return (*(self._package_chain(parent) if parent != folder else ()), os.path.basename(folder))

    def _enclosing_package(self, folder: str) -> tuple[str, tuple[str, ...]] | None:
        """For a folder without ``__init__.py`` inside a package of the
        project (``app/management/commands/`` below ``app/__init__.py``):
        the package's folder and the names of the folders between, which
        Python imports as namespace packages inside it
        (``app.management.commands``); None where no folder up to the
        project's root is a package."""
        root = os.path.abspath(self.root)
        parts: list[str] = []
        while (folder + os.sep).startswith(root + os.sep) and folder != root:
            base = os.path.basename(folder)
            if not base.isidentifier() or keyword.iskeyword(base) or self._holds_manage_py(folder) or folder in self.path_roots:
                return None  # a folder Python has on sys.path for the project: its modules are named from it
            parts.insert(0, base)
            folder = os.path.dirname(folder)
            if self._has_init(folder):
                return folder, tuple(parts)
        return None

    def _holds_manage_py(self, folder: str) -> bool:
        return self._holds_file(folder, "manage.py")

    def _manage_packages(self, path: str) -> list[tuple[str, str]]:
        """(folder, the file's dotted name below it) of each package folder
        above ``path`` that holds a manage.py, innermost first."""
        folder, filename = os.path.split(os.path.abspath(path))
        stem = filename[:-3] if filename.endswith(".py") else filename
        return [(above, ".".join(filter(None, (between, "" if stem == "__init__" else stem)))) for above, between in self._manage_folders(folder)]

    def _manage_folders(self, folder: str) -> tuple[tuple[str, str], ...]:
        """(folder, ``folder``'s dotted name below it) of each package folder
        from ``folder`` upwards that holds a manage.py, innermost first: kept
        per folder (the model table asks it of every file)."""
        known = self._manage_above.get(folder)
        if known is None:
            out = []
            parts: list[str] = []
            current = folder
            while self._has_init(current):
                if self._holds_manage_py(current):
                    out.append((current, ".".join(reversed(parts))))
                parts.append(os.path.basename(current))
                parent = os.path.dirname(current)
                if parent == current:
                    break
                current = parent
            known = self._manage_above[folder] = tuple(out)
        return known

    def aliases(self, path: str) -> list[str]:
        """Other names the file is imported by: ``python manage.py`` puts
        manage.py's folder first on ``sys.path``, so below a package folder
        that holds manage.py (``apps/__init__.py`` beside ``apps/manage.py``)
        the project imports ``orgs.mixins`` for ``apps.orgs.mixins``; and a
        folder without ``__init__.py`` is a namespace package (PEP 420)
        below the project's root, its ``src/`` or a folder holding
        manage.py: ``app/models.py`` is ``app.models``; a module in a folder
        without ``__init__.py`` inside a package (``app/tests/test_api.py``,
        named ``app.tests.test_api``) is also ``test_api``."""
        known = self._aliases.get(path)
        if known is None:
            known = [name for _, name in self._manage_packages(path) if name]
            folder, filename = os.path.split(os.path.abspath(path))
            if filename.endswith(".py") and not self._has_init(folder) and self._enclosing_package(folder) is not None:
                # Also a top-level module where its folder is put on sys.path
                # (pytest's default import mode for a test folder without ``__init__.py``).
                known.append(filename[:-3])
            known.extend(name for name in self._namespace_names(path) if name not in known)
            known.extend(name for name in self._path_root_names(path) if name not in known)
            self._aliases[path] = known
        return known

    def _path_root_names(self, path: str) -> list[str]:
        """The file's names below the folders the project puts on
        ``sys.path`` (``path_roots``), other than its own."""
        if not self.path_roots:
            return []
        path = os.path.abspath(path)
        own = self.module_name(path)[0]
        out = []
        for folder in self.path_roots:
            if not path.startswith(folder + os.sep):
                continue
            parts = os.path.relpath(path, folder)[:-3].split(os.sep) if path.endswith(".py") else []
            if parts and parts[-1] == "__init__":
                parts.pop()
            if parts and all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
                name = ".".join(parts)
                if name != own and name not in out:
                    out.append(name)
        return out

    def _namespace_names(self, path: str) -> list[str]:
        """The file's names through the namespace packages above its package
        (innermost import root first), each relative to a folder Python
        would have on ``sys.path`` for the project."""
        name, _ = self.module_name(path)
        folder = self.import_root(path)
        root = os.path.abspath(self.root)
        if not (folder + os.sep).startswith(root + os.sep):
            return []
        out = []
        parts: list[str] = []
        src = os.path.join(root, "src")
        while folder != root:
            base = os.path.basename(folder)
            if not base.isidentifier() or keyword.iskeyword(base):
                break
            parts.insert(0, base)
            folder = os.path.dirname(folder)
            if folder in (root, src) or self._holds_manage_py(folder):
                out.append(".".join([*parts, name]))
        return out

    def manage_roots(self, path: str) -> list[str]:
        """The package folders above ``path`` that hold a manage.py (see ``aliases``)."""
        return [folder for folder, _ in self._manage_packages(path)]

    def import_root(self, path: str) -> str:
        """The folder above the outermost package the file is in (its own
        folder for a top-level module)."""
        folder = os.path.dirname(os.path.abspath(path))
        enclosing = None if self._has_init(folder) else self._enclosing_package(folder)
        if enclosing is not None:
            folder = enclosing[0]
        while self._has_init(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        return folder


def _setuptools_package_dirs(root: str) -> dict[str, tuple[str, ...]]:
    """``package-dir`` of ``[tool.setuptools]`` in ``root``'s pyproject.toml:
    folder -> package parts, for the packages it names (its ``""`` entry,
    a folder of top-level packages, names none); {} without one."""
    from async_lint import _toml

    try:
        with open(os.path.join(root, "pyproject.toml"), "rb") as fh:
            data = _toml.load(fh)
    except (OSError, ValueError):
        return {}
    setuptools = data.get("tool", {}).get("setuptools", {}) if isinstance(data.get("tool"), dict) else {}
    mapping = setuptools.get("package-dir") if isinstance(setuptools, dict) else None
    if not isinstance(mapping, dict):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for name, folder in mapping.items():
        parts = tuple(name.split(".")) if isinstance(name, str) else ()
        if parts and all(part.isidentifier() for part in parts) and isinstance(folder, str):
            path = os.path.normpath(os.path.join(root, folder))
            if (path + os.sep).startswith(root + os.sep) or path == root:
                out[path] = parts
    return out


def relative_display(path: str, root: str) -> str:
    """``shop/services.py``: a path relative to the project root, with forward slashes."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path.replace(os.sep, "/")
    if rel.startswith(".."):
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


def _found_upwards(folder: str, root: str, probe: Callable[[str], tuple[str | None, bool]], memo: dict[str, str | None]) -> str | None:
    """The first file ``probe`` finds in ``folder`` or a parent folder, up to
    the project ``root``; ``probe(folder)``: (the file found there, or None;
    whether to look further up).  ``memo`` keeps each folder's answer."""
    if folder in memo:
        return memo[folder]
    found, goes_on = probe(folder)
    parent = os.path.dirname(folder)
    if found is None and goes_on and parent != folder and (parent + os.sep).startswith(root + os.sep):
        found = _found_upwards(parent, root, probe, memo)
    memo[folder] = found
    return found


def conftest_opt_outs(files: list[str], root: str, read_text) -> dict[str, str]:
    """For each file, the ``conftest.py`` in its folder or a parent folder (up to
    the project root), or the ``__init__.py`` of a package it is in, that sets
    DJANGO_ALLOW_ASYNC_UNSAFE, if any."""
    root = os.path.abspath(root)
    memos: dict[str, dict[str, str | None]] = {"conftest.py": {}, "__init__.py": {}}

    def probe(name: str) -> Callable[[str], tuple[str | None, bool]]:
        """The ``name`` file of a folder that sets it.  ``__init__.py``s count
        only while the folders are packages: Python runs them before any
        module inside."""

        def at(folder: str) -> tuple[str | None, bool]:
            candidate = os.path.join(folder, name)
            present = os.path.isfile(candidate)
            found: str | None = None
            if present:
                try:
                    if sets_allow_async_unsafe(read_text(candidate)):
                        found = candidate
                except OSError:
                    found = None
            return found, present or name != "__init__.py"

        return at

    probes = {name: probe(name) for name in memos}
    out: dict[str, str] = {}
    for path in files:
        folder = os.path.dirname(os.path.abspath(path))
        found = _found_upwards(folder, root, probes["conftest.py"], memos["conftest.py"]) or _found_upwards(folder, root, probes["__init__.py"], memos["__init__.py"])
        if found is not None and found != os.path.abspath(path):
            out[path] = found
    return out


# pytest's configuration files, and the section each keeps its settings in.
_PYTEST_INI_SECTIONS = (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


def pytest_env_opt_outs(files: list[str], root: str) -> dict[str, str]:
    """For each test module (``is_test_module``), the pytest configuration of
    its folder or a parent folder (up to the project root) that sets
    DJANGO_ALLOW_ASYNC_UNSAFE in the environment of the test run (the
    pytest-env plugin: ``env = ["DJANGO_ALLOW_ASYNC_UNSAFE=true"]`` in
    ``[tool.pytest.ini_options]``, ``[pytest]``, ``[tool:pytest]``, or
    ``[tool.pytest_env]``), if any: every test it runs has the variable set."""
    root = os.path.abspath(root)
    memo: dict[str, str | None] = {}

    def probe(folder: str) -> tuple[str | None, bool]:
        return _pytest_config_sets_unsafe(folder), True

    out: dict[str, str] = {}
    for path in files:
        absolute = os.path.abspath(path)
        if (absolute + os.sep).startswith(root + os.sep) and is_test_module(os.path.relpath(absolute, root)):
            found = _found_upwards(os.path.dirname(absolute), root, probe, memo)
            if found is not None:
                out[path] = found
    return out


def _pytest_config_sets_unsafe(folder: str) -> str | None:
    """The pytest configuration file in ``folder`` whose ``env`` sets
    DJANGO_ALLOW_ASYNC_UNSAFE (to any non-empty value: Django tests only
    that it is set), or None."""
    pyproject = os.path.join(folder, "pyproject.toml")
    if os.path.isfile(pyproject):
        try:
            with open(pyproject, "rb") as fh:
                data = fh.read()
            if ALLOW_ASYNC_UNSAFE.encode() in data:
                from async_lint import _toml

                tool = _toml.loads(data.decode("utf-8")).get("tool", {})
                entries = tool.get("pytest", {}).get("ini_options", {}).get("env", ())
                table = tool.get("pytest_env", {})
                value = table.get(ALLOW_ASYNC_UNSAFE) if isinstance(table, dict) else None
                if isinstance(value, dict):
                    value = value.get("value")
                if _env_entries_set(entries if isinstance(entries, list) else str(entries).splitlines()) or (value is not None and str(value) != ""):
                    return pyproject
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            pass
    for name, section in _PYTEST_INI_SECTIONS:
        candidate = os.path.join(folder, name)
        if not os.path.isfile(candidate):
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(candidate, encoding="utf-8") as fh:
                text = fh.read()
            if ALLOW_ASYNC_UNSAFE not in text:
                continue
            parser.read_string(text)
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue
        if parser.has_option(section, "env") and _env_entries_set(parser.get(section, "env").splitlines()):
            return candidate
    return None


def pytest_pythonpath_folders(root: str) -> list[str]:
    """The folders (absolute) the project's pytest configuration at ``root``
    puts on ``sys.path`` (``pythonpath = src bot``, pytest 7+): the import
    roots of the code the tests import, which is how the project names its
    modules (a bot run as ``python bot/main.py`` imports ``tools.fetch``
    from ``bot/``). The first configuration file pytest would read there."""
    root = os.path.abspath(root)
    for name, section in (("pytest.ini", "pytest"), ("pyproject.toml", None), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        candidate = os.path.join(root, name)
        if not os.path.isfile(candidate):
            continue
        try:
            with open(candidate, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        if section is None:
            if "pytest" not in text:
                continue
            from async_lint import _toml

            try:
                options = _toml.loads(text).get("tool", {}).get("pytest", {}).get("ini_options")
            except (ValueError, AttributeError):
                continue
            if not isinstance(options, dict):
                continue  # pytest reads the next file
            value = options.get("pythonpath", ())
            entries = [value] if isinstance(value, str) else [str(entry) for entry in value] if isinstance(value, list) else []
        else:
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            if not parser.has_section(section):
                continue
            entries = parser.get(section, "pythonpath", fallback="").split()
        return [os.path.normpath(os.path.join(root, entry)) for part in entries for entry in part.split() if entry]
    return []


def _env_entries_set(entries) -> bool:
    """pytest-env's entries (``KEY=value``, ``D:KEY=value``, ``R:KEY=value``)
    set DJANGO_ALLOW_ASYNC_UNSAFE to a non-empty value."""
    for entry in entries:
        if not isinstance(entry, str):
            continue
        key, equals, value = entry.strip().partition("=")
        for flag in ("D:", "R:"):
            key = key.removeprefix(flag)
        if equals and key.strip() == ALLOW_ASYNC_UNSAFE and value.strip():
            return True
    return False


class ModuleLocator:
    """Finds a project module's file by name, on demand: the index asks only
    for the modules that calls lead to, so a run given a few files never
    walks the whole project.  A module ``a.b`` is ``a/b.py`` or
    ``a/b/__init__.py`` under one of the import roots, when the package
    layout there gives it that name and the user's excludes do not skip it."""

    def __init__(self, namer: ModuleNamer, import_roots: list[str], excluded: Callable[[str], bool]):
        self.namer = namer
        self.import_roots = list(dict.fromkeys(import_roots))
        self.excluded = excluded
        self._found: dict[str, list[str]] = {}
        # (import root, package parts) -> whether that folder is there.
        self._folders: dict[tuple[str, tuple[str, ...]], bool] = {}

    def get(self, module: str, default: list[str] | tuple = ()) -> list[str] | tuple:
        found = self._found.get(module)
        if found is None:
            found = []
            parts = module.split(".")
            if all(part.isidentifier() for part in parts):
                for folder, package in self.namer.package_dirs().items():
                    # A package setuptools installs from a folder of another name.
                    if tuple(parts[: len(package)]) == package:
                        base = os.path.join(folder, *parts[len(package) :])
                        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                            if os.path.isfile(candidate) and self.namer.module_name(candidate)[0] == module and not self.excluded(candidate):
                                found.append(candidate)
                                break
                for root in self.import_roots:
                    # No ``a/b/`` under this root: neither ``a/b/c.py`` nor ``a/b/c/__init__.py``.
                    if len(parts) > 1 and not self._has_folder(root, tuple(parts[:-1])):
                        continue
                    base = os.path.join(root, *parts)
                    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
                        if os.path.isfile(candidate) and (self.namer.module_name(candidate)[0] == module or module in self.namer.aliases(candidate)) and not self.excluded(candidate):
                            found.append(candidate)
                            break
            self._found[module] = found
        return found or default

    def _has_folder(self, root: str, parts: tuple[str, ...]) -> bool:
        """Whether ``root/<parts...>`` is a folder, its parents asked first
        (cached): a project with many import roots (every folder that holds a
        manage.py or a top-level package) looked for each module under each,
        two file tests a root, 140,000 of them on a 5,000-file project."""
        known = self._folders.get((root, parts))
        if known is None:
            known = (len(parts) == 1 or self._has_folder(root, parts[:-1])) and os.path.isdir(os.path.join(root, *parts))
            self._folders[(root, parts)] = known
        return known

    def __contains__(self, module: str) -> bool:
        return bool(self.get(module))

    def aliases(self, path: str) -> list[str]:
        return self.namer.aliases(path)


def import_roots(root: str, targets: list[str], namer: ModuleNamer) -> list[str]:
    """Where top-level modules live: the project root, its ``src/``, and the
    import roots of the files being linted (e.g. the folder of ``manage.py``).
    Asked several times a run with the same files (the model table, the
    project checks' needs, the index): computed once."""
    roots = [root]
    src = os.path.join(root, "src")
    if os.path.isdir(src):
        roots.append(src)
    key = (root, tuple(targets))
    found = namer._roots.get(key)  # noqa: SLF001 - the namer's own cache, kept beside its others
    if found is None:
        found = namer._roots[key] = []  # noqa: SLF001
        seen_folders: set[str] = set()
        for path in targets:
            folder = os.path.dirname(path)
            if folder not in seen_folders:
                seen_folders.add(folder)
                found.append(namer.import_root(path))
                found.extend(namer.manage_roots(path))
                if not namer.is_package_folder(folder):
                    found.append(folder)  # a folder without __init__.py on sys.path (a script's, a test's)
    return roots + found + list(namer.path_roots)


class ProjectFiles:
    """What a project-wide check may ask about the project when it declares
    the files it needs (``ProjectCheck.needs``): a module's files, every
    file of the project (as a run over its root discovers them), the files
    whose text matches a pattern, and the models related to given ones
    (from the project's model table)."""

    def __init__(self, root: str, locator: ModuleLocator, settings, analysed: Callable[[str], bool]):
        self.root = root
        self.locator = locator
        self.settings = settings
        # Files this run gave a full pass already: their facts are known (a
        # file with no full pass has only those its checks' ``light_facts`` record).
        self.analysed = analysed
        self._files: dict[str, list[str]] = {}
        # (pattern, path) -> whether the file's text matches: asked again at
        # every round of a run's project-wide needs, for the same files.
        self._matches: dict[tuple[re.Pattern[bytes], str], bool] = {}

    def paths_of(self, module: str) -> list[str]:
        return list(self.locator.get(module))

    def files(self, under: str | None = None) -> list[str]:
        """The files a run over ``under`` (default: the project root) lints."""
        under = under or self.root
        if under not in self._files:
            from async_lint.discovery import discover

            settings = self.settings
            try:
                self._files[under] = discover([under], exclude=settings.exclude, respect_gitignore=settings.respect_gitignore, root=settings.root).files
            except OSError:
                self._files[under] = []
        return self._files[under]

    def unanalysed(self, under: str | None = None) -> list[str]:
        """The files under ``under`` that this run has given no full pass."""
        return [path for path in self.files(under) if not self.analysed(path)]

    def files_matching(self, pattern: "re.Pattern[bytes]", under: str | None = None) -> list[str]:
        """The files under ``under`` with no full pass yet whose text matches ``pattern``.

        Each file is read and searched once a run (the rounds ask again), and
        searched only when it holds the words every match needs: a pattern
        such as ``\\burlpatterns\\b|...`` is otherwise tried at every position
        of every file (0.25 s of a cold run on a 3,800-file project)."""
        return [path for path in self.unanalysed(under) if self.file_matches(path, pattern)]

    def file_matches(self, path: str, pattern: "re.Pattern[bytes]") -> bool:
        """Whether the file's text matches ``pattern`` (read and searched once
        a run; an unreadable file does not)."""
        key = (pattern, path)
        found = self._matches.get(key)
        if found is None:
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                return False
            found = self._matches[key] = _byte_prefilter(pattern)(data) and pattern.search(data) is not None
        return found

    def modules_relating_to(self, models: set[str]) -> set[str]:
        """The modules of the project models that relate to ``models`` (whose
        relations give them reverse accessors), from the model table."""
        table = getattr(self.settings, "models", None)
        if not table or not models:
            return set()
        wanted = {table.canonical(m) for m in models}
        out = set()
        for entry in table.models.values():
            if any(target in wanted for _kind, target, _related in entry["relations"].values()):
                out.add(entry["module"])
        for model in wanted:
            entry = table.models.get(model) or {}
            out.update(target.rpartition(".")[0] for kind, target, _ in entry.get("relations", {}).values() if kind.startswith("reverse") and target)
        return out


@functools.lru_cache(maxsize=None)
def _byte_prefilter(pattern: "re.Pattern[bytes]") -> Callable[[bytes], bool]:
    """A test that is False only where ``pattern`` cannot match the bytes:
    they lack a word each of its alternatives requires (text_hints.py)."""
    from async_lint.text_hints import AnyOf

    return AnyOf([pattern.pattern.decode("latin-1")]).may_match_bytes
