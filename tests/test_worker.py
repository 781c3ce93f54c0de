"""attentive_send_queued / Worker: draining, retries, the auth pause, leases and shutdown."""

from __future__ import annotations

import signal
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_attentive import send_bulk
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.sending.worker import Worker

from .conftest import TOKEN
from .workers import finish, start_worker

pytestmark = pytest.mark.django_db(transaction=True)


def queue(count: int, body: str = "Sale starts now") -> list[int]:
    return [m.pk for m in send_bulk([f"+1201555{n:04d}" for n in range(count)], body)]


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in OutboundMessage.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def drain(**kwargs) -> dict[str, int]:
    return Worker(**{"concurrency": 4, **kwargs}).run().counts


def test_drain_sends_every_due_message_once_and_exits(fake):
    queue(50)
    counts = drain()
    assert counts[Outcome.SENT] == 50
    assert statuses() == {Status.SENT: 50}
    assert len(fake.messages) == 50
    assert len({m["to"] for m in fake.messages}) == 50
    assert SendAttempt.objects.count() == 50


def test_command_prints_a_summary(fake, capsys):
    queue(3)
    call_command("attentive_send_queued", "--concurrency", "2")
    assert "sent 3" in capsys.readouterr().out


def test_max_messages_stops_early(fake):
    queue(10)
    drain(max_messages=4, batch_size=3)
    assert statuses() == {Status.SENT: 4, Status.QUEUED: 6}


def test_connect_error_is_retried_later(attentive, fake):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    attentive(BASE_URL=f"http://127.0.0.1:{closed}")
    queue(1)
    drain()
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.next_attempt_at > timezone.now() - timedelta(seconds=1)
    attempt = message.send_attempts.get()
    assert (attempt.status_code, attempt.outcome) == (None, Outcome.RETRY)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retryable_answers_go_out_on_a_later_attempt(attentive, fake, status):
    attentive(RETRY_BACKOFF=0.01)
    fake.fail_next(status)
    queue(1)
    drain()
    time.sleep(0.05)
    drain()
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert list(message.send_attempts.order_by("id").values_list("status_code", "outcome")) == [
        (status, Outcome.RETRY),
        (200, Outcome.SENT),
    ]
    assert len(fake.messages) == 1


def test_max_attempts_reached_fails(attentive, fake):
    attentive(RETRY_BACKOFF=0.001, MAX_ATTEMPTS=3)
    fake.fail_next(500, count=10)
    queue(1)
    for _ in range(5):
        drain()
        time.sleep(0.01)
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert "Gave up after 3 attempts" in message.last_error
    assert message.send_attempts.count() == 3


def test_400_fails_without_retry(fake):
    fake.configure(opted_out=["+12015550000"])
    queue(1)
    drain()
    drain()
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert message.send_attempts.count() == 1


def test_read_timeout_is_unconfirmed_and_not_retried(attentive, fake):
    attentive(TIMEOUT=(2, 0.2))
    fake.configure(latency=0.5)
    queue(1)
    drain()
    fake.configure(latency=0)
    drain()
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNCONFIRMED
    assert message.send_attempts.count() == 1
    time.sleep(0.5)  # let the fake finish the slow answer before the next test resets it


def test_read_timeout_is_retried_with_retry_ambiguous(attentive, fake):
    attentive(TIMEOUT=(2, 0.2), RETRY_AMBIGUOUS=True, RETRY_BACKOFF=0.01)
    fake.configure(latency=0.5)
    queue(1)
    drain(max_messages=1)
    assert OutboundMessage.objects.get().status == Status.QUEUED
    fake.configure(latency=0)
    time.sleep(0.05)
    drain()
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    outcomes = list(message.send_attempts.order_by("id").values_list("outcome", flat=True))
    assert outcomes[0] == Outcome.AMBIGUOUS and outcomes[-1] == Outcome.SENT
    time.sleep(0.5)  # let the fake finish the slow answer before the next test resets it


