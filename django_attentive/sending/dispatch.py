"""Handing deliveries the outbox asked for (``outbox.handoff``) to Django Tasks.

Connected to ``delivery_requested`` when the app is ready. A delivery that cannot be enqueued
loses nothing: the row waits in the outbox and ``attentive_send_queued`` sends it when due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from .. import conf
from ..outbox.handoff import Delivery

try:
    from django.tasks import task_backends
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task_backends  # type: ignore[assignment]  # the same API

logger = logging.getLogger("django_attentive")

BULK_CHUNK = 200


def runs_in_caller(backend: Any) -> bool:
    """A backend that can neither defer a task nor hand back its result runs it as it is
    enqueued, inside the caller (Django's ImmediateBackend)."""
    return not (backend.supports_defer or backend.supports_get_result)


def on_delivery_requested(
    deliveries: list[Delivery], bulk: bool = False, retry: bool = False, **_: object
) -> None:
    """The receiver: one task for a single delivery, chunks of ``BULK_CHUNK`` for a bulk one.

    Neither bulk deliveries nor retries ever run inside the caller: under a backend that would,
    they are left to ``attentive_send_queued`` (a page that sent a text never waits for its
    retries, nor for a thousand texts).
    """
    from .tasks import deliver_message, deliver_messages

    run_after = deliveries[0][1] if deliveries else None
    task = _configured(
        deliver_messages if bulk else deliver_message, run_after, in_caller_ok=not (bulk or retry)
    )
    if task is None:
        logger.debug("%s texts wait for attentive_send_queued", len(deliveries))
        return
    pks = [pk for pk, _ in deliveries]
    if not bulk:
        _enqueue(task, pks[0])
        return
    for start in range(0, len(pks), BULK_CHUNK):
        _enqueue(task, pks[start : start + BULK_CHUNK])


def _configured(task: Any, run_after: datetime | None, *, in_caller_ok: bool) -> Any:
    """``task`` bound to the configured backend and queue, deferred to ``run_after`` if later.

    None when the backend cannot take it now: a future ``run_after`` on a backend that cannot
    defer, or (``in_caller_ok=False``) a backend that would run it inside the caller.
    """
    backend = task_backends[conf.get("TASK_BACKEND")]
    later = _whole_second_after(run_after) if run_after and run_after > timezone.now() else None
    if (later and not backend.supports_defer) or (not in_caller_ok and runs_in_caller(backend)):
        return None
    return task.using(backend=backend.alias, queue_name=conf.get("TASK_QUEUE"), run_after=later)


def _whole_second_after(moment: datetime) -> datetime:
    """``moment`` rounded up to a whole second.

    Some backends keep whole seconds (RQ's scheduler drops the fraction): a task started up to
    a second before its text is due would find it not due and skip it.
    """
    if not moment.microsecond:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def _enqueue(task: Any, argument: int | list[int]) -> None:
    try:
        task.enqueue(argument)
    except Exception:
        logger.exception("Could not enqueue a delivery; attentive_send_queued will send it")
