"""Several real worker processes, a faulty fake Attentive, and a worker killed with SIGKILL.

However the faults fall, every message ends in one final state and none is texted twice.
"""

from __future__ import annotations

import collections
import signal
import time

import pytest
from django.db import connection

from django_attentive import send_bulk
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status

from .conftest import TOKEN
from .workers import finish, start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FINAL = {Status.SENT, Status.FAILED, Status.UNCONFIRMED}


def worker_settings(fake_server, **extra) -> dict:
    return {
        "BACKEND": "django_attentive.backends.http.HttpBackend",
        "BASE_URL": fake_server.url,
        "API_TOKEN": TOKEN,
        "RATE_LIMIT": 0,
        "RETRY_BACKOFF": 0.01,
        "MAX_ATTEMPTS": 5,
        "TIMEOUT": [2, 5],
        **extra,
    }


def queue(count: int) -> None:
    send_bulk([f"+1201555{n:04d}" for n in range(count)], "Flash sale")


def run_until_final(workers: int, settings: dict, rounds: int = 20) -> None:
    """Run `workers` drains at once, again while retries are still queued (as cron would)."""
    for _ in range(rounds):
        processes = [
            start_worker("--concurrency", "8", "--batch-size", "50", settings=settings)
            for _ in range(workers)
        ]
        for process in processes:
            finish(process, timeout=300)
        if not OutboundMessage.objects.exclude(status__in=FINAL).exists():
            return
        time.sleep(0.05)


def assert_exactly_once(fake, total: int) -> dict[str, int]:
    statuses = collections.Counter(OutboundMessage.objects.values_list("status", flat=True))
    assert set(statuses) <= FINAL, statuses
    assert sum(statuses.values()) == total
    recorded = collections.Counter(m["to"] for m in fake.messages)
    twice = [to for to, n in recorded.items() if n > 1]
    assert twice == [], f"texted twice: {twice[:5]}"
    sent = set(OutboundMessage.objects.filter(status=Status.SENT).values_list("to", flat=True))
    assert sent <= set(recorded)
    return statuses


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the chaos run needs PostgreSQL")
def test_three_workers_and_twenty_percent_faults_send_each_message_at_most_once(fake, fake_server):
    fake.configure(fault_rate=0.2, fault_kinds=["error", "drop"], seed=7)
    queue(2000)
    run_until_final(3, worker_settings(fake_server))
    statuses = assert_exactly_once(fake, 2000)
    # Faults here happen before the fake records anything: what it holds is exactly what is sent.
    assert statuses[Status.SENT] == len(fake.messages)
    assert statuses[Status.UNCONFIRMED] > 0  # dropped connections are never retried blindly


def test_two_workers_on_any_database_never_double_send(fake, fake_server):
    fake.configure(fault_rate=0.1, fault_kinds=["error"], seed=3)
    queue(300)
    run_until_final(2, worker_settings(fake_server))
    statuses = assert_exactly_once(fake, 300)
    assert statuses[Status.SENT] == len(fake.messages) == 300


def test_killed_worker_loses_nothing_and_its_in_flight_texts_are_not_resent(fake, fake_server):
    fake.configure(latency=0.3)
    queue(200)
    settings = worker_settings(fake_server, LEASE_SECONDS=2)
    victim = start_worker("--concurrency", "4", "--batch-size", "40", "--loop", settings=settings)
    deadline = time.monotonic() + 30
    while OutboundMessage.objects.filter(status=Status.SENT).count() < 8:
        assert time.monotonic() < deadline, "the worker sent nothing"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    in_flight = set(
        OutboundMessage.objects.filter(status=Status.SENDING).values_list("pk", flat=True)
    )
    assert in_flight, "the kill should catch sends in flight"
    time.sleep(2.5)  # let the dead worker's leases run out
    fake.configure(latency=0)
    run_until_final(1, settings)
    assert_exactly_once(fake, 200)
    resent = OutboundMessage.objects.filter(pk__in=in_flight).exclude(status=Status.UNCONFIRMED)
    assert not resent.exists(), "in-flight texts must not be sent again on our own"
    unstarted = OutboundMessage.objects.exclude(pk__in=in_flight)
    assert set(unstarted.values_list("status", flat=True)) == {Status.SENT}


def test_texts_recorded_then_lost_are_texted_twice_only_after_an_ambiguous_attempt(
    fake, fake_server
):
    # The fake records the text, then drops the connection or answers after the lease ran out:
    # with RETRY_AMBIGUOUS the shop chose to retry these, so these alone may be texted twice.
    fake.configure(fault_rate=0.2, fault_kinds=["drop_after", "slow"], slow_seconds=1.5, seed=11)
    queue(300)
    settings = worker_settings(fake_server, RETRY_AMBIGUOUS=True, LEASE_SECONDS=1)
    run_until_final(2, settings)
    statuses = collections.Counter(OutboundMessage.objects.values_list("status", flat=True))
    assert set(statuses) <= FINAL and sum(statuses.values()) == 300, statuses
    recorded = collections.Counter(m["to"] for m in fake.messages)
    sent = OutboundMessage.objects.filter(status=Status.SENT).values_list("to", flat=True)
    assert set(sent) <= set(recorded)
    ambiguous = collections.Counter(
        SendAttempt.objects.filter(
            outcome__in=[Outcome.AMBIGUOUS, Outcome.WORKER_LOST]
        ).values_list("message__to", flat=True)
    )
    twice = {to: n for to, n in recorded.items() if n > 1}
    assert twice, "the faults should have led to some retried, recorded texts"
    # Each recording after the first needs an ambiguous attempt (timeout, drop, lost worker)
    # before it that the shop chose to retry.
    unexplained = {to: (n, ambiguous[to]) for to, n in twice.items() if n > 1 + ambiguous[to]}
    assert unexplained == {}, "texted again without an ambiguous attempt before"
