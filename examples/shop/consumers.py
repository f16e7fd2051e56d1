"""Live order tracking over WebSocket (Django Channels)."""
import asyncio
import json

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer

from shop.models import Order


@database_sync_to_async
def order_summary(order_id):
    order = Order.objects.select_related("product").get(pk=order_id)
    return {"id": order.pk, "product": order.product.name, "paid": order.paid}


class OrderStatusConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.order_id = self.scope["url_route"]["kwargs"]["order_id"]
        self.group_name = f"order_{self.order_id}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        self.heartbeat = asyncio.create_task(self.send_heartbeats())
        summary = await order_summary(self.order_id)
        await self.send(text_data=json.dumps(summary))

    async def disconnect(self, code):
        self.heartbeat.cancel()
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        message = json.loads(text_data or "{}")
        if message.get("action") == "refresh":
            asyncio.create_task(self.push_summary())  # expect: DJA301
        elif message.get("action") == "ping":
            self.send(text_data=json.dumps({"pong": True}))  # expect: DJA302
        elif message.get("action") == "cancel":
            self.channel_layer.group_send(self.group_name, {"type": "order.status", "status": "cancelling"})  # expect: DJA302
        elif message.get("action") == "notify-staff":
            async_to_sync(self.channel_layer.group_send)("staff", {"type": "staff.alert", "order": self.order_id})  # expect: DJA304

    async def push_summary(self):
        summary = await order_summary(self.order_id)
        await self.send(text_data=json.dumps(summary))

    async def send_heartbeats(self):
        while True:
            await asyncio.sleep(30)
            await self.send(text_data=json.dumps({"type": "heartbeat"}))

    async def order_status(self, event):
        await self.send(text_data=json.dumps({"status": event["status"]}))


class StaffAlertConsumer(WebsocketConsumer):
    """A sync consumer: async_to_sync is the right way to reach the channel layer."""

    def connect(self):
        async_to_sync(self.channel_layer.group_add)("staff", self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)("staff", self.channel_name)

    def staff_alert(self, event):
        self.send(text_data=json.dumps({"order": event["order"]}))
