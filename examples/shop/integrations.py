"""Async views that talk to the outside world: payments, webhooks, health."""
import asyncio
import json
import subprocess

import httpx
import requests
from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.models import Order

PAYMENT_API = "https://payments.example.com/v1"
WEBHOOK_LOG = settings.BASE_DIR / "var" / "webhooks.jsonl"


@require_POST
async def pay_order(request, pk):
    order = await Order.objects.select_related("product").aget(pk=pk)
    amount = str(order.product.price * order.quantity)
    charge = requests.post(f"{PAYMENT_API}/charges", json={"amount": amount, "order": order.pk}, timeout=10)  # expect: DJA102
    if charge.status_code != 201:
        return JsonResponse({"error": "payment declined"}, status=402)
    order.paid = True
    await order.asave(update_fields=["paid"])
    send_mail("Payment received", f"Order {order.pk} is paid.", "shop@example.com", ["orders@example.com"])  # expect: DJA105
    return JsonResponse({"paid": True})


async def refund_status(request, charge_id):
    async with httpx.AsyncClient(base_url=PAYMENT_API, timeout=10) as client:
        response = await client.get(f"/refunds/{charge_id}")
    return JsonResponse(response.json())


@csrf_exempt
@require_POST
async def payment_webhook(request):
    event = json.loads(request.body)
    WEBHOOK_LOG.parent.mkdir(parents=True, exist_ok=True)  # expect: DJA106
    with open(WEBHOOK_LOG, "a") as log:  # expect: DJA104
        log.write(json.dumps(event) + "\n")
    if event.get("type") == "charge.refunded":
        await Order.objects.filter(pk=event["order"]).aupdate(paid=False)
    return HttpResponse(status=204)


async def health(request):
    disk = subprocess.run(["df", "--output=pcent", "/"], capture_output=True, text=True)  # expect: DJA103
    proc = await asyncio.create_subprocess_exec("uptime", stdout=asyncio.subprocess.PIPE)
    uptime, _ = await proc.communicate()
    return JsonResponse({"disk": disk.stdout.strip(), "uptime": uptime.decode().strip()})
