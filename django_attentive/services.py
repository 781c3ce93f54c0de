"""The only code that creates OutboundMessage rows or changes their status."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from . import conf, dispatch, retry, signals
from .backends import BaseBackend, SendResult, build_payload, get_backend
from .exceptions import AmbiguousError, AttentiveError, ConfigurationError, InvalidMessage
from .models import OutboundMessage, Outcome, SendAttempt, Source, Status
from .privacy import mask_phone, mask_phones_in
from .validation import normalize_phone, validate_message

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")

RESPONSE_BODY_LIMIT = 4000
BULK_BATCH_SIZE = 1000
FINAL_STATUSES = frozenset(
    {Status.SENT, Status.FAILED, Status.UNCONFIRMED, Status.SUPPRESSED, Status.CANCELLED}
)


def worker_id() -> str:
    """Who holds a claim: host, process and thread, so an operator can tell workers apart."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _related_fields(related: models.Model | None) -> dict[str, object]:
    if related is None:
        return {}
    if related.pk is None:
        raise InvalidMessage({"related": ["Save the related object before texting about it."]})
    return {
        "content_type": ContentType.objects.get_for_model(related),
        "object_id": str(related.pk),
    }


def _existing(idempotency_key: str) -> OutboundMessage | None:
    return OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()


def send_message(
    to: str,
    body: str,
    *,
    media_url: str | None = None,
    message_id: str | None = None,
    transactional: bool = False,
    idempotency_key: str | None = None,
    send_at: datetime | None = None,
    related: models.Model | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
) -> OutboundMessage:
    """Validate, store as ``queued`` and deliver once the surrounding transaction commits.

    The same ``idempotency_key`` twice returns the first message and sends nothing new.
    """
    try:
        clean = validate_message(
            to,
            body,
            media_url=media_url,
            message_id=message_id,
            message_type="TRANSACTIONAL" if transactional else None,
        )
    except InvalidMessage:
        if idempotency_key and (existing := _existing(idempotency_key)) is not None:
            return existing
        raise
    if source not in Source.values:
        raise InvalidMessage({"source": [f"Use one of {', '.join(Source.values)}."]})
    message = OutboundMessage(
        to=clean.to,
        body=clean.body,
        media_url=clean.media_url,
        message_id=clean.message_id,
        message_type=clean.message_type,
        status=Status.QUEUED,
        next_attempt_at=send_at,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,
        **_related_fields(related),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not idempotency_key:
            raise
        # The key was used before: insert first and look up only then, so a keyed send costs
        # no extra query on the common path (order events must stay within 3 queries).
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    logger.info("Queued text #%s to %s", message.pk, mask_phone(message.to))
    dispatch.schedule_delivery(message.pk, send_at)
    return message


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
) -> list[OutboundMessage]:
    """Queue one text to each recipient in a few queries; duplicates (after E.164) collapse.

    Any invalid number raises InvalidMessage listing every bad one, and nothing is saved.
    Delivery goes through the task queue in chunks (see dispatch.schedule_bulk_delivery).
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
        clean = validate_message(
            first,
            body,
            media_url=media_url,
            message_id=message_id,
            message_type="TRANSACTIONAL" if transactional else None,
        )
    except InvalidMessage as exc:
        errors = dict(exc.message_dict)
    else:
        errors = {}
    if problems:
        errors["to"] = problems
    elif not numbers:
        errors["to"] = ["Enter at least one recipient."]
    if errors:
        raise InvalidMessage(errors)
    rows = [
        OutboundMessage(
            to=number,
            body=clean.body,
            media_url=clean.media_url,
            message_id=clean.message_id,
            message_type=clean.message_type,
            status=Status.QUEUED,
            next_attempt_at=send_at,
            source=source,
            created_by=created_by,
        )
        for number in numbers
    ]
    with transaction.atomic():
        created = OutboundMessage.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
        if created and created[0].pk is None:  # databases that return no ids from bulk inserts
            created = list(
                OutboundMessage.objects.filter(
                    created_by=created_by, body=clean.body, to__in=list(numbers)
                ).order_by("-pk")[: len(rows)]
            )
    logger.info("Queued %s texts in bulk", len(created))
    dispatch.schedule_bulk_delivery([message.pk for message in created], send_at)
    return created


def resend(message: OutboundMessage, *, by: AbstractBaseUser | None = None) -> OutboundMessage:
    """Queue a new message with the same content, linked to the original by ``resent_from``."""
    if message.status not in FINAL_STATUSES:
        raise AttentiveError(
            f"Text #{message.pk} is still {message.status}; resend it once it has an outcome, "
            "or cancel it first."
        )
    copy = send_message(
        message.to,
        message.body,
        media_url=message.media_url,
        message_id=message.message_id,
        transactional=message.is_transactional,
        source=message.source,
        created_by=by,
    )
    OutboundMessage.objects.filter(pk=copy.pk).update(
        resent_from=message, content_type=message.content_type, object_id=message.object_id
    )
    copy.resent_from = message
    copy.content_type, copy.object_id = message.content_type, message.object_id
    return copy


def cancel(message: OutboundMessage) -> OutboundMessage:
    """Stop a queued message from going out. Anything already sending or done is left alone."""
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, next_attempt_at=None, updated_at=timezone.now()
    )
    message.refresh_from_db()
    if not updated:
        raise AttentiveError(
            f"Text #{message.pk} is {message.status}; only queued texts can be cancelled."
        )
    logger.info("Cancelled text #%s", message.pk)
    return message


def due_messages() -> models.QuerySet[OutboundMessage]:
    """Queued messages whose time has come (``next_attempt_at`` unset or past)."""
    return OutboundMessage.objects.filter(status=Status.QUEUED).filter(
        models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=timezone.now())
    )


def claim(message_pk: int, *, holder: str | None = None) -> OutboundMessage | None:
    """Atomically take one due message for sending; None if another worker has it or not due."""
    now = timezone.now()
    holder = holder or worker_id()
    claimed = (
        due_messages()
        .filter(pk=message_pk)
        .update(status=Status.SENDING, claimed_at=now, claimed_by=holder, updated_at=now)
    )
    if not claimed:
        return None
    return OutboundMessage.objects.get(pk=message_pk)


def deliver_many(message_pks: Iterable[int]) -> int:
    """Deliver each message once, skipping any another worker holds; returns how many were sent."""
    backend = get_backend()
    sent = 0
    for pk in message_pks:
        message = claim(pk)
        if message is not None and attempt(message, backend=backend).status == Status.SENT:
            sent += 1
    return sent


def deliver(message_pk: int, *, backend: BaseBackend | None = None) -> OutboundMessage | None:
    """Claim one message and make one attempt to send it. Returns None if it was not claimable."""
    message = claim(message_pk)
    if message is None:
        return None
    return attempt(message, backend=backend or get_backend())


def attempt(message: OutboundMessage, *, backend: BaseBackend) -> OutboundMessage:
    """Send a claimed message once and record the attempt and its outcome together."""
    payload = build_payload(message)
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        outcome: SendResult | BaseException = backend.send(payload)
    except ConfigurationError as exc:
        return _release_unsent(message, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        outcome = exc
    duration_ms = int((time.monotonic() - clock) * 1000)
    decision = retry.decide(outcome, message.attempts)
    status_code = getattr(outcome, "status_code", None)
    response_body = getattr(outcome, "response_body", "") or ""
    now = timezone.now()
    with transaction.atomic():
        SendAttempt.objects.create(
            message=message,
            started_at=started_at,
            duration_ms=duration_ms,
            request=dict(payload),
            status_code=status_code,
            response_body=response_body[:RESPONSE_BODY_LIMIT],
            outcome=decision.outcome,
            error=decision.error,
        )
        message.status = decision.status
        message.attempts += 1 if decision.counts_as_attempt else 0
        message.next_attempt_at = retry.due_at(decision, now)
        message.last_error = decision.error
        message.claimed_at, message.claimed_by = None, ""
        if decision.status == Status.SENT:
            message.sent_at = now
        message.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "claimed_at",
                "claimed_by",
                "sent_at",
                "updated_at",
            ]
        )
    _announce(message, decision, outcome)
    return message


def _release_unsent(message: OutboundMessage, reason: str) -> OutboundMessage:
    """Put a claimed message back when no request could be made (e.g. no token configured)."""
    logger.error("Text #%s not sent: %s", message.pk, reason)
    now = timezone.now()
    message.status = Status.QUEUED
    message.next_attempt_at = now + timedelta(seconds=retry.auth_pause_seconds())
    message.last_error = reason
    message.claimed_at, message.claimed_by = None, ""
    message.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "last_error",
            "claimed_at",
            "claimed_by",
            "updated_at",
        ]
    )
    return message


def _announce(message: OutboundMessage, decision: retry.Decision, outcome: object) -> None:
    masked = mask_phone(message.to)
    error = mask_phones_in(decision.error)
    if decision.status == Status.SENT:
        logger.info("Sent text #%s to %s", message.pk, masked)
        signals.message_sent.send(sender=OutboundMessage, message=message)
    elif decision.outcome == Outcome.AUTH:
        logger.error("Attentive refused the API token; text #%s waits: %s", message.pk, error)
    elif decision.status == Status.QUEUED:
        logger.warning(
            "Text #%s to %s will be retried at %s: %s",
            message.pk,
            masked,
            message.next_attempt_at,
            error,
        )
        dispatch.schedule_delivery(message.pk, message.next_attempt_at)
    else:
        logger.warning("Text #%s to %s is %s: %s", message.pk, masked, decision.status, error)
        signals.message_failed.send(sender=OutboundMessage, message=message, error=outcome)


def recover_expired_claims() -> int:
    """Claims whose worker died mid-send become ``unconfirmed`` (queued with RETRY_AMBIGUOUS)."""
    cutoff = timezone.now() - timedelta(seconds=conf.lease_seconds())
    recovered = 0
    for pk in OutboundMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=cutoff
    ).values_list("pk", flat=True):
        recovered += _recover_one(pk, cutoff)
    return recovered


def _recover_one(pk: int, cutoff: datetime) -> int:
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(pk=pk, status=Status.SENDING, claimed_at__lt=cutoff)
            .first()
        )
        if message is None:
            return 0
        reason = (
            f"The worker {message.claimed_by} stopped while sending; Attentive may or may not "
            "have received the text."
        )
        decision = retry.decide(AmbiguousError(reason), message.attempts)
        now = timezone.now()
        SendAttempt.objects.create(
            message=message,
            started_at=message.claimed_at or now,
            request=dict(build_payload(message)),
            outcome=Outcome.WORKER_LOST,
            error=reason,
        )
        message.status = decision.status
        message.attempts += 1
        message.next_attempt_at = retry.due_at(decision, now)
        message.last_error = reason
        message.claimed_at, message.claimed_by = None, ""
        message.save()
    return 1


def record_failed(
    to: object,
    body: str,
    reason: str,
    *,
    transactional: bool = False,
    related: models.Model | None = None,
    source: str = Source.CODE,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Store a text that could not even be queued (no usable number, broken template) as failed.

    Nothing is sent; the row keeps the reason so an operator sees it in the admin.
    ``message_failed`` is sent once the surrounding transaction commits.
    """
    if idempotency_key and (existing := _existing(idempotency_key)) is not None:
        return existing
    max_to = OutboundMessage._meta.get_field("to").max_length
    message = OutboundMessage(
        to=str(to or "")[:max_to],
        body=body,
        message_type="TRANSACTIONAL" if transactional else "",
        status=Status.FAILED,
        last_error=reason,
        idempotency_key=idempotency_key or None,
        source=source,
        **_related_fields(related),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not idempotency_key:
            raise
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    logger.warning("Text #%s not queued: %s", message.pk, mask_phones_in(reason))
    error = AttentiveError(reason)
    transaction.on_commit(
        lambda: signals.message_failed.send(sender=OutboundMessage, message=message, error=error),
        robust=True,
    )
    return message
