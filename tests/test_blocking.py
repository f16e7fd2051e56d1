"""DJA1xx beyond the fixtures: messages, ops recorded in sync code, configured
extra calls, and the receiver inference API other rule families use."""

from __future__ import annotations

import textwrap
import time

import libcst as cst

from async_lint.analysis.context import FileContext
from async_lint.analysis.receivers import ReceiverInference
from async_lint.checks.base import Check
from async_lint.checks.blocking import BlockingCallCheck
from async_lint.traversal import FileTraversal
from tests.helpers import lint_text, make_settings

DJA1 = ["DJA1"]


def _context(source: str) -> FileContext:
    module = cst.parse_module(textwrap.dedent(source))
    settings = make_settings(select=DJA1)
    return FileContext(path="m.py", module=module, source=None, module_name="shop.m", settings=settings, enabled=settings.enabled)


def test_messages_show_the_spelling_used_and_the_resolved_name() -> None:
    findings = lint_text(
        """
        import requests as r
        from time import sleep
        import httpx

        async def view(request, client: httpx.Client):
            r.get("https://example.com")
            sleep(1)
            requests_like = client.post("/")
            open("x")
        """,
        select=DJA1,
    )
    messages = [f.message for f in findings]
    assert messages[0] == "`r.get()` (`requests.get`) blocks the event loop; use `httpx.AsyncClient` or `aiohttp`"
    assert messages[1].startswith("`sleep()` (`time.sleep`) blocks the event loop; use `await asyncio.sleep(")
    assert messages[2] == "`client.post()` (`httpx.Client.post`) blocks the event loop; use `httpx.AsyncClient`"
    assert messages[3].startswith("`open()` blocks the event loop; use `aiofiles.open`")


def test_celery_advice_names_the_call_as_written() -> None:
    findings = lint_text(
        """
        from shop.tasks import app

        @app.task
        def refresh(pk):
            return pk

        async def view(request):
            refresh.apply_async(args=[1])
            refresh.s(2).delay()
        """,
        select=DJA1,
    )
    assert [f.message.rpartition("; use ")[2] for f in findings] == [
        "`await sync_to_async(refresh.apply_async)(...)`",
        "`await sync_to_async(refresh.s(2).delay)(...)`",
    ]


def test_levels_follow_the_catalog() -> None:
    findings = lint_text(
        """
        import os

        async def view(request):
            os.path.exists("/tmp")
            os.system("true")
        """,
        select=DJA1,
    )
    assert [(f.code, f.level) for f in findings] == [("DJA106", "info"), ("DJA103", "warning")]


def test_sync_functions_record_ops_instead_of_findings() -> None:
    ctx = _context(
        """
        import requests

        def fetch_rates():
            with open("rates.json") as fh:
                fh.read()
            return requests.get("https://example.com").json()

        async def view(request):
            return fetch_rates()
        """
    )
    ctx.module.visit(FileTraversal(ctx, [BlockingCallCheck(ctx)]))
    assert ctx.reports == []
    ops = {f.name: [op.code for op in f.ops] for f in ctx.functions}
    assert ops == {"fetch_rates": ["DJA104", "DJA102"], "view": []}


def test_configured_extra_blocking_calls_report_as_dja105() -> None:
    findings = lint_text(
        """
        from legacy.erp import push_order

        async def checkout(request):
            push_order(1)
        """,
        select=DJA1,
        extra_blocking_calls=(("legacy.erp.push_order", "use `legacy.erp.apush_order`"),),
    )
    assert [(f.code, f.message) for f in findings] == [("DJA105", "`push_order()` (`legacy.erp.push_order`) blocks the event loop; use `legacy.erp.apush_order`")]


class _Probe(Check):
    """Records what the receiver of every ``<expr>.probe()`` is inferred to be."""

    codes = ()
    seen: list[str | None]

    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.inference = ReceiverInference(ctx)
        self.seen = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "probe":
            found = self.inference.infer(node.func.value)
            self.seen.append(found.type if found else None)


def _probe(source: str) -> list[str | None]:
    ctx = _context(source)
    probe = _Probe(ctx)
    ctx.module.visit(FileTraversal(ctx, [probe]))
    return probe.seen


def test_receiver_inference_evidence() -> None:
    assert _probe(
        """
        import httpx, redis, sqlite3
        from pathlib import Path
        from django.conf import settings

        pool = redis.from_url("redis://")

        class Service:
            def run(self):
                self.http.probe()
                self.maybe.probe()

            def __init__(self, factory):
                self.http = httpx.Client()
                self.maybe = httpx.Client() if factory else factory()

        def f(conn: "sqlite3.Connection", p: Path | None):
            with httpx.Client() as c:
                c.probe()
            pool.probe()
            conn.cursor().probe()
            p.parent.probe()
            (settings.BASE_DIR / "x").probe()
            x = Path("a")
            x = x.parent
            x.probe()
        """
    ) == [
        "httpx.Client",
        None,
        "httpx.Client",
        "redis.Redis",
        "dbapi.Cursor",
        "pathlib.Path",
        "pathlib.Path",
        "pathlib.Path",  # the use sees only `x = x.parent`, whose `x` is `Path("a")`
    ]


def test_a_variable_rebound_from_itself_many_times_is_inferred_in_linear_time() -> None:
    # Real code (a matching module) rebinds one name from itself dozens of
    # times; each binding's value names the variable again.
    rebinds = "\n".join(f"    text = text.replace('{i}', '')" for i in range(40))
    source = f"import httpx\n\nasync def clean(text, url):\n{rebinds}\n    client = httpx.Client()\n    client.get(url)\n    return text.upper()\n"
    started = time.perf_counter()
    findings = lint_text(source, dedent=False, select=["DJA1"])
    assert time.perf_counter() - started < 5
    assert [(f.code, f.line) for f in findings] == [("DJA102", 45)]
