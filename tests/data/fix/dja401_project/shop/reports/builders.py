"""Report builders: plain sync code, run from views and from management commands."""
import csv
import io
import time

import requests


def fetch_rates(currency):
    response = requests.get(f"https://rates.example.com/{currency}", timeout=5)
    return response.json()


def build_report(rows, currency="EUR"):
    rates = fetch_rates(currency)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([row["sku"], row["price"] * rates["rate"]])
    return out.getvalue()


def wait_for_export(seconds):
    time.sleep(seconds)
    return seconds


def format_total(total):
    return f"{total:.2f}"
