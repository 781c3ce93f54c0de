"""eCommerce events' items and payloads, in Attentive's names: pure checks, no database.

``POST /v1/events/ecommerce/{product-view,add-to-cart,purchase}`` take the same body:
``items`` (each with ``productId``, ``productVariantId`` and ``price`` as a list of
``{"value": <number>, "currency": "USD"}``), ``user`` (who) and ``occurredAt`` (when).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NotRequired, TypedDict
from urllib.parse import urlsplit

from . import conf
from .custom_events import rfc3339
from .exceptions import InvalidMessage
from .identities import EventUser, UserLike, event_user_into

#: Our event names -> Attentive's paths.
PATHS = {
    "product-view": "/v1/events/ecommerce/product-view",
    "add-to-cart": "/v1/events/ecommerce/add-to-cart",
    "purchase": "/v1/events/ecommerce/purchase",
}
DEFAULT_CURRENCY = "USD"
#: Attentive starts no journey from an event older than this (its ``occurredAt``).
STALE_AFTER = timedelta(hours=12)
MAX_TEXT_LENGTH = 2000
TEXT_FIELDS = ("name", "productUrl", "productImage")
URL_FIELDS = frozenset({"productUrl", "productImage"})
ITEM_FIELDS = frozenset(
    {"productId", "productVariantId", "price", "currency", "quantity", *TEXT_FIELDS}
)
_CURRENCY = re.compile(r"[A-Z]{3}")

Number = int | float


class Price(TypedDict):
    value: Number
    currency: str


class Item(TypedDict):
    """One product in an event, as Attentive takes it (``ProductRequest``)."""

    productId: str
    productVariantId: str
    price: list[Price]
    name: NotRequired[str]
    productUrl: NotRequired[str]
    productImage: NotRequired[str]
    quantity: NotRequired[int]


class CommercePayload(TypedDict):
    """The body of every eCommerce event."""

    items: list[Item]
    user: EventUser
    occurredAt: str


def json_number(value: object) -> Number:
    """A price as a JSON number that prints exactly as written: ``Decimal("12.50")`` -> 12.5.

    Whole amounts become ints; others a float whose shortest form is the same decimal, so
    ``json.dumps`` (the database's and the HTTP request's) writes ``12.5``, never
    ``12.499999``. Raises ValueError for what is not a finite, non-negative amount, or one
    with more digits than a JSON number keeps exactly.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(f"{value!r} is not a price; give a number, a Decimal or a string.")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a price; write it like 12.50.") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not a price; it must be a number of at least 0.")
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    if Decimal(repr(number)) != amount:
        raise ValueError(f"{value!r} has more digits than a JSON number carries exactly.")
    return number


def _price(value: object, currency: object) -> list[Price]:
    """The item's ``price``: a number (with the item's ``currency``) or Attentive's list."""
    entries = value if isinstance(value, list) else [{"value": value, "currency": currency}]
    if not entries:
        raise ValueError("price: give at least one {value, currency}.")
    prices: list[Price] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or "value" not in entry:
            raise ValueError("price: each entry of the list needs a 'value'.")
        code = str(entry.get("currency") or DEFAULT_CURRENCY).strip().upper()
        if not _CURRENCY.fullmatch(code):
            raise ValueError(f"currency: {code!r} is not an ISO 4217 code such as USD.")
        prices.append({"value": json_number(entry["value"]), "currency": code})
    return prices


