"""The Django Tasks task that delivers one message."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task


@task()
def deliver_message(message_pk: int) -> str:
    """Make one delivery attempt; a message another worker holds, or one not yet due, is skipped."""
    from .services import deliver

    message = deliver(message_pk)
    return message.status if message is not None else "skipped"


@task()
def deliver_messages(message_pks: list[int]) -> int:
    """Deliver a chunk of a bulk send; returns how many were sent."""
    from .services import deliver_many

    return deliver_many(message_pks)
