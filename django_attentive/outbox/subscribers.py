"""Subscribing and unsubscribing people through Attentive's Subscriptions API.

Both are outbox rows like texts (same retries, send log and admin); an unsubscribe also puts
the number on the suppression list at once, before Attentive has even been asked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction

from ..exceptions import InvalidMessage
from ..models import Consent, Kind, OutboundMessage, SuppressionReason
from ..privacy import mask_phone
from ..subscriptions import subscribe_payload, unsubscribe_payload
from .lookups import existing
from .requests import queue_request
from .suppressions import suppress

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")


def subscribe(
    phone: str | None = None,
    *,
    email: str | None = None,
    sign_up_source_id: str | None = None,
    subscription_type: str = "MARKETING",
    single_opt_in: bool = False,
    locale: str | None = None,
    user: AbstractBaseUser | None = None,
    consent: Consent | None = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Queue ``POST /v1/subscriptions`` for a phone and/or an email; Attentive answers 202.

    ``sign_up_source_id`` defaults to ``CONSENT["SIGN_UP_SOURCE_IDS"][subscription_type]``. With
    ``single_opt_in=False`` (the default) Attentive first texts its "Reply Y" confirmation.
    ``user`` becomes ``externalIdentifiers.clientUserId``; ``consent`` is the evidence the
    request is linked to. The same ``idempotency_key`` twice returns the first request. Bad
    input raises ``InvalidMessage`` keyed by argument name, and nothing is saved.
    """
    try:
        number, payload = subscribe_payload(
            phone,
            email=email,
            sign_up_source_id=sign_up_source_id,
            subscription_type=subscription_type,
            single_opt_in=single_opt_in,
            locale=locale,
            user=user,
        )
    except InvalidMessage:
        if idempotency_key and (earlier := existing(idempotency_key)) is not None:
            return earlier
        raise
    row = queue_request(
        Kind.SUBSCRIPTION,
        payload,
        to=number,
        idempotency_key=idempotency_key,
        related=consent if consent is not None else user,
    )
    logger.debug("Subscription #%s asked for %s", row.pk, mask_phone(number) if number else "-")
    return row


def unsubscribe(
    phone: str | None = None,
    *,
    email: str | None = None,
    subscription_types: Iterable[str] | None = None,
    user: AbstractBaseUser | None = None,
) -> OutboundMessage:
    """Queue ``POST /v1/subscriptions/unsubscribe``; the number is suppressed at once.

    Without ``subscription_types`` Attentive ends every subscription of the person. With only
    ``user``, the user's email address is the one unsubscribed. Bad input raises
    ``InvalidMessage`` keyed by argument name, and nothing is saved.
    """
    if phone in (None, "") and email in (None, "") and user is not None:
        email = getattr(user, get_user_model().get_email_field_name(), "") or None
    number, payload = unsubscribe_payload(phone, email=email, subscription_types=subscription_types)
    with transaction.atomic():
        if number:
            suppress(number, SuppressionReason.OPTED_OUT, source="unsubscribe()")
        return queue_request(
            Kind.UNSUBSCRIPTION,
            payload,
            to=number,
            related=user if user is not None and user.pk is not None else None,
        )
