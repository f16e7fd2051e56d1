"""``[tool.async-lint]`` in pyproject.toml: finding it, validating it, and
merging it with the command line into ``Settings``.

The file is the team's shared baseline; a command-line flag overrides the
same key for one run. Every problem is a ``ConfigError`` that names the file
and the key (or rule code), so a typo never silently turns a rule off.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Iterable

from async_lint import _toml
from async_lint.cache import CACHE_DIR_NAME
from async_lint.catalog import catalog
from async_lint.discovery import _git_root as git_root
from async_lint.discovery import gitignore_spec
from async_lint.findings import LEVEL_ORDER, Finding
from async_lint.project import find_project_root
from async_lint.settings import Settings

SECTION = "tool.async-lint"
# The code extra-blocking-calls entries are reported under.
EXTRA_BLOCKING_CODE = "DJA105"
EXTRA_BLOCKING_DEFAULT_ADVICE = "run it in a thread with `sync_to_async` (listed in extra-blocking-calls)"

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\.\*)?$")


class ConfigError(Exception):
    """The configuration is wrong; the message names the file and the key."""


@dataclass
class Options:
    """Every configurable value; None means "not given" at this layer."""

    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] | None = None
    per_file_ignores: dict[str, list[str]] | None = None
    exclude: list[str] | None = None
    extend_exclude: list[str] | None = None
    respect_gitignore: bool | None = None
    check_syntax: bool | None = None
    django_version: tuple[int, int] | None = None
    # dotted name -> advice shown after "blocks the event loop; "
    extra_blocking_calls: dict[str, str] | None = None
    extra_async_contexts: list[str] | None = None
    cache_dir: str | None = None
    # The lowest level that makes the run exit 1 (error, warning or info).
    fail_level: str | None = None
    file_timeout: float | None = None


@dataclass
class FileConfig:
    """The configuration file that applies to a run (``path`` None: none found)."""

    path: str | None
    # Folder that relative paths and patterns are taken from.
    root: str
    options: Options = field(default_factory=Options)


# -- reading -------------------------------------------------------------------


def _key_error(where: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{where}: [{SECTION}] {key}: {problem}")


def _string_list(where: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _key_error(where, key, f"expected a list of strings, got {_describe(value)}")
    return list(value)


def _describe(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"


def _codes(where: str, key: str, values: list[str]) -> list[str]:
    """Validate codes or prefixes (``DJA1``, ``DJA101``, ``ALL``) against the catalog."""
    known = list(catalog())
    out = []
    for value in values:
        code = value.strip().upper()
        if not code:
            # "" is a prefix of every code: it would silently turn every rule off (or on).
            raise _key_error(where, key, 'empty rule code; name a code or prefix like "DJA1" (or remove the entry)')
        if code != "ALL" and not any(c.startswith(code) for c in known):
            raise _key_error(where, key, f"unknown rule code or prefix {value!r}")
        out.append(code)
    return out


# Django versions that can be targeted: from 1.0 to a future 9.x.
DJANGO_MAJORS = range(1, 10)
DJANGO_MINORS = range(20)


def parse_django_version(value: str, where: str = "--django-version", key: str = "django-version") -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,6})\.(\d{1,6})(?:\.\d{1,6})?\s*", value)
    if not match:
        raise ConfigError(f'{where}: {key}: expected MAJOR.MINOR (like "4.2"), got {value!r}')
    version = int(match.group(1)), int(match.group(2))
    if version[0] not in DJANGO_MAJORS or version[1] not in DJANGO_MINORS:
        raise ConfigError(f'{where}: {key}: {value.strip()!r} is not a Django version (expected 1.0 to 9.x, like "4.2")')
    return version


MAX_FILE_TIMEOUT = 3600.0


def parse_file_timeout(value: Any, where: str) -> float:
    """Seconds a file's analysis may take: a number from 0 (no limit) to an hour."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_FILE_TIMEOUT or value != value:
        raise ConfigError(f"{where}: expected a number of seconds from 0 (no limit) to {MAX_FILE_TIMEOUT:g}, got {_describe(value)}")
    return float(value)


def _dotted_names(where: str, key: str, names: Iterable[str]) -> None:
    for name in names:
        if not _DOTTED.match(name):
            raise _key_error(where, key, f'{name!r} is not a dotted name like "mylib.client.fetch"')


