"""eCommerce events for Attentive's journeys: ``product_viewed``, ``added_to_cart``,
``purchased``.

``from django_attentive import commerce`` then ``commerce.product_viewed(product, user=...)``.
The functions are loaded on first use, so importing this module never needs the app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__all__ = ["added_to_cart", "product_viewed", "purchased"]

if TYPE_CHECKING:
    from .outbox.commerce import added_to_cart, product_viewed, purchased


def __getattr__(name: str) -> object:
    if name in __all__:
        value = getattr(import_module("django_attentive.outbox.commerce"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'django_attentive.commerce' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
