"""The fake's ``POST /v1/events/custom``: Attentive's checks on a custom event's body, as a pure
function the endpoint table in ``core`` uses."""

from __future__ import annotations

from typing import Any

from .commerce import rfc3339_ok
from .config import FakeConfig
from .texts import check_recipient

CUSTOM_EVENTS_PATH = "/v1/events/custom"

BAD_EVENT_TYPE = "type is required and may not contain any of " + "\"'(){}[]\\|,"
BAD_PROPERTIES = "properties must be a JSON object"
BAD_OCCURRED_AT = "occurredAt must be an RFC 3339 date-time"
MISSING_USER = "user.phone (or another identifier) is required"
EVENT_TYPE_FORBIDDEN = "\"'(){}[]\\|,"


def check_event(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/events/custom``: a clean type, object properties, RFC 3339 time, a user."""
    event_type = payload.get("type")
    if (
        not isinstance(event_type, str)
        or not event_type.strip()
        or any(char in EVENT_TYPE_FORBIDDEN for char in event_type)
    ):
        return 400, BAD_EVENT_TYPE
    if "properties" in payload and not isinstance(payload["properties"], dict):
        return 400, BAD_PROPERTIES
    if "occurredAt" in payload and not rfc3339_ok(payload["occurredAt"]):
        return 400, BAD_OCCURRED_AT
    user = payload.get("user")
    phone = user.get("phone") if isinstance(user, dict) else None
    if not isinstance(phone, str) or not phone.strip():
        return 400, MISSING_USER
    return check_recipient(config, phone)
