"""The worker's lifecycle: stop() ends sending at once, few texts wait started, SIGINT exits 0."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from django.db import connections

from django_attentive import send_bulk
from django_attentive.backends.base import BaseBackend, MessagePayload, SendResult
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.sending.worker import Worker

from .conftest import TOKEN
from .workers import finish, start_worker

pytestmark = pytest.mark.django_db(transaction=True)


def queue(count: int) -> list[int]:
    return [m.pk for m in send_bulk([f"+1201555{n:04d}" for n in range(count)], "Sale")]


class StopDuringSend(BaseBackend):
    """Accepts every text; the first request stops the worker, as SIGTERM would mid-send.

    It first waits until the worker has started a second text (queued behind this request in
    the one sending thread), so that text reaches the sending thread after the stop: it must
    be handed back, not sent.
    """

    def __init__(self) -> None:
        self.requests: list[MessagePayload] = []
        self.worker: Worker | None = None

    def send(self, payload: MessagePayload) -> SendResult:
        self.requests.append(payload)
        assert self.worker is not None
        if len(self.requests) == 1:
            try:
                deadline = time.monotonic() + 10
                while OutboundMessage.objects.filter(status=Status.SENDING).count() < 2:
                    assert time.monotonic() < deadline, "the worker never started a second text"
                    time.sleep(0.01)
            finally:
                connections.close_all()  # this sending thread's own connection
        self.worker.stop()
        return SendResult(200, "{}", dict(payload))


class CountStartedButUnsent(BaseBackend):
    """At each request, counts the texts marked ``sending`` whose request has not begun."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requested: set[str] = set()
        self.waiting: list[int] = []

    def send(self, payload: MessagePayload) -> SendResult:
        try:
            with self.lock:
                self.requested.add(payload["to"])
                started = OutboundMessage.objects.filter(status=Status.SENDING)
                self.waiting.append(started.exclude(to__in=self.requested).count())
        finally:
            connections.close_all()  # this sending thread's own connection
        return SendResult(200, "{}", dict(payload))


def test_stop_during_a_send_makes_no_further_request_and_releases_the_rest(attentive):
    attentive(RATE_LIMIT=0)
    queue(10)
    backend = StopDuringSend()
    worker = Worker(concurrency=1, batch_size=10, backend=backend)
    backend.worker = worker
    worker.run()
    assert len(backend.requests) == 1
    sent = OutboundMessage.objects.get(status=Status.SENT)
    assert sent.to == backend.requests[0]["to"]
    rest = OutboundMessage.objects.exclude(pk=sent.pk)
    assert set(rest.values_list("status", "leased_at", "leased_by")) == {(Status.QUEUED, None, "")}
    assert rest.count() == 9
    assert list(SendAttempt.objects.values_list("message_id", "outcome")) == [
        (sent.pk, Outcome.SENT)
    ]


def test_only_a_few_texts_wait_started_while_the_rest_stay_reserved(attentive):
    attentive(RATE_LIMIT=0)
    queue(60)
    backend = CountStartedButUnsent()
    concurrency = 8
    chunk = concurrency // 4
    Worker(concurrency=concurrency, batch_size=100, backend=backend).run()
    assert len(backend.requested) == 60
    # What a kill -9 could leave `unconfirmed` without its request ever having been made.
    assert max(backend.waiting) <= concurrency + chunk, backend.waiting[:10]
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.slow
def test_sigint_finishes_in_flight_sends_releases_the_rest_and_exits_0(fake, fake_server):
    fake.configure(latency=0.4)
    queue(40)
    worker = start_worker(
        "--concurrency",
        "4",
        "--batch-size",
        "20",
        "--loop",
        settings={
            "BACKEND": "django_attentive.backends.http.HttpBackend",
            "BASE_URL": fake_server.url,
            "API_TOKEN": TOKEN,
        },
    )
    deadline = time.monotonic() + 20
    while not OutboundMessage.objects.filter(status=Status.SENDING).exists():
        assert time.monotonic() < deadline, "the worker never started sending"
        time.sleep(0.02)
    time.sleep(0.2)
    worker.send_signal(signal.SIGINT)
    out = finish(worker, timeout=20)  # asserts exit code 0
    assert "attentive_send_queued: sent" in out
    statuses = list(OutboundMessage.objects.values_list("status", flat=True))
    assert Status.SENDING not in statuses
    assert statuses.count(Status.SENT) == len(fake.messages) > 0
    assert statuses.count(Status.QUEUED) > 0  # the unstarted rest was handed back
    assert not OutboundMessage.objects.filter(status=Status.QUEUED, leased_at__isnull=False)
    assert SendAttempt.objects.count() == statuses.count(Status.SENT)
