"""``# noqa`` comments."""

from __future__ import annotations

import re

_NOQA = re.compile(r"#\s*noqa(?P<sep>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def _comment_start(line: str) -> int | None:
    """Index of the ``#`` that starts a comment on this line (outside strings)."""
    quote: str | None = None
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif ch in "\"'":
            quote = line[i : i + 3] if line.startswith(ch * 3, i) else ch
            i += len(quote)
            continue
        elif ch == "#":
            return i
        i += 1
    return None


def noqa_codes(line: str) -> frozenset[str] | None:
    """None: no noqa; empty set: a blanket ``# noqa``; else the codes named."""
    if "noqa" not in line.lower():
        return None
    start = _comment_start(line)
    if start is None:
        return None
    match = _NOQA.search(line, start)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(c.upper() for c in _CODE.findall(codes))


def is_suppressed(code: str, lines: list[str], *rows: int) -> int | None:
    """The row whose noqa suppresses ``code``, if any of ``rows`` has one."""
    for row in rows:
        if 1 <= row <= len(lines):
            codes = noqa_codes(lines[row - 1])
            if codes is not None and (not codes or code in codes or any(code.startswith(c) for c in codes)):
                return row
    return None