def _option_value(where: str, key: str, value: Any) -> Any:
    if key in ("select", "ignore", "extend-select"):
        return _codes(where, key, _string_list(where, key, value))
    if key in ("exclude", "extend-exclude"):
        return _string_list(where, key, value)
    if key in ("respect-gitignore", "check-syntax"):
        if not isinstance(value, bool):
            raise _key_error(where, key, f"expected true or false, got {_describe(value)}")
        return value
    if key == "django-version":
        if not isinstance(value, str):
            raise _key_error(where, key, f'expected a string like "4.2", got {_describe(value)}')
        return parse_django_version(value, where=f"{where}: [{SECTION}]", key=key)
    if key == "cache-dir":
        if not isinstance(value, str) or not value:
            raise _key_error(where, key, f"expected a folder path string, got {_describe(value)}")
        return value
    if key == "fail-level":
        if value not in LEVEL_ORDER:
            raise _key_error(where, key, f"expected one of {', '.join(map(repr, LEVEL_ORDER))}, got {_describe(value)}")
        return value
    if key == "file-timeout":
        return parse_file_timeout(value, f"{where}: [{SECTION}] {key}")
    if key == "per-file-ignores":
        if not isinstance(value, dict):
            raise _key_error(where, key, f"expected a table of glob = [codes], got {_describe(value)}")
        return {pattern: _codes(where, f"{key}.{pattern!r}", _string_list(where, f"{key}.{pattern!r}", codes)) for pattern, codes in value.items()}
    if key == "extra-blocking-calls":
        if isinstance(value, list):
            names = _string_list(where, key, value)
            _dotted_names(where, key, names)
            return {name: EXTRA_BLOCKING_DEFAULT_ADVICE for name in names}
        if isinstance(value, dict):
            _dotted_names(where, key, value)
            for name, advice in value.items():
                if not isinstance(advice, str) or not advice.strip():
                    raise _key_error(where, f"{key}.{name!r}", f"expected the advice to show (a non-empty string), got {_describe(advice)}")
            return {name: advice.strip() for name, advice in value.items()}
        raise _key_error(where, key, f'expected a list of dotted names or a table of name = "advice", got {_describe(value)}')
    if key == "extra-async-contexts":
        names = _string_list(where, key, value)
        _dotted_names(where, key, names)
        return names
    raise AssertionError(key)  # pragma: no cover - KNOWN_KEYS and this function agree


KNOWN_KEYS = tuple(f.name.replace("_", "-") for f in fields(Options))


def options_from_table(table: Any, where: str) -> Options:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{SECTION}] must be a table")
    values = {}
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            import difflib

            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(f"{where}: [{SECTION}] unknown key {key!r} ({hint}known keys: {', '.join(KNOWN_KEYS)})")
        values[key.replace("-", "_")] = _option_value(where, key, value)
    return Options(**values)


def _read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return _toml.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration file: {exc.strerror or exc}")
    except _toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (TOML files must be UTF-8): {exc.reason} at byte {exc.start}")


def _section(data: dict[str, Any]) -> Any:
    return data.get("tool", {}).get("async-lint") if isinstance(data.get("tool"), dict) else None


def load_file(path: str) -> FileConfig:
    """Read ``--config FILE``: a pyproject.toml with ``[tool.async-lint]``, or
    a file of bare async-lint keys (an ``async-lint.toml``)."""
    path = os.path.abspath(path)
    data = _read_toml(path)
    section = _section(data)
    if section is None:
        if os.path.basename(path) == "pyproject.toml":
            raise ConfigError(f"{path}: no [{SECTION}] table")
        section = data
    return FileConfig(path=path, root=os.path.dirname(path), options=options_from_table(section, path))


# Looked for in each folder upwards from the linted paths, in this order (as
# ruff does with .ruff.toml, ruff.toml, pyproject.toml): the first folder that
# has one wins, and in it the first name. A pyproject.toml counts only with a
# [tool.async-lint] table.
CONFIG_NAMES = (".async-lint.toml", "async-lint.toml", "pyproject.toml")


def _start_folder(paths: list[str]) -> str:
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:  # different drives
        common = absolute[0]
    return common if os.path.isdir(common) else os.path.dirname(common)


def find_config(paths: list[str]) -> FileConfig:
    """The nearest configuration file (``CONFIG_NAMES``), walking up from
    the linted paths (their common folder). Without one, the root is
    the repository root, else the working folder."""
    current = _start_folder(paths)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(current, name)
            if not os.path.isfile(candidate):
                continue
            if name != "pyproject.toml":
                return load_file(candidate)
            section = _section(_read_toml(candidate))
            if section is not None:
                return FileConfig(path=candidate, root=current, options=options_from_table(section, candidate))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return FileConfig(path=None, root=git_root(_start_folder(paths)) or os.getcwd())


