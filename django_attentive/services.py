"""The only code that creates OutboundMessage rows or changes their status."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery
from django.dispatch import Signal
from django.utils import timezone

from . import conf, custom_events, dispatch, gate, quiet_hours, retry, signals
from .backends import BaseBackend, SendResult, build_payload, get_backend
from .backends.base import Payload
from .backends.http import TOKEN_REFUSED
from .exceptions import (
    AmbiguousError,
    AttentiveError,
    BadRequest,
    ConfigurationError,
    InvalidMessage,
    RecipientError,
)
from .keys import MAX_LENGTH as MAX_KEY_LENGTH
from .models import (
    Kind,
    OutboundMessage,
    Outcome,
    SendAttempt,
    Source,
    Status,
    Suppression,
    SuppressionReason,
    WebhookEvent,
)
from .privacy import mask_phone, mask_phones_in
from .sqlite_limits import real_parameter_limit
from .validation import CleanMessage, normalize_phone, validate_message

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
    _check_origin(source, idempotency_key)
    admission = _admit(clean.to, transactional, send_at, None)
    next_attempt_at = admission[1]
    message = _text_row(
        clean,
        clean.to,
        admission,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,
        **_related_fields(related),
    )
    stored = _insert_once(message, screened=True)
    if stored is not message or message.status == Status.SUPPRESSED:
        return stored
    logger.info("Queued text #%s to %s", message.pk, mask_phone(message.to))
    dispatch.schedule_delivery(message.pk, next_attempt_at)
    return message


def _text_row(
    clean: CleanMessage,
    to: str,
    admission: tuple[str, datetime | None, str],
    **origin: object,
) -> OutboundMessage:
    """An unsaved text row: the validated content, its admission (status, when, note)."""
    status, next_attempt_at, note = admission
    return OutboundMessage(
        to=to,
        body=clean.body,
        media_url=clean.media_url,
        message_id=clean.message_id,
        message_type=clean.message_type,
        status=status,
        next_attempt_at=next_attempt_at,
        last_error=note,
        **origin,
    )


def _insert_once(message: OutboundMessage, *, screened: bool = False) -> OutboundMessage:
    """Save a new row; if its idempotency key is taken, return the row that holds it instead.

    A keyed row is inserted with ON CONFLICT DO NOTHING and read back, so no savepoint is
    needed inside the caller's transaction. With ``screened`` the read-back also looks the
    number up on the suppression list, and a listed number's new row becomes ``suppressed``:
    an order event costs 2 queries, 3 with its template not yet cached.
    """
    if message.idempotency_key:
        OutboundMessage.objects.bulk_create([message], ignore_conflicts=True)
        rows = OutboundMessage.objects.filter(idempotency_key=message.idempotency_key)
        if screened:
            listed = Suppression.objects.filter(number=OuterRef("to")).values("pk")[:1]
            rows = rows.annotate(listed=Subquery(listed))
        stored = rows.get()
        if stored.created_at != message.created_at or stored.body != message.body:
            return stored  # the key was used before
        message.pk = stored.pk
        message._state.adding = False
        suppression_pk = getattr(stored, "listed", None)
    else:
        message.save()
        suppression_pk = (
            Suppression.objects.filter(number=message.to).values_list("pk", flat=True).first()
            if screened
            else None
        )
    if suppression_pk is not None and message.status == Status.QUEUED:
        suppression = Suppression.objects.get(pk=suppression_pk)
        _mark_suppressed(message, suppression)
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
    idempotency_key: str | None = None,
) -> list[OutboundMessage]:
    """Queue one text to each recipient in a few queries; duplicates (after E.164) collapse.

    Any invalid number raises InvalidMessage listing every bad one, and nothing is saved.
    Delivery goes through the task queue in chunks (see dispatch.schedule_bulk_delivery).
    With ``idempotency_key``, each text's key is ``<idempotency_key>:<E.164 number>``: a
    number that already has its text gets that message back, and nothing new is sent to it.
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
    try:
        _check_origin(source)
    except InvalidMessage as exc:
        errors.update(exc.message_dict)
    errors.update(_bulk_key_errors(idempotency_key))
    if errors:
        raise InvalidMessage(errors)
    keys = {number: f"{idempotency_key}:{number}" for number in numbers} if idempotency_key else {}
    with real_parameter_limit():
        earlier = _existing_by_key(keys.values())
        suppressed = suppressions_for(n for n in numbers if keys.get(n) not in earlier)
    rows = [
        _text_row(
            clean,
            number,
            _admit(number, transactional, send_at, suppressed.get(number)),
            source=source,
            created_by=created_by,
            idempotency_key=keys.get(number),
        )
        for number in numbers
        if keys.get(number) not in earlier
    ]
    if keys:
        return _insert_keyed(rows, keys, earlier)
    with transaction.atomic(), real_parameter_limit():
        created = OutboundMessage.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE)
        if created and created[0].pk is None:  # databases that return no ids from bulk inserts
            created = list(
                OutboundMessage.objects.filter(
                    created_by=created_by, body=clean.body, to__in=list(numbers)
                ).order_by("-pk")[: len(rows)]
            )
    logger.info("Queued %s texts in bulk (%s suppressed)", len(created), len(suppressed))
    _schedule_bulk(created)
    return created


