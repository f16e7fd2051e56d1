"""Notification helpers whose coroutines were called without `await`."""
import asyncio
from asyncio import sleep as pause

from channels.generic.websocket import AsyncWebsocketConsumer


async def push(channel, payload):
    await asyncio.sleep(0)
    return channel, payload


async def notify_all(channels, payload):
    for channel in channels:
        push(channel, payload)  # the comment stays
    pause(0.1)
    asyncio.gather(
        push("a", payload),
        push("b", payload),
    )


class OrderConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data)

    async def disconnect(self, code):
        await self.close()


def sync_caller(payload):
    push("sync", payload)  # sync code: reported, but `await` is not possible here
