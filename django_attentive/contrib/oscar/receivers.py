"""Oscar's order signals as ``order_event``s, and (COMMERCE_EVENTS) its catalogue and basket
signals as eCommerce events: the receivers the adapter connects."""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify

from ... import conf
from ...signals import order_event

UID = "django_attentive.contrib.oscar"


def event_for_status(status: str) -> str:
    """Oscar's free-text status as an event name: ``"Being processed"`` -> ``being_processed``."""
    return slugify(status).replace("-", "_")


def shipping_phone(order: models.Model) -> object:
    """The shipping address's phone (a PhoneNumber), or None; ORDER_PHONE, when set, wins."""
    if conf.order_phone():
        return None
    address = getattr(order, "shipping_address", None)
    return getattr(address, "phone_number", None) or None


def on_order_placed(sender: object, order: models.Model, **kwargs: object) -> None:
    order_event.send(sender=type(order), order=order, event="placed", phone=shipping_phone(order))


def on_order_status_changed(
    sender: object, order: models.Model, new_status: str, **kwargs: object
) -> None:
    order_event.send(
        sender=type(order),
        order=order,
        event=event_for_status(new_status),
        phone=shipping_phone(order),
    )


def connect() -> None:
    """Listen to Oscar's order, catalogue and basket signals (AttentiveOscarConfig.ready)."""
    from oscar.apps.basket.signals import basket_addition
    from oscar.apps.catalogue.signals import product_viewed
    from oscar.apps.order.signals import order_placed, order_status_changed
    from oscar.core.loading import get_model

    from ... import purchases  # needs the app registry: imported once it is ready
    from . import commerce

    order_placed.connect(on_order_placed, dispatch_uid=UID)
    order_status_changed.connect(on_order_status_changed, dispatch_uid=UID)
    product_viewed.connect(commerce.on_product_viewed, dispatch_uid=UID)
    basket_addition.connect(commerce.on_basket_addition, dispatch_uid=UID)
    purchases.register(get_model("order", "Order"), commerce.order_items)


def disconnect() -> None:
    from oscar.apps.basket.signals import basket_addition
    from oscar.apps.catalogue.signals import product_viewed
    from oscar.apps.order.signals import order_placed, order_status_changed

    order_placed.disconnect(dispatch_uid=UID)
    order_status_changed.disconnect(dispatch_uid=UID)
    product_viewed.disconnect(dispatch_uid=UID)
    basket_addition.disconnect(dispatch_uid=UID)
