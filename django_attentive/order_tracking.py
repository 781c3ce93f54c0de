"""``track(Order)``: fire ``order_event`` when an order is created and when its status changes.

The status is remembered when the order is loaded (``post_init``), compared before it is
saved (``pre_save``) and the event fired once the save is done (``post_save``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db import models
from django.db.models.signals import post_init, post_save, pre_save

from .models import OutboundMessage, Source
from .signals import order_event


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
