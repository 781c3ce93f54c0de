"""Task deliveries (``sending/delivery.py``): what a chunk of a bulk send costs and how many
requests it keeps in flight."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from django_attentive import send_bulk
from django_attentive.backends import get_backend
from django_attentive.backends.base import BaseBackend, MessagePayload, SendResult
from django_attentive.models import OutboundMessage, Status
from django_attentive.sending import delivery

pytestmark = pytest.mark.django_db(transaction=True)


def queued(count: int) -> list[int]:
    with pytest.MonkeyPatch.context() as patch:  # queue without delivering inline
        patch.setattr("django_attentive.outbox.handoff.request_bulk_delivery", lambda _: None)
        return [m.pk for m in send_bulk([f"+1201555{n:04d}" for n in range(count)], "Sale")]


def test_finding_a_chunks_endpoints_is_one_query_whatever_its_size(
    attentive, django_assert_num_queries
):
    attentive(RATE_LIMIT=150)
    pks = queued(20)
    with django_assert_num_queries(1):
        endpoints = delivery._due_endpoints(pks, get_backend())
    assert set(endpoints) == set(pks)


class CountInFlight(BaseBackend):
    """Accepts every text after a short wait, counting the requests in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0

    def send(self, payload: MessagePayload) -> SendResult:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return SendResult(200, "{}", dict(payload))


def test_a_chunk_is_sent_several_requests_at_a_time_within_its_bound(attentive, monkeypatch):
    attentive(RATE_LIMIT=0, TASK_CONCURRENCY=4)
    backend = CountInFlight()
    monkeypatch.setattr(delivery, "get_backend", lambda: backend)
    pks = queued(16)
    assert delivery.deliver_many(pks) == 16
    assert 1 < backend.most <= 4
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert all(m.send_attempts.count() == 1 for m in OutboundMessage.objects.all())
    connections.close_all()
