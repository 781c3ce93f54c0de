"""Retention: deleting finished messages and their send log; deleting or emptying old webhook
events."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction

from ..models import FINAL_STATUSES, OutboundMessage, SendAttempt, WebhookEvent

logger = logging.getLogger("django_attentive")

PURGE_BATCH_SIZE = 1000


@dataclass
class Purged:
    """How many rows ``purge`` deleted, and how many webhook events it emptied but kept."""

    messages: int = 0
    attempts: int = 0
    webhook_events: int = 0
    webhook_events_emptied: int = 0


def purge(older_than: datetime, *, batch_size: int = PURGE_BATCH_SIZE) -> Purged:
    """Delete finished messages (with their attempts) and webhook events from before a moment.

    Works in batches of primary keys, one short transaction each, so memory stays flat and
    running workers wait at most one batch. ``queued`` and ``sending`` messages are never
    deleted, however old: only final statuses, which never change again.

    A webhook event whose replay could still change the suppression list (an opt-out, or an
    opt-in young enough to lift one) is emptied instead of deleted: its row keeps the dedup
    key, so the same signed body, captured and posted again, is still answered "duplicate".
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
    for pks in _pk_batches(old_events.harmless_if_replayed(), batch_size):
        purged.webhook_events += WebhookEvent.objects.filter(pk__in=pks).delete()[0]
    for pks in _pk_batches(old_events.not_emptied(), batch_size):
        purged.webhook_events_emptied += WebhookEvent.objects.filter(pk__in=pks).empty()
    logger.info(
        "Purged %s texts, %s attempts and %s webhook events from before %s; emptied %s more "
        "webhook events, kept to recognise replays",
        purged.messages,
        purged.attempts,
        purged.webhook_events,
        older_than,
        purged.webhook_events_emptied,
    )
    return purged


def _pk_batches(queryset: models.QuerySet[Any], size: int) -> Iterator[list[int]]:
    """Walk a queryset's primary keys in ascending batches, never holding more than one."""
    last = 0
    while True:
        pks = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            return
        yield pks
        last = pks[-1]
