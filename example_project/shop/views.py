"""A one-page checkout: the order is created in a transaction and track() texts it.

The thanks page shows a customer's name and number, so only the visitor who placed the order
(their session remembers it) and staff may see it; anyone else gets a 404, as for an order
that does not exist (numbers are sequential, so they are easy to guess).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from django_attentive import commerce, record_consent
from django_attentive.exceptions import InvalidMessage

from .checks import fake_attentive_url
from .commerce import product_item
from .forms import ITEMS, CheckoutForm
from .models import Order

logger = logging.getLogger(__name__)

#: The session key listing the order numbers this visitor placed.
PLACED_ORDERS = "shop_placed_orders"
#: Enough for any demo session; the oldest are forgotten first.
REMEMBERED_ORDERS = 50
#: The checkout's consent boxes and the subscription each asks for.
CONSENTS = (("order_texts", "TRANSACTIONAL"), ("marketing_texts", "MARKETING"))
#: The session key holding the number this visitor checked out with: who they are to Attentive.
VISITOR_PHONE = "shop_phone"


def next_number() -> str:
    return str(1000 + (Order.objects.aggregate(last=Max("id"))["last"] or 0) + 1)


def _record_consent(request: HttpRequest, phone: str, subscription_type: str) -> None:
    """Store the ticked box's evidence and subscribe; a shop set up without a sign-up source
    still takes the order (manage.py check says what to configure)."""
    try:
        with transaction.atomic():
            record_consent(
                request, phone=phone, subscription_type=subscription_type, source="checkout"
            )
    except InvalidMessage as exc:
        logger.error("Checkout consent (%s) not recorded: %s", subscription_type, exc)
        messages.warning(
            request,
            "Your order is placed, but we could not sign you up for texts right now.",
        )


def checkout(request: HttpRequest) -> HttpResponse:
    item = request.GET.get("item")
    form = CheckoutForm(request.POST or None, initial={"item": item} if item in ITEMS else None)
    if request.method == "POST" and form.is_valid():
        name, price = ITEMS[form.cleaned_data["item"]]
        phone = form.cleaned_data["phone"]
        with transaction.atomic():
            # Evidence first: the consent rows keep the exact words next to each ticked box,
            # and subscribe the number with the matching Attentive sign-up source.
            for field, subscription_type in CONSENTS:
                if form.cleaned_data[field]:
                    _record_consent(request, phone, subscription_type)
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
        request.session[VISITOR_PHONE] = order.phone
        # The confirmation text went out right after the commit above.
        return redirect("shop:thanks", number=order.number)
    return render(request, "shop/checkout.html", {"form": form, "items": ITEMS, **_links()})


def product(request: HttpRequest, key: str) -> HttpResponse:
    """A product page: records a product view for a visitor Attentive can match (one INSERT,
    no request to Attentive: the worker posts it)."""
    if key not in ITEMS:
        raise Http404("No such product.")
    _record(request, commerce.product_viewed, product_item(key))
    return render(request, "shop/product.html", {"key": key, "item": ITEMS[key], **_links()})


@require_POST
def add_to_cart(request: HttpRequest, key: str) -> HttpResponse:
    if key not in ITEMS:
        raise Http404("No such product.")
    _record(request, commerce.added_to_cart, product_item(key, quantity=1))
    return redirect(f"{reverse('shop:checkout')}?item={key}")


def _record(request: HttpRequest, event: Callable[..., object], item: dict[str, object]) -> None:
    """Record the event for a visitor who checked out before, or a logged-in user."""
    phone = request.session.get(VISITOR_PHONE)
    user = request.user if request.user.is_authenticated else None
    if not (phone or (user and user.email)):
        return  # an anonymous first visit: nobody Attentive could match
    with contextlib.suppress(InvalidMessage):  # a commerce event never breaks the page
        event(item, phone=phone, user=user)


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
