"""Order events: text the customer when an order is placed, paid, shipped, delivered, refunded.

``order_event.send(sender=Order, order=order, event="placed")`` from any shop, or
``track(Order)`` to fire it on creation and on every real status change (``order_tracking``;
imported from here too). This module is the receiver: which template, which phone, and the
text (or custom event) it queues.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypedDict

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils.module_loading import import_string

from . import conf, custom_events, purchases, send_custom_event, send_message
from .exceptions import InvalidMessage
from .keys import fitting
from .models import Kind, Source

# track() is documented (and imported) from here.
from .order_tracking import track as track
from .order_tracking import untrack as untrack
from .outbox.intake import record_failed
from .privacy import mask_phones_in
from .rendering import RenderError, active_template, render_order
from .signals import order_event

logger = logging.getLogger("django_attentive")


#: Tried in order when ATTENTIVE["ORDER_PHONE"] is not set.
DEFAULT_PHONE_PATHS = (
    "phone",
    "phone_number",
    "shipping_address.phone_number",
    "billing_address.phone_number",
)
PhoneFinder = Callable[[models.Model], object]
FAILED_SUFFIX = ":failed"
#: The order event that also posts a purchase event when COMMERCE_EVENTS is on.
PURCHASE_EVENT = "placed"  # a failure record's key: the event's own key stays free for a retry


class _Origin(TypedDict):
    """What every message an order event queues says about where it came from."""

    related: models.Model
    source: str
    transactional: bool


def idempotency_key(order: models.Model, event: str) -> str:
    """``order:<app_label>.<model>:<pk>:<event>``: one text per order and event, ever.

    Hashed when too long for the column (a very long primary key or event name), with room
    left for the ``:failed`` a failure record adds.
    """
    key = f"order:{order._meta.label_lower}:{order.pk}:{event}"
    return fitting(key, "order", room=len(FAILED_SUFFIX))


def template_key(event: str) -> str | None:
    """The template an event uses: ``order_<event>`` unless ORDER_TEMPLATES maps it (None: none)."""
    overrides = conf.order_templates()
    if event in overrides:
        return overrides[event] or None
    return f"order_{event}"


# ---------------------------------------------------------------- finding the phone


def _follow(obj: object, path: str) -> object:
    for name in path.split("."):
        if obj is None:
            return None
        try:
            obj = getattr(obj, name, None)
        except ObjectDoesNotExist:  # a missing one-to-one or reverse relation
            return None
    return obj() if callable(obj) else obj


@functools.lru_cache(maxsize=32)
def _callable_at(path: str) -> PhoneFinder | None:
    try:
        found = import_string(path)
    except ImportError:
        return None
    return found if callable(found) else None


def _as_text(value: object) -> str:
    """A plain string or a django-phonenumber-field PhoneNumber, as text send_message accepts."""
    if not value:
        return ""
    e164 = getattr(value, "as_e164", None)
    if e164 and getattr(value, "is_valid", lambda: False)():
        return str(e164)
    return str(value).strip()


def find_phone(order: models.Model) -> str:
    """The order's phone number as written ("" if none): ORDER_PHONE, else the usual fields."""
    setting = conf.order_phone()
    if callable(setting):
        return _as_text(setting(order))
    if setting:
        finder = _callable_at(setting) if "." in setting else None
        return _as_text(finder(order) if finder else _follow(order, setting))
    for path in DEFAULT_PHONE_PATHS:
        text = _as_text(_follow(order, path))
        if text:
            return text
    return ""


# ---------------------------------------------------------------- the receiver


def text_customer(
    sender: type[models.Model],
    order: models.Model,
    event: str,
    phone: object = None,
    **kwargs: object,
) -> None:
    """Receive ``order_event``: render the event's template and queue the text.

    Never raises into the shop's code: a problem is logged and kept as a ``failed`` message.
    With COMMERCE_EVENTS on, ``placed`` also queues the order's purchase event.
    """
    try:
        _text_customer(order, str(event), phone)
    except Exception:
        logger.exception(
            "Order event %r for %s could not be recorded", event, order._meta.label_lower
        )
    if event == PURCHASE_EVENT and conf.commerce_events():
        # After commit: an order is saved (and "placed") before its lines are.
        to = _as_text(phone) if phone else find_phone(order)
        transaction.on_commit(functools.partial(_post_purchase, order, to), robust=True)


