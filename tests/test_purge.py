"""Retention: attentive_purge deletes old finished texts, their attempts and webhook events, and
empties the webhook events a replay could still act on."""

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


def old_event(
    key: str, kind: str = "sms.message_link_click", *, days: int = 40, occurred_days: int = 40
) -> WebhookEvent:
    return WebhookEvent.objects.create(
        dedup_key=key,
        type=kind,
        number=NUMBER,
        payload={"type": kind, "subscriber": {"phone": NUMBER, "email": "ann@example.com"}},
        occurred_at=timezone.now() - timedelta(days=occurred_days),
        outcome="ignored",
        detail=f"No usable subscriber.phone: {NUMBER} is not a mobile number",
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


def test_purge_empties_opt_outs_and_young_opt_ins_keeping_only_what_recognises_a_replay(
    attentive,
):
    attentive(WEBHOOK_MAX_AGE=7 * 86400)
    opt_out = old_event("out", "sms.unsubscribed", occurred_days=400)
    young_opt_in = old_event("in", "sms.subscribed", days=2, occurred_days=2)
    old_event("stale-in", "sms.subscribed", occurred_days=8)
    WebhookEvent.objects.filter(pk=old_event("no-time", "sms.subscribed").pk).update(
        occurred_at=None
    )
    old_event("click")
    purged = purge(timezone.now() - timedelta(days=1))
    assert (purged.webhook_events, purged.webhook_events_emptied) == (3, 2)
    kept = WebhookEvent.objects.order_by("pk")
    assert [event.pk for event in kept] == [opt_out.pk, young_opt_in.pk]
    for event, before in zip(kept, [opt_out, young_opt_in], strict=True):
        # Nothing that names the customer: no payload, no number, no detail quoting it.
        assert (event.payload, event.number, event.detail) == ({}, "", "")
        assert NUMBER not in str(vars(event))
        # What deduplication and the lifting rule read stays.
        assert (event.dedup_key, event.type, event.occurred_at, event.outcome) == (
            before.dedup_key,
            before.type,
            before.occurred_at,
            before.outcome,
        )
        assert event.purged_at is not None


def test_a_second_purge_leaves_emptied_events_alone_and_drops_opt_ins_once_too_old(attentive):
    attentive(WEBHOOK_MAX_AGE=7 * 86400)
    opt_out = old_event("out", "sms.unsubscribed")
    opt_in = old_event("in", "sms.subscribed", days=2, occurred_days=2)
    purge(timezone.now() - timedelta(days=1))
    emptied_at = WebhookEvent.objects.get(pk=opt_out.pk).purged_at
    with CaptureQueriesContext(connection) as captured:
        again = purge(timezone.now() - timedelta(days=1))
    assert (again.webhook_events, again.webhook_events_emptied) == (0, 0)
    assert not [q for q in captured.captured_queries if q["sql"].startswith(("UPDATE", "DELETE"))]
    assert WebhookEvent.objects.get(pk=opt_out.pk).purged_at == emptied_at
    # Once the opt-in is older than WEBHOOK_MAX_AGE its replay cannot lift anything: it goes.
    WebhookEvent.objects.filter(pk=opt_in.pk).update(occurred_at=timezone.now() - timedelta(days=8))
    assert purge(timezone.now() - timedelta(days=1)).webhook_events == 1
    assert list(WebhookEvent.objects.values_list("pk", flat=True)) == [opt_out.pk]


def test_purge_never_deletes_queued_or_sending_texts_however_old():
    queued = old_message(Status.QUEUED, days=400)
    sending = old_message(Status.SENDING, days=400)
    purged = purge(timezone.now() - timedelta(days=30))
    assert purged.messages == 0
    assert set(OutboundMessage.objects.values_list("pk", flat=True)) == {queued.pk, sending.pk}
    assert SendAttempt.objects.count() == 2


def statements(queries: list[dict]) -> list[object]:
    """The transactions, DELETEs and UPDATEs among captured queries: "begin", (statement, table,
    rows), "commit"."""
    shape: list[object] = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SAVEPOINT"):
            shape.append("begin")
        elif sql.startswith("RELEASE SAVEPOINT"):
            shape.append("commit")
        elif changed := re.match(
            r'(DELETE FROM|UPDATE) "django_attentive_(\w+)" .* IN \(([^)]*)\)', sql
        ):
            shape.append((changed[1].split()[0], changed[2], len(changed[3].split(","))))
    return shape


def test_purge_deletes_each_batch_in_its_own_transaction():
    for _ in range(7):
        old_message(Status.SENT)
    for n in range(5):
        old_event(str(n))
    for n in range(4):
        old_event(f"out{n}", "sms.unsubscribed")
    with CaptureQueriesContext(connection) as captured:
        purged = purge(timezone.now() - timedelta(days=30), batch_size=3)
    assert (purged.messages, purged.attempts, purged.webhook_events) == (7, 7, 5)
    assert purged.webhook_events_emptied == 4
    assert not OutboundMessage.objects.exists()

    def batch(size: int) -> list[object]:
        # The UPDATEs empty resent_from on resends of the batch's texts, and the link of
        # webhook events to them (SET NULL).
        return [
            "begin",
            ("DELETE", "sendattempt", size),
            ("UPDATE", "outboundmessage", size),
            ("UPDATE", "webhookevent", size),
            ("DELETE", "outboundmessage", size),
            "commit",
        ]

    # Each webhook batch is a single statement, so a transaction of its own.
    assert statements(captured.captured_queries) == [
        *batch(3),
        *batch(3),
        *batch(1),
        ("DELETE", "webhookevent", 3),
        ("DELETE", "webhookevent", 2),
        ("UPDATE", "webhookevent", 3),
        ("UPDATE", "webhookevent", 1),
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
    old_event("b", "sms.unsubscribed")
    out = StringIO()
    call_command("attentive_purge", "--days", "30", stdout=out)
    assert "Deleted 1 texts, 3 send attempts and 1 webhook events older than 30 days" in (
        out.getvalue()
    )
    assert "emptied 1 webhook events, kept to recognise replays" in out.getvalue()


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
