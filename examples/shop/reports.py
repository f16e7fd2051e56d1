"""Report building shared by the dashboard and the nightly export command."""

from . import services


def build_sales_report(currency="EUR"):
    rows = services.revenue_rows(currency)
    return {"currency": currency, "rows": rows, "total": sum(row["total"] for row in rows)}


def top_products(limit):
    return services.in_stock_products()[:limit]


def report_title(currency):
    return f"Sales ({currency})"
