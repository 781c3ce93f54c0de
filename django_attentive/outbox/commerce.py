"""Queueing eCommerce events: product views, cart additions and purchases.

Each is one outbox row (kind ``commerce``) and, on the caller's side, one INSERT: the
request is never made inside the caller, so a product page never waits for Attentive.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from ..commerce_items import PATHS, CommercePayload, commerce_payload
from ..identities import UserLike
from ..keys import fitting
from ..models import Kind, OutboundMessage, Source
from .requests import queue_request


def purchase_key(order: models.Model) -> str:
    """``commerce:purchase:<app_label>.<model>:<pk>``: one purchase event per order, ever."""
    return fitting(f"commerce:purchase:{order._meta.label_lower}:{order.pk}", "commerce")


def product_viewed(
    items: object,
    *,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = Source.CODE,
) -> OutboundMessage:
    """Queue ``POST /v1/events/ecommerce/product-view`` (browse abandonment journeys).

    ``items``: one or more products, as dicts in Attentive's names or objects that
    ``ATTENTIVE["COMMERCE_ITEM"]`` turns into one. Who: ``phone``, ``email`` or a logged-in
    ``user`` (its email and ``clientUserId``). Nothing identifying the person, or a bad item,
    raises ``InvalidMessage`` and stores nothing.
    """
    return _queue(
        "product-view",
        commerce_payload(items, phone=phone, email=email, user=user, occurred_at=occurred_at),
        idempotency_key=idempotency_key,
        source=source,
    )


def added_to_cart(
    items: object,
    *,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = Source.CODE,
) -> OutboundMessage:
    """Queue ``POST /v1/events/ecommerce/add-to-cart`` (abandoned cart journeys); the same
    arguments as ``product_viewed``."""
    return _queue(
        "add-to-cart",
        commerce_payload(items, phone=phone, email=email, user=user, occurred_at=occurred_at),
        idempotency_key=idempotency_key,
        source=source,
    )


def purchased(
    items: object,
    *,
    order: models.Model | None = None,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = Source.CODE,
) -> OutboundMessage:
    """Queue ``POST /v1/events/ecommerce/purchase`` (post-purchase journeys; it also ends
    abandoned-cart ones).

    With a saved ``order`` the event is linked to it and keyed by it: however often it is
    called for the same order, one event is posted. Attentive's purchase event has no order
    id field, so the order itself is not sent.
    """
    payload = commerce_payload(items, phone=phone, email=email, user=user, occurred_at=occurred_at)
    if order is not None and idempotency_key is None and order.pk is not None:
        idempotency_key = purchase_key(order)
    return _queue(
        "purchase", payload, idempotency_key=idempotency_key, source=source, related=order
    )


def _queue(
    name: str,
    payload: CommercePayload,
    *,
    idempotency_key: str | None,
    source: str,
    related: models.Model | None = None,
) -> OutboundMessage:
    return queue_request(
        Kind.COMMERCE,
        payload,
        to=payload["user"].get("phone", ""),
        endpoint=PATHS[name],
        idempotency_key=idempotency_key,
        related=related,
        source=source,
        in_background=True,
    )
