"""Which async twin of a sync-only Django API the target Django version has.

The table is data (``rules/django_async_twins.toml``); this module reads it
and words the suggestion: the twin where the target version has it, else
``sync_to_async``.
"""

from __future__ import annotations

import functools

from async_lint.catalog import load_table

# The kind of the rows named by qualified function names, not method names.
SHORTCUT = "shortcut"


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@functools.lru_cache(maxsize=None)
def twin_table() -> dict[tuple[str, str], tuple[str, tuple[int, ...]]]:
    """(kind, sync name) -> (async twin, version that added it)."""
    table: dict[tuple[str, str], tuple[str, tuple[int, ...]]] = {}
    for row in load_table("django_async_twins").get("twin", []):
        since = parse_version(row["since"])
        for sync_name, async_name in row["names"].items():
            table[(row["kind"], sync_name)] = (async_name, since)
    return table


@functools.lru_cache(maxsize=None)
def twin_names() -> tuple[frozenset[str], frozenset[str]]:
    """The names of Django's async twins: the methods (``asave``, ``asend``)
    and the functions (``aget_object_or_404``)."""
    methods = frozenset(twin for (kind, _), (twin, _) in twin_table().items() if kind != SHORTCUT and not twin.startswith("__"))
    functions = frozenset(twin for (kind, _), (twin, _) in twin_table().items() if kind == SHORTCUT)
    return methods, functions


def twin_call_hints() -> tuple[str, str]:
    """A call of one of Django's async twins (``obj.asave()``,
    ``signal.asend(...)``, ``aget_object_or_404(...)``), spelled in a file
    with no other async code: a sync function that drops it (DJA302)."""
    methods, functions = twin_names()
    return r"\.(?:" + "|".join(sorted(methods)) + r")\s*\(", r"\b(?:" + "|".join(sorted(functions)) + r")\s*\("


@functools.lru_cache(maxsize=None)
def coroutine_twins(kind: str) -> frozenset[str]:
    """The twins of ``kind`` whose call returns a coroutine: method names, or
    for ``shortcut`` rows qualified function names (the sync function's module
    plus the twin)."""
    out: set[str] = set()
    for row in load_table("django_async_twins").get("twin", []):
        if row["kind"] != kind or row.get("async_iterator"):
            continue
        for sync_name, async_name in row["names"].items():
            out.add(f"{sync_name.rpartition('.')[0]}.{async_name}" if kind == SHORTCUT else async_name)
    return frozenset(out)


def sync_names(kind: str, coroutine_twins_only: bool = False) -> frozenset[str]:
    """The sync names of ``kind`` (those whose twin is a coroutine, on request:
    not ``iterator``, whose twin is an async iterator)."""
    twins = coroutine_twins(kind)
    return frozenset(name for (row_kind, name), (async_name, _) in twin_table().items() if row_kind == kind and (not coroutine_twins_only or async_name in twins))


def twin(kind: str, name: str, target: tuple[int, ...] | None) -> str | None:
    """The async twin of ``name`` if the target Django version has it.

    ``target`` is (major, minor) or None for the newest release. A twin added
    in a patch release (4.1.4) counts as absent from its series (4.1): the
    lowest version the project allows may predate it."""
    entry = twin_table().get((kind, name))
    if entry is None:
        return None
    async_name, since = entry
    if target is None:
        return async_name
    padded = tuple(target) + (0,) * (len(since) - len(target))
    return async_name if padded >= since else None


def since(kind: str, name: str) -> str | None:
    entry = twin_table().get((kind, name))
    return ".".join(map(str, entry[1])) if entry else None


def target_version(ctx) -> tuple[int, ...] | None:
    settings = ctx.settings
    return getattr(settings, "django_version", None) if settings is not None else None