def test_403_pauses_the_worker_after_one_request(attentive, fake):
    fake.configure(token="the-right-token")
    queue(20)
    counts = drain(concurrency=1)
    assert counts[Outcome.AUTH] == 1
    assert SendAttempt.objects.count() == 1  # one request, then the worker stopped sending
    assert statuses() == {Status.QUEUED: 20}
    assert set(OutboundMessage.objects.values_list("attempts", flat=True)) == {0}
    held = OutboundMessage.objects.exclude(last_error="").get()
    assert "Invalid API token" in held.last_error


def test_a_fixed_token_resumes_a_paused_worker_at_once(attentive, fake):
    attentive(RETRY_BACKOFF=0.2)
    fake.configure(token="the-right-token")
    queue(10)
    worker = Worker(concurrency=2, loop=True, interval=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not SendAttempt.objects.filter(outcome=Outcome.AUTH).exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        attentive(API_TOKEN="the-right-token")
        while OutboundMessage.objects.filter(status=Status.SENT).count() < 10:
            assert time.monotonic() < deadline, statuses()
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(10)
    assert len(fake.messages) == 10


def test_scheduled_message_waits_for_send_at(fake):
    from django_attentive import send_message

    message = send_message("+12015550123", "Later", send_at=timezone.now() + timedelta(seconds=0.5))
    drain()
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.QUEUED
    time.sleep(0.6)
    drain()
    assert OutboundMessage.objects.get(pk=message.pk).status == Status.SENT


def lose_a_worker_mid_send(attentive) -> None:
    """One text left ``sending`` by a worker that died five seconds into a one-second lease."""
    attentive(LEASE_SECONDS=1)
    queue(1)
    OutboundMessage.objects.update(
        status=Status.SENDING,
        leased_at=timezone.now() - timedelta(seconds=5),
        leased_by="dead-host:1:1",
    )


def test_expired_lease_becomes_unconfirmed_without_a_resend(attentive, fake):
    lose_a_worker_mid_send(attentive)
    drain()
    message = OutboundMessage.objects.get()
    assert message.status == Status.UNCONFIRMED
    assert "dead-host:1:1" in message.last_error
    assert message.send_attempts.get().outcome == Outcome.WORKER_LOST
    assert fake.messages == []


def test_expired_lease_is_retried_with_retry_ambiguous(attentive, fake):
    attentive(LEASE_SECONDS=1, RETRY_AMBIGUOUS=True, RETRY_BACKOFF=0.01)
    queue(1)
    OutboundMessage.objects.update(
        status=Status.SENDING, leased_at=timezone.now() - timedelta(seconds=5)
    )
    drain()
    time.sleep(0.05)
    drain()
    assert OutboundMessage.objects.get().status == Status.SENT


def test_rate_limit_holds_a_worker_under_its_rate(attentive, fake):
    attentive(RATE_LIMIT=40)
    queue(30)
    start = time.monotonic()
    drain(concurrency=8)
    assert time.monotonic() - start >= 0.6  # 30 sends at 40/s, after a burst of 4
    assert len(fake.messages) == 30


def test_sigterm_finishes_in_flight_sends_and_releases_the_rest(fake, fake_server):
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
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    finish(worker, timeout=20)
    counts = statuses()
    assert Status.SENDING not in counts
    assert counts.get(Status.SENT, 0) == len(fake.messages) > 0
    assert counts.get(Status.QUEUED, 0) > 0  # the unstarted rest was handed back
    assert SendAttempt.objects.count() == counts[Status.SENT]


def test_unstarted_reservation_of_a_dead_worker_is_sent_without_doubt(attentive, fake):
    attentive(LEASE_SECONDS=1)
    queue(1)
    OutboundMessage.objects.update(
        leased_at=timezone.now() - timedelta(seconds=5), leased_by="dead-host:1:1#x"
    )
    drain()
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert list(message.send_attempts.values_list("outcome", flat=True)) == [Outcome.SENT]


def test_live_reservation_is_left_alone(fake):
    queue(1)
    OutboundMessage.objects.update(leased_at=timezone.now(), leased_by="other-host:1:1#x")
    drain()
    assert OutboundMessage.objects.get().status == Status.QUEUED
    assert fake.messages == []


def test_cancelled_after_reservation_is_not_sent(fake):
    from django_attentive import cancel
    from django_attentive.outbox.leases import lease_due as claim_batch
    from django_attentive.outbox.leases import start

    queue(1)
    (reserved,) = claim_batch(10)
    cancel(OutboundMessage.objects.get())
    assert start([reserved]) == []
    assert fake.messages == []


def test_a_text_its_worker_lost_is_announced_as_failed(attentive, fake):
    from django_attentive.signals import message_failed

    lose_a_worker_mid_send(attentive)
    announced = []

    def receiver(sender, message, error, **kwargs):
        announced.append((message.pk, message.status, type(error).__name__))

    message_failed.connect(receiver, dispatch_uid="lost")
    try:
        drain()
    finally:
        message_failed.disconnect(dispatch_uid="lost")
    message = OutboundMessage.objects.get()
    assert announced == [(message.pk, Status.UNCONFIRMED, "AmbiguousError")]


def test_one_unrecordable_result_does_not_cost_the_batch_its_results(fake, monkeypatch):
    from django.db import DatabaseError

    from django_attentive.outbox import leases, outcomes
    from django_attentive.sending.transmit import transmit

    pks = queue(5)
    worker = Worker()
    reports = [
        transmit(leases.lease_one(pk), backend=worker.backend) for pk in pks
    ]  # five 200s, to be written as one batch
    real_record = outcomes.record

    def record(batch):
        if any(report.message.pk == pks[3] for report in batch):
            raise DatabaseError("simulated: the database refused this row")
        return real_record(batch)

    monkeypatch.setattr(outcomes, "record", record)
    worker._record(reports)
    # The other four are recorded; the one that could not be is left to lease recovery.
    assert statuses() == {Status.SENT: 4, Status.SENDING: 1}
    assert OutboundMessage.objects.get(status=Status.SENDING).pk == pks[3]


def test_a_database_failure_in_the_main_loop_still_stops_the_writer(fake, monkeypatch):
    from django.db import DatabaseError

    from django_attentive.outbox import leases

    queue(3)

    def broken(*args, **kwargs):
        raise DatabaseError("simulated: the database went away")

    monkeypatch.setattr(leases, "start", broken)
    monkeypatch.setattr(leases, "release", broken)
    with pytest.raises(DatabaseError):
        drain()
    assert not [t for t in threading.enumerate() if t.name == "attentive-writer"]


def test_a_text_the_transport_cannot_carry_fails_with_the_reason(attentive, fake):
    # Queued while the shop used the Messages API, where braces are fine...
    (with_braces,) = send_bulk(["+12015550123"], "Use code {SAVE10}")
    # ...and sent after it switched to /v1/text/send, which would silently drop it.
    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    drain()
    with_braces.refresh_from_db()
    assert with_braces.status == Status.FAILED
    assert "silently drops" in with_braces.last_error
    assert fake.records() == []


def raising_receiver(**kwargs):
    raise RuntimeError("the shop's receiver is broken")


def test_a_receiver_that_raises_does_not_record_a_batch_twice(fake, caplog):
    from django_attentive.outbox.leases import lease_one
    from django_attentive.sending.transmit import transmit
    from django_attentive.signals import message_sent

    pks = queue(3)
    worker = Worker()
    reports = [transmit(lease_one(pk), backend=worker.backend) for pk in pks]
    message_sent.connect(raising_receiver, dispatch_uid="broken")
    try:
        worker._record(reports)
    finally:
        message_sent.disconnect(dispatch_uid="broken")
    assert SendAttempt.objects.count() == 3
    assert statuses() == {Status.SENT: 3}
    failures = [r for r in caplog.records if "signal receiver" in r.getMessage()]
    assert len(failures) == 3
    assert "lease ran out" not in caplog.text


def test_a_receiver_that_raises_on_recovery_does_not_stop_the_worker(attentive, fake):
    from django_attentive.signals import message_failed

    lose_a_worker_mid_send(attentive)
    send_bulk(["+12015559999"], "Still goes out")
    message_failed.connect(raising_receiver, dispatch_uid="broken")
    try:
        drain()
    finally:
        message_failed.disconnect(dispatch_uid="broken")
    assert statuses() == {Status.UNCONFIRMED: 1, Status.SENT: 1}
