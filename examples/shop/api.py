from adrf.views import APIView as AsyncAPIView
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shop.models import Order, Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "price", "in_stock"]


class ProductListAPI(generics.ListAPIView):
    queryset = Product.objects.filter(in_stock=True)
    serializer_class = ProductSerializer


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Order.objects.all()

    @action(detail=True, methods=["post"])
    async def pay(self, request, pk=None):  # expect: DJA504
        order = await Order.objects.aget(pk=pk)
        order.paid = True
        await order.asave()
        return Response({"paid": True})


class StockAPI(AsyncAPIView):
    async def get(self, request, pk):
        product = await Product.objects.aget(pk=pk)
        return Response({"in_stock": product.in_stock})
