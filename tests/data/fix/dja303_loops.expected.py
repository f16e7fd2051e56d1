"""Views that schedule work on the loop they run on."""
import asyncio
from asyncio import get_event_loop

from django.http import JsonResponse


async def schedule(request):
    loop = asyncio.get_running_loop()
    started = loop.time()
    other = asyncio.get_running_loop()
    return JsonResponse({"started": started, "same": other is loop})


def setup():
    return asyncio.get_event_loop()  # sync code: not flagged
