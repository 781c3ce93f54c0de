"""``POST /v1/subscriptions``, as far as the rate-limit tests need it: a user to subscribe."""

from __future__ import annotations

from typing import Any

SUBSCRIPTIONS_PATH = "/v1/subscriptions"
MISSING_USER = "user.phone or user.email is required"


def check_subscription(config: object, payload: dict[str, Any]) -> tuple[int, str] | None:
    """A JSON ``user`` object with a phone or an email; nothing else is checked yet."""
    user = payload.get("user")
    if not isinstance(user, dict) or not (user.get("phone") or user.get("email")):
        return 400, MISSING_USER
    return None