def _schedule_bulk(created: list[OutboundMessage]) -> None:
    dispatch.schedule_in_waves(
        (message.pk, message.next_attempt_at)
        for message in created
        if message.status == Status.QUEUED
    )


def _bulk_key_errors(idempotency_key: str | None) -> dict[str, list[str]]:
    """The key prefix must leave room for ``:`` and the longest E.164 number (16 characters)."""
    room = OutboundMessage._meta.get_field("idempotency_key").max_length - 17
    if idempotency_key and len(idempotency_key) > room:
        return {"idempotency_key": [f"Use at most {room} characters for a bulk send's key."]}
    return {}


def _existing_by_key(keys: Iterable[str]) -> dict[str, OutboundMessage]:
    """The messages holding these idempotency keys, by key."""
    return _rows_by(OutboundMessage.objects.all(), "idempotency_key", keys)


def _rows_by(queryset: models.QuerySet, field_name: str, values: Iterable[str]) -> dict:
    """The rows whose ``field_name`` is one of ``values``, by that value, in as few
    ``IN (...)`` queries as the database allows."""
    wanted = list(dict.fromkeys(values))
    size = min(LOOKUP_CHUNK, connection.features.max_query_params or 1_000_000)
    found = {}
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        rows = queryset.filter(**{f"{field_name}__in": chunk})
        found.update((getattr(row, field_name), row) for row in rows)
    return found


def _insert_keyed(
    rows: list[OutboundMessage], keys: dict[str, str], earlier: dict[str, OutboundMessage]
) -> list[OutboundMessage]:
    """Insert keyed bulk rows, skipping keys taken meanwhile; every number's message, in order.

    A concurrent send with the same keys (a double click) inserts each row once: the loser's
    rows are dropped by ON CONFLICT DO NOTHING, and only rows this call inserted are queued.
    """
    with transaction.atomic(), real_parameter_limit():
        OutboundMessage.objects.bulk_create(rows, batch_size=BULK_BATCH_SIZE, ignore_conflicts=True)
        stored = {**earlier, **_existing_by_key(row.idempotency_key for row in rows)}
    messages = [stored[key] for key in keys.values()]
    mine = {row.idempotency_key: row.created_at for row in rows}
    new = [m for m in messages if mine.get(m.idempotency_key) == m.created_at]
    logger.info("Queued %s texts in bulk (%s queued before)", len(new), len(keys) - len(new))
    _schedule_bulk(new)
    return messages


