"""Bulk sends: one text per distinct number in a few queries, delivered in chunks."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction

from ..exceptions import InvalidMessage
from ..keys import MAX_LENGTH as MAX_KEY_LENGTH
from ..models import Campaign, OutboundMessage, Source, Status
from ..sqlite_limits import real_parameter_limit
from ..validation import CleanMessage, normalize_phone
from . import campaigns, handoff
from .intake import check_origin, text_row, validate_text
from .lookups import by_key
from .screening import admit, suppressions_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")

BULK_BATCH_SIZE = 1000
# ":" and the longest E.164 number follow a bulk send's key prefix.
KEY_SUFFIX_ROOM = 17


def send_bulk(
    recipients: Iterable[str],
    body: str,
    *,
    media_url: str | None = None,
    message_id: str | None = None,
    transactional: bool = False,
    send_at: datetime | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
    idempotency_key: str | None = None,
    campaign: str | Campaign | None = None,
) -> list[OutboundMessage]:
    """Queue one text to each recipient in a few queries; duplicates (after E.164) collapse.

    With ``campaign`` (a name or a ``Campaign``) the texts join that campaign, created on first
    use, so they are counted, paused and cancelled together; a cancelled one cannot be joined.

    Any invalid number raises InvalidMessage listing every bad one, and nothing is saved.
    Delivery is handed over in chunks, never run inside the caller. With
    ``idempotency_key``, each text's key is ``<idempotency_key>:<E.164 number>``: a number
    that already has its text gets that message back, and nothing new is sent to it.
    """
    numbers: dict[str, None] = {}
    problems: list[str] = []
    for raw in recipients:
        try:
            numbers[normalize_phone(raw)] = None
        except ValueError as exc:
            problems.append(str(exc))
    first = next(iter(numbers), "+12015550123")
    try:
        clean = validate_text(first, body, media_url, message_id, transactional)
    except InvalidMessage as exc:
        errors = dict(exc.message_dict)
    else:
        errors = {}
    if problems:
        errors["to"] = problems
    elif not numbers:
        errors["to"] = ["Enter at least one recipient."]
    try:
        check_origin(source)
    except InvalidMessage as exc:
        errors.update(exc.message_dict)
    room = MAX_KEY_LENGTH - KEY_SUFFIX_ROOM
    if idempotency_key and len(idempotency_key) > room:
        errors["idempotency_key"] = [f"Use at most {room} characters for a bulk send's key."]
    if campaign is not None:
        try:
            campaigns.check_name(campaign)
        except InvalidMessage as exc:
            errors.update(exc.message_dict)
    if errors:
        raise InvalidMessage(errors)
    with transaction.atomic():
        joined = (
            campaigns.create_or_join(campaign, body=clean.body, created_by=created_by)
            if campaign is not None
            else None
        )
        return _store(clean, numbers, joined, source, created_by, idempotency_key, send_at)


def _store(
    clean: CleanMessage,
    numbers: dict[str, None],
    campaign: Campaign | None,
    source: str,
    created_by: AbstractBaseUser | None,
    idempotency_key: str | None,
    send_at: datetime | None,
) -> list[OutboundMessage]:
    transactional = bool(clean.message_type)
    keys = {number: f"{idempotency_key}:{number}" for number in numbers} if idempotency_key else {}
    with real_parameter_limit():
        earlier = by_key(keys.values())
        suppressed = suppressions_for(n for n in numbers if keys.get(n) not in earlier)
    rows = [
        text_row(
            clean,
            number,
            admit(number, transactional, send_at, suppressed.get(number)),
            source=source,
            created_by=created_by,
            idempotency_key=keys.get(number),
            campaign=campaign,
        )
        for number in numbers
        if keys.get(number) not in earlier
    ]
    if keys:
        return _insert_keyed(rows, keys, earlier, campaign)
    with transaction.atomic(), real_parameter_limit():
        created = OutboundMessage.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
        if created and not connection.features.can_return_rows_from_bulk_insert:  # MySQL
            mine = OutboundMessage.objects.filter(body=clean.body, to__in=list(numbers))
            created = list(
                mine.filter(created_by=created_by).order_by("-pk")[  # type: ignore[misc]  # any user model
                    : len(rows)
                ]
            )
        if campaign is not None:
            campaigns.add_audience(campaign, len(created))
    logger.info("Queued %s texts in bulk (%s suppressed)", len(created), len(suppressed))
    _deliver(created)
    return created


def _insert_keyed(
    rows: list[OutboundMessage],
    keys: dict[str, str],
    earlier: dict[str, OutboundMessage],
    campaign: Campaign | None,
) -> list[OutboundMessage]:
    """Insert keyed bulk rows, skipping keys taken meanwhile; every number's message, in order.

    A concurrent send with the same keys (a double click) inserts each row once: the loser's
    rows are dropped by ON CONFLICT DO NOTHING, and only rows this call inserted are queued.
    """
    with transaction.atomic(), real_parameter_limit():
        OutboundMessage.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE, ignore_conflicts=True)
        stored = {**earlier, **by_key(str(row.idempotency_key) for row in rows)}
    messages = [stored[key] for key in keys.values()]
    mine = {row.idempotency_key: row.created_at for row in rows}
    new = [m for m in messages if mine.get(m.idempotency_key) == m.created_at]
    if campaign is not None:
        campaigns.add_audience(campaign, len(new))
    logger.info("Queued %s texts in bulk (%s queued before)", len(new), len(keys) - len(new))
    _deliver(new)
    return messages


def _deliver(created: list[OutboundMessage]) -> None:
    handoff.request_bulk_delivery(
        (message.pk, message.next_attempt_at)
        for message in created
        if message.status == Status.QUEUED
    )
