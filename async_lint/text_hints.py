"""Text hints, searched fast: the prefilter's regular expressions over every
file of a run.

CPython's ``re`` finds a pattern that begins with a literal by scanning for
that literal, as fast as ``str.find``; a pattern that begins with ``\\b`` (most
hints: ``\\basync\\s+def\\b``) is instead tried at every position of the text,
about 30 times slower, and one alternation of such patterns is tried
alternative by alternative at every position.  On saleor's 3,400 files that
was 2.4 CPU-s of a cold run, more than the analysis of its async files.

So each hint is rewritten to the same language with its leading word
boundary moved behind the word it guards (``\\bword`` -> ``word(?<!\\wword)``:
"no word character before the word", checked once the word is found), and
the hints are searched one by one, each with its own literal scan.

Each hint is searched only in a text that holds the words it requires
(``class`` and ``Meta`` for ``(?m:^\\s*class\\s+Meta\\b)``, which cannot begin
with a literal), found by ``str.__contains__``, each word once per text
whatever the hints that share it; ``required_words`` reads them from the
parsed pattern.
"""

from __future__ import annotations

import re

try:  # the parsed form of a pattern, to read the words it requires
    import re._parser as _sre
except ImportError:  # Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

_WORD = re.compile(r"\w+")
_QUANTIFIERS = frozenset("?*+{")


