"""Queueing a request to one of Attentive's other endpoints: a subscription, an opt-out, a
commerce event, an identity, custom attributes. Same outbox, keys, retries and send log as a
text; the caller validates and builds the payload in Attentive's names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.db import models

from ..models import Kind, OutboundMessage, Source, Status
from ..privacy import mask_phone
from . import handoff
from .intake import check_origin, insert_once, related_fields

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")


def queue_request(
    kind: str,
    payload: Mapping[str, object],
    *,
    to: str = "",
    endpoint: str = "",
    idempotency_key: str | None = None,
    related: models.Model | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
    in_background: bool = False,
) -> OutboundMessage:
    """Store the request as ``queued`` and ask for its delivery once the transaction commits.

    ``payload`` is the JSON body as Attentive takes it; ``to`` is the person's E.164 number
    when there is one (the admin shows it); ``endpoint`` the path when the kind has several
    (commerce events). The same ``idempotency_key`` twice returns the first row and posts
    nothing new. Never held by the suppression list or quiet hours: only texts and custom
    events are. With ``in_background`` it is never delivered inside the caller (a page
    recording a product view): delivery goes to a queue, or waits for
    ``attentive_send_queued`` when the task backend would run it in the caller.
    """
    check_origin(source, idempotency_key)
    message = OutboundMessage(
        to=to,
        kind=kind,
        endpoint=endpoint,
        payload=dict(payload),
        status=Status.QUEUED,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,  # type: ignore[misc]  # AUTH_USER_MODEL may be any user model
        **related_fields(related),
    )
    stored = insert_once(message)
    if stored is not message:
        return stored
    label = Kind(kind).label
    logger.info("Queued %s #%s for %s", label, message.pk, mask_phone(to) if to else "-")
    if in_background:
        handoff.request_bulk_delivery([(message.pk, None)])
    else:
        handoff.request_delivery(message.pk, None)
    return message
