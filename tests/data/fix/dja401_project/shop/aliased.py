from asgiref.sync import sync_to_async as in_thread
from django.http import JsonResponse

from shop.reports import builders


async def export(request):
    report = builders.build_report([])
    again = await in_thread(builders.build_report)([])
    return JsonResponse({"report": report, "again": again})
