import asyncio
import time
from asyncio import sleep


async def backoff(attempt):
    await sleep(2 ** attempt)


async def shadowed(sleep):
    await asyncio.sleep(sleep)


async def taken(request, sleep=None, asyncio=None):
    time.sleep(1)
