"""Text your shop's customers through Attentive: the public Python API.

Every function users call is importable from here, e.g.
``from django_attentive import send_message``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# Where each public function lives. They are imported on first use: the outbox needs the app
# registry, which is not ready while Django imports this package from INSTALLED_APPS.
_EXPORTS = {
    "send_message": "outbox.intake",
    "send_custom_event": "outbox.intake",
    "resend": "outbox.intake",
    "resend_many": "outbox.intake",
    "Resends": "outbox.intake",
    "cancel": "outbox.intake",
    "send_bulk": "outbox.bulk",
    "pause_campaign": "outbox.campaigns",
    "resume_campaign": "outbox.campaigns",
    "cancel_campaign": "outbox.campaigns",
    "suppress": "outbox.suppressions",
    "lift_suppression": "outbox.suppressions",
    "purge": "outbox.retention",
    "subscribe": "outbox.subscribers",
    "unsubscribe": "outbox.subscribers",
    "record_consent": "outbox.consents",
    "product_viewed": "outbox.commerce",
    "added_to_cart": "outbox.commerce",
    "purchased": "outbox.commerce",
    "identify": "outbox.identity",
    "set_attributes": "outbox.identity",
    "Purged": "outbox.retention",
}
__all__ = [
    "Purged",
    "Resends",
    "added_to_cart",
    "cancel",
    "cancel_campaign",
    "identify",
    "lift_suppression",
    "pause_campaign",
    "product_viewed",
    "purchased",
    "purge",
    "record_consent",
    "resend",
    "resend_many",
    "resume_campaign",
    "send_bulk",
    "send_custom_event",
    "send_message",
    "set_attributes",
    "subscribe",
    "suppress",
    "unsubscribe",
]

if TYPE_CHECKING:
    from .outbox.bulk import send_bulk
    from .outbox.campaigns import cancel_campaign, pause_campaign, resume_campaign
    from .outbox.commerce import added_to_cart, product_viewed, purchased
    from .outbox.consents import record_consent
    from .outbox.identity import identify, set_attributes
    from .outbox.intake import (
        Resends,
        cancel,
        resend,
        resend_many,
        send_custom_event,
        send_message,
    )
    from .outbox.retention import Purged, purge
    from .outbox.subscribers import subscribe, unsubscribe
    from .outbox.suppressions import lift_suppression, suppress


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        value = getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'django_attentive' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
