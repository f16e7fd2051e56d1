"""The Django version a project targets, from its own dependency declarations.

The lowest version the declared range allows decides which async twins the
rules may suggest (a project that allows Django 4.1 cannot use 4.2's
``asave``). Looked for, from the linted paths upwards to the first folder
that has any of them: ``pyproject.toml`` (``[project]`` dependencies and
optional dependencies, PEP 735 ``[dependency-groups]``, ``[tool.poetry]``
dependencies), ``requirements*.txt`` (also under ``requirements/``),
``setup.cfg`` (``install_requires``), ``setup.py`` (its ``setup()`` call's
literal ``install_requires``/``extras_require``) and ``Pipfile``. None when nothing declares a lower bound (the caller then
targets the newest release).
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from typing import Any

from async_lint import _toml

MARKERS = ("pyproject.toml", "setup.cfg", "Pipfile", "setup.py", "requirements.txt")
# ``django`` as the whole distribution name: not ``djangorestframework == 3.17``
# (the spec would be read from the rest of the name), nor ``django-filter``.
_REQUIREMENT = re.compile(r"^\s*django(?![\w.-])\s*(\[[^\]]*\])?\s*(?P<spec>[^;#]*)", re.IGNORECASE)
# A release may carry a pre-release, post-release or dev suffix (``3.1b1``, ``3.2rc1``, ``4.2.post1``).
_CLAUSE = re.compile(r"(?P<op>===|==|~=|>=|>|\^|~|<=|<|!=)?\s*(?P<version>\d+(?:\.\d+)*)(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview|post|dev)\d*)*(?:\.\*)?")


def lowest_allowed(spec: str) -> tuple[int, int] | None:
    """``>=4.2,<5`` -> (4, 2); ``==4.1.7`` -> (4, 1); ``^4.2`` -> (4, 2);
    only upper bounds or ``*`` -> None."""
    best: tuple[int, ...] | None = None
    for clause in re.split(r"[,|]|\s+", spec.strip()):
        match = _CLAUSE.fullmatch(clause.strip())
        if not match:
            continue
        op = match.group("op") or "=="
        if op in ("<", "<=", "!="):
            continue
        parts = tuple(int(p) for p in match.group("version").split("."))
        if op == ">" and len(parts) < 3:
            parts = parts + (0,) * (3 - len(parts))
            parts = parts[:2] + (parts[2] + 1,)
        if best is None or parts > best:
            best = parts
    if best is None:
        return None
    return (best[0], best[1] if len(best) > 1 else 0)


def _declaration_text(path: Path) -> str:
    """A declaration file's text: UTF-8, or UTF-16 where a byte-order mark
    says so (``pip freeze > requirements.txt`` in PowerShell writes it)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _from_requirement_lines(lines: list[str]) -> tuple[int, int] | None:
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match and not re.match(r"^\s*django[-_.]", line, re.IGNORECASE):
            found = lowest_allowed(match.group("spec"))
            if found:
                return found
    return None


class DeclarationError(Exception):
    """A dependency declaration cannot be read; the message names the file and the key."""


def _read_toml(path: Path) -> dict | None:
    try:
        with path.open("rb") as fh:
            return _toml.load(fh)
    except OSError:
        return None
    except UnicodeDecodeError as exc:
        raise DeclarationError(f"{path}: not UTF-8 text (TOML files must be UTF-8): {exc.reason} at byte {exc.start}") from exc
    except _toml.TOMLDecodeError as exc:
        raise DeclarationError(f"{path}: invalid TOML: {exc}") from exc


