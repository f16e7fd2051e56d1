"""A custom manager overriding create(): Manager.acreate() would skip it."""
# fixture: select=DJA201,DJA202,DJA203,DJA207
# fixture: declined=marked
from django.db import models
from django.http import JsonResponse


class OrderManager(models.Manager):
    def create(self, **kwargs):
        kwargs.setdefault("status", "new")
        return super().create(**kwargs)


class Order(models.Model):
    status = models.CharField(max_length=20)
    objects = OrderManager()


async def place_order(request):
    order = Order.objects.create(status=request.POST.get("status", ""))  # the override: no fix
    pending = await Order.objects.filter(status="new").acount()
    again = await Order.objects.aget(pk=order.pk)
    return JsonResponse({"pending": pending, "id": again.pk})