def resend(
    message: OutboundMessage,
    *,
    by: AbstractBaseUser | None = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Queue a new message with the same content, linked to the original by ``resent_from``.

    The same ``idempotency_key`` twice returns the first copy and queues nothing new.
    """
    if message.status not in FINAL_STATUSES:
        raise AttentiveError(
            f"Text #{message.pk} is still {message.status}; resend it once it has an outcome, "
            "or cancel it first."
        )
    if message.is_event:
        copy = _resend_event(message, by, idempotency_key)
    else:
        copy = send_message(
            message.to,
            message.body,
            media_url=message.media_url,
            message_id=message.message_id,
            transactional=message.is_transactional,
            idempotency_key=idempotency_key,
            source=message.source,
            created_by=by,
        )
    OutboundMessage.objects.filter(pk=copy.pk).update(
        resent_from=message, content_type=message.content_type, object_id=message.object_id
    )
    copy.resent_from = message
    copy.content_type, copy.object_id = message.content_type, message.object_id
    return copy


@dataclass
class Resends:
    """What ``resend_many`` did: the new copies, and each message it left alone with the error."""

    copies: list[OutboundMessage] = field(default_factory=list)
    refused: list[tuple[OutboundMessage, AttentiveError]] = field(default_factory=list)


def resend_many(
    messages: Iterable[OutboundMessage],
    *,
    by: AbstractBaseUser | None = None,
    key_prefix: str | None = None,
) -> Resends:
    """``resend`` each message in one transaction, handing delivery to the task queue in bulk.

    A message ``resend`` refuses (still pending, or no longer valid, e.g. braces on the
    text/send API) is left out and reported; the others are resent. As with ``send_bulk``,
    nothing is sent inside the caller, even under Django's ImmediateBackend. With
    ``key_prefix`` each copy's idempotency key is ``<key_prefix>:<original pk>``: the same call
    again returns the first copies and queues nothing new.
    """
    resends = Resends()
    with transaction.atomic(), dispatch.gathered_deliveries():
        for message in messages:
            key = f"{key_prefix}:{message.pk}" if key_prefix else None
            try:
                resends.copies.append(resend(message, by=by, idempotency_key=key))
            except AttentiveError as exc:  # raised before resend writes anything
                resends.refused.append((message, exc))
    return resends


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
    return screen(
        list(
            OutboundMessage.objects.filter(
                pk__in=pks, status=Status.QUEUED, claimed_by=mark
            ).order_by("pk")
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
    return _give_back(messages, Status.SENDING)


def release(messages: Iterable[OutboundMessage]) -> int:
    """Give back reservations that were never started (e.g. on shutdown), unchanged."""
    return _give_back(messages, Status.QUEUED)


def _give_back(messages: Iterable[OutboundMessage], status: str) -> int:
    """Drop this worker's hold on messages still in ``status``: queued, with no lease."""
    given_back = 0
    for mark, pks in _by_mark(messages).items():
        given_back += OutboundMessage.objects.filter(
            pk__in=pks, status=status, claimed_by=mark
        ).update(status=Status.QUEUED, claimed_at=None, claimed_by="", updated_at=timezone.now())
    return given_back


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
    message = OutboundMessage.objects.get(pk=message_pk)
    if screen([message]):
        return message
    if message.status == Status.QUEUED:  # held for quiet hours: a task picks it up then
        dispatch.schedule_delivery(message.pk, message.next_attempt_at)
    return None


def deliver_many(message_pks: Iterable[int]) -> int:
    """Deliver each message once, skipping any another worker holds; returns how many were sent.

    While Attentive refuses the token the rest stay ``queued`` for ``attentive_send_queued``.
    """
    backend = get_backend()
    sent = 0
    for pk in message_pks:
        if not _gate_open():
            break
        gate.bucket().acquire()  # before the claim: a text is `sending` only while it is sent
        message = claim(pk)
        if message is not None and _gated_attempt(message, backend).outcome == Outcome.SENT:
            sent += 1
    return sent


def deliver(message_pk: int, *, backend: BaseBackend | None = None) -> OutboundMessage | None:
    """Claim one message and make one attempt to send it. Returns None if it was not claimable,
    or if Attentive refused the token a moment ago (the message waits, still ``queued``)."""
    if not _gate_open():
        return None
    gate.bucket().acquire()
    message = claim(message_pk)
    if message is None:
        return None
    return _gated_attempt(message, backend or get_backend()).message


def _gate_open() -> bool:
    """Task deliveries share this process's auth pause; a new token ends it and frees holds."""
    if gate.circuit.token_replaced():
        release_token_holds()
    return not gate.circuit.remaining()


def _gated_attempt(message: OutboundMessage, backend: BaseBackend) -> Delivery:
    delivery = attempt(message, backend=backend)
    if delivery.outcome == Outcome.AUTH:
        gate.circuit.trip()
    elif delivery.outcome == Outcome.SENT:
        gate.circuit.reset()
    return delivery


def release_token_holds() -> int:
    """Texts waiting only because the token was refused or unusable become due now.

    Called when a new token is seen (a worker starts, or the setting changed), so a fixed
    token sends them at once; with the same bad token the first request trips the pause again.
    """
    now = timezone.now()
    return OutboundMessage.objects.filter(
        models.Q(last_error__startswith=TOKEN_REFUSED)
        | models.Q(last_error__startswith=conf.TOKEN_SETTING),
        status=Status.QUEUED,
        next_attempt_at__gt=now,
    ).update(next_attempt_at=now, updated_at=now)


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
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        payload = backend.build_payload(message)
    except Exception as exc:  # noqa: BLE001 - e.g. a body this transport cannot carry
        # Nothing left this machine, and the same message would fail the same way again.
        error = BadRequest(f"Could not build the request for {type(backend).__name__}: {exc}")
        return SendReport(message, {}, started_at, 0, error)
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
    pairs = [(r, _decide(r)) for r in written]
    with transaction.atomic():
        SendAttempt.objects.bulk_create([_attempt_row(report, choice) for report, choice in pairs])
        late = _apply(pairs, now)
        _suppress_rejected([report for report in written if _is_recipient_refusal(report)])
        for report in unsent:
            _release_unsent(report.message, str(report.outcome))
    # Committed: from here on nothing may raise, or a caller would record these twice.
    deliveries = {id(report): Delivery(report.message, "") for report in unsent}
    for report, decision in pairs:
        if report.message.pk not in late:
            _announce(report.message, decision, report.outcome)
        deliveries[id(report)] = Delivery(report.message, decision.outcome)
    return [deliveries[id(report)] for report in reports]


def _notify(signal: Signal, message: OutboundMessage, **kwargs: object) -> None:
    """Send ``message_sent`` / ``message_failed``; a receiver that raises is logged, and
    neither undoes what was recorded nor stops delivery."""
    for receiver, result in signal.send_robust(sender=OutboundMessage, message=message, **kwargs):
        if isinstance(result, Exception):
            logger.error(
                "A signal receiver (%s) failed for text #%s",
                getattr(receiver, "__qualname__", receiver),
                message.pk,
                exc_info=result,
            )


def _attempt_row(report: SendReport, decision: retry.Decision) -> SendAttempt:
    response_body = _storable(getattr(report.outcome, "response_body", "") or "")
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


def _apply(pairs: list[tuple[SendReport, retry.Decision]], now: datetime) -> set[int]:
    """Write the new states with one UPDATE per distinct outcome (one for a batch of 200s).

    Only rows still ``sending`` under this claim change. Returns the pks that were not:
    recorded after their lease ran out, recovery has already settled them (their attempt is
    still written, so the send log shows what really happened).
    """
    groups: dict[tuple[retry.Decision, str], list[OutboundMessage]] = {}
    for report, decision in pairs:
        groups.setdefault((decision, report.message.claimed_by), []).append(report.message)
    late: set[int] = set()
    for (decision, mark), messages in groups.items():
        next_attempt_at = retry.due_at(decision, now)
        sent_at = now if decision.status == Status.SENT else None
        step = 1 if decision.counts_as_attempt else 0
        mine = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in messages], status=Status.SENDING, claimed_by=mark
        )
        updated = mine.update(
            status=decision.status,
            attempts=models.F("attempts") + step,
            next_attempt_at=next_attempt_at,
            last_error=decision.error,
            claimed_at=None,
            claimed_by="",
            sent_at=sent_at or models.F("sent_at"),
            updated_at=now,
        )
        if updated < len(messages):
            late |= _late_records(messages, now, decision)
        for message in messages:
            if message.pk in late:
                continue
            message.status, message.attempts = decision.status, message.attempts + step
            message.next_attempt_at, message.last_error = next_attempt_at, decision.error
            message.claimed_at, message.claimed_by = None, ""
            message.sent_at, message.updated_at = sent_at or message.sent_at, now
    return late


