import asyncio
import time

from django.http import JsonResponse

from shop.models import Product


async def product_detail(request, pk):
    product = await Product.objects.select_related("category").aget(pk=pk)
    time.sleep(0.1)  # expect: DJA101
    await asyncio.sleep(0.1)
    return JsonResponse({"name": product.name, "category": product.category.name})
