from django.http import JsonResponse

from shop.reports.builders import build_report


async def export(request):
    report = build_report([])
    return JsonResponse({"report": report})
