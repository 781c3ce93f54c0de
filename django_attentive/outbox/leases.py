"""Handing due messages to workers: lease them, start them, release them, recover them.

A lease is a worker's hold on a row (``leased_by``, ``leased_at``). It lasts
``LEASE_SECONDS``; a lease older than that means its worker died.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .. import conf, instruments, retry
from ..backends import build_payload, get_backend
from ..backends.base import Payload
from ..exceptions import AmbiguousError, ConfigurationError
from ..models import Hold, OutboundMessage, Outcome, SendAttempt, Status
from . import handoff
from .outcomes import notify_failed
from .screening import by_lease, screen

logger = logging.getLogger("django_attentive")


def holder_id() -> str:
    """Who holds a lease: host, process and thread, so an operator can tell workers apart."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{threading.get_ident() % 100000}"


def lease_due(limit: int, *, holder: str | None = None) -> list[OutboundMessage]:
    """Lease up to ``limit`` due messages for this worker, oldest first, and screen them.

    A leased row stays ``queued`` (nothing was sent); ``start`` turns it into ``sending`` just
    before the request. So a killed worker's unstarted rows simply become due again when the
    lease ends, and only real in-flight sends become ``unconfirmed``. PostgreSQL and MySQL
    lock candidates with SKIP LOCKED so workers never wait on each other; elsewhere (SQLite)
    the conditional update decides who gets which row.
    """
    now = timezone.now()
    lease = f"{holder or holder_id()}#{uuid.uuid4().hex[:8]}"
    due = OutboundMessage.objects.due().order_by("pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
        else:
            pks = list(due.values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        OutboundMessage.objects.due().filter(pk__in=pks).update(
            leased_at=now, leased_by=lease, updated_at=now
        )
    leased = OutboundMessage.objects.filter(pk__in=pks, status=Status.QUEUED).leased_by(lease)
    return screen(list(leased.select_related("campaign").order_by("pk")))


def start(messages: Sequence[OutboundMessage]) -> list[OutboundMessage]:
    """Turn leased rows into ``sending`` just before their requests; returns those started.

    A message cancelled meanwhile, or whose lease ran out and was taken by another worker, is
    left out: its request must not be made. So is one whose campaign was paused since it was
    leased; its lease is dropped, so it is due again as soon as the campaign resumes.
    """
    now = timezone.now()
    started: list[OutboundMessage] = []
    for lease, pks in by_lease(messages).items():
        # One filter() call: the worker runs this for every few texts, and each chained
        # filter() clones the query. A paused campaign's texts are not started.
        count = (
            OutboundMessage.objects.filter(pk__in=pks, leased_by=lease, status=Status.QUEUED)
            .not_paused()
            .update(status=Status.SENDING, leased_at=now, updated_at=now)
        )
        if count == len(pks):
            ok = set(pks)
        else:
            mine = OutboundMessage.objects.filter(pk__in=pks).leased_by(lease)
            ok = set(mine.filter(status=Status.SENDING, leased_at=now).values_list("pk", flat=True))
            mine.filter(status=Status.QUEUED).release_leases()
        started += [m for m in messages if m.pk in ok and m.leased_by == lease]
    for message in started:
        message.status, message.leased_at = Status.SENDING, now
    return started


def lease_one(message_pk: int, *, holder: str | None = None) -> OutboundMessage | None:
    """Atomically take one due message straight to ``sending``; None if another worker has it,
    it is not due, or screening stopped it."""
    now = timezone.now()
    taken = (
        OutboundMessage.objects.due()
        .filter(pk=message_pk)
        .update(
            status=Status.SENDING, leased_at=now, leased_by=holder or holder_id(), updated_at=now
        )
    )
    if not taken:
        return None
    message = OutboundMessage.objects.select_related("campaign").get(pk=message_pk)
    if screen([message]):
        return message
    if message.status == Status.QUEUED:  # held for quiet hours: delivery is asked for then
        handoff.request_delivery(message.pk, message.next_attempt_at)
    return None


def unstart(messages: Iterable[OutboundMessage]) -> int:
    """Back to ``queued`` for started messages whose request was never made (shutdown, pause)."""
    return _give_back(messages, Status.SENDING)


def release(messages: Iterable[OutboundMessage]) -> int:
    """Give back leased rows that were never started (e.g. on shutdown), unchanged."""
    return _give_back(messages, Status.QUEUED)


def _give_back(messages: Iterable[OutboundMessage], status: str) -> int:
    given_back = 0
    for lease, pks in by_lease(messages).items():
        given_back += (
            OutboundMessage.objects.filter(pk__in=pks, status=status)
            .leased_by(lease)
            .release_leases(status=Status.QUEUED)
        )
    return given_back


def recover_expired() -> int:
    """Rows left ``sending`` by a worker that died become ``unconfirmed`` (queued again with
    RETRY_AMBIGUOUS), each with a ``worker_lost`` attempt in the send log.

    ``message_failed`` is sent for each one that ends ``unconfirmed``, as after a read timeout.
    """
    cutoff = timezone.now() - timedelta(seconds=conf.lease_seconds())
    expired = OutboundMessage.objects.filter(status=Status.SENDING, leased_at__lt=cutoff)
    recovered = 0
    for pk in expired.values_list("pk", flat=True):
        if (message := _recover_one(pk, cutoff)) is not None:
            recovered += 1
            instruments.attempts_recorded(
                [
                    instruments.RecordedAttempt(
                        message.kind, message.endpoint, Outcome.WORKER_LOST, None, 0, False
                    )
                ]
            )
            if message.status == Status.UNCONFIRMED:
                notify_failed(message, AmbiguousError(message.last_error))
    return recovered


def _recover_one(pk: int, cutoff: datetime) -> OutboundMessage | None:
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update()
            .filter(pk=pk, status=Status.SENDING, leased_at__lt=cutoff)
            .first()
        )
        if message is None:
            return None
        reason = (
            f"The worker {message.leased_by} stopped while sending; Attentive may or may not "
            "have received the text."
        )
        decision = retry.decide(AmbiguousError(reason), message.attempts)
        now = timezone.now()
        SendAttempt.objects.create(
            message=message,
            started_at=message.leased_at or now,
            request=dict(_payload_for_log(message)),
            outcome=Outcome.WORKER_LOST,
            error=reason,
        )
        message.status = decision.status
        message.attempts += 1
        message.next_attempt_at = retry.due_at(decision, now)
        message.last_error = reason
        message.hold = Hold.NONE
        message.leased_at, message.leased_by = None, ""
        message.save()
    return message


def _payload_for_log(message: OutboundMessage) -> Payload:
    """What the configured transport sends for ``message`` (the Messages shape if it is broken)."""
    outgoing = message.outgoing()
    try:
        return get_backend().build_payload(outgoing)
    except (ConfigurationError, ValueError):
        return build_payload(outgoing)
