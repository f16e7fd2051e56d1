"""Order notifications: e-mail receipts, a webhook to the warehouse, live updates."""
import asyncio
import logging

import httpx
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import send_mail

from shop.models import Order

logger = logging.getLogger(__name__)

# Strong references to fire-and-forget work, dropped when each task finishes.
_background = set()


def _log_failure(task):
    if not task.cancelled() and task.exception() is not None:
        logger.error("notification failed", exc_info=task.exception())


def run_in_background(coro):
    task = asyncio.create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)
    task.add_done_callback(_log_failure)
    return task


async def email_receipt(order_id):
    order = await Order.objects.select_related("product").aget(pk=order_id)
    await sync_to_async(send_mail)(
        f"Receipt for order {order.pk}",
        f"You bought {order.quantity} x {order.product.name}.",
        "shop@example.com",
        [settings.DEFAULT_FROM_EMAIL],
    )


async def notify_warehouse(order_id):
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.post("https://warehouse.example.com/orders", json={"order": order_id})
        response.raise_for_status()


async def broadcast_order_status(order_id, status):
    layer = get_channel_layer()
    await layer.group_send(f"order_{order_id}", {"type": "order.status", "status": status})


async def order_paid(order_id):
    """Called by the payment webhook view once the payment is captured."""
    await Order.objects.filter(pk=order_id).aupdate(paid=True)
    run_in_background(email_receipt(order_id))
    asyncio.create_task(notify_warehouse(order_id))  # expect: DJA301
    broadcast_order_status(order_id, "paid")  # expect: DJA302
    await asyncio.gather(
        broadcast_order_status(order_id, "packing"),
        notify_warehouse(order_id),
    )


async def retry_later(order_id, delay):
    loop = asyncio.get_event_loop()  # expect: DJA303
    loop.call_later(delay, run_in_background, notify_warehouse(order_id))
