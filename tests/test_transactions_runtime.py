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
