"""Polling views that wait for a report to be ready."""
from __future__ import annotations

import asyncio
import time

from django.conf import settings
from django.http import JsonResponse

from reports.models import Report


async def report_status(request, pk):
    report = await Report.objects.aget(pk=pk)
    while not report.ready:
        await asyncio.sleep(0.5)  # give the worker a moment
        await report.arefresh_from_db()
    return JsonResponse({"ready": report.ready})


async def wait_and_count(request):
    pause, count = (await asyncio.sleep(1), 2)
    await asyncio.sleep(
        settings.POLL_INTERVAL,  # seconds
    )
    return JsonResponse({"count": count, "pause": pause})


async def already_awaited(request):
    await asyncio.sleep(2)
    return JsonResponse({})


async def not_fixable(request, delays):
    # A generator is lazy: an await inside it would make it an async generator.
    total = sum(time.sleep(d) or 0 for d in delays)
    time.sleep(*delays[:1])
    time.sleep(3)  # noqa: DJA101
    return JsonResponse({"total": total})


async def handed_to_threads(request, executor):
    def work():
        time.sleep(1)  # runs in a worker thread

    later = lambda: time.sleep(1)  # noqa: E731
    return work, later


def sync_view(request):
    time.sleep(1)
    return JsonResponse({})
