"""How the outbox admin shows a row: a non-text request in a few words, JSON indented."""

from __future__ import annotations

import json

from ..commerce_items import describe
from ..models import Kind, OutboundMessage, SendAttempt


def what(message: OutboundMessage) -> str:
    """A non-text row in a few words: ``purchase (3 items)``, an event's type, the attributes."""
    payload = message.payload or {}
    if message.kind == Kind.COMMERCE:
        return describe(payload, message.endpoint)
    if message.kind == Kind.IDENTITY:
        return f"clientUserId {payload.get('clientUserId', '')}"
    if message.kind == Kind.ATTRIBUTES:
        properties = payload.get("properties")
        return ", ".join(properties) if isinstance(properties, dict) else ""
    return str(payload.get("type", ""))


def pretty(text: object) -> str:
    """JSON indented for reading; anything else as it came."""
    if isinstance(text, dict | list):
        return json.dumps(text, indent=2, ensure_ascii=False)
    try:
        return json.dumps(json.loads(str(text)), indent=2, ensure_ascii=False)
    except ValueError:
        return str(text)


def attempt_row(attempt: SendAttempt) -> dict[str, object]:
    """One attempt as the message page lists it: request and answer indented, ok or not."""
    return {
        "attempt": attempt,
        "request": pretty(attempt.request),
        "response": pretty(attempt.response_body) if attempt.response_body else "",
        "ok": attempt.status_code is not None and 200 <= attempt.status_code < 300,
    }
