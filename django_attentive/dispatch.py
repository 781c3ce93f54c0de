"""Hand messages to Django Tasks once the transaction that stored them commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import conf

try:
    from django.tasks import task_backends
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task_backends

logger = logging.getLogger("django_attentive")

BULK_CHUNK = 200
# Inside gathered_deliveries(): the deliveries scheduled so far, as (message pk, run_after).
_gathered: ContextVar[list[tuple[int, datetime | None]] | None] = ContextVar(
    "attentive_gathered_deliveries", default=None
)


def runs_inline(backend: object) -> bool:
    """The ImmediateBackend runs a task inside the caller; bulk sends must not wait on it."""
    return type(backend).__name__ == "ImmediateBackend"


def _configured(task, run_after: datetime | None, *, inline_ok: bool):
    """``task`` bound to the configured backend and queue, deferred to ``run_after`` if later.

    None when the backend cannot take it now: a future ``run_after`` on a backend that cannot
    defer, or (``inline_ok=False``) a backend that would run it inside the caller. Either way
    the row waits in the outbox and ``attentive_send_queued`` sends it when due.
    """
    backend = task_backends[conf.get("TASK_BACKEND")]
    later = run_after is not None and run_after > timezone.now()
    if (later and not backend.supports_defer) or (not inline_ok and runs_inline(backend)):
        return None
    return task.using(
        backend=backend.alias,
        queue_name=conf.get("TASK_QUEUE"),
        run_after=run_after if later else None,
    )


def schedule_delivery(message_pk: int, run_after: datetime | None = None) -> None:
    """Enqueue delivery after commit; a lost enqueue loses nothing, the sweeper finds the row."""
    gathered = _gathered.get()
    if gathered is not None:
        gathered.append((message_pk, run_after))
        return
    transaction.on_commit(lambda: enqueue_delivery(message_pk, run_after), robust=True)


def enqueue_delivery(message_pk: int, run_after: datetime | None = None) -> None:
    from .tasks import deliver_message

    task = _configured(deliver_message, run_after, inline_ok=True)
    if task is None:
        return
    try:
        task.enqueue(message_pk)
    except Exception:
        logger.exception(
            "Could not enqueue delivery of text #%s; attentive_send_queued will send it", message_pk
        )


def schedule_bulk_delivery(message_pks: list[int], run_after: datetime | None = None) -> None:
    """Enqueue a bulk send in chunks after commit.

    With the ImmediateBackend the chunks would run inside the request that created them, so
    they are left to ``attentive_send_queued`` workers instead.
    """
    transaction.on_commit(lambda: _enqueue_chunks(message_pks, run_after), robust=True)


@contextmanager
def gathered_deliveries() -> Iterator[None]:
    """Within the block, ``schedule_delivery`` calls become one bulk delivery per ``run_after``.

    For code that queues many messages one at a time (resending a selection): they go out
    like ``send_bulk``'s, in chunks through the queue, never one inline send per message.
    Use it inside the transaction that stores the messages; an error in the block schedules
    nothing.
    """
    gathered: list[tuple[int, datetime | None]] = []
    token = _gathered.set(gathered)
    try:
        yield
    finally:
        _gathered.reset(token)
    schedule_in_waves(gathered)


def schedule_in_waves(deliveries: Iterable[tuple[int, datetime | None]]) -> None:
    """One bulk delivery per distinct ``run_after`` for these (message pk, run_after) pairs."""
    waves: dict[datetime | None, list[int]] = {}
    for message_pk, run_after in deliveries:
        waves.setdefault(run_after, []).append(message_pk)
    for run_after, message_pks in waves.items():
        schedule_bulk_delivery(message_pks, run_after)


def _enqueue_chunks(message_pks: list[int], run_after: datetime | None) -> None:
    from .tasks import deliver_messages

    task = _configured(deliver_messages, run_after, inline_ok=False)
    if task is None:
        logger.info("%s texts wait for attentive_send_queued", len(message_pks))
        return
    for start in range(0, len(message_pks), BULK_CHUNK):
        try:
            task.enqueue(message_pks[start : start + BULK_CHUNK])
        except Exception:
            logger.exception("Could not enqueue a bulk chunk; attentive_send_queued will send it")
