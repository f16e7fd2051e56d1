from django.http import StreamingHttpResponse

from shop.models import Product


def price_lines():
    for product in Product.objects.order_by("name").iterator():
        yield f"{product.name};{product.price}\n"


async def price_lines_async():
    async for product in Product.objects.order_by("name"):
        yield f"{product.name};{product.price}\n"


async def price_list(request):
    return StreamingHttpResponse(price_lines(), content_type="text/csv")  # expect: DJA505


async def price_list_live(request):
    return StreamingHttpResponse(price_lines_async(), content_type="text/csv")


def price_list_sync(request):
    return StreamingHttpResponse(price_lines(), content_type="text/csv")
