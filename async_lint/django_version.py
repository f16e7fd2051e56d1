"""The Django version a project targets, from its own dependency declarations.

The lowest version the declared range allows decides which async twins the
rules may suggest (a project that allows Django 4.1 cannot use 4.2's
``asave``). Looked for, from the linted paths upwards to the first folder
that has any of them: ``pyproject.toml`` (``[project]`` dependencies and
optional dependencies, ``[tool.poetry]`` dependencies), ``requirements*.txt``
(also under ``requirements/``), ``setup.cfg`` (``install_requires``) and
``Pipfile``. None when nothing declares a lower bound (the caller then
targets the newest release).
"""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

from async_lint import _toml

MARKERS = ("pyproject.toml", "setup.cfg", "Pipfile", "setup.py", "requirements.txt")
_REQUIREMENT = re.compile(r"^\s*django\s*(\[[^\]]*\])?\s*(?P<spec>[^;#]*)", re.IGNORECASE)
_CLAUSE = re.compile(r"(?P<op>===|==|~=|>=|>|\^|~|<=|<|!=)?\s*(?P<version>\d+(?:\.\d+)*)")


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


def _from_requirement_lines(lines: list[str]) -> tuple[int, int] | None:
    for line in lines:
        match = _REQUIREMENT.match(line)
        if match and not re.match(r"^\s*django[-_.]", line, re.IGNORECASE):
            found = lowest_allowed(match.group("spec"))
            if found:
                return found
    return None


def _from_pyproject(path: Path) -> tuple[int, int] | None:
    try:
        with path.open("rb") as fh:
            data = _toml.load(fh)
    except (OSError, _toml.TOMLDecodeError):
        return None
    project = data.get("project", {})
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += list(extra)
    found = _from_requirement_lines([str(x) for x in lines])
    if found:
        return found
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})] + [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        for name, value in table.items():
            if name.lower() == "django":
                spec = value.get("version", "") if isinstance(value, dict) else str(value)
                found = lowest_allowed(spec)
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


def _from_pipfile(path: Path) -> tuple[int, int] | None:
    try:
        with path.open("rb") as fh:
            data = _toml.load(fh)
    except (OSError, _toml.TOMLDecodeError):
        return None
    for section in ("packages", "dev-packages"):
        for name, value in data.get(section, {}).items():
            if name.lower() == "django":
                spec = value.get("version", "") if isinstance(value, dict) else str(value)
                return lowest_allowed(spec)
    return None


def _requirement_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("requirements*.txt"))
    if (folder / "requirements").is_dir():
        files += sorted((folder / "requirements").glob("*.txt"))
    return files


def detect_in_folder(folder: Path) -> tuple[int, int] | None:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        found = _from_pyproject(pyproject)
        if found:
            return found
    for requirements in _requirement_files(folder):
        try:
            found = _from_requirement_lines(requirements.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
        if found:
            return found
    if (folder / "setup.cfg").is_file():
        found = _from_setup_cfg(folder / "setup.cfg")
        if found:
            return found
    if (folder / "Pipfile").is_file():
        return _from_pipfile(folder / "Pipfile")
    return None


def _declares_dependencies(folder: Path) -> bool:
    return any((folder / marker).is_file() for marker in MARKERS) or bool(_requirement_files(folder))


def detect_django_version(paths: list[str]) -> tuple[int, int] | None:
    """The lowest Django the project declares, looking upwards from the
    first linted path to the nearest folder with dependency declarations."""
    # abspath, not resolve(): a symlink loop named first must not end the run.
    start = Path(os.path.abspath(paths[0] if paths else "."))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if _declares_dependencies(candidate):
            return detect_in_folder(candidate)
    return None
