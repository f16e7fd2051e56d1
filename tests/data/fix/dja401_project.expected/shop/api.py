from asgiref.sync import sync_to_async
from django.http import JsonResponse

from shop.reports.builders import build_report


async def export(request):
    report = await sync_to_async(build_report)([])
    return JsonResponse({"report": report})
