"""What a message template sees of an order: plain values only, never a model or a manager.

The order's own fields, one level of plain fields of the rows it points to (its shipping
address, say), a few standard names (number, customer name, status, total, currency, tracking
URL, items) and whatever ``ATTENTIVE["ORDER_CONTEXT"]`` adds. Nothing on a user model, no
field named like a secret, nothing from settings. Lists are short and strings bounded, so
rendering costs little whatever the template does.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import date, time
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import import_string

from . import conf

#: The item list is cut to this many lines; ``order.item_count`` still counts them all.
MAX_ITEMS = 20
#: No value is longer than a whole text may be.
MAX_VALUE_LENGTH = 1600
#: Values nested deeper than this (a JSON field's insides) are left out.
MAX_DEPTH = 3
#: A name with one of these words (split on ``_``) never reaches a template.
SENSITIVE_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "key", "keys", "apikey", "salt", "hash"}
    | {"otp", "pin", "cvv", "cvc", "ssn", "credential", "credentials", "signature"}
)
#: ... nor a name containing one of these.
SENSITIVE_PARTS = ("password", "passwd", "secret", "token", "apikey", "credential")
STANDARD_NAMES = {
    "number": ("number", "pk"),
    "status": ("status",),
    "customer_name": ("customer_name",),
    "total": ("total_incl_tax", "total"),
    "currency": ("currency",),
    "tracking_url": ("tracking_url",),
}
LINE_NAMES = {
    "title": ("title", "product_title", "name"),
    "quantity": ("quantity",),
    "price": ("line_price_incl_tax", "price", "line_price", "unit_price_incl_tax", "unit_price"),
}
ContextHook = Callable[[models.Model], Mapping[str, object]]


class ContextError(ValueError):
    """``ORDER_CONTEXT`` returned something a template may not see; the message says what."""


class Values(dict[str, object]):
    """A dict of plain values that prints as ``text`` (an order prints as its number)."""

    __slots__ = ("_text",)

    def __init__(self, values: Mapping[str, object], text: str = "") -> None:
        super().__init__(values)
        self._text = text

    def __str__(self) -> str:
        return self._text


def is_sensitive(name: str) -> bool:
    """True for names like ``password``, ``api_token``, ``secret_key``, ``stripe_key``."""
    lowered = str(name).lower()
    if any(part in lowered for part in SENSITIVE_PARTS):
        return True
    return any(word in SENSITIVE_WORDS for word in re.split(r"[^a-z0-9]+", lowered))


def _is_user_model(model: type[models.Model] | None) -> bool:
    return model is not None and issubclass(model, AbstractBaseUser)


def plain(value: object, *, strict: bool = False, depth: int = 0) -> object:
    """``value`` as a str, int, float, Decimal, bool, date, time, None, or a list/dict of those.

    Anything else becomes its text, or, with ``strict``, raises ContextError.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # an IntegerChoices member becomes a plain int
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal | date | time):
        return value
    if isinstance(value, str | Promise | uuid.UUID):
        return str(value)[:MAX_VALUE_LENGTH]
    if isinstance(value, list | tuple) and depth < MAX_DEPTH:
        return [plain(item, strict=strict, depth=depth + 1) for item in value[:MAX_ITEMS]]
    if isinstance(value, Mapping) and depth < MAX_DEPTH:
        return {
            str(key): plain(item, strict=strict, depth=depth + 1)
            for key, item in list(value.items())[: MAX_ITEMS * 5]
            if not is_sensitive(str(key))
        }
    if strict:
        raise ContextError(
            f"{type(value).__name__} is not a plain value; give templates str, int, Decimal, "
            "bool, date, None, or lists and dicts of those."
        )
    if isinstance(value, models.Model | models.Manager | models.QuerySet) or callable(value):
        return None
    return str(value)[:MAX_VALUE_LENGTH]


def field_values(obj: models.Model, *, wanted: Collection[str] | None = None) -> dict[str, object]:
    """``obj``'s own concrete, non-relational, non-secret fields; deferred ones only if wanted."""
    values: dict[str, object] = {}
    deferred = obj.get_deferred_fields()
    for field in obj._meta.concrete_fields:
        if field.is_relation or is_sensitive(field.name) or isinstance(field, models.BinaryField):
            continue
        if field.attname in deferred and (wanted is None or field.name not in wanted):
            continue
        values[field.name] = plain(field.value_from_object(obj))
    return values


def _related_values(order: models.Model, wanted: Collection[str] | None) -> dict[str, object]:
    """One level of plain fields of each forward relation the template reads (none to a user)."""
    values: dict[str, object] = {}
    for field in order._meta.concrete_fields:
        if not (field.many_to_one or field.one_to_one) or is_sensitive(field.name):
            continue
        if _is_user_model(field.related_model) or (wanted is not None and field.name not in wanted):
            continue
        try:
            related = getattr(order, field.name)
        except ObjectDoesNotExist:
            related = None
        values[field.name] = None if related is None else Values(field_values(related))
    return values