def _identifier(item: Mapping[str, object], name: str) -> str:
    value = item.get(name)
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    if not text:
        raise ValueError(f"{name} is required.")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"{name} is over {MAX_TEXT_LENGTH} characters.")
    return text


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise ValueError(f"quantity: {value!r} is not a whole number.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"quantity: {value!r} is not a whole number.") from None
    if not number.is_finite() or number != number.to_integral_value() or number < 1:
        raise ValueError(f"quantity: {value!r} must be a whole number of at least 1.")
    return int(number)


def clean_item(item: Mapping[str, object]) -> Item:
    """One item dict in Attentive's names, checked; ValueError names the first problem."""
    unknown = sorted(str(key) for key in item if key not in ITEM_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown field {', '.join(unknown)}; use Attentive's names: "
            f"{', '.join(sorted(ITEM_FIELDS))}."
        )
    product_id = _identifier(item, "productId")
    variant = dict(item)
    variant.setdefault("productVariantId", product_id)  # a product without variants
    clean: Item = {
        "productId": product_id,
        "productVariantId": _identifier(variant, "productVariantId"),
        "price": _price(_required(item, "price"), item.get("currency")),
    }
    for name in TEXT_FIELDS:
        value = item.get(name)
        if value in (None, ""):
            continue
        text = str(value).strip()[:MAX_TEXT_LENGTH]
        if name in URL_FIELDS and not _is_web_url(text):
            raise ValueError(f"{name}: {text!r} is not an http(s) URL.")
        clean[name] = text  # type: ignore[literal-required]
    if item.get("quantity") is not None:
        clean["quantity"] = _quantity(item["quantity"])
    return clean


def _is_web_url(text: str) -> bool:
    """An absolute http(s) URL with a host (any host: a shop's staging server counts)."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text


def _required(item: Mapping[str, object], name: str) -> object:
    if item.get(name) in (None, ""):
        raise ValueError(f"{name} is required.")
    return item[name]


def _adapter() -> Callable[[object], Mapping[str, object]] | None:
    return conf.callable_setting(
        "COMMERCE_ITEM", "a function taking your object and returning an item dict"
    )


def _as_list(items: object) -> list[object]:
    """``items`` as a list; one dict or one object counts as a list of one."""
    if isinstance(items, Mapping) or not isinstance(items, Iterable) or isinstance(items, str):
        return [items]
    return list(items)


def clean_items(items: object) -> list[Item]:
    """Every item, dicts as given and other objects through COMMERCE_ITEM; ValueError lists
    each bad item by its position (1 = the first)."""
    listed = _as_list(items)
    if not listed:
        raise ValueError("Give at least one item.")
    adapter = _adapter()
    problems: list[str] = []
    cleaned: list[Item] = []
    for position, item in enumerate(listed, start=1):
        try:
            if not isinstance(item, Mapping):
                if adapter is None:
                    raise ValueError(
                        f"{type(item).__name__} is not a dict; pass dicts with Attentive's "
                        "names or set ATTENTIVE['COMMERCE_ITEM'] to a function that makes one."
                    )
                item = adapter(item)
                if not isinstance(item, Mapping):
                    raise ValueError("ATTENTIVE['COMMERCE_ITEM'] did not return a dict.")
            cleaned.append(clean_item(item))
        except ValueError as exc:
            problems.append(f"item {position}: {exc}")
    if problems:
        raise ValueError(" ".join(problems))
    return cleaned


def commerce_payload(
    items: object,
    *,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
    occurred_at: object = None,
) -> CommercePayload:
    """The event's body, checked whole: one InvalidMessage lists every problem by argument
    (``items``, ``phone``, ``email``, ``user``, ``occurred_at``)."""
    errors: dict[str, list[str] | str] = {}
    clean_list: list[Item] = []
    try:
        clean_list = clean_items(items)
    except ValueError as exc:
        errors["items"] = [str(exc)]
    person = event_user_into(errors, phone=phone, email=email, user=user)
    if occurred_at is not None and not isinstance(occurred_at, datetime):
        errors["occurred_at"] = ["Give a datetime (the moment the customer did it)."]
    if errors:
        raise InvalidMessage(errors)
    moment = occurred_at if isinstance(occurred_at, datetime) else None
    return {"items": clean_list, "user": person, "occurredAt": rfc3339(moment)}


def describe(payload: Mapping[str, object], path: str) -> str:
    """``"purchase (3 items)"``: what a stored event is, for lists."""
    name = path.rstrip("/").rsplit("/", 1)[-1] or "event"
    items = payload.get("items")
    count = len(items) if isinstance(items, list) else 0
    return f"{name} ({count} item{'' if count == 1 else 's'})"


def occurred_at(payload: Mapping[str, object]) -> datetime | None:
    """A stored event's ``occurredAt`` as an aware datetime; None if missing or unreadable."""
    value = payload.get("occurredAt")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def stale_reason(payload: Mapping[str, object], now: datetime) -> str:
    """Why an event is too old to send at ``now`` ("" when it is not): Attentive ignores
    events over 12 hours old for journeys, so posting it would only cost a request."""
    moment = occurred_at(payload)
    if moment is None or now - moment <= STALE_AFTER:
        return ""
    hours = STALE_AFTER.total_seconds() / 3600
    return (
        f"Not sent: the event happened at {rfc3339(moment)}, over {hours:g} hours ago, and "
        "Attentive starts no journey from an event that old. Keep a worker "
        "(attentive_send_queued --loop) running so events go out within minutes."
    )
