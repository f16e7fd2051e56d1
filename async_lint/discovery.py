"""Finding the Python files to lint under the given paths."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from async_lint.source import special_kind

# Folders that never hold project code worth linting.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "node_modules",
        "__pycache__",
        "__pypackages__",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".async_lint_cache",
        ".direnv",
        ".venv",
        "venv",
        "build",
        "dist",
        "site-packages",
        "_build",
        "buck-out",
    }
)


# Named on the command line, these suffixes are Python; a file without a
# suffix is taken for a script (pre-commit passes those) unless its shebang
# names another interpreter.
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    # Paths that could not be read, with the reason (reported as DJA000).
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    # Paths given on the command line that do not exist or are neither a file
    # nor a folder, with the reason: reported, and the run exits 2 after
    # linting the rest.
    missing: list[tuple[str, str]] = field(default_factory=list)
    # Files named on the command line that are not Python, and paths that are
    # not regular files (FIFOs, devices, sockets), with the reason: skipped with a note.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # No file the project index could import was passed over (ignored,
    # excluded, in a skipped or unreadable folder, behind a link not
    # followed): the walk saw every module of the tree (coroutine_names.py).
    complete: bool = True


def _not_python(path: str) -> str | None:
    """Why a file named on the command line is not Python, or None."""
    suffix = os.path.splitext(path)[1]
    if suffix:
        return None if suffix.lower() in PYTHON_SUFFIXES else f"not a Python file ({suffix})"
    try:
        with open(path, "rb") as fh:
            first = fh.readline(200)
    except OSError:
        return None  # reading it later reports why, as DJA000
    if first.startswith(b"#!") and b"python" not in first:
        return f"not a Python script ({first[2:].decode('utf-8', 'replace').strip()})"
    return None


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


# What a virtualenv holds beside its pyvenv.cfg (POSIX and Windows layouts).
_VIRTUALENV_FOLDERS = ("lib", "bin", "Lib", "Scripts")


def _lists_a_virtualenv(names: dict[str, os.DirEntry]) -> bool:
    """A folder listing ``pyvenv.cfg`` is a virtualenv when it also lists a
    virtualenv's folders and is no Django project (a ``pyvenv.cfg``
    committed beside ``manage.py`` does not make the project one)."""
    if "manage.py" in names:
        return False
    return any(name in names and _is_dir(names[name]) for name in _VIRTUALENV_FOLDERS)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _entry_name(entry: os.DirEntry) -> str:
    return entry.name


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _gitignore_spec(directory: str) -> IgnoreSpec | None:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        return None
    return gitignore_spec(lines)


def gitignore_spec(lines: list[str]) -> IgnoreSpec:
    """Patterns read as git reads a .gitignore; pathspec is imported only
    where there are any (a tree with no .gitignore and no excludes never does)."""
    return IgnoreSpec(lines)


# A named group in a pattern's regular expression: one name per pattern
# (pathspec's directory mark), repeated across them.
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class IgnoreSpec:
    """Gitignore patterns (pathspec's ``GitIgnoreSpec``) and the union of
    their regular expressions: a path no pattern matches (most of a tree's)
    is told so by one match of the union, where pathspec tries each pattern
    in turn (a usual Python .gitignore has dozens: baserow's discovery, 73
    patterns a path, 0.23 -> 0.08 s).  Where the union matches, pathspec
    decides as before."""

    def __init__(self, lines: list[str]):
        import pathspec
        from pathspec.util import normalize_file

        self.spec = pathspec.GitIgnoreSpec.from_lines(lines)
        self._union = _union_of(self.spec.patterns)
        self._normalize = normalize_file  # as check_file normalizes the path it matches

    def include_of(self, path: str) -> bool | None:
        """What the last pattern that matches ``path`` (``/``-separated,
        relative) says: True, ignore it; False, a ``!pattern`` keeps it;
        None where no pattern matches."""
        if self._union is not None and self._union.match(self._normalize(path)) is None:
            return None
        return self.spec.check_file(path).include

    def match_file(self, path: str) -> bool:
        return bool(self.include_of(path))


def _union_of(patterns) -> re.Pattern[str] | None:
    """One regular expression that matches a path where any of ``patterns``
    that says something (not a blank or comment line) does; None where it
    cannot be made (a pattern that is no regular expression, mixed flags, a
    back reference)."""
    regexes = []
    for pattern in patterns:
        if pattern.include is None:
            continue
        regex = getattr(pattern, "regex", None)
        if regex is None or not isinstance(regex.pattern, str):
            return None
        regexes.append(regex)
    flags = {regex.flags for regex in regexes}
    if len(flags) != 1:
        return None
    source = "|".join(f"(?:{regex.pattern})" for regex in regexes)
    if "(?P=" in source:
        return None
    try:
        return re.compile(_NAMED_GROUP.sub("(?:", source), flags.pop())
    except (re.error, RecursionError, OverflowError):
        return None


def _git_root(start: str) -> str | None:
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class _Walker:
    def __init__(self, exclude: IgnoreSpec | None, exclude_root: str, respect_gitignore: bool):
        self.exclude = exclude
        self.exclude_root = exclude_root
        self.respect_gitignore = respect_gitignore
        self.seen_dirs: set[str] = set()
        self.result = Discovery()
        # The real path of each file in ``result.files`` (duplicates are dropped by it).
        self.real_files: list[str] = []
        # Whether a symbolic link was met (``discover_folder_and_root``).
        self.saw_link = False
        # A folder to watch for (``discover_folder_and_root``), and the
        # .gitignore files in force when the walk entered it.
        self.watched: str | None = None
        self.watched_ignores: list[str] | None = None

    def add_file(self, path: str, real: str | None = None) -> None:
        self.result.files.append(path)
        self.real_files.append(real if real is not None else os.path.realpath(path))

    def excluded(self, path: str, is_dir: bool, anchor: str) -> bool:
        """Whether an --exclude pattern matches ``path``: relative to the
        exclude root (the working folder) when inside it, else relative to
        ``anchor``, the path given on the command line."""
        if self.exclude is None:
            return False
        rel = os.path.relpath(path, self.exclude_root)
        if rel == ".." or rel.startswith(".." + os.sep):
            rel = os.path.relpath(path, anchor) if path != anchor else os.path.basename(path)
        rel = rel.replace(os.sep, "/")
        return self.exclude.match_file(rel + ("/" if is_dir else ""))

    def walk(self, top: str, ignores: list[tuple[str, IgnoreSpec]]) -> None:
        """Depth-first, iteratively (a deep tree must not exhaust the stack)."""
        tree_root = os.path.realpath(top)
        # Real paths are derived from the folder's: only a link needs resolving
        # (os.path.realpath stats every component, for every file of the tree).
        stack = [(top, ignores, tree_root, False)]
        while stack:
            folder, ignores, real, below_top = stack.pop()
            if real in self.seen_dirs:
                continue  # a symlink cycle or a second route to the same folder
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=_entry_name)
            except OSError as exc:
                if below_top and _is_virtualenv(folder):
                    self._passed_over(os.path.basename(folder))
                    continue
                entries = None
                error = exc
            # A folder's own listing says whether it is a virtualenv or holds a
            # .gitignore: no stat or open per folder for files most lack.
            names = {entry.name: entry for entry in entries} if entries is not None else {}
            if below_top and "pyvenv.cfg" in names and _is_file(names["pyvenv.cfg"]) and _lists_a_virtualenv(names):
                self._passed_over(os.path.basename(folder))
                continue
            self.seen_dirs.add(real)
            if folder == self.watched:
                self.watched_ignores = [base for base, _spec in ignores]
            if entries is None:
                self.result.unreadable.append((folder, f"cannot list folder: {error.strerror or error}"))
                self.result.complete = False
                continue
            if self.respect_gitignore and ".gitignore" in names:
                spec = _gitignore_spec(folder)
                if spec is not None:
                    ignores = [*ignores, (folder, spec)]
            prefix = real if real.endswith(os.sep) else real + os.sep
            subfolders = []
            for entry in entries:
                kind, target = self._kind(entry, tree_root)
                path = entry.path
                if kind == "dir":
                    if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                        self._passed_over(entry.name)
                        continue
                    if self._ignored(path, True, ignores) or self.excluded(path, True, top):
                        self._passed_over(entry.name)
                        continue
                    subfolders.append((path, ignores, target or prefix + entry.name, True))
                elif kind == "file" and entry.name.endswith(".py"):
                    if self._ignored(path, False, ignores) or self.excluded(path, False, top):
                        self._passed_over(entry.name[:-3])
                        continue
                    self.add_file(path, target or prefix + entry.name)
                elif kind is None and target is not None:
                    self._passed_over(entry.name.removesuffix(".py"))  # a link out of the tree
            stack.extend(reversed(subfolders))

    def _passed_over(self, name: str) -> None:
        """A folder or file the walk does not take: the tree is complete
        unless a module could be named after it (``__pycache__`` holds none)."""
        if name.isidentifier() and name != "__pycache__":
            self.result.complete = False

    def _kind(self, entry: os.DirEntry, tree_root: str) -> tuple[str | None, str | None]:
        """ "dir", "file", or None for what is not followed: a link out of the
        tree, a dangling link or link loop, a socket or fifo; and a link's
        real path (None: the entry is no link)."""
        target = None
        try:
            if entry.is_symlink():
                self.saw_link = True
                target = os.path.realpath(entry.path)
                if not (target == tree_root or target.startswith(tree_root + os.sep)):
                    return None, target
            if entry.is_dir():
                return "dir", target
            if entry.is_file():
                return "file", target
        except OSError:  # a link loop, or the entry vanished
            return None, target
        return None, target

    @staticmethod
    def _ignored(path: str, is_dir: bool, ignores: list[tuple[str, IgnoreSpec]]) -> bool:
        """Git's rule: the last matching pattern wins, deeper .gitignore files
        after the ones above them, so a nested ``!pattern`` re-includes."""
        ignored = False
        for base, spec in ignores:
            # ``base`` is a folder above ``path`` (both absolute): no need for relpath's normalising.
            rel = path[len(base) + 1 :] if path.startswith(base + os.sep) else os.path.relpath(path, base)
            rel = rel.replace(os.sep, "/") + ("/" if is_dir else "")
            include = spec.include_of(rel)
            if include is not None:
                ignored = include
        return ignored


def _parent_gitignores(path: str) -> list[tuple[str, IgnoreSpec]]:
    """The .gitignore files of the folders above ``path``, up to its repository root, outermost first."""
    git_root = _git_root(path)
    if git_root is None or git_root == path:
        return []
    chain = []
    current = os.path.dirname(path)
    while True:
        chain.append(current)
        if current == git_root or os.path.dirname(current) == current:
            break
        current = os.path.dirname(current)
    ignores = []
    for folder in reversed(chain):
        spec = _gitignore_spec(folder)
        if spec is not None:
            ignores.append((folder, spec))
    return ignores


def discover(paths: list[str], exclude: list[str] | tuple[str, ...] = (), respect_gitignore: bool = True, root: str | None = None) -> Discovery:
    """The ``.py`` files under ``paths``, each once.

    Files named on the command line are kept when Python by suffix or
    shebang (pre-commit passes scripts without a suffix), unless an
    --exclude pattern matches them. A path that does not exist is recorded in
    ``missing`` and the others are still discovered."""
    exclude_spec = gitignore_spec(list(exclude)) if exclude else None
    exclude_root = os.path.abspath(root or os.getcwd())
    walker = _Walker(exclude_spec, exclude_root, respect_gitignore)
    for raw in paths:
        if not os.path.lexists(raw):
            walker.result.missing.append((raw, "path does not exist"))
            continue
        path = os.path.abspath(raw)
        if os.path.isdir(path):
            walker.walk(path, _parent_gitignores(path) if respect_gitignore else [])
        elif os.path.isfile(path) or not os.path.exists(path):
            # A dangling link or a link loop is kept: reading it reports why.
            if walker.excluded(path, False, os.path.dirname(path)):
                continue
            reason = _not_python(path) if os.path.isfile(path) else None
            if reason is not None:
                walker.result.skipped.append((raw, reason))
            else:
                walker.add_file(path)
        else:
            # Reading a FIFO blocks forever, /dev/zero never ends: not read.
            kind = special_kind(os.stat(path).st_mode) or "a special file"
            walker.result.skipped.append((raw, f"{kind}, not a regular file"))
    seen_files: set[str] = set()
    files = []
    for f, key in zip(walker.result.files, walker.real_files):
        if key not in seen_files:
            seen_files.add(key)
            files.append(f)
    walker.result.files = files
    return walker.result


def display_path(path: str, base: str | None = None) -> str:
    """The path as shown to the user: relative to the working folder when inside it."""
    base = base or os.getcwd()
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def discover_folder_and_root(folder: str, root: str, exclude: list[str] | tuple[str, ...] = (), respect_gitignore: bool = True, exclude_root: str | None = None) -> tuple[Discovery, Discovery] | None:
    """``discover([folder])`` and ``discover([root])`` for a folder
    inside the project root, from one walk of the root (a run naming a
    sub-folder lints it, and its model table reads the whole project: the
    walk is a fifth of a warm run).  None where one walk could differ from
    two: a symbolic link in the tree (a walk follows only links into its
    own top), the folder not walked from the root (ignored, excluded,
    skipped), other .gitignore files in force at the folder (outside a
    repository a walk reads none above its top), or a root outside the
    folder exclude patterns are relative to."""
    folder, root = os.path.abspath(folder), os.path.abspath(root)
    base = os.path.abspath(exclude_root or os.getcwd())
    if not folder.startswith(root + os.sep) or not (root == base or root.startswith(base + os.sep)) or not os.path.isdir(folder):
        return None
    exclude_spec = gitignore_spec(list(exclude)) if exclude else None
    walker = _Walker(exclude_spec, base, respect_gitignore)
    walker.watched = folder
    walker.walk(root, _parent_gitignores(root) if respect_gitignore else [])
    if walker.saw_link or walker.watched_ignores is None:
        return None
    if respect_gitignore and walker.watched_ignores != [base for base, _spec in _parent_gitignores(folder)]:
        return None
    inside = folder + os.sep
    found = Discovery(
        files=[f for f in walker.result.files if f.startswith(inside)],
        unreadable=[(path, why) for path, why in walker.result.unreadable if path == folder or path.startswith(inside)],
        complete=walker.result.complete,
    )
    return found, walker.result
