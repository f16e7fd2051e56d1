import time
from asyncio import sleep


async def backoff(attempt):
    time.sleep(2 ** attempt)


async def shadowed(sleep):
    time.sleep(sleep)


async def taken(request, sleep=None, asyncio=None):
    time.sleep(1)
