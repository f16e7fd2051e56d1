import asyncio
import time

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import aget_object_or_404, get_object_or_404

from shop.models import Category, Order, Product


async def product_detail(request, pk):
    product = await Product.objects.select_related("category").aget(pk=pk)
    time.sleep(0.1)  # expect: DJA101
    await asyncio.sleep(0.1)
    return JsonResponse({"name": product.name, "category": product.category.name})


async def product_list(request):
    products = Product.objects.filter(in_stock=True).order_by("name")
    names = [product.name async for product in products[:50]]
    total = await products.acount()
    categories = [c.name for c in Category.objects.all()]  # expect: DJA202
    return JsonResponse({"names": names, "total": total, "categories": categories})


async def category_products(request, pk):
    category = get_object_or_404(Category, pk=pk)  # expect: DJA206
    featured = Product.objects.filter(category=category).first()  # expect: DJA201
    return JsonResponse({"category": category.name, "featured": featured.name if featured else None})


async def place_order(request, pk):
    prepaid = request.session.get("prepaid", False)  # expect: DJA205
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponseForbidden()
    product = await aget_object_or_404(Product, pk=pk, in_stock=True)
    order = await Order.objects.acreate(customer=user, product=product)
    order.paid = prepaid
    order.save()  # expect: DJA203
    return JsonResponse({"order": order.pk})


async def order_receipt(request, pk):
    user = await request.auser()
    order = await Order.objects.aget(pk=pk, customer=user)
    return JsonResponse({"order": order.pk, "product": order.product.name, "quantity": order.quantity})  # expect: DJA204


async def order_detail(request, pk):
    order = await Order.objects.select_related("product", "product__category").aget(pk=pk)
    return JsonResponse({"product": order.product.name, "category": order.product.category.name, "paid": order.paid})


async def my_orders(request):
    orders = Order.objects.filter(customer=request.user)  # expect: DJA205
    return JsonResponse({"orders": [o.pk async for o in orders]})


def _mark_paid(order_id):
    with transaction.atomic():
        Order.objects.filter(pk=order_id).update(paid=True)


async def pay(request, order_id):
    await sync_to_async(_mark_paid)(order_id)
    with transaction.atomic():  # expect: DJA208
        await Order.objects.filter(pk=order_id).aupdate(paid=True)
    return JsonResponse({"paid": True})


async def stock_summary(request):
    summary = cache.get("stock-summary")  # expect: DJA207
    if summary is None:
        summary = {"in_stock": await Product.objects.filter(in_stock=True).acount()}
        await cache.aset("stock-summary", summary, timeout=60)
    return JsonResponse(summary)


def sync_report(request):
    # A sync view: the sync ORM is fine here.
    rows = list(Order.objects.filter(paid=True).values("product__name"))
    return JsonResponse({"rows": rows})
