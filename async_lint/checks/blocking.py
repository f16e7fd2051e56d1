"""DJA101-DJA106: blocking I/O called on the event loop.

The callables come from ``rules/blocking_calls.toml``; this module only knows
how to match a call against that table."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import libcst as cst

from async_lint import fixes
from async_lint.catalog import load_table
from async_lint.checks.base import Check


@dataclass(frozen=True)
class BlockingCall:
    code: str
    use: str
    what: str | None = None
    # The team's own advice (config extra-blocking-calls), shown as is.
    advice: str | None = None


@dataclass(frozen=True)
class BlockingTable:
    exact: dict[str, BlockingCall]
    # module prefix ("requests") -> (entry, excluded full names)
    wildcard: dict[str, tuple[BlockingCall, frozenset[str]]]

    def match(self, qualified: str) -> BlockingCall | None:
        entry = self.exact.get(qualified)
        if entry is not None:
            return entry
        prefix, _, _ = qualified.rpartition(".")
        found = self.wildcard.get(prefix)
        if found is not None and qualified not in found[1]:
            return found[0]
        return None


@functools.lru_cache(maxsize=None)
def blocking_table() -> BlockingTable:
    exact: dict[str, BlockingCall] = {}
    wildcard: dict[str, tuple[BlockingCall, frozenset[str]]] = {}
    for row in load_table("blocking_calls").get("call", []):
        entry = BlockingCall(code=row["code"], use=row["use"], what=row.get("what"))
        excluded = frozenset(row.get("exclude", ()))
        for name in row["names"]:
            if name.endswith(".*"):
                wildcard[name[:-2]] = (entry, excluded)
            else:
                exact[name] = entry
    return BlockingTable(exact, wildcard)


@functools.lru_cache(maxsize=None)
def table_with_extra(extra: tuple[tuple[str, str], ...]) -> BlockingTable:
    """The table plus the team's own blocking callables (``Settings.extra_blocking_calls``:
    dotted name, or ``module.*``, -> advice), reported as DJA105."""
    base = blocking_table()
    if not extra:
        return base
    exact, wildcard = dict(base.exact), dict(base.wildcard)
    for name, advice in extra:
        entry = BlockingCall(code="DJA105", use="", advice=advice)
        # A name the built-in table knows keeps its own code and advice.
        if name.endswith(".*"):
            wildcard.setdefault(name[:-2], (entry, frozenset()))
        else:
            exact.setdefault(name, entry)
    return BlockingTable(exact, wildcard)


class BlockingCallCheck(Check):
    codes = ("DJA101",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.table = table_with_extra(getattr(ctx.settings, "extra_blocking_calls", ()))

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualified_name(node.func)
        if name is None:
            return
        entry = self.table.match(name)
        if entry is None:
            return
        shown = entry.what or f"{name.removeprefix('builtins.')}()"
        advice = entry.advice or f"use `{entry.use}`"
        fix = sleep_fix(self.ctx, node) if entry.code == "DJA101" and self.ctx.in_async_context else None
        self.ctx.report_blocking(node, entry.code, f"`{shown}` blocks the event loop; {advice}", fix=fix)


# -- autofix ----------------------------------------------------------------------
def sleep_fix(ctx, call: cst.Call) -> fixes.NodeFix | None:
    """DJA101: ``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (one plain
    argument; ``asyncio`` through the file's own import or alias, else added)."""
    if not fixes.has_plain_args(call, 1):
        return None
    return fixes.await_call(ctx, call, "asyncio.sleep")
