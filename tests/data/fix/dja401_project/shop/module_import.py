import asgiref.sync
from django.http import JsonResponse

from shop.reports import builders


async def export(request):
    report = builders.build_report([])
    return JsonResponse({"report": report})
