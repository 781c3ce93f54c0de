"""Deliveries run by Django Tasks honour the auth pause and RATE_LIMIT, like the worker."""

from __future__ import annotations

import logging
import time

import pytest

from django_attentive import send_bulk, send_message
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.sending import gate
from django_attentive.sending.delivery import deliver, deliver_many

from .conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def queued(count: int) -> list[int]:
    # send_bulk leaves delivery to workers under the ImmediateBackend: nothing runs yet.
    return [m.pk for m in send_bulk([f"+1201555{n:04d}" for n in range(count)], "Sale")]


def test_a_refused_token_stops_a_bulk_chunk_after_one_request(fake, caplog):
    fake.configure(token="the-right-token")
    pks = queued(50)
    with caplog.at_level(logging.WARNING, logger="django_attentive"):
        assert deliver_many(pks) == 0
    assert SendAttempt.objects.count() == 1
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 50
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_single_deliveries_wait_while_the_token_is_refused(fake):
    fake.configure(token="the-right-token")
    first = send_message("+12015550001", "Hi")
    second = send_message("+12015550002", "Hi")  # the ImmediateBackend runs deliver() inline
    assert SendAttempt.objects.count() == 1
    for message in (first, second):
        message.refresh_from_db()
        assert message.status == Status.QUEUED
    assert SendAttempt.objects.get().message_id == first.pk


def test_a_changed_token_resumes_task_deliveries_and_frees_the_held_text(attentive, fake):
    fake.configure(token="the-right-token")
    held = send_message("+12015550001", "Hi")
    assert gate.circuit.remaining() > 0
    attentive(API_TOKEN="the-right-token")
    later = send_message("+12015550002", "Hi")
    later.refresh_from_db()
    assert later.status == Status.SENT
    held.refresh_from_db()
    assert held.status == Status.QUEUED
    assert deliver(held.pk).status == Status.SENT  # due at once, not after RETRY_BACKOFF


def test_a_success_after_a_pause_clears_it(attentive, fake):
    fake.configure(token=TOKEN)
    gate.circuit.trip()
    attentive(API_TOKEN=TOKEN)
    assert deliver_many(queued(1)) == 0  # still paused for this token
    gate.reset()
    assert deliver_many(OutboundMessage.objects.values_list("pk", flat=True)) == 1
    assert gate.circuit.remaining() == 0


def test_bulk_chunks_keep_under_rate_limit(attentive, fake):
    attentive(RATE_LIMIT=20)  # a burst of 2, then one request every 50 ms
    pks = queued(12)
    started = time.monotonic()
    assert deliver_many(pks) == 12
    assert time.monotonic() - started >= 0.45
    assert SendAttempt.objects.filter(outcome=Outcome.SENT).count() == 12


def test_a_delivery_no_longer_due_spends_no_rate_limit_budget(attentive, fake):
    attentive(RATE_LIMIT=1)  # one request a second: a wasted token would cost a second
    first = send_message("+12015550001", "Hi")
    first.refresh_from_db()
    assert first.status == Status.SENT
    started = time.monotonic()
    for _ in range(3):
        assert deliver(first.pk) is None  # already sent: nothing to wait for
    assert time.monotonic() - started < 0.5
    second = send_message("+12015550002", "Hi")
    second.refresh_from_db()
    assert second.status == Status.SENT
    assert time.monotonic() - started < 1.5  # its own token, not the fourth in line


def test_a_429_holds_back_the_next_task_delivery(fake):
    fake.fail_next(429, headers={"x-ratelimit-limit": "150", "x-ratelimit-remaining": "0"})
    refused = send_message("+12015550001", "Hi")
    refused.refresh_from_db()
    assert refused.status == Status.QUEUED
    started = time.monotonic()
    later = send_message("+12015550002", "Hi")
    later.refresh_from_db()
    assert later.status == Status.SENT
    assert time.monotonic() - started >= 0.9  # Attentive's second, for every sender
