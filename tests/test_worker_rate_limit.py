"""The worker waits for the rate limit before a text becomes ``sending``, never after: a slow
limit can then not make a started text outlive its lease (and be recovered as unconfirmed
while it is sent anyway)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from django.utils import timezone

from django_attentive import send_bulk
from django_attentive.backends.base import BaseBackend, MessagePayload, SendResult
from django_attentive.models import OutboundMessage, Status
from django_attentive.sending.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


class LeaseAgeAtRequest(BaseBackend):
    """At each request, how long ago its text became ``sending`` (its lease's start)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ages: list[float] = []

    def send(self, payload: MessagePayload) -> SendResult:
        try:
            leased_at = OutboundMessage.objects.get(to=payload["to"]).leased_at
            with self.lock:
                self.ages.append((timezone.now() - leased_at).total_seconds())
        finally:
            connections.close_all()  # this sending thread's own connection
        return SendResult(200, "{}", dict(payload))


def test_a_text_becomes_sending_only_once_the_rate_limit_lets_it_go(attentive):
    rate = 8  # requests/s; ten started texts waiting in line would take over a second
    attentive(RATE_LIMIT=rate, LEASE_SECONDS=60, TASK_BACKEND="default")
    with pytest.MonkeyPatch.context() as patch:  # queue without sending inline
        patch.setattr("django_attentive.outbox.handoff.request_bulk_delivery", lambda _: None)
        send_bulk([f"+1201555{n:04d}" for n in range(24)], "Sale")
    backend = LeaseAgeAtRequest()
    clock = time.monotonic()
    Worker(concurrency=8, batch_size=100, backend=backend).run()
    took = time.monotonic() - clock
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert len(backend.ages) == 24
    assert took >= (24 - 1) / rate * 0.9  # the limit was really in force
    # Each request follows its start at once, whatever the queue for the limit.
    assert max(backend.ages) < 0.5, sorted(backend.ages)[-5:]
