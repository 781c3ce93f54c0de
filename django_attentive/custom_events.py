"""Custom events for ``POST /v1/events/custom``: their names, properties and checks.

Pure functions (no database, no network), used by the outbox's intake and the order-event receiver.
Attentive's journeys send the text; we only say what happened, once per ``externalEventId``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.module_loading import import_string

from . import conf
from .exceptions import InvalidMessage
from .validation import normalize_phone

#: Attentive refuses these in an event type.
FORBIDDEN_TYPE_CHARACTERS = "\"'(){}[]\\|,"
MAX_TYPE_LENGTH = 255
MAX_PROPERTY_LENGTH = 1000
MAX_ITEMS_LISTED = 20
ORDER_ATTRIBUTES = {
    "orderNumber": ("number", "pk"),
    "status": ("status",),
    "total": ("total_incl_tax", "total"),
    "currency": ("currency",),
    "customerName": ("customer_name",),
}
PropertiesFinder = Callable[[models.Model, str], Mapping[str, object]]


@dataclass(frozen=True)
class CleanEvent:
    to: str  # E.164
    type: str
    properties: dict[str, str]
    occurred_at: str  # RFC 3339


def clean_type(value: object) -> str:
    """``value`` without the characters Attentive refuses, whitespace collapsed."""
    text = "".join(char for char in str(value or "") if char not in FORBIDDEN_TYPE_CHARACTERS)
    text = " ".join(text.split())
    if not text:
        raise ValueError('Name the event, e.g. "Order Placed".')
    if len(text) > MAX_TYPE_LENGTH:
        raise ValueError(f"The event type is too long; keep it under {MAX_TYPE_LENGTH}.")
    return text


def order_event_type(event: str) -> str:
    """``"placed"`` -> ``"Order Placed"``; "in_transit" -> "Order In Transit"."""
    words = re.split(r"[\s_\-]+", str(event).strip())
    return clean_type(" ".join(["Order", *(word.capitalize() for word in words if word)]))


def rfc3339(moment: datetime | None = None) -> str:
    """``moment`` (default now) in UTC as RFC 3339, e.g. ``2025-05-01T12:00:00.000Z``."""
    moment = moment or timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _flat_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date | Decimal | int | float):
        return str(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(_flat_value(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def flat_properties(values: Mapping[str, object]) -> dict[str, str]:
    """Every property as a string: Attentive's SMS templates can only print flat values."""
    if not isinstance(values, Mapping):
        raise ValueError("Properties must be a mapping of names to values.")
    flat = {}
    for key, value in values.items():
        if value is None or str(key).strip() == "":
            continue
        flat[str(key)] = _flat_value(value)[:MAX_PROPERTY_LENGTH]
    return flat


def validate_event(
    to: object,
    event_type: object,
    properties: Mapping[str, object] | None = None,
    occurred_at: datetime | None = None,
) -> CleanEvent:
    """Check a custom event, raising one InvalidMessage that lists each problem by argument
    name (``to``, ``event_type``, ``properties``)."""
    errors: dict[str, list[str] | str] = {}
    moment = rfc3339(occurred_at)
    number = kind = ""
    flat: dict[str, str] = {}
    try:
        number = normalize_phone(to)
    except ValueError as exc:
        errors["to"] = [str(exc)]
    try:
        kind = clean_type(event_type)
    except ValueError as exc:
        errors["event_type"] = [str(exc)]
    try:
        flat = flat_properties(properties or {})
    except ValueError as exc:
        errors["properties"] = [str(exc)]
    if errors:
        raise InvalidMessage(errors)
    return CleanEvent(to=number, type=kind, properties=flat, occurred_at=moment)


# ---------------------------------------------------------------- an order's properties


def _attribute(obj: object, names: Iterable[str]) -> object:
    for name in names:
        value = getattr(obj, name, None)
        value = value() if callable(value) else value
        if value not in (None, ""):
            return value
    return None


def _items(order: models.Model) -> str:
    """``"2 × Mug, 1 × Tee"`` from the order's ``lines`` or ``items``, when it has them."""
    for name in ("lines", "items"):
        related = getattr(order, name, None)
        if related is None or not hasattr(related, "all"):
            continue
        listed = []
        for line in related.all()[:MAX_ITEMS_LISTED]:
            title = _attribute(line, ("title", "product_title", "name")) or line
            quantity = _attribute(line, ("quantity",))
            listed.append(f"{quantity} × {title}" if quantity else str(title))
        return ", ".join(listed)
    return ""


def default_order_properties(order: models.Model, event: str) -> dict[str, object]:
    """Order number, status, total, currency, customer name and items, when the order has them."""
    properties: dict[str, object] = {"event": event}
    for key, names in ORDER_ATTRIBUTES.items():
        value = _attribute(order, names)
        if value is not None:
            properties[key] = value
    if items := _items(order):
        properties["items"] = items
    return properties


def order_properties(order: models.Model, event: str) -> dict[str, str]:
    """The event's properties: ORDER_EVENT_PROPERTIES(order, event) if set, else the defaults."""
    finder = conf.order_event_properties()
    if isinstance(finder, str):
        finder = import_string(finder)
    if callable(finder):
        return flat_properties(finder(order, event))
    return flat_properties(default_order_properties(order, event))
