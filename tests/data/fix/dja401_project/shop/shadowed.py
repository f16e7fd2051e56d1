from asgiref.sync import sync_to_async
from django.http import JsonResponse

from shop.reports.builders import build_report


async def export(request, sync_to_async=sync_to_async):
    # sync_to_async is a parameter here: the fix would call whatever is passed.
    report = build_report([])
    return JsonResponse({"report": report})


async def already_in_thread(request):
    report = await sync_to_async(build_report)([])
    return JsonResponse({"report": report})
