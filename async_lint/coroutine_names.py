"""The names a call can reach a coroutine function of the project by, read
from the project's text.

The project index resolves a call that sync code makes for one rule only:
DJA302, a coroutine function called and its coroutine dropped.  Such a call
resolves to a coroutine function only where the project spells that
function ``async def name`` or decorates ``def name`` with
``sync_to_async``/``database_sync_to_async`` (``summary._returns_coroutine``),
and the name the call ends in is then that ``name``, a name an import gives
it (``from .mail import notify as send``), or, for a class, whatever the
class is called (its ``__init__`` runs).  A call in sync code that ends in
none of these names is not resolved, so the modules it leads to are not
analysed for it: most of what a project's sync code calls.

Every pattern here matches more than Python does (in strings and comments,
``with ... as name``): more names, never fewer.
"""

from __future__ import annotations

import re
from typing import Iterable

from async_lint.text_hints import guarded

_GAP = r"(?:\s|\\\r?\n|\\\r)+"
# A name: ASCII letters, digits and ``_``, and any character past ASCII
# that is not a space (a Python name may hold characters ``\w`` does not,
# e.g. U+00B7 or a combining mark).  Spelled as what is not in a name: a
# class of all of Unicode's word characters takes milliseconds to compile.
_NAME_CHARACTER = r"[^\s\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_NAME = rf"({_NAME_CHARACTER}+)"
# Each pattern begins with a literal (``text_hints.guarded``): a pattern that
# begins with ``\b`` or ``\w+`` is tried at every position of the text.
_ASYNC_DEF = re.compile(rf"{guarded('async')}{_GAP}def{_GAP}{_NAME}")
# A decorator line naming the thread decorator, up to the next def: the def
# it decorates (a class's decorator leads to its first method: more names).
# (A parenthesized decorator may name it on a later line.)
_THREAD_DECORATED = re.compile(rf"@(?:[^\n]*|\s*\([^)]*)sync_to_async[\s\S]*?\bdef{_GAP}{_NAME}")
_AS = re.compile(r"as(?<=[\s\\]as)(?=[\s\\])")
_NAME_AFTER = re.compile(rf"{_GAP}{_NAME}")
# The last names of the decorators that make a def a coroutine function
# (analysis.context.SYNC_TO_ASYNC_DECORATORS): ``database_sync_to_async`` holds it too.
_THREAD_DECORATOR_WORD = "sync_to_async"


def coroutine_def_names(text: str) -> set[str]:
    """The names of the defs in ``text`` that may be coroutine functions:
    ``async def``, and a def under a decorator that names
    ``sync_to_async`` (or a name the text imports it as)."""
    names: set[str] = set()
    if "async" in text:
        names.update(_ASYNC_DEF.findall(text))
    if _THREAD_DECORATOR_WORD in text:
        names.update(_THREAD_DECORATED.findall(text))
        aliases = sorted({new for old, new in renames(text) if _THREAD_DECORATOR_WORD in old})
        if aliases:
            named = "|".join(re.escape(alias) for alias in aliases)
            names.update(re.findall(rf"@(?:[^\n]*|\s*\([^)]*)(?<!{_NAME_CHARACTER})(?:{named})(?!{_NAME_CHARACTER})[\s\S]*?\bdef{_GAP}{_NAME}", text))
    return names


def renames(text: str) -> list[tuple[str, str]]:
    """(name, new name) of each ``name as new_name`` in ``text``."""
    out = []
    for match in _AS.finditer(text):
        start, end = match.span()
        after = _NAME_AFTER.match(text, end)
        if after is None:
            continue
        # The name before: back over the gap, then over the name's characters.
        stop = start
        while stop and (text[stop - 1].isspace() or text[stop - 1] == "\\"):
            stop -= 1
        first = stop
        while first and _in_name(text[first - 1]):
            first -= 1
        if first < stop:
            out.append((text[first:stop], after.group(1)))
    return out


def _in_name(char: str) -> bool:
    return char.isalnum() or char == "_" or (char > "\x7f" and not char.isspace())


def text_words(text: str) -> list:
    """What one file contributes, as plain data (kept with its cached
    result): [its coroutine def names, its [name, new name] pairs]."""
    return [sorted(coroutine_def_names(text)), sorted({(old, new) for old, new in renames(text)})]


class CoroutineNames:
    """The names a call may reach a coroutine function of the project by,
    from every file's ``text_words``."""

    def __init__(self, words: Iterable[list]):
        names: set[str] = set()
        pairs: dict[str, set[str]] = {}
        for defs, renamed in words:
            names.update(defs)
            for old, new in renamed:
                pairs.setdefault(old, set()).add(new)
        todo = list(names)
        while todo:
            for new in pairs.get(todo.pop(), ()):
                if new not in names:
                    names.add(new)
                    todo.append(new)
        self.names = frozenset(names)
        # A coroutine ``__init__`` (however odd): any class may be its class.
        self.constructors = "__init__" in names

    def may_reach(self, ref: str) -> bool:
        """Whether the call a summary's ``ref`` names may run a coroutine
        function of the project (False only where it cannot)."""
        kind, _, rest = ref.partition(":")
        if kind == "q":
            return self.constructors or rest.rpartition(".")[2] in self.names
        if kind in ("s", "S"):
            return rest.rpartition(":")[2] in self.names
        return True
