"""The Idempotency-Key header: a retried POST returns the first answer and sends nothing new."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from ..keys import fitting
from ..models import OutboundMessage
from .exceptions import IdempotencyKeyReused

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# Printable ASCII without space; the OpenAPI schema states the same pattern.
PATTERN = rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}"
KEY = re.compile(PATTERN)
# Never in a client key (KEY has no space), so "<key> <operation>" is never another's "<key>".
OPERATION_SEPARATOR = " "
COMPARED_FIELDS = ("to", "body", "media_url", "message_id", "message_type")


def stored_key(request: Request, *, operation: str = "", room: int = 0) -> str | None:
    """The key as stored on the message, namespaced per user so two users' keys never meet.

    ``operation`` (``"resend:12"``) names what the key does, so one key used on two texts
    makes two copies; it follows the client's key after a space, which no client key holds,
    so no create key (``api:<user>:<key>``, unchanged) can equal it. A key that would not fit
    the column (a UUID or string user pk with a long client key) is stored as
    ``api:sha256:`` and the hash of the whole: the same request always gives the same stored
    key, and it is never a database error.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.fullmatch(key):
        raise ValidationError(
            {
                HEADER: [
                    "Give 1 to 200 printable ASCII characters without spaces; "
                    "a UUID per text you mean to send works."
                ]
            }
        )
    scoped = f"{key}{OPERATION_SEPARATOR}{operation}" if operation else key
    return fitting(f"api:{request.user.pk}:{scoped}", "api", room=room)


def ensure_same_text(message: OutboundMessage, clean: Mapping[str, object]) -> None:
    """Refuse a key reused for different content (422, like Stripe); ``sendAt`` is not compared."""
    if any(getattr(message, field) != clean[field] for field in COMPARED_FIELDS):
        raise IdempotencyKeyReused(
            f"This {HEADER} already sent text #{message.pk} with different content; "
            "use a new key for a new text."
        )
