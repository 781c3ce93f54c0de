"""send_message -> outbox -> Django Tasks -> real HTTP -> the fake -> status + send log."""

from __future__ import annotations

import pytest
import requests
from django.db import transaction

from django_attentive import send_message
from django_attentive.models import OutboundMessage, SendAttempt, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_send_reaches_the_standalone_fake_once(fake):
    with transaction.atomic():
        message = send_message("(201) 555-0123", "Your order #1001 shipped 📦")
    message.refresh_from_db()
    assert message.status == Status.SENT
    attempt = SendAttempt.objects.get(message=message)
    assert attempt.status_code == 200
    assert attempt.request == {"to": "+12015550123", "body": "Your order #1001 shipped 📦"}
    assert [(m["to"], m["body"]) for m in fake.messages] == [
        ("+12015550123", "Your order #1001 shipped 📦")
    ]


def test_send_reaches_the_fake_mounted_in_a_live_server(live_server, attentive):
    from django_attentive.fake import fake as mounted

    mounted.reset()
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend",
        BASE_URL=f"{live_server.url}/fake-attentive",
        API_TOKEN="live-token",
    )
    send_message("+1 201 555 0123", "Hello over real HTTP", transactional=True)
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert message.send_attempts.get().status_code == 200
    assert [(m["to"], m["body"], m.get("type")) for m in mounted.messages] == [
        ("+12015550123", "Hello over real HTTP", "TRANSACTIONAL")
    ]
    inbox = requests.get(f"{live_server.url}/fake-attentive/inbox/", timeout=5)
    assert inbox.status_code in (200, 302)  # the inbox is staff-only or public; it renders
    mounted.reset()


@pytest.mark.parametrize(
    ("configure", "status", "reason"),
    [
        ({"opted_out": ["+12015550123"]}, Status.FAILED, "opted-out"),
        ({"unknown": ["+12015550123"]}, Status.FAILED, "not found"),
        ({"token": "another-token"}, Status.QUEUED, "Invalid API token"),
    ],
)
def test_attentive_refusals_over_http_make_one_request(fake, configure, status, reason):
    fake.configure(**configure)
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert message.status == status
    assert reason in message.last_error
    assert message.send_attempts.count() == 1
    assert fake.messages == []


def test_fault_before_recording_leaves_message_queued(fake):
    fake.fail_next(503)
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert fake.messages == []


def test_dropped_connection_after_recording_is_unconfirmed_not_resent(fake):
    fake.configure(fault_rate=1.0, fault_kinds=["drop_after"])
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNCONFIRMED
    assert len(fake.messages) == 1  # Attentive got it; we must not send it again on our own
