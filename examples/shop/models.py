from django.conf import settings
from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Category(TimeStamped):
    name = models.CharField(max_length=100)


class Product(TimeStamped):
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    tags = models.ManyToManyField(Tag, blank=True)
    in_stock = models.BooleanField(default=True)


class Order(TimeStamped):
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)
    paid = models.BooleanField(default=False)

    def line_total(self):
        product = Product.objects.get(pk=self.product_id)
        return product.price * self.quantity

    @property
    def is_repeat(self):
        return Order.objects.filter(customer_id=self.customer_id).exclude(pk=self.pk).exists()
