"""DJA208's two wordings match what Django's ``Atomic`` does on the event loop."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import lint_text
from tests.structure_runtime import configure_django, load_example

SYNC_WITH = """
from django.db import transaction

async def view():
    with transaction.atomic():
        return 1
"""
ASYNC_WITH = SYNC_WITH.replace("    with transaction", "    async with transaction")


@pytest.fixture(scope="module", autouse=True)
def django_configured():
    configure_django()


def test_a_sync_with_opens_the_transaction_on_the_loop():
    from django.core.exceptions import SynchronousOnlyOperation

    [finding] = lint_text(SYNC_WITH, select=["DJA208"])
    assert "opens a transaction on the event loop (SynchronousOnlyOperation" in finding.message
    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(load_example(SYNC_WITH).view())


def test_an_async_with_fails_before_any_transaction():
    [finding] = lint_text(ASYNC_WITH, select=["DJA208"])
    assert "is not an async context manager (`async with` raises TypeError" in finding.message
    with pytest.raises(TypeError, match="asynchronous context manager"):
        asyncio.run(load_example(ASYNC_WITH).view())


ON_COMMIT = """
from asgiref.sync import async_to_sync
from django.db import transaction

ran = []

async def notify(label):
    ran.append(label)

def dropped():
    with transaction.atomic():
        transaction.on_commit(lambda: notify("dropped"))

def run_in_the_callback():
    with transaction.atomic():
        transaction.on_commit(lambda: async_to_sync(notify)("run"))
"""


def test_a_commit_hook_drops_the_coroutine_its_lambda_returns():
    """DJA302's claim on ``on_commit``: Django calls the hook with a plain
    ``func()`` and drops the coroutine, which never runs; the recipe in the
    message (``async_to_sync`` inside the lambda) runs it."""
    flagged = [(f.line, f.code) for f in lint_text(ON_COMMIT, select=["DJA302"])]
    assert flagged == [(12, "DJA302")]
    example = load_example(ON_COMMIT)
    with pytest.warns(RuntimeWarning, match="was never awaited"):
        example.dropped()
        import gc

        gc.collect()
    example.run_in_the_callback()
    assert example.ran == ["run"]
