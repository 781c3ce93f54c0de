"""Order events: text the customer when an order is placed, paid, shipped, delivered, refunded.

``order_event.send(sender=Order, order=order, event="placed")`` from any shop, or
``track(Order)`` to fire it on creation and on every real status change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypedDict

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.db.models.signals import post_init, post_save, pre_save
from django.utils.module_loading import import_string

from . import conf, custom_events, purchases, send_custom_event, send_message
from .exceptions import InvalidMessage
from .keys import fitting
from .models import Kind, Source
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


# ---------------------------------------------------------------- track()


@dataclass(frozen=True)
class Tracking:
    status_field: str
    created_event: str | None
    when: Callable[[models.Model], bool] | None = None

    @property
    def loaded_attr(self) -> str:
        return f"_attentive_loaded_{self.status_field}"

    @property
    def pending_attr(self) -> str:
        return f"_attentive_pending_{self.status_field}"


_tracked: dict[type[models.Model], Tracking] = {}
_UNKNOWN = object()


def track(
    model: type[models.Model],
    *,
    status_field: str = "status",
    created_event: str | None = "placed",
    when: Callable[[models.Model], bool] | None = None,
) -> None:
    """Fire ``order_event`` when an order is created and whenever its status really changes.

    The event is ``created_event`` on creation and the new status value on a change
    (``"shipped"`` uses template ``order_shipped``). The old value is remembered when the
    order is loaded, so a save costs no extra query. With ``when``, an order for which it
    returns False fires nothing (e.g. ``lambda order: order.text_updates``: the customer did
    not agree to order texts).
    """
    model._meta.get_field(status_field)  # fail early on a typo: FieldDoesNotExist
    untrack(model)
    _tracked[model] = Tracking(status_field, created_event, when)
    uid = f"django_attentive.track:{model._meta.label_lower}"
    post_init.connect(_remember_status, sender=model, dispatch_uid=uid, weak=False)
    pre_save.connect(_note_change, sender=model, dispatch_uid=uid, weak=False)
    post_save.connect(_fire_change, sender=model, dispatch_uid=uid, weak=False)


def untrack(model: type[models.Model]) -> None:
    """Stop tracking ``model`` (mainly for tests)."""
    if _tracked.pop(model, None) is None:
        return
    uid = f"django_attentive.track:{model._meta.label_lower}"
    for signal in (post_init, pre_save, post_save):
        signal.disconnect(sender=model, dispatch_uid=uid)


def _spec(sender: type[models.Model]) -> Tracking | None:
    return _tracked.get(sender)


def _attname(instance: models.Model, spec: Tracking) -> str:
    """The status field's attribute name: where the instance keeps its loaded value."""
    field = instance._meta.get_field(spec.status_field)
    if isinstance(field, models.ForeignObjectRel):
        raise TypeError(
            f"{spec.status_field!r} is a reverse relation; track() needs the order's own "
            "status field."
        )
    return field.attname


def _remember_status(sender: type[models.Model], instance: models.Model, **kwargs: object) -> None:
    spec = _spec(sender)
    if spec is not None:
        setattr(
            instance, spec.loaded_attr, instance.__dict__.get(_attname(instance, spec), _UNKNOWN)
        )


def _note_change(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool = False,
    update_fields: Collection[str] | None = None,
    **kwargs: object,
) -> None:
    spec = _spec(sender)
    if spec is None or raw:
        return
    setattr(instance, spec.pending_attr, None)
    if instance._state.adding or (
        update_fields is not None and spec.status_field not in update_fields
    ):
        return
    attname = _attname(instance, spec)
    new = instance.__dict__.get(attname, _UNKNOWN)
    if new is _UNKNOWN:
        return  # still deferred: this save does not write the status
    old = getattr(instance, spec.loaded_attr, _UNKNOWN)
    if old is _UNKNOWN:  # loaded with the status deferred: ask the database once
        old = (
            sender._default_manager.filter(pk=instance.pk)
            .values_list(spec.status_field, flat=True)
            .first()
        )
    if new != old:
        setattr(instance, spec.pending_attr, new)


def _fire_change(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Collection[str] | None = None,
    **kwargs: object,
) -> None:
    spec = _spec(sender)
    if spec is None or raw:
        return
    attname = _attname(instance, spec)
    if created:
        event = spec.created_event
    else:
        event = getattr(instance, spec.pending_attr, None)
        setattr(instance, spec.pending_attr, None)
    written = update_fields is None or spec.status_field in update_fields
    if written and instance.__dict__.get(attname, _UNKNOWN) is not _UNKNOWN:
        setattr(instance, spec.loaded_attr, instance.__dict__[attname])
    if event not in (None, "") and (spec.when is None or spec.when(instance)):
        order_event.send(sender=sender, order=instance, event=str(event))


def recent_order() -> models.Model | None:
    """The newest order to preview templates with: the last one texted about, else tracked."""
    from .models import OutboundMessage

    latest = (
        OutboundMessage.objects.filter(source=Source.ORDER, content_type__isnull=False)
        .select_related("content_type")
        .only("content_type", "object_id")
        .first()
    )
    if latest is not None and latest.content_type is not None:
        model = latest.content_type.model_class()
        if model is not None:
            found = model._default_manager.filter(pk=latest.object_id).first()
            if found is not None:
                return found
    for model in _tracked:
        found = model._default_manager.order_by("-pk").first()
        if found is not None:
            return found
    return None
