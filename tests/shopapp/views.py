"""A checkout view the way a shop writes one: create the order in a transaction, answer 200."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from .models import Order


def checkout(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        order = Order.objects.create(number=request.POST["number"], phone=request.POST["phone"])
    return HttpResponse(f"Order #{order.number} placed")
