"""The suppression list: what adds a number, and that a suppressed number is never texted."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import responses
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_attentive import lift_suppression, resend, send_bulk, send_message, suppress
from django_attentive.backends import get_backend, locmem
from django_attentive.models import (
    OutboundMessage,
    SendAttempt,
    Status,
    Suppression,
    SuppressionReason,
)
from django_attentive.outbox import suppressions as suppressions_module
from django_attentive.outbox.leases import lease_due as claim_batch
from django_attentive.outbox.leases import start
from django_attentive.sending.delivery import attempt, deliver

pytestmark = pytest.mark.django_db

NUMBER = "+12015550123"


def deliver_started(message: OutboundMessage) -> None:
    """Make the request of a message already ``sending`` and record its answer."""
    attempt(message, backend=get_backend())


def send_now(capture, *args, **kwargs) -> OutboundMessage:
    with capture(execute=True):
        message = send_message(*args, **kwargs)
    message.refresh_from_db()
    return message


# ----------------------------------------------------------------- added by Attentive's answers


@responses.activate
@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (400, "Subscriber is opted-out", SuppressionReason.OPTED_OUT),
        (400, "Subscriber not found", SuppressionReason.NOT_FOUND),
        (404, "Invalid or unmatched phone number", SuppressionReason.NOT_FOUND),
    ],
)
def test_recipient_refusal_fails_the_text_and_suppresses_the_number(
    http_backend, django_capture_on_commit_callbacks, status, reason, expected
):
    responses.post(http_backend, json={"message": reason}, status=status)
    message = send_now(django_capture_on_commit_callbacks, NUMBER, "Sale")
    assert message.status == Status.FAILED
    assert reason in message.last_error
    assert "added to the suppression list" in message.last_error
    entry = Suppression.objects.get(number=NUMBER)
    assert entry.reason == expected
    assert entry.source == f"Attentive answered {status} to text #{message.pk}"


@responses.activate
def test_other_400_answers_suppress_nothing(http_backend, django_capture_on_commit_callbacks):
    responses.post(http_backend, json={"message": "Illegal argument passed in"}, status=400)
    message = send_now(django_capture_on_commit_callbacks, NUMBER, "Sale")
    assert message.status == Status.FAILED
    assert not Suppression.objects.exists()


@responses.activate
def test_suppression_and_failed_status_commit_together(http_backend):
    """If adding the suppression fails, the failed status and the attempt roll back with it."""
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    message = OutboundMessage.objects.create(to=NUMBER, body="Sale")
    with (
        mock.patch.object(suppressions_module, "_suppress_queued", side_effect=RuntimeError("db")),
        pytest.raises(RuntimeError),
    ):
        deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.SENDING  # the lease expires and recovery takes over
    assert not SendAttempt.objects.exists()
    assert not Suppression.objects.exists()


@responses.activate
def test_refusal_suppresses_the_numbers_other_queued_texts(http_backend):
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    first = OutboundMessage.objects.create(to=NUMBER, body="One")
    later = OutboundMessage.objects.create(
        to=NUMBER, body="Two", next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    deliver(first.pk)
    later.refresh_from_db()
    assert later.status == Status.SUPPRESSED
    assert len(responses.calls) == 1


def test_opted_out_customer_is_never_texted_again_end_to_end(
    fake, django_capture_on_commit_callbacks
):
    fake.configure(opted_out=[NUMBER])
    first = send_now(django_capture_on_commit_callbacks, NUMBER, "Sale starts now")
    assert first.status == Status.FAILED
    # Even if Attentive would now take it, the app does not try.
    fake.configure(opted_out=[])
    second = send_now(django_capture_on_commit_callbacks, NUMBER, "Last chance")
    assert second.status == Status.SUPPRESSED
    assert second.send_attempts.count() == 0
    assert fake.messages == []


# ----------------------------------------------------------------- sending to a suppressed number


@responses.activate
def test_send_to_a_suppressed_number_is_stored_suppressed_and_makes_no_request(
    http_backend, django_capture_on_commit_callbacks
):
    suppress(NUMBER, SuppressionReason.OPTED_OUT, source="test")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = send_message("(201) 555-0123", "Sale")
    assert callbacks == []  # no delivery task was scheduled
    assert len(responses.calls) == 0
    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert message.next_attempt_at is None
    assert "suppression list since" in message.last_error
    assert "opted out; test" in message.last_error
    assert not SendAttempt.objects.exists()


def test_transactional_texts_are_suppressed_too(django_capture_on_commit_callbacks):
    suppress(NUMBER)
    message = send_now(django_capture_on_commit_callbacks, NUMBER, "Receipt", transactional=True)
    assert message.status == Status.SUPPRESSED
    assert locmem.outbox == []


def test_send_bulk_suppresses_listed_numbers_and_queues_the_rest(
    django_capture_on_commit_callbacks,
):
    suppress("+12015550101")
    with django_capture_on_commit_callbacks(execute=True):
        created = send_bulk(["+12015550100", "+12015550101", "+12015550102"], "Sale")
    by_number = {
        m.to: m.status for m in OutboundMessage.objects.filter(pk__in=[m.pk for m in created])
    }
    assert by_number == {
        "+12015550100": Status.QUEUED,
        "+12015550101": Status.SUPPRESSED,
        "+12015550102": Status.QUEUED,
    }


def test_idempotent_send_to_a_suppressed_number_returns_the_first_row():
    suppress(NUMBER)
    first = send_message(NUMBER, "Sale", idempotency_key="k1")
    again = send_message(NUMBER, "Sale", idempotency_key="k1")
    assert first.pk == again.pk
    assert OutboundMessage.objects.count() == 1


def test_resend_of_a_suppressed_text_is_suppressed_again():
    suppress(NUMBER)
    original = send_message(NUMBER, "Sale")
    copy = resend(original)
    assert copy.status == Status.SUPPRESSED


# ----------------------------------------------------------------- suppressed after queueing


def test_suppress_stops_the_numbers_queued_texts():
    later = send_message(NUMBER, "Sale", send_at=timezone.now() + timedelta(hours=2))
    other = send_message("+12015550199", "Sale", send_at=timezone.now() + timedelta(hours=2))
    suppress(NUMBER, SuppressionReason.MANUAL, source="admin (ops)")
    later.refresh_from_db()
    other.refresh_from_db()
    assert later.status == Status.SUPPRESSED
    assert "admin (ops)" in later.last_error
    assert other.status == Status.QUEUED


def test_deliver_checks_the_list_right_before_sending():
    """A suppression that skipped suppress() (a raw insert) still stops the send."""
    message = OutboundMessage.objects.create(to=NUMBER, body="Sale")
    Suppression.objects.create(number=NUMBER, reason=SuppressionReason.OPTED_OUT)
    assert deliver(message.pk) is None
    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert message.leased_by == ""
    assert locmem.outbox == []
    assert not SendAttempt.objects.exists()


def test_claim_batch_suppresses_instead_of_handing_out():
    blocked = OutboundMessage.objects.create(to=NUMBER, body="Sale")
    fine = OutboundMessage.objects.create(to="+12015550199", body="Sale")
    Suppression.objects.create(number=NUMBER, reason=SuppressionReason.WEBHOOK)
    batch = claim_batch(10)
    assert [m.pk for m in batch] == [fine.pk]
    blocked.refresh_from_db()
    assert blocked.status == Status.SUPPRESSED


@pytest.mark.django_db(transaction=True)
def test_a_reserved_text_suppressed_before_it_starts_is_never_sent(fake):
    message = OutboundMessage.objects.create(to=NUMBER, body="Sale")
    [reserved] = claim_batch(1)
    suppress(NUMBER, SuppressionReason.WEBHOOK)
    assert start([reserved]) == []
    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert fake.messages == []


def test_a_raw_insert_does_not_stop_a_batch_reserved_before_it():
    """The documented window (docs/compliance.md): the list is read when a batch is reserved."""
    OutboundMessage.objects.create(to=NUMBER, body="Sale")
    [reserved] = claim_batch(1)
    Suppression.objects.create(number=NUMBER, reason=SuppressionReason.OPTED_OUT)
    assert [m.pk for m in start([reserved])] == [reserved.pk]  # its request goes out


# ----------------------------------------------------------------- suppress / lift


def test_suppress_keeps_the_first_entry_and_normalizes_the_number():
    first = suppress("(201) 555-0123", SuppressionReason.OPTED_OUT, source="first")
    again = suppress(NUMBER, SuppressionReason.MANUAL, source="second")
    assert first.pk == again.pk
    assert Suppression.objects.get().source == "first"
    assert Suppression.objects.get().number == NUMBER


def test_suppress_again_moves_the_latest_opt_out_forward_never_back():
    first = suppress(NUMBER, SuppressionReason.OPTED_OUT)
    later = timezone.now() + timedelta(minutes=1)
    assert suppress(NUMBER, SuppressionReason.WEBHOOK, at=later).last_opted_out_at == later
    suppress(NUMBER, SuppressionReason.WEBHOOK, at=later - timedelta(hours=1))
    entry = Suppression.objects.get()
    assert (entry.reason, entry.created_at, entry.last_opted_out_at) == (
        SuppressionReason.OPTED_OUT,
        first.created_at,
        later,
    )


def test_lift_for_a_resubscribe_keeps_an_entry_with_a_newer_opt_out():
    entry = suppress(NUMBER, SuppressionReason.WEBHOOK)
    assert lift_suppression(NUMBER, resubscribed_at=entry.last_opted_out_at) is False
    assert lift_suppression(NUMBER, resubscribed_at=timezone.now() - timedelta(hours=1)) is False
    assert Suppression.objects.exists()
    assert lift_suppression(NUMBER, resubscribed_at=timezone.now() + timedelta(seconds=1))
    assert not Suppression.objects.exists()


@responses.activate
def test_a_refusal_of_a_listed_number_moves_its_latest_opt_out(http_backend):
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    OutboundMessage.objects.create(to=NUMBER, body="Sale")
    [in_flight] = start(claim_batch(1))
    entry = suppress(NUMBER, SuppressionReason.WEBHOOK, at=timezone.now() - timedelta(hours=1))
    before = timezone.now()
    deliver_started(in_flight)
    refreshed = Suppression.objects.get()
    assert (refreshed.pk, refreshed.reason) == (entry.pk, SuppressionReason.WEBHOOK)
    assert refreshed.last_opted_out_at >= before


def test_suppress_refuses_an_unknown_reason_or_a_bad_number():
    with pytest.raises(ValueError):
        suppress(NUMBER, "angry")
    with pytest.raises(ValueError):
        suppress("+33 6 12 34 56 78")


def test_lift_lets_new_texts_go_out_and_leaves_old_ones_suppressed(
    django_capture_on_commit_callbacks,
):
    suppress(NUMBER)
    old = send_now(django_capture_on_commit_callbacks, NUMBER, "One")
    assert lift_suppression(NUMBER) is True
    assert lift_suppression(NUMBER) is False
    new = send_now(django_capture_on_commit_callbacks, NUMBER, "Two")
    old.refresh_from_db()
    assert old.status == Status.SUPPRESSED
    assert new.status == Status.SENT


# ----------------------------------------------------------------- admin


def _staff(username: str, *codenames: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    client = Client()
    client.force_login(user)
    return client


CHANGELIST = "admin:django_attentive_suppression_changelist"
ADD = "admin:django_attentive_suppression_add"


def test_admin_viewer_sees_the_list_but_cannot_add_or_remove():
    entry = suppress(NUMBER, SuppressionReason.OPTED_OUT)
    client = _staff("viewer", "view_suppression")
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert NUMBER.encode() in page.content
    assert client.get(reverse(ADD)).status_code == 403
    delete = reverse("admin:django_attentive_suppression_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Suppression.objects.count() == 1


def test_admin_sender_adds_a_number_which_suppresses_its_queued_texts():
    queued = send_message(NUMBER, "Sale", send_at=timezone.now() + timedelta(hours=1))
    client = _staff("sender", "send_message")
    response = client.post(
        reverse(ADD), {"number": "(201) 555-0123", "reason": "manual", "note": "asked by phone"}
    )
    assert response.status_code == 302
    entry = Suppression.objects.get()
    assert (entry.number, entry.reason, entry.source) == (NUMBER, "manual", "admin (sender)")
    assert entry.note == "asked by phone"
    queued.refresh_from_db()
    assert queued.status == Status.SUPPRESSED


def test_admin_refuses_a_duplicate_or_foreign_number():
    suppress(NUMBER)
    client = _staff("sender", "send_message")
    duplicate = client.post(reverse(ADD), {"number": "201-555-0123", "reason": "manual"})
    assert duplicate.status_code == 200
    assert b"already exists" in duplicate.content
    foreign = client.post(reverse(ADD), {"number": "+33 6 12 34 56 78", "reason": "manual"})
    assert b"France" in foreign.content
    assert Suppression.objects.count() == 1


def test_admin_sender_removes_a_number():
    entry = suppress(NUMBER)
    client = _staff("sender", "send_message")
    delete = reverse("admin:django_attentive_suppression_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Suppression.objects.exists()


def test_admin_search_finds_a_number_however_written():
    suppress(NUMBER)
    suppress("+12015550199")
    client = _staff("viewer", "view_suppression")
    page = client.get(reverse(CHANGELIST), {"q": "(201) 555-0123"})
    assert NUMBER.encode() in page.content
    assert b"+12015550199" not in page.content


def test_message_page_and_list_say_why_a_text_was_suppressed():
    suppress(NUMBER, SuppressionReason.OPTED_OUT, source="Attentive answered 400 to text #1")
    message = send_message(NUMBER, "Sale")
    client = _staff("viewer", "view_outboundmessage", "view_suppression")
    page = client.get(reverse("admin:django_attentive_outboundmessage_change", args=[message.pk]))
    assert b"suppression list since" in page.content
    assert b"Attentive answered 400 to text #1" in page.content
    entry = Suppression.objects.get()
    assert reverse("admin:django_attentive_suppression_change", args=[entry.pk]).encode() in (
        page.content
    )
    listing = client.get(reverse("admin:django_attentive_outboundmessage_changelist"))
    assert b'title="Not sent: the number is on the suppression list' in listing.content


def test_composing_to_a_suppressed_number_says_it_was_not_sent():
    suppress(NUMBER)
    client = _staff("sender", "send_message", "view_outboundmessage")
    compose = reverse("admin:django_attentive_outboundmessage_compose")
    data = {"recipients": NUMBER, "body": "Sale", "token": "t1", "_send": "1"}
    page = client.post(compose, data, follow=True)
    assert b": Not sent: the number is on the suppression list" in page.content
    assert OutboundMessage.objects.get().status == Status.SUPPRESSED
    bulk = {**data, "recipients": f"{NUMBER}\n+12015550199", "_confirm": "1", "token": "t2"}
    bulk.pop("_send")
    page = client.post(compose, bulk, follow=True)
    assert b"1 of them are on the suppression list" in page.content