def _late_records(
    messages: list[OutboundMessage], now: datetime, decision: retry.Decision
) -> set[int]:
    """The messages of a group whose row was no longer this claim's (see ``_apply``)."""
    pks = [m.pk for m in messages]
    updated = set(
        OutboundMessage.objects.filter(pk__in=pks, updated_at=now).values_list("pk", flat=True)
    )
    late = set(pks) - updated
    if decision.status == Status.SENT and late:
        late -= _settle_late_sends(late, now)
    for pk in sorted(late):
        logger.warning(
            "Text #%s: an attempt (%s) was recorded after its lease ran out; the send log has "
            "it, and the message keeps the state recovery gave it",
            pk,
            decision.outcome,
        )
    return late


def _settle_late_sends(pks: set[int], now: datetime) -> set[int]:
    """Recovery guessed "maybe sent"; a late 200 says sent. Unless another worker has taken
    the message up again since, it becomes ``sent``, so no resend is invited. Returns those."""
    recovered = OutboundMessage.objects.filter(
        pk__in=pks, status__in=[Status.UNCONFIRMED, Status.QUEUED], claimed_by=""
    )
    settled = set(recovered.values_list("pk", flat=True))
    recovered.filter(pk__in=settled).update(
        status=Status.SENT, next_attempt_at=None, last_error="", sent_at=now, updated_at=now
    )
    return settled


