"""Delivery through Django Tasks: the ImmediateBackend default and the database backend."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from django_attentive import send_message
from django_attentive.backends import locmem
from django_attentive.models import OutboundMessage, Status

pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def task_results():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects


def test_immediate_backend_sends_right_after_commit():
    message = send_message("+12015550123", "Hi")
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(locmem.outbox) == 1


def test_database_backend_queues_a_task_and_db_worker_sends_it(settings):
    settings.TASKS = DB_TASKS
    message = send_message("+12015550123", "Hi")
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.QUEUED
    assert locmem.outbox == []
    assert task_results().count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENT
    assert len(locmem.outbox) == 1


def test_database_backend_defers_a_scheduled_send(settings):
    settings.TASKS = DB_TASKS
    later = timezone.now() + timezone.timedelta(hours=2)
    send_message("+12015550123", "Hi", send_at=later)
    task = task_results().get()
    assert task.run_after == later.replace(microsecond=0) + timezone.timedelta(seconds=1)


def test_a_retry_is_re_enqueued_for_its_next_attempt(settings, fake):
    settings.TASKS = DB_TASKS
    fake.fail_next(503)
    message = send_message("+12015550123", "Hi")
    call_command("db_worker", "--batch", "--no-startup-delay")
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    retry_task = task_results().order_by("-enqueued_at").first()
    # Rounded up to a whole second: some backends (RQ) keep no fraction.
    assert retry_task.run_after.microsecond == 0
    assert timezone.timedelta(0) <= retry_task.run_after - message.next_attempt_at
    assert retry_task.run_after - message.next_attempt_at < timezone.timedelta(seconds=1)


def test_the_immediate_backend_makes_one_attempt_in_the_caller_and_leaves_retries_queued(
    attentive, fake
):
    # The ImmediateBackend runs a task inside the caller (the web request): the page makes the
    # first attempt there, but never waits for the retries, even ones due at once.
    attentive(RETRY_BACKOFF=0, MAX_ATTEMPTS=5)
    fake.fail_next(503, count=3)
    with transaction.atomic():
        message = send_message("+12015550123", "Hi")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.next_attempt_at <= timezone.now()  # due now: left to the worker
    for _ in range(5):
        call_command("attentive_send_queued")
        message.refresh_from_db()
        if message.status != Status.QUEUED:
            break
    assert (message.status, message.attempts) == (Status.SENT, 4)
    assert len(fake.messages) == 1


def test_bulk_sends_are_enqueued_in_chunks_with_a_queueing_backend(settings):
    from django_attentive import send_bulk

    settings.TASKS = DB_TASKS
    send_bulk([f"+1201555{n:04d}" for n in range(450)], "Sale")
    assert task_results().count() == 3
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 450


def test_gathered_deliveries_go_out_as_one_bulk_after_commit(settings):
    from django.db import transaction

    from django_attentive.outbox.handoff import gathered as gathered_deliveries

    with transaction.atomic(), gathered_deliveries():
        messages = [send_message(f"+1201555012{n}", "Hi") for n in range(3)]
    assert locmem.outbox == []  # the ImmediateBackend leaves a bulk to the workers
    settings.TASKS = DB_TASKS
    with transaction.atomic(), gathered_deliveries():
        messages += [send_message(f"+1201555013{n}", "Hi") for n in range(3)]
    assert task_results().count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay")
    statuses = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages[3:]])
    assert set(statuses.values_list("status", flat=True)) == {Status.SENT}


def test_an_error_inside_gathered_deliveries_schedules_nothing(settings):
    from django.db import transaction

    from django_attentive.outbox.handoff import gathered as gathered_deliveries

    settings.TASKS = DB_TASKS
    with pytest.raises(RuntimeError), transaction.atomic(), gathered_deliveries():
        send_message("+12015550123", "Hi")
        raise RuntimeError("boom")
    assert task_results().count() == 0
    send_message("+12015550124", "Hi")  # and scheduling is back to one task per message
    assert task_results().count() == 1


def test_a_failed_enqueue_loses_nothing(settings, caplog):
    settings.TASKS = {"default": {"BACKEND": "tests.test_dispatch.BrokenBackend"}}
    message = send_message("+12015550123", "Hi")
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.QUEUED
    assert "attentive_send_queued will send it" in caplog.text
    call_command("attentive_send_queued")
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENT


try:
    from django.tasks.backends.base import BaseTaskBackend
except ImportError:
    from django_tasks.backends.base import BaseTaskBackend


class BrokenBackend(BaseTaskBackend):
    """A task backend whose broker is down."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("broker unreachable")
