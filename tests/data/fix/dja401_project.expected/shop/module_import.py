import asgiref.sync
from django.http import JsonResponse

from shop.reports import builders


async def export(request):
    report = await asgiref.sync.sync_to_async(builders.build_report)([])
    return JsonResponse({"report": report})