def _post_purchase(order: models.Model, phone: str) -> None:
    try:
        purchases.post_purchase(order, phone)
    except Exception:
        logger.exception("The purchase event for %s could not be queued", order._meta.label_lower)


def _text_customer(order: models.Model, event: str, phone: object) -> None:
    if conf.order_events_as() == "custom_event":
        _post_custom_event(order, event, phone)
        return
    key = template_key(event)
    template = active_template(key) if key else None
    if template is None:
        logger.debug("No active template %r for order event %r; no text", key, event)
        return
    to = _as_text(phone) if phone else find_phone(order)
    common: _Origin = {
        "related": order,
        "source": Source.ORDER,
        "transactional": template.transactional,
    }
    if not to:
        _fail(order, event, "", template.body, "The order has no phone number to text.", common)
        return
    try:
        body = render_order(template.body, order, event)
    except RenderError as exc:
        _fail(order, event, to, template.body, f"Template {template.key!r}: {exc}", common)
        return
    try:
        send_message(
            to,
            body,
            media_url=template.media_url or None,
            idempotency_key=idempotency_key(order, event),
            **common,
        )
    except InvalidMessage as exc:
        _fail(order, event, to, body, str(exc), common)


def _fail(
    order: models.Model,
    event: str,
    to: str,
    body: str,
    reason: str,
    common: _Origin,
    *,
    kind: str = Kind.TEXT,
    payload: dict[str, object] | None = None,
) -> None:
    logger.warning(
        "Order event %r for %s #%s not texted: %s",
        event,
        order._meta.label_lower,
        order.pk,
        mask_phones_in(reason),
    )
    # Its own key: firing again records no second failure, and once the order is fixed
    # the event's real key is still free, so firing again sends the text.
    record_failed(
        to,
        body,
        reason,
        idempotency_key=idempotency_key(order, event) + FAILED_SUFFIX,
        kind=kind,
        payload=payload,
        **common,
    )


def _post_custom_event(order: models.Model, event: str, phone: object) -> None:
    """ORDER_EVENTS_AS = "custom_event": queue the event; Attentive's journey sends the text.

    No template is needed; an event that ORDER_TEMPLATES maps to None is still silenced.
    """
    if template_key(event) is None:
        logger.debug("Order event %r is silenced by ORDER_TEMPLATES; no custom event", event)
        return
    event_type = custom_events.order_event_type(event)
    to = _as_text(phone) if phone else find_phone(order)
    common: _Origin = {"related": order, "source": Source.ORDER, "transactional": True}
    recorded: dict[str, object] = {"type": event_type}  # what a failure record keeps
    if not to:
        reason = "The order has no phone number to post the event for."
        _fail(order, event, "", "", reason, common, kind=Kind.CUSTOM_EVENT, payload=recorded)
        return
    try:
        properties = custom_events.order_properties(order, event)
    except Exception as exc:  # noqa: BLE001 - ORDER_EVENT_PROPERTIES is the shop's code
        reason = f"Could not build the event's properties: {exc!r}"
        _fail(order, event, to, "", reason, common, kind=Kind.CUSTOM_EVENT, payload=recorded)
        return
    try:
        send_custom_event(
            to, event_type, properties, idempotency_key=idempotency_key(order, event), **common
        )
    except InvalidMessage as exc:
        _fail(order, event, to, "", str(exc), common, kind=Kind.CUSTOM_EVENT, payload=recorded)


def connect() -> None:
    """Connect the receiver (AttentiveConfig.ready does this)."""
    order_event.connect(text_customer, dispatch_uid="django_attentive.orders.text_customer")
