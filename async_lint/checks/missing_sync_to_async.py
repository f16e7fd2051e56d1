"""DJA401: async code calls a project function that blocks the event loop
through sync calls, possibly in other modules.

The per-file blocking checks (DJA1xx, DJA2xx) record the blocking operations
of sync functions in each module summary, and each call made on the event
loop as a call site; the project index resolves the callee and finds the
chain of sync calls to the most severe operation it reaches.  This check
words the finding, with the chain as evidence, and attaches the fix the
summary prepared for the site (``await sync_to_async(f)(...)``).
"""

from __future__ import annotations

from typing import Any

from async_lint.catalog import level_of
from async_lint.checks.base import IndexCheck, finding_at
from async_lint.findings import Finding
from async_lint.index import ProjectIndex, split_key


class MissingSyncToAsyncCheck(IndexCheck):
    codes = ("DJA401",)
    follows_blocking_calls = True

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list[Finding]:
        index = self.index
        module = summary["module"]
        out = []
        for site in summary["sites"]:
            if not site["async"]:
                continue
            receiver = index.receiver_of(site["ref"], module)
            target = index.resolve(site["ref"], module, receiver)
            if target is None or not index.callable_sync(index.function(target)):
                continue
            chain = index.chain(target, orm_ok=not orm_opt_out, receiver=receiver, site=site)
            if chain is not None:
                out.append(_finding(index, path, site, target, chain))
        return out


def _finding(index: ProjectIndex, path: str, site: dict, target: str, chain: list[Any]) -> Finding:
    op = chain[-1]
    # RULES.md: an error when the chain ends at an error-level operation.
    level = "error" if level_of(op[0]) == "error" else "warning"
    callee = site["callee"].removesuffix("()")
    if site["ref"].startswith("p:"):
        message = (
            f"reading `{site['callee']}` runs sync code that blocks the event loop (a property): {chain_text(index, chain)}; "
            f"read it in a thread: `await sync_to_async(lambda: {callee})()`"
        )
    else:
        message = (
            f"`{site['callee']}` runs sync code that blocks the event loop: {chain_text(index, chain)}; "
            f"call it in a thread: `await sync_to_async({callee})(...)`"
        )
    extra = {
        "callee": callee,
        "callee_qualname": target.replace(":", "."),
        "chain": [k.replace(":", ".") for k in chain[:-1]],
        "blocking_code": op[0],
        "steps": chain_steps(index, chain),
    }
    return finding_at(path, site, "DJA401", message, level=level, extra=extra, fix=site.get("fix"))


def chain_text(index: ProjectIndex, chain: list[Any]) -> str:
    """``view() -> helper() -> time.sleep() at shop/helpers.py:12``."""
    *keys, op = chain
    names = []
    for key in keys:
        _, qualname = split_key(key)
        is_property = (index.function(key) or {}).get("binding") == "property"
        names.append(qualname.split(".<locals>.")[-1] + ("" if is_property else "()"))
    module, _ = split_key(keys[-1])
    return " -> ".join([*names, op[2]]) + f" at {index.display_module(module)}:{op[1]}"


def chain_steps(index: ProjectIndex, chain: list[Any]) -> list[dict]:
    """Where each step of a chain is, for SARIF's relatedLocations and
    codeFlows: each function (its ``def`` line is looked up by the SARIF
    writer: summaries keep no position for a function), then the blocking line."""
    *keys, op = chain
    steps = []
    for key in keys:
        module, qualname = split_key(key)
        paths = index.paths_of.get(module)
        if paths:
            steps.append({"path": paths[0], "line": None, "def": qualname.rpartition(".")[2], "text": qualname.split(".<locals>.")[-1] + "()"})
    paths = index.paths_of.get(split_key(keys[-1])[0])
    if paths:
        steps.append({"path": paths[0], "line": op[1], "text": op[2]})
    return steps
