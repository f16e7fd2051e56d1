import asyncio as aio
from time import sleep as snooze

from channels.generic.websocket import AsyncWebsocketConsumer


class TickerConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        snooze(1)

    async def receive(self, text_data=None, bytes_data=None):
        aio = text_data  # a local `aio` shadows the module alias here
        snooze(0.1)
        await self.send(text_data=aio)
