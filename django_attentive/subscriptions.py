"""The bodies of ``POST /v1/subscriptions`` and ``POST /v1/subscriptions/unsubscribe``.

Pure: arguments in, Attentive's JSON (or ``InvalidMessage`` keyed by argument name) out. The
shapes are Attentive's ``AddSubscriptionsRequestDto`` (``user``, ``signUpSourceId``,
``externalIdentifiers``; ``singleOptIn``, ``locale`` and ``subscriptionType`` from its current
reference) and ``UnsubscribeSubscriptionsRequestDto`` (``user``, ``subscriptions``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NotRequired, TypedDict

from . import conf, identities
from .disclosure import SUBSCRIPTION_TYPES, check_type
from .exceptions import InvalidMessage
from .identities import client_user_id
from .validation import normalize_phone

#: Every type Attentive's SubscriptionDto names (an unsubscribe may name any of them).
UNSUBSCRIBE_TYPES = (*SUBSCRIPTION_TYPES, "CHECKOUT_ABANDONED")
TEXT_CHANNEL = "TEXT"
MAX_EMAIL_LENGTH = 254
MAX_SOURCE_ID_LENGTH = 64
_LOCALE = re.compile(r"^([A-Za-z]{2,3})[-_]([A-Za-z]{2})$")


class SubscriberUser(TypedDict, total=False):
    """Attentive's ``UserDto1``: a phone (E.164) and/or an email; one is required."""

    phone: str
    email: str


class ExternalIdentifiers(TypedDict):
    clientUserId: str


class Locale(TypedDict):
    language: str
    country: str


class SubscribePayload(TypedDict):
    user: SubscriberUser
    singleOptIn: bool
    signUpSourceId: NotRequired[str]
    subscriptionType: NotRequired[str]
    externalIdentifiers: NotRequired[ExternalIdentifiers]
    locale: NotRequired[Locale]


class SubscriptionRef(TypedDict):
    """Attentive's ``SubscriptionDto``: a type and channel combination."""

    type: str
    channel: str


class UnsubscribePayload(TypedDict):
    user: SubscriberUser
    subscriptions: NotRequired[list[SubscriptionRef]]


def check_email(value: object) -> str:
    """The address as given (trimmed), or ValueError saying what is wrong with it."""
    return identities.check_email(value, max_length=MAX_EMAIL_LENGTH)


def check_locale(value: object) -> Locale:
    """``"en-US"`` / ``"fr_CA"`` as Attentive's ``{"language": "en", "country": "US"}``."""
    match = _LOCALE.match(str(value).strip())
    if not match:
        raise ValueError(f"{str(value)[:40]!r} is not a locale; write it as en-US or fr-CA.")
    return {"language": match[1].lower(), "country": match[2].upper()}


def user_fields(
    phone: object, email: object, errors: dict[str, list[str]]
) -> tuple[str, SubscriberUser]:
    """The E.164 phone ("" for none) and Attentive's ``user``; problems go into ``errors``."""
    user: SubscriberUser = {}
    number = ""
    if phone not in (None, ""):
        try:
            number = user["phone"] = normalize_phone(phone)
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    if email not in (None, ""):
        try:
            user["email"] = check_email(email)
        except ValueError as exc:
            errors["email"] = [str(exc)]
    if phone in (None, "") and email in (None, ""):
        errors["phone"] = ["Give a phone number or an email address (or both)."]
    return number, user


def subscribe_payload(
    phone: object = None,
    *,
    email: object = None,
    sign_up_source_id: object = None,
    subscription_type: object = "MARKETING",
    single_opt_in: object = False,
    locale: object = None,
    user: object = None,
) -> tuple[str, SubscribePayload]:
    """The E.164 phone ("" for none) and the ``/v1/subscriptions`` body; InvalidMessage if bad.

    ``sign_up_source_id`` defaults to CONSENT["SIGN_UP_SOURCE_IDS"][subscription_type]; with
    neither, a ``locale`` lets Attentive pick the one API sign-up unit for it and the type.
    """
    errors: dict[str, list[str]] = {}
    number, subscriber = user_fields(phone, email, errors)
    try:
        kind = check_type(subscription_type)
    except ValueError as exc:
        errors["subscription_type"] = [str(exc)]
        kind = ""
    if not isinstance(single_opt_in, bool):
        errors["single_opt_in"] = ["Use True or False."]
    clean_locale = None
    if locale not in (None, ""):
        try:
            clean_locale = check_locale(locale)
        except ValueError as exc:
            errors["locale"] = [str(exc)]
    source = _source_id(sign_up_source_id, kind, clean_locale is not None or "locale" in errors)
    if isinstance(source, list):
        errors["sign_up_source_id"] = source
    if user is not None and getattr(user, "pk", None) is None:
        errors["user"] = ["Save the user first: its id is the clientUserId Attentive keeps."]
    if errors:
        raise InvalidMessage(errors)
    payload: SubscribePayload = {"user": subscriber, "singleOptIn": bool(single_opt_in)}
    if source:
        payload["signUpSourceId"] = str(source)
    else:
        payload["subscriptionType"] = kind
    if user is not None and (user_id := client_user_id(user)):  # type: ignore[arg-type]
        payload["externalIdentifiers"] = {"clientUserId": user_id}
    if clean_locale is not None:
        payload["locale"] = clean_locale
    return number, payload


def _source_id(given: object, kind: str, has_locale: bool) -> str | list[str]:
    """The sign-up source id to send ("" when a locale stands in), or the problems with it."""
    if given in (None, ""):
        source = conf.sign_up_source_id(kind) if kind else ""
        if source or has_locale or not kind:
            return source
        return [
            f"No sign-up source for {kind}: pass sign_up_source_id, or set "
            f"ATTENTIVE['CONSENT']['SIGN_UP_SOURCE_IDS']['{kind}'] to the id of an API sign-up "
            "unit (Attentive: Sign-up Units, ID column)."
        ]
    text = str(given).strip()
    if not text or "\x00" in text or len(text) > MAX_SOURCE_ID_LENGTH:
        return [f"Give the sign-up unit's id from Attentive (at most {MAX_SOURCE_ID_LENGTH})."]
    return text


def unsubscribe_payload(
    phone: object = None,
    *,
    email: object = None,
    subscription_types: Iterable[object] | str | None = None,
) -> tuple[str, UnsubscribePayload]:
    """The E.164 phone ("" for none) and the ``/v1/subscriptions/unsubscribe`` body.

    Without ``subscription_types`` Attentive unsubscribes the person from everything.
    """
    errors: dict[str, list[str]] = {}
    number, subscriber = user_fields(phone, email, errors)
    payload: UnsubscribePayload = {"user": subscriber}
    if subscription_types is not None:
        types = (
            [subscription_types]
            if isinstance(subscription_types, str)
            else list(subscription_types)
        )
        unknown = [str(kind)[:40] for kind in types if kind not in UNSUBSCRIBE_TYPES]
        if unknown or not types:
            errors["subscription_types"] = [
                f"Use some of {', '.join(UNSUBSCRIBE_TYPES)}, or None for every subscription"
                + (f"; not {', '.join(unknown)}." if unknown else ".")
            ]
        else:
            payload["subscriptions"] = [
                {"type": str(kind), "channel": TEXT_CHANNEL} for kind in dict.fromkeys(types)
            ]
    if errors:
        raise InvalidMessage(errors)
    return number, payload
