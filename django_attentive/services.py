"""Deprecated: import the public functions from ``django_attentive`` instead.

Kept for one release so code written against 0.1.0 keeps working; it will be removed in 0.3.
"""

from __future__ import annotations

import warnings

from .models import FINAL_STATUSES
from .outbox.bulk import send_bulk
from .outbox.intake import (
    Resends,
    cancel,
    record_failed,
    resend,
    resend_many,
    send_custom_event,
    send_message,
)
from .outbox.retention import PURGE_BATCH_SIZE, Purged, purge
from .outbox.suppressions import lift_suppression, suppress

warnings.warn(
    "django_attentive.services is deprecated; import send_message, send_bulk, resend, cancel, "
    "suppress, purge, … from django_attentive.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "FINAL_STATUSES",
    "PURGE_BATCH_SIZE",
    "Purged",
    "Resends",
    "cancel",
    "lift_suppression",
    "purge",
    "record_failed",
    "resend",
    "resend_many",
    "send_bulk",
    "send_custom_event",
    "send_message",
    "suppress",
]
