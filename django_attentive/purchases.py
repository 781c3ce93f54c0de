"""Placed orders as purchase events: with ``ATTENTIVE["COMMERCE_EVENTS"] = True``, the order
event ``placed`` also posts ``POST /v1/events/ecommerce/purchase`` with the order's lines,
once per order, next to (never instead of) the order's text.

The lines are read from the order's ``lines`` (or ``items``) relation; each line becomes an
item through ``ATTENTIVE["COMMERCE_ITEM"]`` when it is set, else from its usual fields
(``product_id``, ``title``, ``price``, ``quantity``). An adapter for a shop framework
registers its own reader with ``register``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone

from . import conf, purchased
from .commerce_items import PATHS
from .exceptions import InvalidMessage
from .models import Kind, OutboundMessage, Source
from .outbox.commerce import purchase_key
from .outbox.intake import record_failed
from .privacy import mask_phones_in
from .validation import normalize_phone

logger = logging.getLogger("django_attentive")

#: Reads a placed order's items (dicts in Attentive's names, or objects for COMMERCE_ITEM).
ItemsReader = Callable[[models.Model], list[object]]

LINE_FIELDS = {  # item field: the line attributes tried, in order
    "productId": ("product_id", "product_pk", "sku", "partner_sku", "upc", "title", "name"),
    "productVariantId": ("variant_id", "sku", "partner_sku"),
    "name": ("title", "product_title", "name"),
    "price": ("unit_price", "unit_price_incl_tax", "price", "price_incl_tax"),
    "quantity": ("quantity",),
    "productUrl": ("product_url", "url"),
    "productImage": ("product_image", "image_url"),
}
EMAIL_PATHS = ("email", "guest_email", "customer_email", "user.email")
DATE_FIELDS = ("date_placed", "placed_at", "created_at", "created")

_readers: dict[type[models.Model], ItemsReader] = {}


def register(model: type[models.Model], items: ItemsReader) -> None:
    """Read ``model``'s orders with ``items`` (the Oscar adapter registers Oscar's Order)."""
    _readers[model] = items


def _value(obj: object, path: str) -> object:
    for name in path.split("."):
        try:
            obj = getattr(obj, name, None)
        except ObjectDoesNotExist:
            return None
        if obj is None:
            return None
    return obj() if callable(obj) else obj


def _first(obj: object, paths: Iterable[str]) -> object:
    for path in paths:
        value = _value(obj, path)
        if value not in (None, ""):
            return value
    return None


def line_item(line: object, currency: object = None) -> dict[str, object]:
    """One order line as an item dict, from the fields most order lines have."""
    item = {key: _first(line, names) for key, names in LINE_FIELDS.items()}
    if currency:
        item["currency"] = currency
    return {key: value for key, value in item.items() if value not in (None, "")}


def _lines(order: models.Model) -> list[object]:
    for name in ("lines", "items"):
        related = getattr(order, name, None)
        if related is not None and hasattr(related, "all"):
            return list(related.all())
    return []


def order_items(order: models.Model) -> list[object]:
    """The order's items: a registered reader's, else its lines (through COMMERCE_ITEM when set)."""
    for model in type(order).__mro__:
        if model in _readers:
            return _readers[model](order)
    lines = _lines(order)
    if conf.get("COMMERCE_ITEM"):
        return lines or [order]  # an order without lines is its own single item
    currency = _first(order, ("currency",))
    return [line_item(line, currency) for line in lines]


def _moment(order: models.Model) -> datetime | None:
    value = _first(order, DATE_FIELDS)
    return value if isinstance(value, datetime) else None


def _usable_phone(phone: str) -> str:
    try:
        return normalize_phone(phone) if phone else ""
    except ValueError:
        return ""  # the text fails with the reason; the event still has the email


def post_purchase(order: models.Model, phone: str) -> OutboundMessage | None:
    """Queue the order's purchase event (once per order), or record why it could not be."""
    if not conf.commerce_events():
        return None
    user = _value(order, "user")
    user = user if isinstance(user, models.Model) else None
    key = purchase_key(order)
    try:
        return purchased(
            order_items(order),
            order=order,
            phone=_usable_phone(phone) or None,
            email=_first(order, EMAIL_PATHS),
            user=user,
            occurred_at=_moment(order) or timezone.now(),
            source=Source.ORDER,
        )
    except InvalidMessage as exc:
        reason = f"No purchase event: {exc}"
        logger.warning(
            "Order %s #%s: %s", order._meta.label_lower, order.pk, mask_phones_in(reason)
        )
        return record_failed(
            phone,
            "",
            reason,
            related=order,
            source=Source.ORDER,
            idempotency_key=f"{key}:failed",
            kind=Kind.COMMERCE,
            endpoint=PATHS["purchase"],
        )
