"""Oscar's catalogue, basket and orders as Attentive eCommerce events (COMMERCE_EVENTS).

``product_viewed`` -> product view, ``basket_addition`` -> add to cart, ``order_placed`` ->
purchase (through the ``placed`` order event), each with the product, its variant, price and
currency as Oscar's own models and pricing strategy give them, and the logged-in user.
An anonymous visitor cannot be matched to anyone, so their views and cart additions are not
recorded. Recording never raises into Oscar's views.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest

from ... import added_to_cart, conf, product_viewed  # imported once the app registry is ready
from ...exceptions import AttentiveError

logger = logging.getLogger("django_attentive")


def product_ids(product: Any) -> dict[str, object]:
    """A child product is a variant of its parent: ``productId`` is the parent's id."""
    if getattr(product, "is_child", False) and getattr(product, "parent_id", None):
        return {"productId": product.parent_id, "productVariantId": product.pk}
    return {"productId": product.pk, "productVariantId": product.pk}


def _amount(price: Any) -> Decimal | None:
    if not getattr(price, "exists", True):
        return None
    known = getattr(price, "is_tax_known", False)
    return price.incl_tax if known else price.excl_tax  # type: ignore[no-any-return]


def product_item(product: Any, request: HttpRequest | None) -> dict[str, object] | None:
    """The product as an item, priced by the request's strategy; None when it has no price."""
    strategy = getattr(request, "strategy", None)
    if strategy is None:
        return None
    price = strategy.fetch_for_product(product).price
    amount = _amount(price)
    if amount is None:
        return None
    item: dict[str, object] = {
        **product_ids(product),
        "name": product.get_title(),
        "price": amount,
        "currency": price.currency,
    }
    if request is not None and hasattr(product, "get_absolute_url"):
        item["productUrl"] = request.build_absolute_uri(product.get_absolute_url())
    return item


def order_items(order: models.Model) -> list[object]:
    """An Oscar order's lines as items: unit price incl. tax, the order's currency."""
    items: list[object] = []
    for line in order.lines.select_related("product").all():  # type: ignore[attr-defined]
        ids = product_ids(line.product) if line.product is not None else {}
        items.append(
            {
                "productId": ids.get("productId") or line.partner_sku or line.title,
                "productVariantId": ids.get("productVariantId") or line.partner_sku or line.title,
                "name": line.title,
                "price": line.unit_price_incl_tax,
                "currency": order.currency,  # type: ignore[attr-defined]
                "quantity": line.quantity,
            }
        )
    return items


def _customer(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _quantity(request: HttpRequest | None) -> int:
    try:
        return max(1, int((request.POST if request else {}).get("quantity", 1)))
    except (TypeError, ValueError):
        return 1


def on_product_viewed(
    sender: object, product: Any, user: Any = None, request: HttpRequest | None = None, **_: Any
) -> None:
    """Oscar's ``product_viewed``: a product view for a logged-in customer."""
    _post(product_viewed, "Product view", product, user, lambda: product_item(product, request))


def on_basket_addition(
    sender: object, product: Any, user: Any = None, request: HttpRequest | None = None, **_: Any
) -> None:
    """Oscar's ``basket_addition``: an add to cart, priced as the basket line was."""
    _post(
        added_to_cart,
        "Cart addition",
        product,
        user,
        lambda: _basket_item(sender, product, request),
    )


def _post(
    event: Callable[..., object],
    what: str,
    product: Any,
    user: Any,
    item: Callable[[], dict[str, object] | None],
) -> None:
    """Post ``event`` for a logged-in customer with the item made only then; a problem is
    logged, never raised into Oscar's view."""
    customer = _customer(user)
    if not conf.commerce_events() or customer is None:
        return
    try:
        made = item()
        if made is not None:
            event(made, user=customer)
    except AttentiveError as exc:
        logger.info("%s of #%s not recorded: %s", what, getattr(product, "pk", "?"), exc)


def _basket_item(
    sender: object, product: Any, request: HttpRequest | None
) -> dict[str, object] | None:
    line = getattr(sender, "line", None)
    if line is not None and line.price_incl_tax is not None:
        item: dict[str, object] | None = {
            **product_ids(product),
            "name": product.get_title(),
            "price": line.price_incl_tax,
            "currency": line.price_currency,
        }
    else:
        item = product_item(product, request)
    return None if item is None else {**item, "quantity": _quantity(request)}
