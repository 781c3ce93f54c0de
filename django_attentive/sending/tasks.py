"""The Django Tasks tasks that deliver messages."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task  # type: ignore[no-redef]  # the same API, another module

from .delivery import deliver, deliver_many


@task()
def deliver_message(message_pk: int) -> str:
    """Make one delivery attempt; a message another worker holds, or one not yet due, is skipped."""
    message = deliver(message_pk)
    return message.status if message is not None else "skipped"


@task()
def deliver_messages(message_pks: list[int]) -> int:
    """Deliver a chunk of a bulk send; returns how many were sent."""
    return deliver_many(message_pks)
