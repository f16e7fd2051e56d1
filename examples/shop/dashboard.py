"""Staff dashboard: async views that lean on the sync report helpers."""

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.template.response import TemplateResponse

from shop import reports, services
from shop.reports import build_sales_report


async def sales_dashboard(request):
    currency = request.GET.get("currency", "EUR")
    report = build_sales_report(currency)  # expect: DJA401
    return JsonResponse({"title": reports.report_title(currency), **report})


async def sales_dashboard_threaded(request):
    currency = request.GET.get("currency", "EUR")
    report = await sync_to_async(build_sales_report)(currency)
    await services.refresh_exchange_rates()
    return JsonResponse({"title": reports.report_title(currency), **report})


async def top_products(request):
    products = await sync_to_async(reports.top_products)(10)  # expect: DJA402
    return TemplateResponse(request, "shop/top_products.html", {"products": products})


async def top_products_streamed(request):
    products = await sync_to_async(reports.top_products)(10)
    names = [product.name async for product in products]
    return JsonResponse({"names": names})


async def export_orders(request):
    order_ids = [int(pk) for pk in request.POST.getlist("order")]
    await sync_to_async(services.mark_orders_exported, thread_sensitive=False)(order_ids)  # expect: DJA403
    return JsonResponse({"exported": len(order_ids)})


async def refresh_rates(request):
    await sync_to_async(services.refresh_exchange_rates)()  # expect: DJA404
    return JsonResponse({"ok": True})
