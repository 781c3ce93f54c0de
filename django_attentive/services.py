"""The only code that creates OutboundMessage rows or changes their status."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from . import conf, custom_events, dispatch, retry, signals
from .backends import BaseBackend, SendResult, build_payload, get_backend
from .backends.base import Payload
from .exceptions import AmbiguousError, AttentiveError, ConfigurationError, InvalidMessage
from .models import Kind, OutboundMessage, Outcome, SendAttempt, Source, Status
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
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{threading.get_ident() % 100000}"


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
    stored = _insert_once(message)
    if stored is not message:
        return stored
    logger.info("Queued text #%s to %s", message.pk, mask_phone(message.to))
    dispatch.schedule_delivery(message.pk, send_at)
    return message


def _insert_once(message: OutboundMessage) -> OutboundMessage:
    """Save a new row; if its idempotency key is taken, return the row that holds it instead.

    Insert first and look up only on conflict, so a keyed send costs no extra query on the
    common path (order events must stay within 3 queries).
    """
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not message.idempotency_key:
            raise
        return OutboundMessage.objects.get(idempotency_key=message.idempotency_key)
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
    if message.is_event:
        copy = _resend_event(message, by)
    else:
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
        status=Status.CANCELLED,
        next_attempt_at=None,
        claimed_at=None,
        claimed_by="",
        updated_at=timezone.now(),
    )
    message.refresh_from_db()
    if not updated:
        raise AttentiveError(
            f"Text #{message.pk} is {message.status}; only queued texts can be cancelled."
        )
    logger.info("Cancelled text #%s", message.pk)
    return message


def due_messages() -> models.QuerySet[OutboundMessage]:
    """Queued messages whose time has come and that no live worker has reserved."""
    now = timezone.now()
    lease_start = now - timedelta(seconds=conf.lease_seconds())
    return OutboundMessage.objects.filter(
        models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
        models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=lease_start),
        status=Status.QUEUED,
    )


def claim_batch(limit: int, *, holder: str | None = None) -> list[OutboundMessage]:
    """Reserve up to ``limit`` due messages for this worker, oldest first.

    A reservation leaves the row ``queued`` (nothing was sent) with a lease; ``start`` turns it
    into ``sending`` just before the request. So a killed worker's unstarted reservations simply
    become due again when the lease ends, and only real in-flight sends become ``unconfirmed``.
    PostgreSQL and MySQL lock candidates with SKIP LOCKED so workers never wait on each other;
    elsewhere (SQLite) the conditional update decides who gets which row.
    """
    now = timezone.now()
    mark = f"{holder or worker_id()}#{uuid.uuid4().hex[:8]}"
    due = due_messages().order_by("pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            pks = list(due.values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        due_messages().filter(pk__in=pks).update(claimed_at=now, claimed_by=mark, updated_at=now)
    return list(
        OutboundMessage.objects.filter(pk__in=pks, status=Status.QUEUED, claimed_by=mark).order_by(
            "pk"
        )
    )


def start(messages: Sequence[OutboundMessage]) -> list[OutboundMessage]:
    """Turn reservations into ``sending`` just before their requests; returns those started.

    A message cancelled meanwhile, or whose lease ran out and was taken by another worker, is
    left out: its request must not be made.
    """
    now = timezone.now()
    started: list[OutboundMessage] = []
    for mark, pks in _by_mark(messages).items():
        mine = OutboundMessage.objects.filter(pk__in=pks, claimed_by=mark)
        count = mine.filter(status=Status.QUEUED).update(
            status=Status.SENDING, claimed_at=now, updated_at=now
        )
        if count == len(pks):
            ok = set(pks)
        else:
            ok = set(
                mine.filter(status=Status.SENDING, claimed_at=now).values_list("pk", flat=True)
            )
        started += [m for m in messages if m.pk in ok and m.claimed_by == mark]
    for message in started:
        message.status, message.claimed_at = Status.SENDING, now
    return started


def unstart(messages: Iterable[OutboundMessage]) -> int:
    """Back to ``queued`` for started messages whose request was never made (shutdown, pause)."""
    reverted = 0
    for mark, pks in _by_mark(messages).items():
        reverted += OutboundMessage.objects.filter(
            pk__in=pks, status=Status.SENDING, claimed_by=mark
        ).update(status=Status.QUEUED, claimed_at=None, claimed_by="", updated_at=timezone.now())
    return reverted


def release(messages: Iterable[OutboundMessage]) -> int:
    """Give back reservations that were never started (e.g. on shutdown), unchanged."""
    released = 0
    for mark, pks in _by_mark(messages).items():
        released += OutboundMessage.objects.filter(
            pk__in=pks, status=Status.QUEUED, claimed_by=mark
        ).update(claimed_at=None, claimed_by="", updated_at=timezone.now())
    return released


def _by_mark(messages: Iterable[OutboundMessage]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for message in messages:
        groups.setdefault(message.claimed_by, []).append(message.pk)
    return groups


def claim(message_pk: int, *, holder: str | None = None) -> OutboundMessage | None:
    """Atomically take one due message straight to ``sending``; None if another worker has it
    or it is not due."""
    now = timezone.now()
    claimed = (
        due_messages()
        .filter(pk=message_pk)
        .update(
            status=Status.SENDING, claimed_at=now, claimed_by=holder or worker_id(), updated_at=now
        )
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
        if message is not None and attempt(message, backend=backend).outcome == Outcome.SENT:
            sent += 1
    return sent


def deliver(message_pk: int, *, backend: BaseBackend | None = None) -> OutboundMessage | None:
    """Claim one message and make one attempt to send it. Returns None if it was not claimable."""
    message = claim(message_pk)
    if message is None:
        return None
    return attempt(message, backend=backend or get_backend()).message


@dataclass(frozen=True)
class Delivery:
    """One attempt's result: the message as it now stands and the attempt's outcome."""

    message: OutboundMessage
    outcome: str  # an Outcome value, or "" when no request could be made


def attempt(message: OutboundMessage, *, backend: BaseBackend) -> Delivery:
    """Send a claimed message once and record the attempt and its outcome together."""
    return record([transmit(message, backend=backend)])[0]


@dataclass(frozen=True)
class SendReport:
    """What one request did, before it is written down."""

    message: OutboundMessage
    payload: Payload
    started_at: datetime
    duration_ms: int
    outcome: SendResult | BaseException


def transmit(message: OutboundMessage, *, backend: BaseBackend) -> SendReport:
    """Make the HTTP request for a message in ``sending``; nothing is written here."""
    payload = backend.build_payload(message)
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        outcome: SendResult | BaseException = backend.send_payload(message, payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        outcome = exc
    duration_ms = int((time.monotonic() - clock) * 1000)
    return SendReport(message, payload, started_at, duration_ms, outcome)


def record(reports: Sequence[SendReport]) -> list[Delivery]:
    """Write each report's SendAttempt and the message's new state, all in one transaction.

    The worker batches reports from many sending threads here, so a busy worker commits once
    per batch instead of once per message.
    """
    now = timezone.now()
    unsent = [r for r in reports if isinstance(r.outcome, ConfigurationError)]
    written = [r for r in reports if not isinstance(r.outcome, ConfigurationError)]
    pairs = [(r, retry.decide(r.outcome, r.message.attempts)) for r in written]
    with transaction.atomic():
        SendAttempt.objects.bulk_create([_attempt_row(report, choice) for report, choice in pairs])
        _apply(pairs, now)
    deliveries = {}
    for report, decision in pairs:
        _announce(report.message, decision, report.outcome)
        deliveries[id(report)] = Delivery(report.message, decision.outcome)
    for report in unsent:
        deliveries[id(report)] = Delivery(_release_unsent(report.message, str(report.outcome)), "")
    return [deliveries[id(report)] for report in reports]


def _attempt_row(report: SendReport, decision: retry.Decision) -> SendAttempt:
    response_body = getattr(report.outcome, "response_body", "") or ""
    return SendAttempt(
        message=report.message,
        started_at=report.started_at,
        duration_ms=report.duration_ms,
        request=dict(report.payload),
        status_code=getattr(report.outcome, "status_code", None),
        response_body=response_body[:RESPONSE_BODY_LIMIT],
        outcome=decision.outcome,
        error=decision.error,
    )


def _apply(pairs: list[tuple[SendReport, retry.Decision]], now: datetime) -> None:
    """Write the new states with one UPDATE per distinct outcome (one for a batch of 200s)."""
    groups: dict[retry.Decision, list[OutboundMessage]] = {}
    for report, decision in pairs:
        groups.setdefault(decision, []).append(report.message)
    for decision, messages in groups.items():
        next_attempt_at = retry.due_at(decision, now)
        sent_at = now if decision.status == Status.SENT else None
        step = 1 if decision.counts_as_attempt else 0
        OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=decision.status,
            attempts=models.F("attempts") + step,
            next_attempt_at=next_attempt_at,
            last_error=decision.error,
            claimed_at=None,
            claimed_by="",
            sent_at=sent_at or models.F("sent_at"),
            updated_at=now,
        )
        for message in messages:
            message.status, message.attempts = decision.status, message.attempts + step
            message.next_attempt_at, message.last_error = next_attempt_at, decision.error
            message.claimed_at, message.claimed_by = None, ""
            message.sent_at, message.updated_at = sent_at or message.sent_at, now


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
        logger.warning("Text #%s waits for a working API token: %s", message.pk, error)
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
            request=dict(_payload_for_log(message)),
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
    kind: str = Kind.TEXT,
    event: dict[str, object] | None = None,
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
        kind=kind,
        event=event or {},
        **_related_fields(related),
    )
    stored = _insert_once(message)
    if stored is not message:
        return stored
    logger.warning("Text #%s not queued: %s", message.pk, mask_phones_in(reason))
    error = AttentiveError(reason)
    transaction.on_commit(
        lambda: signals.message_failed.send(sender=OutboundMessage, message=message, error=error),
        robust=True,
    )
    return message


# ---------------------------------------------------------------- custom events


def send_custom_event(
    to: str,
    event_type: str,
    properties: dict[str, object] | None = None,
    *,
    occurred_at: datetime | None = None,
    external_event_id: str | None = None,
    transactional: bool = True,
    idempotency_key: str | None = None,
    related: models.Model | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
) -> OutboundMessage:
    """Queue a custom event (``POST /v1/events/custom``) like a text: same outbox, retries, admin.

    Its ``externalEventId`` is ``external_event_id``, else ``idempotency_key``, else a new
    id; the same ``idempotency_key`` twice returns the first event and posts nothing new.
    """
    clean = custom_events.validate_event(to, event_type, properties, occurred_at)
    if source not in Source.values:
        raise InvalidMessage({"source": [f"Use one of {', '.join(Source.values)}."]})
    message = OutboundMessage(
        to=clean.to,
        body=clean.type,
        message_type="TRANSACTIONAL" if transactional else "",
        status=Status.QUEUED,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,
        kind=Kind.CUSTOM_EVENT,
        event={
            "type": clean.type,
            "properties": clean.properties,
            "externalEventId": external_event_id or idempotency_key or uuid.uuid4().hex,
            "occurredAt": clean.occurred_at,
        },
        **_related_fields(related),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        if not idempotency_key:
            raise
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    logger.info("Queued custom event #%s (%s) for %s", message.pk, clean.type, mask_phone(clean.to))
    dispatch.schedule_delivery(message.pk, None)
    return message


def _resend_event(message: OutboundMessage, by: AbstractBaseUser | None) -> OutboundMessage:
    """A deliberate resend is a new event: Attentive would drop a repeated externalEventId."""
    event = message.event or {}
    original_id = str(event.get("externalEventId") or f"message:{message.pk}")
    return send_custom_event(
        message.to,
        str(event.get("type") or message.body),
        dict(event.get("properties") or {}),
        external_event_id=f"{original_id}:resend:{uuid.uuid4().hex[:8]}",
        transactional=message.is_transactional,
        source=message.source,
        created_by=by,
    )


def _payload_for_log(message: OutboundMessage) -> Payload:
    """What the configured transport sends for ``message`` (the Messages shape if it is broken)."""
    try:
        return get_backend().build_payload(message)
    except ConfigurationError:
        return build_payload(message)
