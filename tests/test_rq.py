"""Django Tasks on RQ: real ``rqworker`` processes on a real Redis send to the fake over HTTP.

Needs Redis (``bash scripts/redis.sh`` starts one; ``REDIS_URL`` points elsewhere) and
PostgreSQL (the workers share the test database). Without Redis these tests are skipped with
a notice, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from django_attentive import send_bulk, send_message
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.sending import dispatch
from django_attentive.sending.worker import Worker

from .conftest import TOKEN
from .workers import finish, start_rqworker, start_worker

pytestmark = [pytest.mark.rq, pytest.mark.django_db(transaction=True)]
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="rqworker processes share the test database: run with DATABASE_URL=postgres://…",
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the tests use; skip (fail under CI=true) when it does not answer."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        why = f"Redis is not available at {REDIS_URL} ({error}); `bash scripts/redis.sh` starts one"
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail(f"{why}, and CI=true requires it")
        pytest.skip(why)
    return REDIS_URL


@pytest.fixture
def rq_queue(redis_url, settings, attentive):
    """This process uses Django Tasks on RQ, on a queue of its own, emptied afterwards."""
    import django_rq

    # Declared under the default backend, as in the rest of the suite: on Django 6 a task
    # declared while TASKS names the RQ backend is the backport's class for the whole run.
    import django_attentive.sending.tasks  # noqa: F401

    name = settings.RQ_QUEUE
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", name]}
    }
    attentive(TASK_QUEUE=name)
    queue = django_rq.get_queue(name)
    _forget(queue)
    yield queue
    _forget(queue)


def _forget(queue) -> None:
    """Delete every job and registry entry of ``queue`` (not other runs' queues)."""
    registries = [
        queue.scheduled_job_registry,
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
    ]
    for registry in registries:
        for job_id in registry.get_job_ids():
            queue.connection.delete(f"rq:job:{job_id}")
        queue.connection.delete(registry.key)
    queue.empty()


@pytest.fixture
def rqworkers(rq_queue, fake, fake_server, settings, tmp_path) -> Iterator[Callable[..., list]]:
    """Start ``count`` rqworker processes sending to the fake; all are stopped afterwards."""
    from rq import Worker

    started: list[subprocess.Popen] = []

    def start(count: int = 3, **attentive_settings: object) -> list[subprocess.Popen]:
        worker_settings = {
            "BACKEND": "django_attentive.backends.http.HttpBackend",
            "BASE_URL": fake_server.url,
            "API_TOKEN": TOKEN,
            "TIMEOUT": [2, 5],
            "TASK_QUEUE": rq_queue.name,
            **attentive_settings,
        }
        new = [
            start_rqworker(
                rq_queue.name,
                settings=worker_settings,
                tasks=settings.TASKS,
                log=tmp_path / f"rqworker-{len(started) + n}.log",
            )
            for n in range(count)
        ]
        started.extend(new)
        wanted = {p.pid for p in new}
        deadline = time.monotonic() + 60
        while not wanted <= {w.pid for w in Worker.all(queue=rq_queue)}:
            dead = [p for p in new if p.poll() is not None]
            assert not dead, f"an rqworker exited {dead[0].returncode}:\n{logs(tmp_path)}"
            assert time.monotonic() < deadline, f"rqworkers did not start:\n{logs(tmp_path)}"
            time.sleep(0.1)
        return new

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()  # warm shutdown: an idle worker exits at once
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def logs(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(tmp_path.glob("*.log"))
    )


def wait_until(done: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {statuses()}"
        time.sleep(0.05)


def statuses() -> dict[str, int]:
    return dict(Counter(OutboundMessage.objects.values_list("status", flat=True)))


def all_sent(count: int) -> Callable[[], bool]:
    return lambda: statuses() == {Status.SENT: count}


def finished_jobs(queue, count: int) -> None:
    """RQ records a job as finished a moment after its task returned: wait for ``count``."""
    wait_until(lambda: len(queue.finished_job_registry.get_job_ids()) >= count, f"{count} RQ jobs")
    assert len(queue.finished_job_registry.get_job_ids()) == count


def numbers(count: int) -> list[str]:
    return [f"+1201555{n:04d}" for n in range(count)]


@needs_postgres
def test_single_sends_go_out_on_rqworkers_once_each(fake, rqworkers):
    rqworkers(3)
    for n, to in enumerate(numbers(9)):
        send_message(to, f"Order {n} has shipped")
    wait_until(all_sent(9), "9 texts sent by the rqworkers")
    assert Counter(m["body"] for m in fake.messages) == {
        f"Order {n} has shipped": 1 for n in range(9)
    }
    assert SendAttempt.objects.filter(outcome=Outcome.SENT).count() == 9


@needs_postgres
def test_a_bulk_send_goes_out_in_chunks_on_rqworkers(fake, rqworkers, rq_queue, monkeypatch):
    monkeypatch.setattr(dispatch, "BULK_CHUNK", 10)
    fake.configure(latency=0.05)  # chunks overlap, so several workers hold one each
    rqworkers(3)
    send_bulk(numbers(45), "Spring sale: 20% off")
    wait_until(all_sent(45), "45 texts sent by the rqworkers")
    assert Counter(m["to"] for m in fake.messages) == {to: 1 for to in numbers(45)}
    assert SendAttempt.objects.count() == 45
    finished_jobs(rq_queue, 5)  # 4 chunks of 10, 1 of 5


@needs_postgres
def test_a_deferred_retry_is_sent_by_the_rq_scheduler(fake, rqworkers, rq_queue, tmp_path):
    rqworkers(3, RETRY_BACKOFF=2)  # a delay drawn from 0-2 s: the job waits in RQ's scheduler
    fake.fail_next(503)
    message = send_message("+12015550100", "Your order has shipped")
    wait_until(all_sent(1), "the retry sent by an rqworker's scheduler")
    message.refresh_from_db()
    attempts = list(message.send_attempts.order_by("id"))
    assert [(a.status_code, a.outcome) for a in attempts] == [
        (503, Outcome.RETRY),
        (200, Outcome.SENT),
    ]
    # It waited for run_after, the time the first attempt's worker logged.
    retry_at = re.search(r"will be retried at (\S+ \S+):", logs(tmp_path))
    assert retry_at, logs(tmp_path)
    assert attempts[1].started_at >= datetime.fromisoformat(retry_at[1])
    assert [m["to"] for m in fake.messages] == ["+12015550100"]
    finished_jobs(rq_queue, 2)  # the first attempt, the retry


@needs_postgres
def test_kill_9_of_an_rqworker_mid_chunk_loses_nothing_and_sends_nothing_twice(
    fake, fake_server, rqworkers, rq_queue, monkeypatch, tmp_path
):
    monkeypatch.setattr(dispatch, "BULK_CHUNK", 10)
    fake.configure(latency=0.25)  # a chunk takes 2.5 s: there is time to kill one mid-chunk
    workers = rqworkers(3)
    send_bulk(numbers(60), "Flash sale tonight")

    wait_until(
        lambda: OutboundMessage.objects.filter(status=Status.SENDING).exists(),
        "a text in flight",
    )
    in_flight = OutboundMessage.objects.filter(status=Status.SENDING).first()
    horse = int(in_flight.leased_by.split(":")[1])  # the work horse RQ forked for the job
    worker = next(w for w in workers if w.pid == _parent_of(horse))
    # The machine dies: the rqworker and the horse holding the chunk, at once.
    os.kill(horse, signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    killed_at = time.monotonic()

    # The other two finish the queue, then stop (a warm shutdown finishes the job in hand).
    wait_until(lambda: rq_queue.count == 0, "the queue emptied", timeout=60)
    survivors = [w for w in workers if w is not worker]
    for survivor in survivors:
        survivor.terminate()
    for survivor in survivors:
        survivor.wait(timeout=30)
    left = statuses()
    assert left.get(Status.SENDING, 0) >= 1  # the dead worker's text in flight
    assert left.get(Status.QUEUED, 0) >= 1  # the rest of its chunk, never started

    # The sweeper: the dead worker's lease has expired; what it never started is sent now.
    time.sleep(max(0.0, 1.5 - (time.monotonic() - killed_at)))
    sweeper = start_worker(
        "--concurrency",
        "4",
        settings={
            "BACKEND": "django_attentive.backends.http.HttpBackend",
            "BASE_URL": fake_server.url,
            "API_TOKEN": TOKEN,
            "LEASE_SECONDS": 1,
        },
    )
    out = finish(sweeper, timeout=60)
    assert f"sent {left[Status.QUEUED]}" in out, out

    final = statuses()
    assert set(final) <= {Status.SENT, Status.UNCONFIRMED}, final
    assert final[Status.SENT] + final.get(Status.UNCONFIRMED, 0) == 60
    unconfirmed = OutboundMessage.objects.filter(status=Status.UNCONFIRMED)
    assert unconfirmed.count() == left[Status.SENDING]
    assert in_flight.pk in {m.pk for m in unconfirmed}
    for message in unconfirmed:
        assert message.send_attempts.get().outcome == Outcome.WORKER_LOST
    recorded = Counter(m["to"] for m in fake.messages)
    assert max(recorded.values()) == 1, "a text reached Attentive twice"
    sent = set(OutboundMessage.objects.filter(status=Status.SENT).values_list("to", flat=True))
    assert sent <= set(recorded)
    # A text not at the fake is one the dead worker held: unconfirmed, never sent twice.
    assert set(numbers(60)) - set(recorded) <= {m.to for m in unconfirmed}


def test_a_deferred_text_is_never_scheduled_before_it_is_due(rq_queue):
    # RQ keeps whole seconds; a job scheduled for 10:00:00.5 would run at 10:00:00, find its
    # text not due yet, and skip it.
    send_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=500_000)
    send_message("+12015550100", "Your order has shipped", send_at=send_at)
    [job_id] = rq_queue.scheduled_job_registry.get_job_ids()
    assert rq_queue.connection.zscore(rq_queue.scheduled_job_registry.key, job_id) == (
        send_at.timestamp() + 0.5
    )


def test_an_enqueue_lost_to_a_redis_outage_is_sent_by_the_sweeper(
    fake, settings, attentive, caplog
):
    with socket.socket() as probe:  # a port where no Redis answers
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{closed}/0"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    attentive(TASK_QUEUE="default")
    message = send_message("+12015550100", "Your order has shipped")  # the page does not fail
    assert "Could not enqueue a delivery" in caplog.text
    assert statuses() == {Status.QUEUED: 1} and not fake.messages
    assert Worker(concurrency=1).run().counts[Outcome.SENT] == 1  # the sweeper
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [m["to"] for m in fake.messages] == ["+12015550100"]


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
