"""The fake's text endpoints: the archived ``POST /v1/messages`` and the current
``POST /v1/text/send``, Attentive's checks on their bodies as pure functions the endpoint
table in ``core`` uses; also the recipient check every endpoint with a phone shares.
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlsplit

from .config import FakeConfig, to_e164
from .responses import FakeResponse, json_response

MESSAGES_PATH = "/v1/messages"
TEXT_SEND_PATH = "/v1/text/send"
TEXT_PATHS = (MESSAGES_PATH, TEXT_SEND_PATH)
TRANSACTIONAL = "TRANSACTIONAL"
SUBSCRIPTION_TYPES = frozenset({TRANSACTIONAL, "MARKETING"})
MEDIA_EXTENSIONS = (".gif", ".png", ".jpg", ".jpeg")

MISSING_PARAMETERS = "Missing required parameters: {}"
INVALID_INPUT = "Invalid Input - phone number or body missing from request"
BAD_TYPE = "Illegal argument passed in: type must be TRANSACTIONAL"
BAD_MEDIA_URL = "Illegal argument passed in: mediaUrl must be a gif, png or jpg URL"
BAD_NUMBER = "Invalid or unmatched phone number"
OPTED_OUT = "Subscriber is opted-out"
NOT_FOUND = "Subscriber not found"
BAD_SUBSCRIPTION_TYPE = "subscriptionType must be TRANSACTIONAL or MARKETING"
MESSAGE_NAME_NEEDED = "messageName is required when useShortLinks is true"
BRACES_DROPPED = "Attentive drops a body containing { or } without saying so"


class RecordedMessage(TypedDict, total=False):
    """An accepted message: the JSON fields as received, plus ``received_at`` and ``seq``."""

    to: str
    body: str
    messageId: str
    type: str
    mediaUrl: str
    received_at: str
    seq: int


def _media_url_ok(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path.lower().endswith(MEDIA_EXTENSIONS)
    )


def check_recipient(config: FakeConfig, to: str) -> tuple[int, str] | None:
    e164 = to_e164(to)
    if e164 is None:
        return 404, BAD_NUMBER
    if e164 in config.opted_out:
        return 400, OPTED_OUT
    if e164 in config.unknown:
        return 400, NOT_FOUND
    return None


def check_message(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/messages``, as Attentive's Messages API reference describes it."""
    missing = [key for key in ("to", "body") if key not in payload]
    if missing:
        return 500, MISSING_PARAMETERS.format(", ".join(missing))
    to, text = payload["to"], payload["body"]
    if not (isinstance(to, str) and to.strip() and isinstance(text, str) and text.strip()):
        return 400, INVALID_INPUT
    if "type" in payload and payload["type"] != TRANSACTIONAL:
        return 400, BAD_TYPE
    if "mediaUrl" in payload and not _media_url_ok(payload["mediaUrl"]):
        return 400, BAD_MEDIA_URL
    return check_recipient(config, to)


def check_text_send(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/text/send``: to, body and subscriptionType required; messageName for short links."""
    missing = [key for key in ("to", "body", "subscriptionType") if key not in payload]
    if missing:
        return 400, MISSING_PARAMETERS.format(", ".join(missing))
    to, text = payload["to"], payload["body"]
    if not (isinstance(to, str) and to.strip() and isinstance(text, str) and text.strip()):
        return 400, INVALID_INPUT
    if payload["subscriptionType"] not in SUBSCRIPTION_TYPES:
        return 400, BAD_SUBSCRIPTION_TYPE
    if "mediaUrl" in payload and not _media_url_ok(payload["mediaUrl"]):
        return 400, BAD_MEDIA_URL
    if payload.get("useShortLinks") is True and not payload.get("messageName"):
        return 400, MESSAGE_NAME_NEEDED
    return check_recipient(config, to)


def braces_dropped(payload: dict[str, Any]) -> str | None:
    body = str(payload.get("body", ""))
    return BRACES_DROPPED if "{" in body or "}" in body else None


def echo_message(payload: dict[str, Any]) -> FakeResponse:
    return json_response(200, {k: payload[k] for k in ("to", "body", "messageId") if k in payload})