def _release_unsent(message: OutboundMessage, reason: str) -> OutboundMessage:
    """Put a claimed message back when no request could be made (e.g. no token configured)."""
    logger.error("Text #%s not sent: %s", message.pk, mask_phones_in(reason))
    next_attempt_at = timezone.now() + timedelta(seconds=retry.auth_pause_seconds())
    _settle(message, Status.QUEUED, next_attempt_at=next_attempt_at, last_error=reason)
    return message


def _settle(message: OutboundMessage, status: str, **changes: object) -> None:
    """Move a message this process holds (in the status it had when read) to ``status``,
    dropping its lease; a row someone else has changed meanwhile is left alone."""
    fields = {"status": status, "claimed_at": None, "claimed_by": "", **changes}
    OutboundMessage.objects.filter(
        pk=message.pk, status=message.status, claimed_by=message.claimed_by
    ).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(message, name, value)


def _announce(message: OutboundMessage, decision: retry.Decision, outcome: object) -> None:
    masked = mask_phone(message.to)
    error = mask_phones_in(decision.error)
    if decision.status == Status.SENT:
        logger.info("Sent text #%s to %s", message.pk, masked)
        _notify(signals.message_sent, message)
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
        _notify(signals.message_failed, message, error=outcome)


def recover_expired_claims() -> int:
    """Claims whose worker died mid-send become ``unconfirmed`` (queued with RETRY_AMBIGUOUS).

    ``message_failed`` is sent for each one that ends ``unconfirmed``, as after a read timeout.
    """
    cutoff = timezone.now() - timedelta(seconds=conf.lease_seconds())
    recovered = 0
    for pk in OutboundMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=cutoff
    ).values_list("pk", flat=True):
        if (message := _recover_one(pk, cutoff)) is not None:
            recovered += 1
            if message.status == Status.UNCONFIRMED:
                error = AmbiguousError(message.last_error)
                _notify(signals.message_failed, message, error=error)
    return recovered


