"""Who a request is about: a person's phone, email and ``clientUserId`` in Attentive's names.

Pure (no database, no network): commerce events, identity, custom attributes and
subscriptions all name the person the same way, so they share these checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NotRequired, Protocol, TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from . import conf
from .exceptions import InvalidMessage
from .validation import normalize_phone

#: Attentive's limit for an email or a client user id.
MAX_IDENTIFIER_LENGTH = 100


class UserLike(Protocol):
    """What we read of a user: its primary key (any user model has one)."""

    pk: object


class ExternalIdentifiers(TypedDict):
    clientUserId: str


class EventUser(TypedDict):
    """The ``user`` object of Attentive's events and attributes (``EventUser`` in its spec)."""

    phone: NotRequired[str]
    email: NotRequired[str]
    externalIdentifiers: NotRequired[ExternalIdentifiers]


def _finder() -> Callable[[UserLike], object] | None:
    return conf.callable_setting("CLIENT_USER_ID", "a function taking a user and returning its id")


def client_user_id(user: UserLike | None) -> str:
    """The ``clientUserId`` for ``user``: ``str(user.pk)`` unless CLIENT_USER_ID says otherwise.

    "" for no user, an anonymous user or an unsaved one.
    """
    if user is None or getattr(user, "is_anonymous", False) or user.pk is None:
        return ""
    finder = _finder()
    value = finder(user) if finder is not None else user.pk
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise InvalidMessage(
            {"user": [f"Its clientUserId is over Attentive's {MAX_IDENTIFIER_LENGTH} characters."]}
        )
    return text


def user_email(user: UserLike | None) -> str:
    """The user's email address ("" when it has none), whatever its model calls the field."""
    if user is None or getattr(user, "is_anonymous", False):
        return ""
    field = getattr(type(user), "get_email_field_name", lambda: "email")()
    return str(getattr(user, field, "") or "").strip()


def check_email(value: object, *, max_length: int = MAX_IDENTIFIER_LENGTH) -> str:
    """``value`` as a stripped email address, or raise ValueError saying what is wrong with it.

    ``max_length``: Attentive's 100 for an event's email; a subscription's takes an address's
    full 254.
    """
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValueError("The email address contains a NUL character (\\x00); remove it.")
    if len(text) > max_length:
        raise ValueError(f"The email address is too long; at most {max_length} characters.")
    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(f"'{text}' is not an email address, e.g. ada@example.com.") from None
    return text


def event_user(
    *, phone: object = None, email: object = None, user: UserLike | None = None
) -> EventUser:
    """The ``user`` object naming one person, or InvalidMessage (keyed ``phone``, ``email``,
    ``user``) when a value is wrong or nothing identifies them.

    Attentive needs a phone or an email; a logged-in ``user`` lends its email when none is
    given, and always its ``clientUserId``.
    """
    errors: dict[str, list[str]] = {}
    person: EventUser = {}
    if phone:
        try:
            person["phone"] = normalize_phone(phone)
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    given_email = email or user_email(user)
    if given_email:
        try:
            person["email"] = check_email(given_email)
        except ValueError as exc:
            errors["email" if email else "user"] = [str(exc)]
    if user is not None and (user_id := client_user_id(user)):
        person["externalIdentifiers"] = {"clientUserId": user_id}
    if not errors and not ("phone" in person or "email" in person):
        errors["user"] = [
            "Say who this is about: give a phone or an email (or a user with an email); "
            "Attentive cannot match anyone without one."
        ]
    if errors:
        raise InvalidMessage(errors)
    return person


def event_user_into(
    errors: dict[str, list[str] | str],
    *,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
) -> EventUser:
    """``event_user()``, its problems added to ``errors`` instead of raised, so that the caller
    raises one InvalidMessage listing them with its own; ``{}`` when there were problems."""
    try:
        return event_user(phone=phone, email=email, user=user)
    except InvalidMessage as exc:
        errors.update(exc.message_dict)
        return {}