def _split_alternatives(pattern: str) -> list[str] | None:
    """``pattern``'s top-level alternatives; None when it cannot tell (an
    unbalanced group), so the pattern is used as it is."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a "]" first in a class is a member
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    if depth or in_class:
        return None
    parts.append(pattern[start:])
    return parts


def guarded(word: str) -> str:
    """``\\bword`` spelled with the word first (the boundary looked for
    behind it): CPython's ``re`` then finds it as fast as ``str.find``,
    where a pattern that begins with ``\\b`` is tried at every position."""
    return f"{word}(?<!\\w{word})"


def _literal_first_alternative(alternative: str) -> str:
    if not alternative.startswith(r"\b"):
        return alternative
    rest = alternative[2:]
    word = _WORD.match(rest)
    if word and (word.group() == rest or rest[word.end()] not in _QUANTIFIERS):
        return guarded(word.group()) + rest[word.end() :]
    # ``\b(?:one|two)``: each word guarded inside the group.
    if rest.startswith("(?:"):
        close = rest.find(")")
        words = rest[3:close].split("|") if close > 0 else []
        after = rest[close + 1 : close + 2]
        if words and all(_WORD.fullmatch(w) for w in words) and after not in _QUANTIFIERS:
            return "(?:" + "|".join(guarded(w) for w in words) + ")" + rest[close + 1 :]
    return alternative


def literal_first(pattern: str) -> list[str]:
    """``pattern`` as alternatives that match exactly where it does, each
    beginning with a literal where a leading ``\\b`` allowed it."""
    alternatives = _split_alternatives(pattern)
    if alternatives is None or any(a.startswith("(?") and not a.startswith("(?:") for a in alternatives):
        return [pattern]  # flags or lookarounds at the top: left as written
    return [_literal_first_alternative(a) for a in alternatives]


_REPEATS = frozenset({_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)})


def _requirements(items, out: list[frozenset[str]]) -> None:
    """Append to ``out`` the requirements of a parsed sequence: each a set of
    strings one of which every match contains."""
    run: list[str] = []  # the literal characters since the last other item
    for op, value in items:
        if op is _sre.LITERAL:
            run.append(chr(value))
            continue
        pending = "".join(run)
        run.clear()
        if op is _sre.BRANCH and pending:
            # ``\.(?:aget|asave)``, which the parser reads as ``.a`` and a
            # branch of ``get|save``: the run and each branch's leading
            # literals are one word (``.aget``), rarer than either part.
            joined = {pending + _leading_literals(branch) for branch in value[1]}
            if min(map(len, joined)) > len(pending):
                out.append(frozenset(joined))
                continue
        if len(pending) >= 2:
            out.append(frozenset({pending}))
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, inner = value
            if not add_flags & re.IGNORECASE:
                _requirements(inner, out)
        elif op in _REPEATS and value[0] >= 1:
            _requirements(value[2], out)
        elif op is _sre.BRANCH:
            # One of the branches' words, when every branch requires some.
            choices: set[str] = set()
            for branch in value[1]:
                found: list[frozenset[str]] = []
                _requirements(branch, found)
                if not found:
                    choices = set()
                    break
                choices |= max(found, key=lambda words: min(map(len, words)))
            if choices:
                out.append(frozenset(choices))
    if len(run) >= 2:
        out.append(frozenset({"".join(run)}))


def _leading_literals(items) -> str:
    """The literal characters a parsed sequence begins with."""
    chars: list[str] = []
    for op, value in items:
        if op is not _sre.LITERAL:
            break
        chars.append(chr(value))
    return "".join(chars)


def required_words(pattern: str) -> tuple[frozenset[str], ...]:
    """Sets of strings such that a text the pattern matches holds one string
    of every set (empty: nothing known, e.g. a case-insensitive pattern)."""
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return ()
    if parsed.state.flags & re.IGNORECASE:
        return ()
    out: list[frozenset[str]] = []
    _requirements(parsed, out)
    return tuple(dict.fromkeys(out))


# A set of more required words than this is looked for with one compiled
# alternation: each ``word in text`` scans the whole text, and the Django
# twins' hint requires one of 60 words (0.5 CPU-s on saleor's files, where
# one search of the pattern itself takes 0.01 s).
MAX_SCANNED_WORDS = 6


def _alternation(choices: frozenset, kind: type):
    """One search of a text (``kind``: str or bytes) for any of ``choices``."""
    ordered = sorted(choices, key=lambda word: (-len(word), word))
    return re.compile((b"|" if kind is bytes else "|").join(map(re.escape, ordered))).search


class _Words:
    """Per pattern, the words it requires in one kind of text (str or bytes),
    the sets of longer words (rarer: ``asyncio`` before ``import``) first;
    ``possible`` tests a pattern's, each word looked for once per text
    (most patterns share ``async``)."""

    def __init__(self, words: list[tuple[frozenset[str], ...]], kind: type):
        convert = (lambda word: word.encode()) if kind is bytes else (lambda word: word)
        # None: nothing known of the pattern (e.g. case-insensitive).
        self.of = tuple(tuple(sorted((frozenset(map(convert, choices)) for choices in w), key=lambda c: -min(map(len, c)))) or None for w in words)
        # The sets of more words than are worth a scan each: one search.
        self.alternations = {choices: _alternation(choices, kind) for w in self.of if w for choices in w if len(choices) > MAX_SCANNED_WORDS}
        # Per word looked for one by one, the others it holds.
        scanned = {word for w in self.of if w for choices in w if len(choices) <= MAX_SCANNED_WORDS for word in choices}
        self.parts = {word: tuple(part for part in scanned if part != word and part in word) for word in scanned}

    def possible(self, index: int, text, present: dict) -> bool:
        """Whether ``text`` holds a word of each of pattern ``index``'s sets;
        ``present``: what this text is known to hold, shared by its patterns."""
        words = self.of[index]
        if words is None:
            return True
        for choices in words:
            if len(choices) > MAX_SCANNED_WORDS:
                found = present.get(choices)
                if found is None:
                    found = present[choices] = self.alternations[choices](text) is not None
                if not found:
                    return False
                continue
            for word in choices:
                found = present.get(word)
                if found is None:
                    # A word that holds a shorter one known absent is absent too
                    # (``asyncio``, ``sync_to_async`` once ``async`` is): no scan.
                    found = present[word] = not any(present.get(part) is False for part in self.parts[word]) and word in text
                if found:
                    break
            else:
                return False  # none of this set's words: the pattern cannot match
        return True


class AnyOf:
    """Matches where any of ``patterns`` does; ``search`` returns the first
    alternative's match found (not necessarily the leftmost), or None."""

    def __init__(self, patterns):
        rewritten: list[str] = []
        for pattern in patterns:
            rewritten.extend(p for p in literal_first(pattern) if p not in rewritten)
        self.patterns = tuple(patterns)
        words = [required_words(p) for p in rewritten]
        self._compiled = tuple(re.compile(p).search for p in rewritten)
        self._words = _Words(words, str)
        self._byte_words = _Words(words, bytes)

    def may_match_bytes(self, data: bytes) -> bool:
        """False only when no pattern can match the text these bytes encode
        in an ASCII-compatible encoding: each lacks one of its required
        words (a cheap test on the raw file, before it is decoded).  The
        main process asks this of every file of a run (0.17 -> 0.10 s on
        saleor, with each word looked for once)."""
        present: dict = {}
        possible = self._byte_words.possible
        return any(possible(index, data, present) for index in range(len(self._compiled)))

    def search(self, text: str):
        """Each pattern is searched where the text holds its required words
        (a pattern that begins with a literal is found by ``re``'s own scan
        for it, but its words are mostly shared: ``async``, looked for once
        by ``str.__contains__``, spares three searches; 0.19 -> 0.08 CPU-s
        of the full-pass hints over saleor's files)."""
        present: dict = {}
        possible = self._words.possible
        for index, search in enumerate(self._compiled):
            if possible(index, text, present):
                found = search(text)
                if found is not None:
                    return found
        return None

    def __repr__(self) -> str:
        return f"AnyOf({self.patterns!r})"