def _recover_one(pk: int, cutoff: datetime) -> OutboundMessage | None:
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(pk=pk, status=Status.SENDING, claimed_at__lt=cutoff)
            .first()
        )
        if message is None:
            return None
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
    return message


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
        lambda: _notify(signals.message_failed, message, error=error),
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
    _check_origin(source, idempotency_key)
    status, next_attempt_at, note = _admit(clean.to, transactional, None, None)
    message = OutboundMessage(
        to=clean.to,
        body=clean.type,
        message_type="TRANSACTIONAL" if transactional else "",
        status=status,
        next_attempt_at=next_attempt_at,
        last_error=note,
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
    stored = _insert_once(message, screened=True)
    if stored is not message or message.status == Status.SUPPRESSED:
        return stored
    logger.info("Queued custom event #%s (%s) for %s", message.pk, clean.type, mask_phone(clean.to))
    dispatch.schedule_delivery(message.pk, next_attempt_at)
    return message


def _resend_event(
    message: OutboundMessage, by: AbstractBaseUser | None, idempotency_key: str | None = None
) -> OutboundMessage:
    """A deliberate resend is a new event: Attentive would drop a repeated externalEventId."""
    event = message.event or {}
    original_id = str(event.get("externalEventId") or f"message:{message.pk}")
    return send_custom_event(
        message.to,
        str(event.get("type") or message.body),
        dict(event.get("properties") or {}),
        external_event_id=f"{original_id}:resend:{uuid.uuid4().hex[:8]}",
        transactional=message.is_transactional,
        idempotency_key=idempotency_key,
        source=message.source,
        created_by=by,
    )


def _payload_for_log(message: OutboundMessage) -> Payload:
    """What the configured transport sends for ``message`` (the Messages shape if it is broken)."""
    try:
        return get_backend().build_payload(message)
    except ConfigurationError:
        return build_payload(message)


# Compliance: the suppression list, quiet hours and retention (issue #7).

LOOKUP_CHUNK = 5000  # values per IN (...) query, unless the database allows fewer
PURGE_BATCH_SIZE = 1000


def suppressions_for(numbers: Iterable[str]) -> dict[str, Suppression]:
    """The suppression list entries for these E.164 numbers, by number."""
    return _rows_by(Suppression.objects.all(), "number", numbers)


def suppressed_reason(suppression: Suppression) -> str:
    """What a suppressed message's ``last_error`` says: why, since when, and what to do."""
    since = suppression.created_at.astimezone(UTC)
    origin = f"; {suppression.source}" if suppression.source else ""
    return (
        f"Not sent: the number is on the suppression list since {since:%Y-%m-%d %H:%M} UTC "
        f"({suppression.get_reason_display().lower()}{origin}). Remove it from the list to "
        "text it again."
    )


def quiet_hold(to: str, transactional: bool, due: datetime) -> tuple[datetime, str] | None:
    """When a text due at ``due`` falls in the recipient's quiet hours: when it may go, and why.

    None when it may go at ``due``: transactional texts are never held.
    """
    window = conf.quiet_hours()
    if transactional or window is None:
        return None
    naive = timezone.is_naive(due)  # a project with USE_TZ = False
    try:
        allowed = quiet_hours.allowed_at(to, timezone.make_aware(due) if naive else due, window)
        if naive:
            allowed = timezone.make_naive(allowed)
    except OverflowError:  # at the calendar's very end: no morning left to wait for
        return None
    if allowed <= due:
        return None
    note = (
        f"Held for quiet hours ({quiet_hours.describe(to, window)}) until "
        f"{allowed:%Y-%m-%d %H:%M} UTC."
    )
    return allowed, note


def _check_origin(source: str, idempotency_key: str | None = None) -> None:
    """``source`` must be a known one, and a key must fit its column."""
    errors = {}
    if source not in Source.values:
        errors["source"] = [f"Use one of {', '.join(Source.values)}."]
    if idempotency_key and len(idempotency_key) > MAX_KEY_LENGTH:
        errors["idempotency_key"] = [
            f"Use at most {MAX_KEY_LENGTH} characters (a hash of a longer key works)."
        ]
    if errors:
        raise InvalidMessage(errors)


def _admit(
    to: str, transactional: bool, send_at: datetime | None, suppression: Suppression | None
) -> tuple[str, datetime | None, str]:
    """A new message's status, ``next_attempt_at`` and note: suppressed, held, or as asked."""
    if suppression is not None:
        return Status.SUPPRESSED, None, suppressed_reason(suppression)
    send_at = _project_time(send_at)
    now = timezone.now()
    due = send_at if send_at is not None and send_at > now else now
    hold = quiet_hold(to, transactional, due)
    if hold is not None:
        return Status.QUEUED, hold[0], hold[1]
    return Status.QUEUED, send_at, ""


def _project_time(moment: datetime | None) -> datetime | None:
    """``send_at`` as the project stores times: a naive one is read in the current time zone
    (as Django's forms do); with USE_TZ = False an aware one becomes naive."""
    if moment is None:
        return None
    if settings.USE_TZ and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    if not settings.USE_TZ and timezone.is_aware(moment):
        return timezone.make_naive(moment)
    return moment


def screen(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Right before sending: suppress what is on the list now, hold what is in quiet hours.

    Returns the messages still cleared to go. The others change state here without any
    request, so no SendAttempt is written: a held message is ``queued`` again, its lease
    dropped and ``next_attempt_at`` set to when the window opens; a suppressed one is final.
    This catches what send time could not: a retry falling due at night, a number suppressed
    after its text was queued.
    """
    if not messages:
        return []
    now = timezone.now()
    suppressed = suppressions_for(m.to for m in messages)
    cleared: list[OutboundMessage] = []
    holds: dict[tuple[datetime, str], list[OutboundMessage]] = {}
    for message in messages:
        if message.to in suppressed:
            _mark_suppressed(message, suppressed[message.to])
        elif hold := quiet_hold(message.to, message.is_transactional, now):
            holds.setdefault(hold, []).append(message)
        else:
            cleared.append(message)
    for (until, note), held in holds.items():
        _hold(held, until, note, now)
    return cleared


def _mark_suppressed(message: OutboundMessage, suppression: Suppression) -> None:
    note = suppressed_reason(suppression)
    _settle(message, Status.SUPPRESSED, next_attempt_at=None, last_error=note)
    logger.info("Text #%s to %s is suppressed; not sent", message.pk, mask_phone(message.to))


def _hold(messages: list[OutboundMessage], until: datetime, note: str, now: datetime) -> None:
    for mark, pks in _by_mark(messages).items():
        OutboundMessage.objects.filter(
            pk__in=pks, status__in=[Status.QUEUED, Status.SENDING], claimed_by=mark
        ).update(
            status=Status.QUEUED,
            next_attempt_at=until,
            last_error=note,
            claimed_at=None,
            claimed_by="",
            updated_at=now,
        )
    for message in messages:
        message.status, message.next_attempt_at, message.last_error = Status.QUEUED, until, note
        message.claimed_at, message.claimed_by = None, ""
    logger.info("%s texts held for quiet hours until %s", len(messages), until)


def _decide(report: SendReport) -> retry.Decision:
    decision = retry.decide(report.outcome, report.message.attempts)
    error = _storable(decision.error)
    if _is_recipient_refusal(report):
        error = f"{error}; added to the suppression list"
    return replace(decision, error=error)


def _storable(text: str) -> str:
    """Text from Attentive or an exception as a database can keep it (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "\\x00")


def _is_recipient_refusal(report: SendReport) -> bool:
    return isinstance(report.outcome, RecipientError) and report.outcome.status_code in (400, 404)


def suppression_reason_for(error: RecipientError) -> str:
    """A 404 or a 400 "not found" is ``not_found``; any other refused recipient opted out."""
    if error.status_code == 404 or "not found" in str(error).lower():
        return SuppressionReason.NOT_FOUND
    return SuppressionReason.OPTED_OUT


def _suppress_rejected(reports: list[SendReport]) -> None:
    """Add the numbers Attentive refused (400 opted out / not found, 404) to the list.

    Runs inside ``record``'s transaction, so the failed status and the suppression commit
    together; a number already on the list keeps its first entry, which now knows of this
    later opt-out (see ``_seen_opted_out``).
    """
    if not reports:
        return
    now = timezone.now()  # new entries' own last_opted_out_at (their default) is later
    entries = {}
    for report in reports:
        error = report.outcome
        assert isinstance(error, RecipientError)
        entries[report.message.to] = Suppression(
            number=report.message.to,
            reason=suppression_reason_for(error),
            source=f"Attentive answered {error.status_code} to text #{report.message.pk}",
            note=_storable(str(error))[:1000],
        )
    Suppression.objects.bulk_create(entries.values(), ignore_conflicts=True)
    listed = suppressions_for(entries)
    _seen_opted_out(listed.values(), now)
    _suppress_queued(listed)
    for number in entries:
        logger.warning("Suppressed %s: Attentive refused it", mask_phone(number))


def _suppress_queued(suppressions: dict[str, Suppression]) -> int:
    """Queued texts to these numbers become ``suppressed`` (a reserved one is never started)."""
    now = timezone.now()
    stopped = 0
    for number, suppression in suppressions.items():
        stopped += OutboundMessage.objects.filter(to=number, status=Status.QUEUED).update(
            status=Status.SUPPRESSED,
            next_attempt_at=None,
            last_error=suppressed_reason(suppression),
            claimed_at=None,
            claimed_by="",
            updated_at=now,
        )
    return stopped


def _seen_opted_out(suppressions: Iterable[Suppression], at: datetime) -> None:
    """Entries that knew of an earlier opt-out only now know of the one at ``at``.

    An sms.subscribed event lifts an entry only when it is newer than this (see webhooks.py).
    """
    stale = [entry for entry in suppressions if entry.last_opted_out_at < at]
    if stale:
        Suppression.objects.filter(
            pk__in=[entry.pk for entry in stale], last_opted_out_at__lt=at
        ).update(last_opted_out_at=at)
    for entry in stale:
        entry.last_opted_out_at = at


def suppress(
    number: str,
    reason: str = SuppressionReason.MANUAL,
    *,
    source: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Suppression:
    """Put a number on the suppression list and suppress its queued texts.

    ``at`` is when the number was opted out (an unsubscribe event's own time; now by default).
    A number already on the list keeps its entry (and its reason), whose latest opt-out moves
    to ``at`` when that is later. Raises ValueError for a number that is not a valid US, CA or
    GB number.
    """
    if reason not in SuppressionReason.values:
        raise ValueError(
            f"Unknown suppression reason {reason!r}; use one of "
            f"{', '.join(SuppressionReason.values)}."
        )
    number = normalize_phone(number)
    at = at or timezone.now()
    with transaction.atomic():
        # Locked, so a concurrent sms.subscribed cannot delete the entry this opt-out updates.
        suppression, created = Suppression.objects.select_for_update().get_or_create(
            number=number,
            defaults={
                "reason": reason,
                "source": source[:255],
                "note": note,
                "last_opted_out_at": at,
            },
        )
        if not created:
            _seen_opted_out([suppression], at)
        stopped = _suppress_queued({number: suppression})
    if created:
        logger.info(
            "Suppressed %s (%s); %s queued texts stopped", mask_phone(number), reason, stopped
        )
    return suppression


def lift_suppression(number: str, *, resubscribed_at: datetime | None = None) -> bool:
    """Take a number off the suppression list; texts suppressed before stay as they are.

    With ``resubscribed_at`` (an sms.subscribed event's time) the entry is kept when the number
    was seen opted out at or after that moment, checked in the DELETE itself so an opt-out
    recorded meanwhile wins.
    """
    entries = Suppression.objects.filter(number=normalize_phone(number))
    if resubscribed_at is not None:
        entries = entries.filter(last_opted_out_at__lt=resubscribed_at)
    deleted, _ = entries.delete()
    if deleted:
        logger.info("Lifted the suppression of %s", mask_phone(number))
    return bool(deleted)


@dataclass
class Purged:
    """How many rows ``purge`` deleted."""

    messages: int = 0
    attempts: int = 0
    webhook_events: int = 0


def purge(older_than: datetime, *, batch_size: int = PURGE_BATCH_SIZE) -> Purged:
    """Delete finished messages (with their attempts) and webhook events from before a moment.

    Works in batches of primary keys, one short transaction each, so memory stays flat and
    running workers wait at most one batch. ``queued`` and ``sending`` messages are never
    deleted, however old: only final statuses, which never change again.
    """
    purged = Purged()
    old_messages = OutboundMessage.objects.filter(
        created_at__lt=older_than, status__in=FINAL_STATUSES
    )
    for pks in _pk_batches(old_messages, batch_size):
        with transaction.atomic():
            _, counts = old_messages.filter(pk__in=pks).delete()
        purged.messages += counts.get(OutboundMessage._meta.label, 0)
        purged.attempts += counts.get(SendAttempt._meta.label, 0)
    old_events = WebhookEvent.objects.filter(received_at__lt=older_than)
    for pks in _pk_batches(old_events, batch_size):
        purged.webhook_events += WebhookEvent.objects.filter(pk__in=pks).delete()[0]
    logger.info(
        "Purged %s texts, %s attempts and %s webhook events from before %s",
        purged.messages,
        purged.attempts,
        purged.webhook_events,
        older_than,
    )
    return purged


def _pk_batches(queryset: models.QuerySet, size: int) -> Iterator[list[int]]:
    """Walk a queryset's primary keys in ascending batches, never holding more than one."""
    last = 0
    while True:
        pks = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            return
        yield pks
        last = pks[-1]
