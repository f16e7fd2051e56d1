"""Whether a project has code that the model table can change a finding in.

The table (``project_models.py``) tells the checks which names are models,
managers and QuerySets.  A check asks it only about code on the event loop
or code handed across to it or from it:

- the ORM rules (DJA2xx) and DJA401 report in async code (an ``async def``);
- DJA402/DJA403 read the callable a ``sync_to_async`` (or Channels'
  ``database_sync_to_async``) wraps, also in a sync function;
- DJA302 reports a Django async twin (``obj.asave()``,
  ``aget_object_or_404(...)``) dropped in a sync function, on a receiver
  the table may name.

A project none of whose modules has such code (a Django project with no
async code yet) gets the same findings from an empty table, so it skips
the table's skeletons and join, most of such a run's cost: the test below
is the prefilter's kind, a scan of bytes, and CPython's parser only for a
file whose text has one of the words (a word in a docstring is not code).
"""

from __future__ import annotations

import ast
import functools
import re

from async_lint.analysis.django_twins import twin_names
from async_lint.text_hints import AnyOf

ADAPTER = "sync_to_async"


@functools.lru_cache(maxsize=None)
def _twins() -> frozenset[str]:
    methods, functions = twin_names()
    return methods | functions


@functools.lru_cache(maxsize=None)
def _words() -> tuple[re.Pattern[bytes], AnyOf]:
    """A scan of the bytes for the words (``async``, each twin's name: one
    pass of ``re`` over the file, where ``AnyOf``'s required words left 381
    of Django's 847 files without async code to search), and the patterns
    that spell them as names in the text."""
    methods, functions = twin_names()
    names = sorted(_twins(), key=lambda name: (-len(name), name))
    scan = re.compile(b"async|" + b"|".join(re.escape(name.encode()) for name in names))
    return scan, AnyOf([r"\basync\s+def\b", ADAPTER, r"\.(?:" + "|".join(sorted(methods)) + r")\b", r"\b(?:" + "|".join(sorted(functions)) + r")\b"])


def may_use_models(data: bytes) -> bool:
    """Whether a module (its bytes) has code the model table can change a
    finding in: async code, a ``sync_to_async`` or a Django async twin.
    True where it cannot tell (a file CPython cannot parse)."""
    scan, words = _words()
    if scan.search(data) is None:
        return False
    text = data.decode("utf-8", "replace")
    if words.search(text) is None:
        return False
    return _in_code(text)


def _in_code(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    twins = _twins()
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.AsyncFunctionDef:  # await, async for and async with live in one
            return True
        if kind is ast.Name:
            name = node.id
        elif kind is ast.Attribute:
            name = node.attr
        elif kind is ast.alias:
            if _named(node.name.rpartition(".")[2], twins) or (node.asname and _named(node.asname, twins)):
                return True
            continue
        else:
            continue
        if _named(name, twins):
            return True
    return False


def _named(name: str, twins: frozenset[str]) -> bool:
    return ADAPTER in name or name in twins


@functools.lru_cache(maxsize=None)
def _async_frameworks() -> tuple[bytes, ...]:
    """The packages whose views have async handlers of their own (adrf's
    generics: the view table's ``async_handlers``)."""
    from async_lint.checks.django_structure_classes import view_table

    return tuple(sorted({name.partition(".")[0].encode() for name, entry in view_table().classes.items() if entry.async_handlers}))


def names_async_framework(data: bytes) -> bool:
    """Whether a module's bytes name a package whose views are async
    (``adrf``): a project with no ``async def`` may still subclass them."""
    return any(name in data for name in _async_frameworks())