def _table(value: Any, path: Path, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeclarationError(f"{path}: {key}: expected a table, got {type(value).__name__} {value!r:.60}")
    return value


def _strings(value: Any, path: Path, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DeclarationError(f"{path}: {key}: expected a list of requirement strings, got {type(value).__name__} {value!r:.60}")
    return value


def _lowest_declared(value: Any, path: Path, key: str) -> tuple[int, int] | None:
    """The lowest version a Poetry/Pipfile dependency allows: ``"^4.2"``,
    ``{version = "^4.2", ...}``, or Poetry's list of alternatives."""
    if isinstance(value, list):
        return min(filter(None, (_lowest_declared(item, path, key) for item in value)), default=None)
    if isinstance(value, dict):
        value = value.get("version", "")
    if not isinstance(value, str):
        raise DeclarationError(f"{path}: {key}: expected a version string or a table with a version, got {type(value).__name__} {value!r:.60}")
    return lowest_allowed(value)


def _from_pyproject(path: Path) -> tuple[int, int] | None:
    data = _read_toml(path)
    if data is None:
        return None
    project = _table(data.get("project"), path, "[project]")
    lines = list(_strings(project.get("dependencies"), path, "[project] dependencies"))
    for extra, requirements in _table(project.get("optional-dependencies"), path, "[project] optional-dependencies").items():
        lines += _strings(requirements, path, f"[project.optional-dependencies] {extra}")
    # PEP 735 groups: requirement strings, and ``{include-group = ...}`` tables (left out).
    for group, requirements in _table(data.get("dependency-groups"), path, "[dependency-groups]").items():
        if not isinstance(requirements, list):
            raise DeclarationError(f"{path}: [dependency-groups] {group}: expected a list, got {type(requirements).__name__} {requirements!r:.60}")
        lines += [item for item in requirements if isinstance(item, str)]
    found = _from_requirement_lines(lines)
    if found:
        return found
    poetry = _table(_table(data.get("tool"), path, "[tool]").get("poetry"), path, "[tool.poetry]")
    tables = [("[tool.poetry.dependencies]", _table(poetry.get("dependencies"), path, "[tool.poetry] dependencies"))]
    for name, group in _table(poetry.get("group"), path, "[tool.poetry] group").items():
        where = f"[tool.poetry.group.{name}]"
        tables.append((f"{where[:-1]}.dependencies]", _table(_table(group, path, where).get("dependencies"), path, f"{where} dependencies")))
    for where, table in tables:
        for name, value in table.items():
            if name.lower() == "django":
                found = _lowest_declared(value, path, f"{where} {name}")
                if found:
                    return found
    return None


def _from_setup_cfg(path: Path) -> tuple[int, int] | None:
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
        requires = parser.get("options", "install_requires", fallback="")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return _from_requirement_lines(requires.splitlines())


def _from_setup_py(path: Path) -> tuple[int, int] | None:
    """``setup(install_requires=[...])``'s literal requirement strings (the
    file is read, never run)."""
    import ast

    try:
        tree = ast.parse(_declaration_text(path))
    except (OSError, SyntaxError, ValueError, RecursionError):
        return None
    lines: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require"):
            lines += [item.value for item in ast.walk(node.value) if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return _from_requirement_lines(lines)


def _from_pipfile(path: Path) -> tuple[int, int] | None:
    data = _read_toml(path)
    if data is None:
        return None
    for section in ("packages", "dev-packages"):
        for name, value in _table(data.get(section), path, f"[{section}]").items():
            if name.lower() == "django":
                return _lowest_declared(value, path, f"[{section}] {name}")
    return None


def _requirement_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("requirements*.txt"))
    if (folder / "requirements").is_dir():
        files += sorted((folder / "requirements").glob("*.txt"))
    return files


def detect_in_folder(folder: Path) -> tuple[tuple[int, int], Path] | None:
    """The lowest Django the folder's declarations allow, and the file that says so."""
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        found = _from_pyproject(pyproject)
        if found:
            return found, pyproject
    for requirements in _requirement_files(folder):
        try:
            found = _from_requirement_lines(_declaration_text(requirements).splitlines())
        except OSError:
            continue
        if found:
            return found, requirements
    for name, read in (("setup.cfg", _from_setup_cfg), ("setup.py", _from_setup_py), ("Pipfile", _from_pipfile)):
        if (folder / name).is_file():
            found = read(folder / name)
            if found:
                return found, folder / name
    return None


def _declares_dependencies(folder: Path) -> bool:
    return any((folder / marker).is_file() for marker in MARKERS) or bool(_requirement_files(folder))


def detect_django_version(paths: list[str]) -> tuple[int, int] | None:
    """The lowest Django the project declares, looking upwards from the
    first linted path to the nearest folder with dependency declarations."""
    found = django_declaration(paths)
    return found[0] if found else None


def django_declaration(paths: list[str]) -> tuple[tuple[int, int], Path] | None:
    """``detect_django_version`` and the file it read it from (for ``--show-settings``).

    A folder named whose declarations, and its parents', say nothing of
    Django (a repository whose Django project sits in a sub-folder,
    ``backend/pyproject.toml``): the sub-folders' declarations, a few levels
    down, the lowest of them (what every one of its projects allows)."""
    # abspath, not resolve(): a symlink loop named first must not end the run.
    start = Path(os.path.abspath(paths[0] if paths else "."))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if _declares_dependencies(candidate):
            found = detect_in_folder(candidate)
            if found is not None or not start.is_dir():
                return found
            break
    if not start.is_dir():
        return None
    below = [found for sub in _subfolders(start, SUBFOLDER_DEPTH) if _declares_dependencies(sub) and (found := _detect_below(sub)) is not None]
    return min(below, key=lambda found: (found[0], str(found[1]))) if below else None


def _detect_below(folder: Path) -> tuple[tuple[int, int], Path] | None:
    """``detect_in_folder`` for a sub-folder: one whose declarations cannot
    be read (a template's ``{{ cookiecutter }}`` pyproject.toml) is passed
    over, where the project's own would stop the run with its error."""
    try:
        return detect_in_folder(folder)
    except DeclarationError:
        return None


# How far below a folder named its sub-projects' declarations are looked for.
SUBFOLDER_DEPTH = 3
_NOT_PROJECTS = frozenset({"node_modules", "site-packages", "__pycache__", "venv", "env", "build", "dist", "migrations", "static", "media"})


def _subfolders(folder: Path, depth: int) -> list[Path]:
    """The folders below ``folder`` (not itself), ``depth`` levels at most,
    in name order, without hidden ones, virtualenvs and the like."""
    out: list[Path] = []
    level = [folder]
    for _ in range(depth):
        following: list[Path] = []
        for parent in level:
            try:
                with os.scandir(parent) as entries:
                    children = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for entry in sorted(children, key=lambda e: e.name):
                if entry.name.startswith(".") or entry.name in _NOT_PROJECTS:
                    continue
                following.append(Path(entry.path))
        out.extend(following)
        level = following
    return out


# Django 3.0 added the async-safety guard (``async_unsafe``): before it, the
# ORM and the other guarded APIs called from async code block the event
# loop instead of raising SynchronousOnlyOperation.
ASYNC_SAFETY_VERSION = (3, 0)
_RAISES = "raises SynchronousOnlyOperation"


def without_async_safety(message: str) -> str:
    """A finding's message for a target without the guard (before Django
    3.0): what the call does there, and what a newer Django does."""
    if "(SynchronousOnlyOperation" in message:
        return message.replace("(SynchronousOnlyOperation", "(it blocks the event loop; Django 3.0 and later raise SynchronousOnlyOperation", 1)
    if _RAISES in message:
        return message.replace(_RAISES, "blocks the event loop (Django 3.0 and later raise SynchronousOnlyOperation)", 1)
    return message
