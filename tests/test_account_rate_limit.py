"""The account's rate limit holds across real processes: workers on several processes, web
processes sending through tasks, and the lower limits of some endpoints, measured at the fake
Attentive enforcing the limit as Attentive does (a 429 above it)."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime

import pytest
from django.db import connection, connections

from django_attentive import send_message
from django_attentive.models import Kind, OutboundMessage, SendAttempt, Status
from django_attentive.outbox.requests import queue_request

from .conftest import TOKEN
from .workers import finish, start_worker

pytestmark = pytest.mark.django_db(transaction=True)


def queue(count: int, start: int = 0) -> None:
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201{3000000 + n:07d}", body="Sale", status=Status.QUEUED)
        for n in range(start, start + count)
    )


def worker_settings(fake_server, rate: float) -> dict:
    return {
        "BACKEND": "django_attentive.backends.http.HttpBackend",
        "BASE_URL": fake_server.url,
        "API_TOKEN": TOKEN,
        "RATE_LIMIT": rate,
        "TIMEOUT": [2, 10],
    }


def wait_until_sent(count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while OutboundMessage.objects.filter(status=Status.SENT).count() < count:
        assert time.monotonic() < deadline, (
            f"only {OutboundMessage.objects.filter(status=Status.SENT).count()} of {count} sent"
        )
        time.sleep(0.25)


def stop(workers) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        finish(worker, timeout=30)


def busiest_second(records: list[dict]) -> int:
    """The most requests the fake accepted within any one second."""
    times = sorted(datetime.fromisoformat(r["received_at"]).timestamp() for r in records)
    most, low = 0, 0
    for high, at in enumerate(times):
        while times[low] <= at - 1.0:
            low += 1
        most = max(most, high - low + 1)
    return most


def overall_rate(records: list[dict]) -> float:
    """Requests per second the fake accepted, from the first to the last."""
    times = sorted(datetime.fromisoformat(r["received_at"]).timestamp() for r in records)
    return (len(times) - 1) / (times[-1] - times[0])


def assert_each_sent_once(fake, count: int) -> None:
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == count
    numbers = [record["to"] for record in fake.texts]
    assert len(numbers) == len(set(numbers)) == count


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="several writers: PostgreSQL")
def test_three_workers_stay_under_the_account_limit(fake, fake_server):
    rate, count = 150, 3000
    fake.configure(rate_limit=rate, latency=0.05)
    queue(count)
    args = ("--loop", "--concurrency", "16", "--interval", "0.5")
    workers = [start_worker(*args, settings=worker_settings(fake_server, rate)) for _ in range(3)]
    try:
        wait_until_sent(count, timeout=60)
    finally:
        stop(workers)
    assert_each_sent_once(fake, count)
    stats = fake.stats
    assert stats.rate_limited <= stats.requests * 0.01, stats
    assert overall_rate(fake.texts) <= rate * 1.02


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="several writers: PostgreSQL")
def test_web_sends_share_the_budget_with_the_workers(fake, fake_server, attentive):
    rate, queued, web = 40, 600, 160
    fake.configure(rate_limit=rate)
    attentive(RATE_LIMIT=rate)
    queue(queued)
    args = ("--loop", "--concurrency", "8", "--interval", "0.5")
    workers = [start_worker(*args, settings=worker_settings(fake_server, rate)) for _ in range(2)]
    web_sent: list[float] = []
    try:
        while not OutboundMessage.objects.filter(status=Status.SENT).exists():
            time.sleep(0.05)

        def web_process(first: int) -> None:
            # A request thread: send_message runs the delivery task inline (ImmediateBackend).
            try:
                for n in range(first, first + web // 4):
                    send_message(f"+1201{5000000 + n:07d}", "Your order shipped")
                    web_sent.append(time.monotonic())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=web_process, args=(n * web // 4,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        still_queued = OutboundMessage.objects.filter(status=Status.QUEUED).count()
        wait_until_sent(queued + web, timeout=60)
    finally:
        stop(workers)
    assert still_queued > 0  # the web sends went out while the workers were busy
    assert_each_sent_once(fake, queued + web)
    assert SendAttempt.objects.filter(message__to__startswith="+12015").count() == web
    stats = fake.stats
    assert stats.rate_limited <= stats.requests * 0.01, stats
    assert overall_rate(fake.texts) <= rate * 1.02


def test_subscriptions_go_at_attentives_10_per_second(fake, attentive):
    from django_attentive.sending.worker import Worker

    fake.configure(rate_limit=10)
    attentive(RATE_LIMIT=150)  # the built-in limit of /v1/subscriptions is 10/s
    with pytest.MonkeyPatch.context() as patch:  # queue without sending inline
        patch.setattr("django_attentive.outbox.handoff.request_delivery", lambda *_: None)
        for n in range(35):
            queue_request(
                Kind.SUBSCRIPTION,
                {"user": {"phone": f"+1201555{n:04d}"}, "signUpSourceId": "1"},
                to=f"+1201555{n:04d}",
            )
    start = time.monotonic()
    Worker(concurrency=8).run()
    took = time.monotonic() - start
    records = fake.records("/v1/subscriptions")
    assert len(records) == 35
    assert fake.stats.rate_limited == 0  # the fake allows 10/s with a second's worth in hand
    assert overall_rate(records) <= 10 * 1.05  # sent two by two: the first pair a bit late
    assert busiest_second(records) <= 10 + 2  # a burst of 1, and the network's jitter
    assert took >= (35 - 1) / 10 * 0.95
