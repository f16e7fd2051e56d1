"""The rule catalog and API tables, read from the top-level ``rules/`` data.

The data lives outside the Python package (so a Django expert can extend a
table without reading the engine) and is copied into the wheel as
``async_lint/_rules``.  In a source checkout it is read from ``rules/``.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from async_lint import _toml

LEVELS = ("error", "warning", "info")
FIX_KINDS = ("always", "sometimes", "never")
FAMILIES = ("parse", "blocking", "orm", "coroutines", "sync-to-async", "structure")
# Operations of these families block the event loop: DJA401 follows sync
# calls to them, and their checks report only on the event loop.
BLOCKING_FAMILIES = frozenset({"blocking", "orm"})
# The ORM rules, which DJANGO_ALLOW_ASYNC_UNSAFE opts out of.
ORM_FAMILY = "orm"
# A file (or path) that cannot be read or parsed: the engine's own finding.
PARSE_ERROR_CODE = "DJA000"
DOCS_URL = "https://github.com/async-lint/async-lint/blob/main/README.md#{anchor}"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    level: str
    summary: str
    why: str
    suggest: str
    fix: str
    family: str = "parse"
    bad: tuple[str, ...] = ()
    good: tuple[str, ...] = ()
    since: str = "0.1.0"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def url(self) -> str:
        return DOCS_URL.format(anchor=f"{self.code.lower()}-{self.name}")

    @property
    def fixable(self) -> bool:
        return self.fix != "never"

    @property
    def blocks_event_loop(self) -> bool:
        return self.family in BLOCKING_FAMILIES

    @property
    def orm(self) -> bool:
        return self.family == ORM_FAMILY


class CatalogError(Exception):
    """The rules/ data is malformed: a packaging or editing mistake."""


@functools.lru_cache(maxsize=None)
def rules_dir() -> Path:
    # Cached: every finding asks the catalog for its level, and this is file-system calls.
    packaged = Path(__file__).parent / "_rules"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / "rules"
    if source.is_dir():
        return source
    raise CatalogError(f"rule data not found (looked in {packaged} and {source})")


def load_table(name: str) -> dict[str, Any]:
    """Load ``rules/<name>.toml`` (an API table)."""
    return _load_table_cached(str(rules_dir()), name)


@functools.lru_cache(maxsize=None)
def _load_table_cached(root: str, name: str) -> dict[str, Any]:
    path = Path(root) / f"{name}.toml"
    try:
        with path.open("rb") as fh:
            return _toml.load(fh)
    except (OSError, _toml.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read rule table {path}: {exc}") from exc


_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


def _table_names(skipped_keys: frozenset[str] = frozenset()) -> set[str]:
    """Every dotted name the API tables (``rules/*.toml``) hold, as a value
    or a key, but the values of ``skipped_keys``."""
    names: set[str] = set()

    def collect(value: Any, key: str | None = None) -> None:
        if isinstance(value, str):
            if key not in skipped_keys and _DOTTED_NAME.fullmatch(value):
                names.add(value)
        elif isinstance(value, dict):
            for name, item in value.items():
                collect(name)
                collect(item, name)
        elif isinstance(value, list):
            for item in value:
                collect(item, key)

    for path in sorted(rules_dir().glob("*.toml")):
        collect(load_table(path.stem))
    return names


@functools.lru_cache(maxsize=None)
def known_api_names() -> frozenset[str]:
    """Every dotted name an API table (``rules/*.toml``) holds, as a value or
    a key: the functions, classes and objects some rule knows by that name
    (``time.sleep``, ``django.shortcuts.get_object_or_404``)."""
    return frozenset(_table_names())


@functools.lru_cache(maxsize=None)
def library_packages() -> frozenset[str]:
    """The top-level packages of the standard library and of the APIs the
    tables name (``requests``, ``django``; not the names their messages show
    a call as, ``called = "app.control"``): not the project's."""
    return frozenset({*sys.stdlib_module_names, *(name.partition(".")[0] for name in _table_names(frozenset({"called"})))})


@functools.lru_cache(maxsize=None)
def _load_catalog(root: str) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for path in sorted((Path(root) / "catalog").glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = _toml.load(fh)
        except (OSError, _toml.TOMLDecodeError) as exc:
            raise CatalogError(f"cannot read {path}: {exc}") from exc
        family = data.get("family")
        if family not in FAMILIES:
            raise CatalogError(f"{path}: unknown or missing family {family!r} (one of {', '.join(FAMILIES)})")
        for entry in data.get("rule", []):
            rule = _rule_from_entry(entry, path, family)
            if rule.code in rules:
                raise CatalogError(f"{path}: duplicate rule code {rule.code}")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


_KNOWN_KEYS = {"code", "name", "level", "summary", "why", "suggest", "fix", "bad", "good", "since"}


def _rule_from_entry(entry: dict[str, Any], path: Path, family: str) -> Rule:
    missing = [k for k in ("code", "name", "level", "summary", "why", "suggest", "fix") if k not in entry]
    if missing:
        raise CatalogError(f"{path}: rule {entry.get('code', '?')} lacks {', '.join(missing)}")
    if entry["level"] not in LEVELS:
        raise CatalogError(f"{path}: {entry['code']} has unknown level {entry['level']!r}")
    if entry["fix"] not in FIX_KINDS:
        raise CatalogError(f"{path}: {entry['code']} has unknown fix kind {entry['fix']!r}")

    def examples(key: str) -> tuple[str, ...]:
        value = entry.get(key, ())
        return (value,) if isinstance(value, str) else tuple(value)

    return Rule(
        code=entry["code"],
        name=entry["name"],
        level=entry["level"],
        summary=entry["summary"].strip(),
        why=entry["why"].strip(),
        suggest=entry["suggest"].strip(),
        fix=entry["fix"],
        family=family,
        bad=examples("bad"),
        good=examples("good"),
        since=entry.get("since", "0.1.0"),
        extra={k: v for k, v in entry.items() if k not in _KNOWN_KEYS},
    )


def catalog() -> dict[str, Rule]:
    """Every rule, keyed by code, sorted by code."""
    return _load_catalog(str(rules_dir()))


def get_rule(code: str) -> Rule:
    return catalog()[code]


def level_of(code: str) -> str:
    """A rule's level ("error" for a code the catalog does not list)."""
    rule = catalog().get(code)
    return rule.level if rule else "error"


@functools.lru_cache(maxsize=None)
def blocking_codes() -> frozenset[str]:
    """The codes of operations that block the event loop (DJA401's chains end at one)."""
    return frozenset(code for code, rule in catalog().items() if rule.blocks_event_loop)


@functools.lru_cache(maxsize=None)
def orm_codes() -> frozenset[str]:
    return frozenset(code for code, rule in catalog().items() if rule.orm)


def async_unsafe_codes() -> frozenset[str]:
    """The rules that DJANGO_ALLOW_ASYNC_UNSAFE silences where it is set: the
    ORM rules, and those whose finding is that a later ORM use raises
    (``async_unsafe_opt_out = true`` in the catalog: DJA402)."""
    return orm_codes() | frozenset(code for code, rule in catalog().items() if rule.extra.get("async_unsafe_opt_out") is True)


def select_codes(select: list[str] | None, ignore: list[str] | None, extend_select: list[str] | None = None) -> frozenset[str]:
    """Resolve ``--select``/``--ignore`` (codes or prefixes like ``DJA1``) to codes.

    An unknown code or prefix raises ``ValueError`` naming it.
    """
    all_codes = list(catalog())

    def expand(patterns: list[str]) -> set[str]:
        out: set[str] = set()
        for pattern in patterns:
            pattern = pattern.strip().upper()
            if not pattern:
                continue
            if pattern == "ALL":
                out.update(all_codes)
                continue
            matched = [c for c in all_codes if c.startswith(pattern)]
            if not matched:
                raise ValueError(f"unknown rule code or prefix: {pattern}")
            out.update(matched)
        return out

    chosen = expand(select) if select else set(all_codes)
    chosen |= expand(extend_select or [])
    chosen -= expand(ignore or [])
    # DJA000 (unreadable/unparsable file) is always reported unless ignored explicitly.
    if "DJA000" in all_codes and not (ignore and any("DJA000".startswith(p.strip().upper()) for p in ignore)):
        chosen.add("DJA000")
    return frozenset(chosen)
