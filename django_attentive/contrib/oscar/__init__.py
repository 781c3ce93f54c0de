"""django-oscar: text customers when Oscar places an order or changes its status.

One line in settings::

    INSTALLED_APPS += ["django_attentive.contrib.oscar"]

(``"django_attentive.contrib.oscar.AttentiveOscarConfig"`` names the same app.) Oscar's
``order_placed`` becomes the event ``placed``; ``order_status_changed`` becomes the new status
as a slug (``"Being processed"`` -> ``being_processed``, template ``order_being_processed``).
The number comes from ``order.shipping_address.phone_number``.
"""

from .apps import AttentiveOscarConfig
from .receivers import (
    connect,
    disconnect,
    event_for_status,
    on_order_placed,
    on_order_status_changed,
    shipping_phone,
)

__all__ = [
    "AttentiveOscarConfig",
    "connect",
    "disconnect",
    "event_for_status",
    "on_order_placed",
    "on_order_status_changed",
    "shipping_phone",
]
