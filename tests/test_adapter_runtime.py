"""DJA404 on async APIs, against the installed asgiref and Django:
``sync_to_async`` refuses each callable the rule names a coroutine function
(TypeError when the wrapper is made), and takes the plain ones beside them."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db.models import Model, QuerySet
from django.shortcuts import aget_object_or_404, get_object_or_404

from tests.helpers import lint_text

ASYNC_APIS = {
    "order.asave": Model.asave,
    "Order.objects.aget": QuerySet().aget,
    "aget_object_or_404": aget_object_or_404,
    "asyncio.sleep": asyncio.sleep,
}
PLAIN_APIS = {"order.save": Model.save, "qs.first": QuerySet().first, "get_object_or_404": get_object_or_404}


@pytest.mark.parametrize("name", sorted(ASYNC_APIS))
def test_sync_to_async_refuses_the_async_apis(name: str) -> None:
    with pytest.raises(TypeError, match="sync functions"):
        sync_to_async(ASYNC_APIS[name])


@pytest.mark.parametrize("name", sorted(PLAIN_APIS))
def test_sync_to_async_takes_the_plain_ones(name: str) -> None:
    assert callable(sync_to_async(PLAIN_APIS[name]))


def test_the_rule_names_exactly_the_async_ones() -> None:
    source = """
import asyncio

import httpx
from asgiref.sync import sync_to_async
from django.shortcuts import aget_object_or_404, get_object_or_404

from shop.models import Order


async def view(order: Order, qs, pk):
    async with httpx.AsyncClient() as client:
        for wrapped in (
            sync_to_async(order.asave),
            sync_to_async(Order.objects.aget),
            sync_to_async(aget_object_or_404),
            sync_to_async(client.get),
            sync_to_async(asyncio.sleep),
            sync_to_async(order.save),
            sync_to_async(Order.objects.filter(pk=pk).first),
            sync_to_async(get_object_or_404),
        ):
            pass
"""
    flagged = sorted(f.message.split("`")[1] for f in lint_text(source, select=["DJA404"]))
    assert flagged == sorted(f"sync_to_async({name})" for name in ("order.asave", "Order.objects.aget", "aget_object_or_404", "client.get", "asyncio.sleep"))
