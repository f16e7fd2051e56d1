"""Integrations and bookkeeping used by the views and the reports."""

import logging
import time

import requests
from django.conf import settings
from django.db.models import F, Sum

from shop.models import Order, Product

logger = logging.getLogger(__name__)

EXCHANGE_API = "https://rates.example.com/latest"


def fetch_exchange_rate(currency):
    """The rate from EUR, retried with a short back-off when the API is busy."""
    for attempt in range(3):
        response = requests.get(EXCHANGE_API, params={"to": currency}, timeout=5)
        if response.status_code != 429:
            response.raise_for_status()
            return response.json()["rate"]
        logger.info("rate API busy, attempt %s", attempt + 1)
        time.sleep(0.5 * (attempt + 1))
    raise RuntimeError(f"no exchange rate for {currency}")


def paid_orders():
    return Order.objects.filter(paid=True).select_related("product")


def revenue_rows(currency):
    rate = fetch_exchange_rate(currency) if currency != "EUR" else 1
    totals = paid_orders().values("product__name").annotate(total=Sum(F("quantity") * F("product__price")))
    return [{"product": row["product__name"], "total": float(row["total"]) * rate} for row in totals]


def mark_orders_exported(order_ids):
    Order.objects.filter(pk__in=order_ids).update(paid=True)


def in_stock_products():
    return Product.objects.filter(in_stock=True).order_by("name")


async def refresh_exchange_rates():
    # Already async: awaited directly by its callers.
    return settings.DEBUG