def default_cache_dir(config: FileConfig, paths: list[str]) -> str:
    """Where the cache lives unless configured: one folder per project, the
    same whichever folder the run starts in or which paths it is given: beside
    the configuration file, else at the repository root, else at the project
    root of the linted paths."""
    if config.path is not None:
        home = config.root
    else:
        home = git_root(_start_folder(paths)) or find_project_root(paths)
    return os.path.join(home, CACHE_DIR_NAME)


# -- merging -------------------------------------------------------------------


def _expand(patterns: list[str]) -> set[str]:
    codes = list(catalog())
    out: set[str] = set()
    for pattern in patterns:
        out.update(codes if pattern == "ALL" else [c for c in codes if c.startswith(pattern)])
    return out


def resolve_codes(layers: list[Options]) -> frozenset[str]:
    """Rule selection, layer by layer (file, then command line), as ruff does:
    a layer's ``select`` replaces what came before, ``extend-select`` adds,
    ``ignore`` removes. DJA000 stays on unless ignored explicitly."""
    chosen = set(catalog())
    ignored_explicitly: set[str] = set()
    for layer in layers:
        if layer.select is not None:
            chosen = _expand(layer.select)
        chosen |= _expand(layer.extend_select or [])
        chosen -= _expand(layer.ignore or [])
        ignored_explicitly |= _expand(layer.ignore or [])
    if "DJA000" in catalog() and "DJA000" not in ignored_explicitly:
        chosen.add("DJA000")
    return frozenset(chosen)


def merge(file_options: Options, cli: Options) -> Options:
    """Command-line values override the file's, key by key."""
    given = {f.name: getattr(cli, f.name) for f in fields(Options) if getattr(cli, f.name) is not None}
    return replace(file_options, **given)


def build_settings(config: FileConfig, cli: Options, *, jobs: int) -> Settings:
    merged = merge(config.options, cli)
    enabled = resolve_codes([config.options, cli])
    if not enabled:
        where = config.path or "the command line"
        raise ConfigError(f"{where}: select/ignore: no rule is left enabled (not even DJA000); select at least one code or prefix")
    exclude = [*(merged.exclude or []), *(config.options.extend_exclude or []), *(cli.extend_exclude or [])]
    cache_dir = merged.cache_dir
    if cache_dir is not None and cli.cache_dir is None:
        # The file's paths are relative to the file; ``~`` is the user's home, as in a shell.
        cache_dir = os.path.join(config.root, os.path.expanduser(cache_dir))
    return Settings(
        enabled=enabled,
        django_version=merged.django_version,
        exclude=tuple(exclude),
        respect_gitignore=True if merged.respect_gitignore is None else merged.respect_gitignore,
        check_syntax=bool(merged.check_syntax),
        extra_blocking_calls=tuple(sorted((merged.extra_blocking_calls or {}).items())),
        extra_async_contexts=tuple(merged.extra_async_contexts or ()),
        per_file_ignores=tuple((pattern, tuple(codes)) for pattern, codes in (merged.per_file_ignores or {}).items()),
        jobs=jobs,
        root=config.root,
        extra={
            "cache_dir": os.path.abspath(cache_dir) if cache_dir else None,
            "config_path": config.path,
            "fail_level": merged.fail_level or "info",
        },
        **({"file_timeout": merged.file_timeout} if merged.file_timeout is not None else {}),
    )


def folder_settings(folder: str, *, jobs: int = 1) -> Settings:
    """The settings of a run in ``folder`` without command-line options (the
    flake8 plugin's and the language server's): its ``[tool.async-lint]``,
    else the Django version its dependency declarations allow.  Raises
    ConfigError."""
    from async_lint.django_version import detect_django_version

    settings = build_settings(find_config([folder]), Options(), jobs=jobs)
    if settings.django_version is None:
        settings = replace(settings, django_version=detect_django_version([folder]))
    return settings


# -- per-file-ignores ------------------------------------------------------------


def apply_per_file_ignores(findings: list[Finding], settings: Settings) -> list[Finding]:
    """Drop findings whose file matches a per-file-ignores pattern (gitignore
    style, relative to the project root) listing their code or a prefix of it."""
    if not settings.per_file_ignores:
        return findings
    root = settings.root or os.getcwd()
    matchers = [(gitignore_spec([pattern]), codes) for pattern, codes in settings.per_file_ignores]
    ignored_codes: dict[str, tuple[str, ...]] = {}
    kept = []
    for finding in findings:
        codes = ignored_codes.get(finding.path)
        if codes is None:
            rel = os.path.relpath(os.path.abspath(finding.path), root).replace(os.sep, "/")
            codes = tuple(code for spec, group in matchers if spec.match_file(rel) for code in group)
            ignored_codes[finding.path] = codes
        if not any(c == "ALL" or finding.code.startswith(c) for c in codes):
            kept.append(finding)
    return kept
