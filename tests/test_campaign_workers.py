"""Campaigns under real workers: counts while two processes send, and a pause that holds.

Meant for PostgreSQL (SKIP LOCKED, real concurrency): DATABASE_URL=postgres://...; they also
run on SQLite, where the workers take turns on the write lock.
"""

from __future__ import annotations

import threading
import time

import pytest

from django_attentive import pause_campaign, resume_campaign, send_bulk
from django_attentive.models import Campaign, OutboundMessage, Status
from django_attentive.sending.worker import Worker

from .conftest import TOKEN
from .workers import finish, start_worker

pytestmark = pytest.mark.django_db(transaction=True)

STARTED = [Status.SENDING, Status.SENT, Status.FAILED, Status.UNCONFIRMED]


def numbers(count: int) -> list[str]:
    return [f"+1201555{n:04d}" for n in range(count)]


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_counts_stay_whole_while_two_worker_processes_send(fake, fake_server):
    fake.configure(latency=0.003)
    size = 600
    campaign = Campaign.objects.get(
        pk=send_bulk(numbers(size), "Spring sale", campaign="Spring")[0].campaign_id
    )
    settings = {
        "BACKEND": "django_attentive.backends.http.HttpBackend",
        "BASE_URL": fake_server.url,
        "API_TOKEN": TOKEN,
        "RATE_LIMIT": 0,
    }
    workers = [
        start_worker("--concurrency", "4", "--batch-size", "50", settings=settings)
        for _ in range(2)
    ]
    snapshots = []
    while any(worker.poll() is None for worker in workers):
        progress = campaign.progress()
        snapshots.append((progress.total, progress.done))
        time.sleep(0.05)
    for worker in workers:
        finish(worker)
    progress = campaign.progress()
    assert {total for total, _ in snapshots} <= {size}
    dones = [done for _, done in snapshots]
    assert dones == sorted(dones), "done never goes back"
    assert progress.count(Status.SENT) == size and progress.finished
    received = [text["to"] for text in fake.texts]
    assert sorted(received) == sorted(numbers(size)), "each number texted exactly once"


def test_a_worker_running_through_a_pause_sends_none_of_the_campaign(fake, attentive):
    attentive(RATE_LIMIT=60)
    fake.configure(latency=0.01)
    size = 240
    campaign = Campaign.objects.get(
        pk=send_bulk(numbers(size), "Spring sale", campaign="Spring")[0].campaign_id
    )
    worker = Worker(concurrency=2, batch_size=40, loop=True, interval=0.1)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        campaign_texts = OutboundMessage.objects.filter(campaign=campaign)
        wait_for(lambda: campaign_texts.filter(status=Status.SENT).count() >= 20)
        pause_campaign(campaign)
        started = campaign_texts.filter(status__in=STARTED).count()
        assert started < size
        time.sleep(1.5)  # the worker keeps looping all this time
        assert len(fake.texts) <= started, "no text started after the pause"
        assert campaign_texts.filter(status=Status.SENDING).count() == 0
        assert campaign_texts.filter(status=Status.QUEUED).count() == size - started
        assert campaign.progress().as_json()["eta_seconds"] is None

        resume_campaign(campaign)
        wait_for(lambda: campaign.progress().finished)
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert campaign_texts.filter(status=Status.SENT).count() == size
    assert sorted(text["to"] for text in fake.texts) == sorted(numbers(size))
