"""A one-page checkout: the order is created in a transaction and track() texts it.

The thanks page shows a customer's name and number, so only the visitor who placed the order
(their session remembers it) and staff may see it; anyone else gets a 404, as for an order
that does not exist (numbers are sequential, so they are easy to guess).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from django_attentive import record_consent

from .checks import fake_attentive_url
from .forms import ITEMS, CheckoutForm
from .models import Order

#: The session key listing the order numbers this visitor placed.
PLACED_ORDERS = "shop_placed_orders"
#: Enough for any demo session; the oldest are forgotten first.
REMEMBERED_ORDERS = 50
#: The checkout's consent boxes and the subscription each asks for.
CONSENTS = (("order_texts", "TRANSACTIONAL"), ("marketing_texts", "MARKETING"))


def next_number() -> str:
    return str(1000 + (Order.objects.aggregate(last=Max("id"))["last"] or 0) + 1)


def checkout(request: HttpRequest) -> HttpResponse:
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name, price = ITEMS[form.cleaned_data["item"]]
        phone = form.cleaned_data["phone"]
        with transaction.atomic():
            # Evidence first: the consent rows keep the exact words next to each ticked box,
            # and subscribe the number with the matching Attentive sign-up source.
            for field, subscription_type in CONSENTS:
                if form.cleaned_data[field]:
                    record_consent(
                        request, phone=phone, subscription_type=subscription_type, source="checkout"
                    )
            order = Order.objects.create(
                number=next_number(),
                customer_name=form.cleaned_data["customer_name"],
                phone=phone,
                item=name,
                total=price,
                text_updates=form.cleaned_data["order_texts"],
            )
        placed = [*request.session.get(PLACED_ORDERS, []), order.number]
        request.session[PLACED_ORDERS] = placed[-REMEMBERED_ORDERS:]
        # The confirmation text went out right after the commit above.
        return redirect("shop:thanks", number=order.number)
    return render(request, "shop/checkout.html", {"form": form, **_links()})


def thanks(request: HttpRequest, number: str) -> HttpResponse:
    if not (request.user.is_staff or number in request.session.get(PLACED_ORDERS, [])):
        raise Http404("No order with this number was placed in this browser.")
    order = get_object_or_404(Order, number=number)
    return render(request, "shop/thanks.html", {"order": order, **_links()})


def _links() -> dict[str, str | None]:
    return {"fake_inbox_url": fake_attentive_url()}


def policy(request: HttpRequest, page: str) -> HttpResponse:
    """The demo's SMS terms and privacy policy, which the consent text links to."""
    return render(request, "shop/policy.html", {"page": page, **_links()})
