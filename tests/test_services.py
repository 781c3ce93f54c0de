"""send_message / resend / cancel / deliver: the outbox's rules."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
import responses
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from django_attentive import cancel, resend, send_message
from django_attentive.backends import locmem
from django_attentive.exceptions import AttentiveError, InvalidMessage
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.sending.delivery import deliver
from django_attentive.signals import message_failed, message_sent

pytestmark = pytest.mark.django_db


def send_now(capture, *args, **kwargs) -> OutboundMessage:
    """send_message, committing so delivery runs, and the row as it ends up."""
    with capture(execute=True):
        message = send_message(*args, **kwargs)
    message.refresh_from_db()
    return message


def test_send_message_stores_e164_and_delivers_after_commit(django_capture_on_commit_callbacks):
    message = send_now(django_capture_on_commit_callbacks, "(201) 555-0123", "Hello")
    assert message.to == "+12015550123"
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert locmem.outbox == [{"to": "+12015550123", "body": "Hello"}]


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = send_message("+12015550123", "Hello")
        assert message.status == Status.QUEUED
    assert locmem.outbox == []
    assert len(callbacks) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_send_leaves_no_row_and_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        send_message("+12015550123", "Order confirmed")
        raise RuntimeError("checkout failed")
    assert OutboundMessage.objects.count() == 0
    assert locmem.outbox == []


@pytest.mark.django_db(transaction=True)
def test_committed_send_goes_out_once():
    with transaction.atomic():
        send_message("+12015550123", "Order confirmed")
    assert len(locmem.outbox) == 1
    assert OutboundMessage.objects.get().status == Status.SENT


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"to": "12345"}, "to"),
        ({"to": "+33 6 12 34 56 78"}, "to"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"media_url": "https://shop.example/a.bmp"}, "media_url"),
        ({"media_url": "ftp://shop.example/a.png"}, "media_url"),
    ],
)
def test_bad_input_saves_nothing_and_sends_nothing(
    kwargs, field, django_capture_on_commit_callbacks
):
    values = {"to": "+12015550123", "body": "Hi", **kwargs}
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidMessage) as caught:
        send_message(values.pop("to"), values.pop("body"), **values)
    assert field in caught.value.message_dict
    assert OutboundMessage.objects.count() == 0
    assert locmem.outbox == []


def test_same_idempotency_key_again_returns_the_first_text_and_schedules_nothing(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        first = send_message("+12015550123", "Hi", idempotency_key="k1")
    assert len(scheduled) == 1
    for body in ("Hi", "Hi, changed"):
        with django_capture_on_commit_callbacks(execute=True) as scheduled_again:
            again = send_message("+12015550123", body, idempotency_key="k1")
        assert (again.pk, again.body) == (first.pk, "Hi")
        assert scheduled_again == []  # no second delivery, not even one that would be skipped
    assert list(OutboundMessage.objects.values_list("pk", "body", "status")) == [
        (first.pk, "Hi", Status.SENT)
    ]
    assert locmem.outbox == [{"to": "+12015550123", "body": "Hi"}]


def test_transactional_media_and_message_id_reach_the_payload(django_capture_on_commit_callbacks):
    send_now(
        django_capture_on_commit_callbacks,
        "+12015550123",
        "Receipt",
        transactional=True,
        media_url="https://cdn.example/r.png",
        message_id="42",
    )
    assert locmem.outbox == [
        {
            "to": "+12015550123",
            "body": "Receipt",
            "messageId": "42",
            "type": "TRANSACTIONAL",
            "mediaUrl": "https://cdn.example/r.png",
        }
    ]


def test_related_object_is_linked(django_capture_on_commit_callbacks):
    user = get_user_model().objects.create(username="buyer")
    message = send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi", related=user)
    assert message.related == user


def test_send_at_in_the_future_waits(django_capture_on_commit_callbacks):
    later = timezone.now() + timezone.timedelta(hours=1)
    message = send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi", send_at=later)
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == later
    assert locmem.outbox == []
    assert deliver(message.pk) is None


def test_deliver_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = send_message("+12015550123", "Hi")
    assert deliver(message.pk).status == Status.SENT
    assert deliver(message.pk) is None
    assert len(locmem.outbox) == 1


def test_resend_creates_a_linked_copy(django_capture_on_commit_callbacks):
    original = send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi", message_id="7")
    staff = get_user_model().objects.create(username="staff")
    with django_capture_on_commit_callbacks(execute=True):
        copy = resend(original, by=staff)
    copy.refresh_from_db()
    assert copy.pk != original.pk
    assert (copy.resent_from, copy.created_by, copy.body, copy.message_id) == (
        original,
        staff,
        "Hi",
        "7",
    )
    assert copy.status == Status.SENT
    assert len(locmem.outbox) == 2


def test_resend_refuses_a_message_still_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = send_message("+12015550123", "Hi")
    with pytest.raises(AttentiveError, match="still queued"):
        resend(message)


def test_resend_many_resends_the_rest_and_reports_each_refusal(
    attentive, django_capture_on_commit_callbacks
):
    from django_attentive import resend_many

    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    good = OutboundMessage.objects.create(to="+12015550121", body="Shipped", status=Status.FAILED)
    braces = OutboundMessage.objects.create(to="+12015550122", body="Hi {x}", status=Status.SENT)
    pending = OutboundMessage.objects.create(to="+12015550123", body="Hi", status=Status.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        resends = resend_many([good, braces, pending])
    assert [copy.resent_from for copy in resends.copies] == [good]
    assert [(message, type(error)) for message, error in resends.refused] == [
        (braces, InvalidMessage),
        (pending, AttentiveError),
    ]
    assert "still queued" in str(resends.refused[1][1])
    assert OutboundMessage.objects.count() == 4
    assert locmem.outbox == []  # like send_bulk: never sent inside the caller


def test_resend_many_with_a_key_prefix_makes_each_copy_once(django_capture_on_commit_callbacks):
    from django_attentive import resend_many

    failed = [
        OutboundMessage.objects.create(to=f"+1201555012{n}", body="Hi", status=Status.FAILED)
        for n in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True) as scheduled:
        first = resend_many(failed, key_prefix="admin-resend:t1")
    with django_capture_on_commit_callbacks(execute=True) as again_scheduled:
        again = resend_many(failed, key_prefix="admin-resend:t1")
    assert [c.pk for c in again.copies] == [c.pk for c in first.copies]
    assert [c.idempotency_key for c in first.copies] == [f"admin-resend:t1:{m.pk}" for m in failed]
    assert (len(scheduled), len(again_scheduled)) == (1, 0)
    assert OutboundMessage.objects.count() == 4


def test_cancel_stops_a_queued_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = send_message("+12015550123", "Hi")
    assert cancel(message).status == Status.CANCELLED
    assert deliver(message.pk) is None
    assert locmem.outbox == []


def test_cancel_refuses_a_sent_message(django_capture_on_commit_callbacks):
    message = send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi")
    with pytest.raises(AttentiveError, match="only queued texts can be cancelled"):
        cancel(message)


# Outcomes over the http transport (HTTP mocked with `responses`).


def deliver_once(capture) -> OutboundMessage:
    message = send_now(capture, "+12015550123", "Your order shipped")
    assert len(responses.calls) == 1
    return message


@responses.activate
def test_403_leaves_the_message_queued_with_the_reason(
    http_backend, django_capture_on_commit_callbacks
):
    responses.post(http_backend, json={"message": "Invalid API token."}, status=403)
    message = deliver_once(django_capture_on_commit_callbacks)
    assert message.status == Status.QUEUED
    assert "Invalid API token" in message.last_error
    assert message.attempts == 0  # a bad token does not use up the message's attempts
    assert message.next_attempt_at > timezone.now()
    attempt = message.send_attempts.get()
    assert (attempt.status_code, attempt.outcome) == (403, Outcome.AUTH)


@responses.activate
def test_400_opted_out_fails_with_attentives_reason(
    http_backend, django_capture_on_commit_callbacks
):
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    failures = []
    message_failed.connect(lambda **kw: failures.append(kw), weak=False, dispatch_uid="t400")
    try:
        message = deliver_once(django_capture_on_commit_callbacks)
    finally:
        message_failed.disconnect(dispatch_uid="t400")
    assert message.status == Status.FAILED
    assert "Subscriber is opted-out" in message.last_error
    assert message.send_attempts.get().status_code == 400
    assert failures and failures[0]["message"].pk == message.pk


@responses.activate
def test_404_fails_with_attentives_reason(http_backend, django_capture_on_commit_callbacks):
    responses.post(http_backend, json={"message": "Invalid or unmatched phone number"}, status=404)
    message = deliver_once(django_capture_on_commit_callbacks)
    assert message.status == Status.FAILED
    assert "unmatched phone number" in message.last_error


@responses.activate
def test_503_leaves_the_message_queued_for_a_retry(
    http_backend, django_capture_on_commit_callbacks
):
    responses.post(http_backend, body="unavailable", status=503)
    message = deliver_once(django_capture_on_commit_callbacks)
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at is not None
    attempt = message.send_attempts.get()
    assert (attempt.status_code, attempt.outcome) == (503, Outcome.RETRY)


@responses.activate
def test_read_timeout_leaves_the_message_unconfirmed(
    http_backend, django_capture_on_commit_callbacks
):
    import requests

    responses.post(http_backend, body=requests.ReadTimeout("timed out"))
    message = deliver_once(django_capture_on_commit_callbacks)
    assert message.status == Status.UNCONFIRMED
    attempt = message.send_attempts.get()
    assert (attempt.status_code, attempt.outcome) == (None, Outcome.AMBIGUOUS)


@responses.activate
def test_200_writes_one_attempt_and_fires_message_sent(
    http_backend, django_capture_on_commit_callbacks
):
    responses.post(http_backend, json={"to": "+12015550123", "body": "Your order shipped"})
    sent = []
    message_sent.connect(lambda **kw: sent.append(kw["message"]), weak=False, dispatch_uid="t200")
    try:
        message = deliver_once(django_capture_on_commit_callbacks)
    finally:
        message_sent.disconnect(dispatch_uid="t200")
    assert message.status == Status.SENT
    attempt = SendAttempt.objects.get(message=message)
    assert attempt.status_code == 200
    assert attempt.request == {"to": "+12015550123", "body": "Your order shipped"}
    assert [m.pk for m in sent] == [message.pk]


def test_missing_token_keeps_the_message_queued(attentive, django_capture_on_commit_callbacks):
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", API_TOKEN="")
    message = send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi")
    assert message.status == Status.QUEUED
    assert "API_TOKEN" in message.last_error
    assert message.send_attempts.count() == 0


@responses.activate
def test_token_is_in_no_row_and_no_log_line(
    http_backend, django_capture_on_commit_callbacks, caplog
):
    from django.db import connection

    responses.post(http_backend, json={"message": "Invalid API token."}, status=403)
    responses.post(http_backend, json={"message": "Invalid API token."}, status=403)
    caplog.set_level(logging.DEBUG)
    send_now(django_capture_on_commit_callbacks, "+12015550123", "Hi")
    send_now(django_capture_on_commit_callbacks, "+12015550124", "Hello")
    token = "test-token-s3cr3t"
    assert token not in caplog.text
    assert "+12015550123" not in caplog.text  # numbers are masked in logs
    with connection.cursor() as cursor:
        for model in (OutboundMessage, SendAttempt):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            rows = cursor.fetchall()
            assert rows
            assert token not in repr(rows)


def test_send_bulk_collapses_duplicates_in_few_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from django_attentive import send_bulk

    numbers = [f"+1201555{n:04d}" for n in range(300)] + ["(201) 555-0000"]
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(12):
        created = send_bulk(numbers, "Sale starts now")
    assert len(created) == 300
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 300
    assert locmem.outbox == []  # the ImmediateBackend leaves bulk sends to the workers


def test_send_bulk_lists_every_bad_number_and_saves_nothing():
    from django_attentive import send_bulk

    with pytest.raises(InvalidMessage) as caught:
        send_bulk(["+12015550123", "nope", "+33 6 12 34 56 78"], "Hi")
    assert len(caught.value.message_dict["to"]) == 2
    assert OutboundMessage.objects.count() == 0


def test_send_bulk_with_a_key_sends_each_number_once(monkeypatch):
    from django_attentive import send_bulk
    from django_attentive.outbox import handoff

    queued: list[list[int]] = []
    monkeypatch.setattr(
        handoff, "request_bulk_delivery", lambda pairs: queued.append([pk for pk, _ in pairs])
    )
    first = send_bulk(["+12015550100", "+12015550101"], "Sale", idempotency_key="sale-1")
    again = send_bulk(
        ["+12015550101", "(201) 555-0100", "+12015550102"], "Sale", idempotency_key="sale-1"
    )
    assert [m.pk for m in again[:2]] == [first[1].pk, first[0].pk]
    assert again[2].idempotency_key == "sale-1:+12015550102"
    assert OutboundMessage.objects.count() == 3
    assert queued == [[m.pk for m in first], [again[2].pk]]


def test_send_bulk_queues_only_rows_it_inserted_when_a_concurrent_send_won(monkeypatch):
    from django_attentive.outbox import bulk, handoff

    queued: list[list[int]] = []
    monkeypatch.setattr(
        handoff, "request_bulk_delivery", lambda pairs: queued.append([pk for pk, _ in pairs])
    )
    winner = bulk.send_bulk(["+12015550100"], "Sale", idempotency_key="sale-1")
    real_keyed = bulk.by_key
    calls = []

    def keyed(keys):  # the first lookup runs before the other request committed
        calls.append(keys)
        return {} if len(calls) == 1 else real_keyed(keys)

    monkeypatch.setattr(bulk, "by_key", keyed)
    loser = bulk.send_bulk(["+12015550100", "+12015550101"], "Sale", idempotency_key="sale-1")
    assert loser[0].pk == winner[0].pk
    assert OutboundMessage.objects.count() == 2
    assert queued == [[winner[0].pk], [loser[1].pk]]


def test_send_bulk_refuses_a_key_with_no_room_for_the_number():
    from django_attentive import send_bulk

    with pytest.raises(InvalidMessage) as caught:
        send_bulk(["+12015550100"], "Sale", idempotency_key="k" * 239)
    assert "at most 238 characters" in caught.value.message_dict["idempotency_key"][0]
    assert len(send_bulk(["+12015550100"], "Sale", idempotency_key="k" * 238)) == 1


def test_deliver_many_sends_each_once(django_capture_on_commit_callbacks):
    from django_attentive import send_bulk
    from django_attentive.sending.delivery import deliver_many

    created = send_bulk(["+12015550123", "+12015550124"], "Hi")
    pks = [m.pk for m in created]
    assert deliver_many(pks) == 2
    assert deliver_many(pks) == 0
    assert len(locmem.outbox) == 2


def record_after_recovery(capture, recovered: dict, answer: object = None):
    """Claim and send a text, let "recovery" change its row first, then record the answer."""
    from django_attentive.backends import get_backend
    from django_attentive.outbox.leases import lease_one as claim
    from django_attentive.outbox.outcomes import record
    from django_attentive.sending.transmit import transmit

    with capture(execute=False):
        message = send_message("+12015550123", "Hi")
    report = transmit(claim(message.pk), backend=get_backend())
    if answer is not None:
        report = replace(report, outcome=answer)
    # The writer lagged past the lease: recovery settled the message first.
    OutboundMessage.objects.filter(pk=message.pk).update(**recovered)
    delivered = []
    message_sent.connect(
        lambda message, **kw: delivered.append(message.pk), weak=False, dispatch_uid="late"
    )
    try:
        record([report])
    finally:
        message_sent.disconnect(dispatch_uid="late")
    message.refresh_from_db()
    return message, delivered


RECOVERED = {"status": Status.UNCONFIRMED, "leased_at": None, "leased_by": ""}


def test_a_late_200_settles_a_recovered_message_as_sent(django_capture_on_commit_callbacks):
    message, delivered = record_after_recovery(django_capture_on_commit_callbacks, RECOVERED)
    assert message.status == Status.SENT
    assert message.send_attempts.get().outcome == Outcome.SENT
    assert delivered == [message.pk]


def test_a_late_200_leaves_a_message_another_worker_took_up(django_capture_on_commit_callbacks):
    retaken = {"status": Status.SENDING, "leased_by": "other-host:1:1"}
    message, delivered = record_after_recovery(django_capture_on_commit_callbacks, retaken)
    assert (message.status, message.leased_by) == (Status.SENDING, "other-host:1:1")
    assert delivered == []


def test_a_late_failure_keeps_the_recovered_state(django_capture_on_commit_callbacks, caplog):
    from django_attentive.exceptions import TransientError

    with caplog.at_level(logging.WARNING):
        message, _ = record_after_recovery(
            django_capture_on_commit_callbacks, RECOVERED, TransientError("503", status_code=503)
        )
    assert message.status == Status.UNCONFIRMED
    assert message.send_attempts.get().outcome == Outcome.RETRY  # the log still tells the truth
    assert "after its lease ran out" in caplog.text


def test_a_naive_send_at_is_read_in_the_current_time_zone(django_capture_on_commit_callbacks):
    from datetime import datetime, timedelta

    later = datetime.now() + timedelta(days=1)  # naive, as a form or script might pass it
    with timezone.override("America/New_York"):
        message = send_message("+12015550123", "Tomorrow", send_at=later)
        expected = timezone.make_aware(later)
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == expected


def test_an_idempotency_key_too_long_for_its_column_is_invalid_input():
    with pytest.raises(InvalidMessage) as caught:
        send_message("+12015550123", "Hi", idempotency_key="k" * 256)
    assert "idempotency_key" in caught.value.message_dict
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("body", {"body": "Hi\x00there"}),
        ("message_id", {"body": "Hi", "message_id": "id\x00"}),
        ("media_url", {"body": "Hi", "media_url": "https://shop.example/a\x00.png"}),
    ],
)
def test_a_nul_character_is_invalid_input_not_a_database_error(field, kwargs):
    with pytest.raises(InvalidMessage) as caught:
        send_message("+12015550123", **kwargs)
    assert "NUL" in " ".join(caught.value.message_dict[field])
    assert OutboundMessage.objects.count() == 0


@responses.activate
def test_an_answer_with_a_nul_character_is_stored_readably(
    http_backend, django_capture_on_commit_callbacks
):
    responses.post(http_backend, body='{"message": "Subscriber\x00 is opted-out"}', status=400)
    message = deliver_once(django_capture_on_commit_callbacks)
    assert message.status == Status.FAILED
    assert "\\x00" in message.last_error
    assert "\\x00" in message.send_attempts.get().response_body
