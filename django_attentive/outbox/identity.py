"""Queueing who a customer is (``identify``) and what the shop knows of them
(``set_attributes``): Attentive's identity and custom-attribute endpoints."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ..attributes import clean_attributes
from ..exceptions import InvalidMessage
from ..identities import UserLike, client_user_id, event_user_into, user_email
from ..models import Kind, OutboundMessage, Source
from .requests import queue_request


def identify(
    user: UserLike | None = None,
    *,
    phone: object = None,
    email: object = None,
    source: str = Source.CODE,
) -> OutboundMessage:
    """Queue ``POST /v1/identity-resolution/user-identifiers``: link the shop's user id
    (``clientUserId``) to the phone or email Attentive knows the person by.

    ``user``'s email is used when no ``email`` is given. The same user, phone and email again
    post nothing new (one request per combination while the row is kept).
    """
    errors: dict[str, list[str] | str] = {}
    user_id = ""
    try:
        user_id = client_user_id(user)
    except InvalidMessage as exc:
        errors.update(exc.message_dict)
    if not user_id and not errors:
        errors["user"] = ["Give the (saved) user whose clientUserId Attentive should learn."]
    person = event_user_into(errors, phone=phone, email=email or user_email(user))
    if errors:
        raise InvalidMessage(errors)
    payload = {"clientUserId": user_id, **person}
    digest = hashlib.sha256(
        "\x1f".join([user_id, person.get("phone", ""), person.get("email", "")]).encode()
    ).hexdigest()
    return queue_request(
        Kind.IDENTITY,
        payload,
        to=person.get("phone", ""),
        idempotency_key=f"identity:sha256:{digest}",
        source=source,
        in_background=True,
    )


def set_attributes(
    properties: Mapping[str, object],
    *,
    phone: object = None,
    email: object = None,
    user: UserLike | None = None,
    idempotency_key: str | None = None,
    source: str = Source.CODE,
) -> OutboundMessage:
    """Queue ``POST /v1/attributes/custom``: flat values (string, number, boolean, date) about
    one person. A list or dict value raises ``InvalidMessage``; Attentive refuses them."""
    errors: dict[str, list[str] | str] = {}
    clean: dict[str, object] = {}
    try:
        clean = dict(clean_attributes(properties))
    except ValueError as exc:
        errors["properties"] = [str(exc)]
    person = event_user_into(errors, phone=phone, email=email, user=user)
    if errors:
        raise InvalidMessage(errors)
    return queue_request(
        Kind.ATTRIBUTES,
        {"properties": clean, "user": person},
        to=person.get("phone", ""),
        idempotency_key=idempotency_key,
        source=source,
        in_background=True,
    )
