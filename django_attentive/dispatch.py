"""Hand messages to Django Tasks once the transaction that stored them commits."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import conf

try:
    from django.tasks import task_backends
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task_backends

logger = logging.getLogger("django_attentive")


def schedule_delivery(message_pk: int, run_after: datetime | None = None) -> None:
    """Enqueue delivery after commit. A lost or failed enqueue loses nothing: the sweeper finds the row."""
    transaction.on_commit(lambda: enqueue_delivery(message_pk, run_after), robust=True)


def enqueue_delivery(message_pk: int, run_after: datetime | None = None) -> None:
    from .tasks import deliver_message

    backend = task_backends[conf.get("TASK_BACKEND")]
    later = run_after is not None and run_after > timezone.now()
    if later and not backend.supports_defer:
        # The backend cannot wait (e.g. ImmediateBackend): `attentive_send_queued` sends it when due.
        return
    task = deliver_message.using(
        backend=backend.alias,
        queue_name=conf.get("TASK_QUEUE"),
        run_after=run_after if later else None,
    )
    try:
        task.enqueue(message_pk)
    except Exception:
        logger.exception(
            "Could not enqueue delivery of text #%s; attentive_send_queued will send it", message_pk
        )
