"""What the fake answers: a ``FakeResponse``, and the two error shapes Attentive's APIs use.

The archived Messages API answers ``{"status", "message"}``; the current API answers
``{"error": {"id", "message"}}``. The reasons every endpoint may give live here too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

INVALID_TOKEN = "Invalid API token."
NOT_AN_OBJECT = "Illegal argument passed in: body is not a JSON object"
FAULT_ERROR = "Service temporarily unavailable (fake fault)"
RATE_LIMITED = "Rate limit exceeded"

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class FakeResponse:
    """What to answer: status, body and headers, or ``drop`` to close the connection silently."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def json_response(
    status: int, payload: object, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build a JSON ``FakeResponse``."""
    body = json.dumps(payload).encode()
    return FakeResponse(status, body, {**JSON_HEADERS, **(headers or {})})


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build the Messages API's error shape, ``{"status": <code>, "message": "<reason>"}``."""
    return json_response(status, {"status": status, "message": message}, headers)


def current_error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build the current API's error shape, ``{"error": {"id": ..., "message": ...}}``."""
    error = {"id": uuid.uuid4().hex, "message": message}
    return json_response(status, {"error": error}, headers)


def accepted(payload: dict[str, Any]) -> FakeResponse:
    return FakeResponse(202)


def ok(payload: dict[str, Any]) -> FakeResponse:
    return FakeResponse(200)


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
