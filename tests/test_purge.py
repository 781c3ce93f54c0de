"""Retention: attentive_purge deletes old finished texts, their attempts and webhook events."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_attentive import purge, resend, send_message
from django_attentive.models import OutboundMessage, SendAttempt, Status, WebhookEvent

pytestmark = pytest.mark.django_db

NUMBER = "+12015550123"


def old_message(status: str, *, days: int = 40, attempts: int = 1) -> OutboundMessage:
    message = OutboundMessage.objects.create(to=NUMBER, body="Sale", status=status)
    for _ in range(attempts):
        SendAttempt.objects.create(message=message, started_at=timezone.now(), outcome="sent")
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )
    return message


def old_event(key: str, *, days: int = 40) -> WebhookEvent:
    return WebhookEvent.objects.create(
        dedup_key=key,
        type="sms.unsubscribed",
        outcome="ignored",
        received_at=timezone.now() - timedelta(days=days),
    )


def test_purge_deletes_old_finished_texts_with_their_attempts_and_old_events():
    for status in (Status.SENT, Status.FAILED, Status.UNCONFIRMED, Status.SUPPRESSED):
        old_message(status, attempts=2)
    old_message(Status.CANCELLED, attempts=0)
    recent = old_message(Status.SENT, days=5)
    old_event("a")
    old_event("b")
    fresh_event = old_event("c", days=1)
    purged = purge(timezone.now() - timedelta(days=30))
    assert (purged.messages, purged.attempts, purged.webhook_events) == (5, 8, 2)
    assert list(OutboundMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert SendAttempt.objects.count() == 1
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [fresh_event.pk]


def test_purge_never_deletes_queued_or_sending_texts_however_old():
    queued = old_message(Status.QUEUED, days=400)
    sending = old_message(Status.SENDING, days=400)
    purged = purge(timezone.now() - timedelta(days=30))
    assert purged.messages == 0
    assert set(OutboundMessage.objects.values_list("pk", flat=True)) == {queued.pk, sending.pk}
    assert SendAttempt.objects.count() == 2


def statements(queries: list[dict]) -> list[object]:
    """The transactions and DELETEs among captured queries: "begin", (table, rows), "commit"."""
    shape: list[object] = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SAVEPOINT"):
            shape.append("begin")
        elif sql.startswith("RELEASE SAVEPOINT"):
            shape.append("commit")
        elif deleted := re.match(r'DELETE FROM "django_attentive_(\w+)" .* IN \(([^)]*)\)', sql):
            shape.append((deleted[1], len(deleted[2].split(","))))
    return shape


def test_purge_deletes_each_batch_in_its_own_transaction():
    for _ in range(7):
        old_message(Status.SENT)
    for n in range(5):
        old_event(str(n))
    with CaptureQueriesContext(connection) as captured:
        purged = purge(timezone.now() - timedelta(days=30), batch_size=3)
    assert (purged.messages, purged.attempts, purged.webhook_events) == (7, 7, 5)
    assert not OutboundMessage.objects.exists()
    one_batch = ["begin", ("sendattempt", 3), ("outboundmessage", 3), "commit"]
    last_batch = ["begin", ("sendattempt", 1), ("outboundmessage", 1), "commit"]
    assert statements(captured.captured_queries) == [
        *one_batch,
        *one_batch,
        *last_batch,
        ("webhookevent", 3),
        ("webhookevent", 2),
    ]


def test_purging_an_original_keeps_its_resend():
    original = old_message(Status.FAILED)
    copy = resend(original)
    purge(timezone.now() - timedelta(days=30))
    copy.refresh_from_db()
    assert copy.resent_from is None


def test_purge_command_prints_what_it_removed():
    old_message(Status.SENT, attempts=3)
    old_event("a")
    out = StringIO()
    call_command("attentive_purge", "--days", "30", stdout=out)
    assert "Deleted 1 texts, 3 send attempts and 1 webhook events older than 30 days" in (
        out.getvalue()
    )


@pytest.mark.parametrize("args", [["--days", "0"], ["--days", "30", "--batch-size", "0"]])
def test_purge_command_refuses_nonsense(args):
    with pytest.raises(CommandError):
        call_command("attentive_purge", *args)


def test_purge_command_needs_days():
    with pytest.raises(CommandError):
        call_command("attentive_purge")


@pytest.mark.django_db(transaction=True)
def test_purge_while_texts_are_being_sent_deletes_only_old_finished_ones():
    old = [old_message(Status.SENT).pk for _ in range(200)]
    stalled = old_message(Status.QUEUED, days=90).pk
    sent: list[int] = []
    errors: list[BaseException] = []
    go = threading.Event()

    def keep_sending() -> None:
        try:
            go.wait()
            for n in range(80):
                sent.append(send_message(f"+1201555{n:04d}", "Sale").pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    sender = threading.Thread(target=keep_sending)
    sender.start()
    go.set()
    totals = 0
    while sender.is_alive() or totals == 0:
        totals += purge(timezone.now() - timedelta(days=30), batch_size=5).messages
    sender.join()
    assert errors == []
    assert totals == len(old)
    assert not OutboundMessage.objects.filter(pk__in=old).exists()
    assert OutboundMessage.objects.filter(pk=stalled).exists()
    assert set(OutboundMessage.objects.filter(pk__in=sent).values_list("status", flat=True)) == {
        Status.SENT
    }
    assert OutboundMessage.objects.filter(pk__in=sent).count() == 80
    assert SendAttempt.objects.filter(message_id__in=sent).count() == 80
