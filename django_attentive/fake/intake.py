"""What every API endpoint of the fake does first: the bearer token, then the body as a JSON
object; the same for every endpoint, before its own checks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from .config import FakeConfig
from .responses import INVALID_TOKEN, NOT_AN_OBJECT


class Headers(Protocol):
    """A request's headers: a mapping, or the ``http.server`` handler's ``Message``."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def bearer_token(headers: Headers) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def parse_request(
    config: FakeConfig, headers: Headers, body: bytes
) -> tuple[dict[str, Any], tuple[int, str] | None]:
    """The token first, then the body as a JSON object: the same for every endpoint."""
    token = bearer_token(headers)
    if token is None or (config.token is not None and token != config.token):
        return {}, (403, INVALID_TOKEN)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return {}, (400, NOT_AN_OBJECT)
    return payload, None
