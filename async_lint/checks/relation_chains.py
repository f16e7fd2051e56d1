"""DJA204 where a coroutine function runs, on the event loop, with an
instance fetched without a relation it reads.

``conversation = await Conversation.objects.aget(pk=pk)`` then ``await
conversation.end()``, where the model's ``async def end(self)`` reads
``self.user`` (directly, or through ``self.method()`` calls, sync or
async): the read runs on the loop and queries (SynchronousOnlyOperation).
The method's own file cannot tell where ``self`` came from; the call site
knows which relations its instance lacks (summary ``unloaded``), the
method's summary which relations it reads on ``self`` or a parameter
(``relation_reads``), and the project index pairs them
(``ProjectIndex.relation_chain``).
"""

from __future__ import annotations

from async_lint.checks.base import IndexCheck, finding_at
from async_lint.findings import Finding
from async_lint.checks.missing_sync_to_async import chain_text


class AsyncRelationReadCheck(IndexCheck):
    # DJA204: a relation read; DJA202: a QuerySet passed and evaluated
    # there; DJA203: a model instance passed and written (or reloaded) there.
    codes = ("DJA202", "DJA203", "DJA204")

    def findings_for(self, path: str, summary: dict, orm_opt_out: bool) -> list[Finding]:
        if orm_opt_out:
            return []
        index = self.index
        module = index.module_of(path, summary)
        out = []
        for site in summary["sites"]:
            if not site["async"] or "unloaded" not in site or site["ref"][:2] == "p:" or site.get("discarded"):
                continue  # a coroutine dropped unawaited never runs its body (DJA302)
            receiver = index.receiver_of(site["ref"], module)
            target = index.resolve(site["ref"], module, receiver)
            function = index.function(target) if target is not None else None
            if function is None or not function.get("async"):
                continue  # a sync callee's reads are DJA401's
            chain = index.relation_chain(target, receiver, site)
            if chain is None:
                continue
            code = chain[-1][0]
            out.append(finding_at(path, site, code, _message(code, site["callee"], chain_text(index, chain))))
        return out


def _message(code: str, callee: str, chain: str) -> str:
    if code == "DJA202":
        return (
            f"`{callee}` runs on the event loop and evaluates the lazy QuerySet it is passed: {chain}; "
            "iterate it there with `async for` (or an `a`-method), or pass it evaluated (`[x async for x in qs]`)"
        )
    if code == "DJA203":
        return f"`{callee}` runs on the event loop and queries with the model instance it is passed: {chain}; use the async method there (`await obj.asave()`, `adelete()`, `arefresh_from_db()`)"
    return (
        f"`{callee}` runs on the event loop and reads a relation its instance was fetched without: "
        f"{chain}; load it with the query that fetched the instance "
        "(`select_related`/`prefetch_related`), or read it in a thread"
    )
