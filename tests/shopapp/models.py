"""A minimal shop for the order-event tests: orders with a status and a phone somewhere."""

from django.db import models


class Address(models.Model):
    phone_number = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return self.phone_number


class Order(models.Model):
    number = models.CharField(max_length=32)
    customer_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, default="placed")
    phone = models.CharField(max_length=32, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    shipping_address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"#{self.number}"


class AddressOnlyOrder(models.Model):
    """An order whose only phone is on its shipping address (Oscar's shape)."""

    number = models.CharField(max_length=32)
    status = models.CharField(max_length=32, default="placed")
    shipping_address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"#{self.number}"


class CustomerOrder(models.Model):
    """An order with what a real shop's order has next to its plain fields: a user, a secret."""

    number = models.CharField(max_length=32)
    customer_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=32, default="placed")
    phone = models.CharField(max_length=32, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    tracking_url = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    api_token = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipping_address = models.ForeignKey(Address, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"#{self.number}"


class OrderLine(models.Model):
    order = models.ForeignKey(CustomerOrder, on_delete=models.CASCADE, related_name="lines")
    title = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField(default=1)
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    def __str__(self) -> str:
        return self.title