def _attribute(obj: object, names: tuple[str, ...]) -> object:
    for name in names:
        try:
            value = getattr(obj, name, None)
        except ObjectDoesNotExist:
            continue
        value = value() if callable(value) and not isinstance(value, models.Manager) else value
        if value not in (None, "") and not isinstance(value, models.Model | models.Manager):
            return value
    return None


def _customer_name(order: models.Model) -> object:
    name = _attribute(order, ("customer_name",))
    if name:
        return name
    for relation in ("shipping_address", "billing_address"):
        address = _relation(order, relation)
        if address is not None:
            parts = [_attribute(address, (part,)) for part in ("first_name", "last_name")]
            full = " ".join(str(part) for part in parts if part)
            if full:
                return full
    return None


def _relation(order: models.Model, name: str) -> models.Model | None:
    try:
        related = getattr(order, name, None)
    except ObjectDoesNotExist:
        return None
    if isinstance(related, models.Model) and not _is_user_model(type(related)):
        return related
    return None


def _lines(order: models.Model) -> models.Manager[models.Model] | None:
    for name in ("lines", "items"):
        related = getattr(order, name, None)
        if isinstance(related, models.Manager):
            return related
    return None


def _items(order: models.Model) -> list[dict[str, object]]:
    lines = _lines(order)
    if lines is None:
        return []
    items = []
    for line in lines.all()[:MAX_ITEMS]:
        item = field_values(line)
        for name, candidates in LINE_NAMES.items():
            item.setdefault(name, plain(_attribute(line, candidates)))
        items.append(item)
    return items


def _item_count(order: models.Model) -> int:
    lines = _lines(order)
    return lines.count() if lines is not None else 0


def _standard_values(order: models.Model, wanted: Collection[str] | None) -> dict[str, object]:
    def needed(name: str) -> bool:
        return wanted is None or name in wanted

    values: dict[str, object] = {}
    for name, candidates in STANDARD_NAMES.items():
        if needed(name):
            finder = _customer_name if name == "customer_name" else None
            found = finder(order) if finder else _attribute(order, candidates)
            values[name] = plain(found)
    if needed("items"):
        values["items"] = _items(order)
    if needed("item_count"):
        values["item_count"] = _item_count(order)
    return values


@functools.lru_cache(maxsize=8)
def _hook_at(path: str) -> ContextHook:
    hook: ContextHook = import_string(path)
    return hook


def _hook_values(order: models.Model) -> dict[str, object]:
    hook = conf.order_context()
    if not hook:
        return {}
    if isinstance(hook, str):
        hook = _hook_at(hook)
    extra = hook(order)
    if not isinstance(extra, Mapping):
        raise ContextError(
            f"ATTENTIVE['ORDER_CONTEXT'] returned {type(extra).__name__}; return a dict of "
            "plain values."
        )
    values = {}
    for key, value in extra.items():
        if is_sensitive(str(key)):
            raise ContextError(
                f"ATTENTIVE['ORDER_CONTEXT'] returned {key!r}, a name kept from templates "
                "because it looks like a secret; rename it."
            )
        try:
            values[str(key)] = plain(value, strict=True)
        except ContextError as exc:
            raise ContextError(f"ATTENTIVE['ORDER_CONTEXT'] returned {key!r}: {exc}") from exc
    return values


def order_values(order: models.Model, *, wanted: Collection[str] | None = None) -> Values:
    """The plain mapping ``{{ order.x }}`` reads; ``wanted`` limits the work to names used.

    With ``wanted=None`` every relation and the item list are loaded (a query each).
    """
    values: dict[str, object] = {}
    if not _is_user_model(type(order)):
        values.update(field_values(order, wanted=wanted))
        values.update(_related_values(order, wanted))
    for name, value in _standard_values(order, wanted).items():
        if values.get(name) in (None, ""):
            values[name] = value
    values.update(_hook_values(order))
    return Values(values, text=str(values.get("number") or ""))


def order_context(
    order: models.Model, event: str, *, wanted: Collection[str] | None = None
) -> dict[str, object]:
    """The whole context of an order's text: ``order`` (plain values) and ``event``."""
    return {"order": order_values(order, wanted=wanted), "event": str(event)}


def sample_order() -> Values:
    """Made-up plain values for previews; a fresh copy each time, since a template could
    empty a mapping (``{{ order.clear }}``) while rendering."""
    return Values(
        {
            "number": "1001",
            "status": "placed",
            "customer_name": "Ada O'Brien & Sons",
            "phone": "+12015550123",
            "total": Decimal("49.90"),
            "total_incl_tax": Decimal("49.90"),
            "currency": "USD",
            "tracking_url": "https://tracking.example/1001",
            "items": [
                {"title": "Mug", "quantity": 2, "price": Decimal("25.00")},
                {"title": "Tee", "quantity": 1, "price": Decimal("24.90")},
            ],
            "item_count": 2,
            "shipping_address": Values(
                {"first_name": "Ada", "last_name": "O'Brien", "phone_number": "+12015550123"}
            ),
        },
        text="1001",
    )


SAMPLE_ORDER = sample_order()
