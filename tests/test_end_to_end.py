"""send_message -> outbox -> Django Tasks -> real HTTP -> the fake -> status + send log.

Every test runs once per Attentive transport: the archived Messages API (HttpBackend) and the
current API (TextSendBackend). Switching is one setting; nothing else may change.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import requests
from django.db import transaction

from django_attentive import send_message
from django_attentive.fake import FakeAttentive
from django_attentive.models import OutboundMessage, SendAttempt, Status

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Transport:
    backend: str
    path: str  # where texts go
    accepted: int  # the status code of an accepted text
    type_field: str  # where "TRANSACTIONAL" travels

    def payload(self, to: str, body: str) -> dict[str, str]:
        """The wire payload of a plain (non-transactional) text."""
        if self.type_field == "subscriptionType":
            return {"to": to, "subscriptionType": "MARKETING", "body": body}
        return {"to": to, "body": body}

    def received(self, fake: FakeAttentive) -> list[dict]:
        return fake.records(self.path)


TRANSPORTS = {
    "messages-api": Transport(
        "django_attentive.backends.http.HttpBackend", "/v1/messages", 200, "type"
    ),
    "text-send": Transport(
        "django_attentive.backends.text_send.TextSendBackend",
        "/v1/text/send",
        202,
        "subscriptionType",
    ),
}


@pytest.fixture(params=list(TRANSPORTS))
def transport(request) -> Transport:
    return TRANSPORTS[request.param]


@pytest.fixture
def fake(fake, attentive, transport):
    """The conftest fake (BASE_URL set to it), with this test's transport."""
    attentive(BACKEND=transport.backend)
    return fake


def test_send_reaches_the_standalone_fake_once(fake, transport):
    with transaction.atomic():
        message = send_message("(201) 555-0123", "Your order #1001 shipped 📦")
    message.refresh_from_db()
    assert message.status == Status.SENT
    attempt = SendAttempt.objects.get(message=message)
    assert attempt.status_code == transport.accepted
    assert attempt.request == transport.payload("+12015550123", "Your order #1001 shipped 📦")
    assert [(m["to"], m["body"]) for m in transport.received(fake)] == [
        ("+12015550123", "Your order #1001 shipped 📦")
    ]


def test_send_reaches_the_fake_mounted_in_a_live_server(live_server, attentive, transport):
    from django_attentive.fake import fake as mounted

    mounted.reset()
    attentive(
        BACKEND=transport.backend,
        BASE_URL=f"{live_server.url}/fake-attentive",
        API_TOKEN="live-token",
    )
    send_message("+1 201 555 0123", "Hello over real HTTP", transactional=True)
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert message.send_attempts.get().status_code == transport.accepted
    assert [
        (m["to"], m["body"], m.get(transport.type_field)) for m in transport.received(mounted)
    ] == [("+12015550123", "Hello over real HTTP", "TRANSACTIONAL")]
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
def test_attentive_refusals_over_http_make_one_request(fake, transport, configure, status, reason):
    fake.configure(**configure)
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert message.status == status
    assert reason in message.last_error
    assert message.send_attempts.count() == 1
    assert transport.received(fake) == []


def test_fault_before_recording_leaves_message_queued(fake, transport):
    fake.fail_next(503)
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert transport.received(fake) == []


def test_dropped_connection_after_recording_is_unconfirmed_not_resent(fake, transport):
    fake.configure(fault_rate=1.0, fault_kinds=["drop_after"])
    send_message("+12015550123", "Hi")
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNCONFIRMED
    assert len(transport.received(fake)) == 1  # Attentive got it; we must not resend on our own


def test_nothing_reaches_the_other_transports_endpoint(fake, transport):
    send_message("+12015550123", "Hi")
    assert [m["endpoint"] for m in fake.records()] == [transport.path]
