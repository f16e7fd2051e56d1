from django.urls import path

from shop import integrations, views

urlpatterns = [
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
    path("orders/<int:pk>/pay/", integrations.pay_order, name="pay-order"),
    path("refunds/<str:charge_id>/", integrations.refund_status, name="refund-status"),
    path("webhooks/payments/", integrations.payment_webhook, name="payment-webhook"),
    path("health/", integrations.health, name="health"),
]
