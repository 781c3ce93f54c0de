"""The fake's Subscriptions API: ``POST /v1/subscriptions`` and ``/v1/subscriptions/unsubscribe``.

As Attentive's reference describes them: a ``user`` with a phone in E.164 and/or an email;
a subscribe needs a ``signUpSourceId`` (or both a ``locale`` and a ``subscriptionType``) and is
answered 202 with the subscriptions it will create; an unsubscribe may name
``subscriptions`` (type and channel) and is answered 202 likewise. Errors are 400 with
``{"error": {"id", "message"}}`` (``core`` shapes them). Pure functions: ``core`` imports
this module, never the reverse.
"""

from __future__ import annotations

import re
from typing import Any

SUBSCRIPTIONS_PATH = "/v1/subscriptions"
UNSUBSCRIBE_PATH = "/v1/subscriptions/unsubscribe"
TYPES = frozenset({"MARKETING", "TRANSACTIONAL", "CHECKOUT_ABANDONED"})
CHANNELS = frozenset({"TEXT", "EMAIL"})
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

EMPTY_USER = "user must have a phone or an email"
NOT_E164 = "user.phone must be in E.164 format, e.g. +19148440001"
BAD_EMAIL = "user.email is not an email address"
NO_SIGN_UP_SOURCE = (
    "No sign-up source matches: give a signUpSourceId, or both a locale and a subscriptionType"
)
BAD_SIGN_UP_SOURCE = "signUpSourceId must be a non-empty string"
BAD_SINGLE_OPT_IN = "singleOptIn must be a boolean"
BAD_LOCALE = "locale must be an object with language and country"
BAD_SUBSCRIPTIONS = "subscriptions must be a list of {type, channel}"

Rejection = tuple[int, str] | None


def check_user(payload: dict[str, Any]) -> Rejection:
    user = payload.get("user")
    if not isinstance(user, dict):
        return 400, EMPTY_USER
    phone, email = user.get("phone"), user.get("email")
    if not phone and not email:
        return 400, EMPTY_USER
    if phone is not None and not (isinstance(phone, str) and E164.match(phone)):
        return 400, NOT_E164
    if email is not None and not (isinstance(email, str) and "@" in email.strip("@")):
        return 400, BAD_EMAIL
    return None


def check_subscription(config: object, payload: dict[str, Any]) -> Rejection:
    """``/v1/subscriptions``: a user, and a sign-up source (or a locale and a type)."""
    if (rejection := check_user(payload)) is not None:
        return rejection
    source = payload.get("signUpSourceId")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        return 400, BAD_SIGN_UP_SOURCE
    if "singleOptIn" in payload and not isinstance(payload["singleOptIn"], bool):
        return 400, BAD_SINGLE_OPT_IN
    locale = payload.get("locale")
    if locale is not None and not (
        isinstance(locale, dict) and locale.get("language") and locale.get("country")
    ):
        return 400, BAD_LOCALE
    if source is None and not (locale and payload.get("subscriptionType") in TYPES):
        return 400, NO_SIGN_UP_SOURCE
    return None


def check_unsubscription(config: object, payload: dict[str, Any]) -> Rejection:
    """``/v1/subscriptions/unsubscribe``: a user; ``subscriptions`` when given are type+channel."""
    if (rejection := check_user(payload)) is not None:
        return rejection
    subscriptions = payload.get("subscriptions")
    if subscriptions is None:
        return None
    if not isinstance(subscriptions, list) or not all(
        isinstance(item, dict) and item.get("type") in TYPES and item.get("channel") in CHANNELS
        for item in subscriptions
    ):
        return 400, BAD_SUBSCRIPTIONS
    return None


def _channels(payload: dict[str, Any]) -> list[str]:
    user = payload.get("user") or {}
    return [channel for key, channel in (("phone", "TEXT"), ("email", "EMAIL")) if user.get(key)]


def subscribed_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The 202's ``AddSubscriptionsResponseDto``; the type is the request's, else MARKETING."""
    kind = payload.get("subscriptionType") or "MARKETING"
    body: dict[str, Any] = {
        "user": payload["user"],
        "subscriptionResponses": [
            {
                "subscription": {"type": kind, "channel": channel},
                "subscriptionCreationStatus": "NEWLY_CREATED",
            }
            for channel in _channels(payload)
        ],
    }
    if "externalIdentifiers" in payload:
        body["externalIdentifiers"] = payload["externalIdentifiers"]
    return body


def unsubscribed_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The 202's ``UnsubscribeSubscriptionsResponseDto``."""
    named = payload.get("subscriptions") or [
        {"type": kind, "channel": channel}
        for kind in ("MARKETING", "TRANSACTIONAL")
        for channel in _channels(payload)
    ]
    return {
        "user": payload["user"],
        "subscriptionResponses": [
            {"subscription": item, "subscriptionUnsubscribeStatus": "NEWLY_UNSUBSCRIBED"}
            for item in named
        ],
    }
