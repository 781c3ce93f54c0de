"""The API token: tidied, refused clearly when unusable, never stored or logged, and a fixed
token sends what a refused one held back at once."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
import responses
from django.db import connection

from django_attentive import conf, send_bulk, send_message
from django_attentive.checks import check_settings
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.retry import decide
from django_attentive.sending.worker import Worker

from .conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def stored_text() -> str:
    """Every message and attempt row, as one string to search."""
    rows = []
    with connection.cursor() as cursor:
        for model in (OutboundMessage, SendAttempt):
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")
            rows += cursor.fetchall()
    return repr(rows)


def test_a_token_read_from_a_file_with_its_newline_works(attentive, fake):
    attentive(API_TOKEN=f"  {TOKEN}\n")
    message = send_message("+12015550123", "Hi")
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(fake.messages) == 1


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("abc def-token", "a space or control character at position 4"),
        ("abc\ndef-token", "a space or control character at position 4"),
        ("abc\u201cdef-token", "a non-ASCII character at position 4"),
    ],
)
def test_an_unusable_token_keeps_texts_queued_and_names_the_problem(
    attentive, fake, caplog, token, what
):
    attentive(API_TOKEN=token)
    message = send_message("+12015550123", "Hi")
    message.refresh_from_db()
    assert message.status == Status.QUEUED  # not unconfirmed: nothing left this machine
    assert what in message.last_error
    assert message.attempts == 0
    assert fake.messages == []
    for secret_part in ("def-token", token):
        assert secret_part not in message.last_error
        assert secret_part not in caplog.text
        assert secret_part not in stored_text()


@pytest.mark.parametrize("token", ["abc def", "tok\u00e9n", "token\x00"])
def test_check_reports_a_token_that_cannot_be_sent(attentive, token):
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", API_TOKEN=token)
    errors = check_settings()
    assert [e.id for e in errors] == ["django_attentive.E009"]
    assert token not in errors[0].msg


def test_check_accepts_a_token_with_surrounding_whitespace(attentive):
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", API_TOKEN=" tok-123\n")
    assert check_settings() == []


@responses.activate
def test_a_request_error_quoting_the_token_is_stored_without_it(http_backend, caplog):
    caplog.set_level(logging.DEBUG)
    responses.post(
        http_backend, body=requests.exceptions.InvalidHeader(f"Invalid header 'Bearer {TOKEN}'")
    )
    message = send_message("+12015550123", "Hi")
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert "[API token]" in message.last_error
    assert TOKEN not in message.last_error
    assert TOKEN not in caplog.text
    assert TOKEN not in stored_text()


def test_any_error_text_is_scrubbed_of_the_token(attentive):
    attentive(API_TOKEN="s3cret-token")
    decision = decide(RuntimeError("boom near s3cret-token"), 0)
    assert "s3cret-token" not in decision.error
    assert conf.without_token("x s3cret-token y") == "x [API token] y"


def hold_with_a_refused_token(attentive, fake, count: int) -> None:
    """Queue ``count`` texts and have Attentive refuse the token for them (default backoff)."""
    fake.configure(token="the-right-token")
    send_bulk([f"+1201555{n:04d}" for n in range(count)], "Sale starts now")
    counts = Worker(concurrency=1).run().counts
    assert counts[Outcome.AUTH] == 1
    held = OutboundMessage.objects.exclude(last_error="").get()
    assert held.status == Status.QUEUED
    assert held.next_attempt_at is not None  # held back for RETRY_BACKOFF (30 s by default)


def test_a_worker_started_with_a_fixed_token_sends_the_held_texts_at_once(attentive, fake):
    hold_with_a_refused_token(attentive, fake, 5)
    attentive(API_TOKEN="the-right-token")  # the deploy that fixes the token restarts workers
    counts = Worker(concurrency=2).run().counts
    assert counts[Outcome.SENT] == 5
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 5


def test_a_restarted_worker_with_the_same_bad_token_makes_one_more_request(attentive, fake):
    hold_with_a_refused_token(attentive, fake, 5)
    Worker(concurrency=1).run()
    assert SendAttempt.objects.filter(outcome=Outcome.AUTH).count() == 2
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 5


def test_a_running_worker_sends_the_held_texts_once_the_setting_changes(attentive, fake):
    hold_with_a_refused_token(attentive, fake, 5)
    worker = Worker(concurrency=2, loop=True, interval=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while SendAttempt.objects.filter(outcome=Outcome.AUTH).count() < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        attentive(API_TOKEN="the-right-token")
        while OutboundMessage.objects.filter(status=Status.SENT).count() < 5:
            assert time.monotonic() < deadline, "the held texts waited for RETRY_BACKOFF"
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(10)


def test_only_token_holds_are_released(attentive, fake):
    hold_with_a_refused_token(attentive, fake, 1)
    fake.configure(token=TOKEN)
    fake.fail_next(503)
    attentive(API_TOKEN=TOKEN)
    send_message("+12015559999", "Retry me later")  # 503: a real retry, due in the future
    retrying = OutboundMessage.objects.get(to="+12015559999")
    assert retrying.status == Status.QUEUED
    due = retrying.next_attempt_at
    Worker(concurrency=1).run()
    retrying.refresh_from_db()
    assert retrying.next_attempt_at == due
    assert OutboundMessage.objects.get(to="+12015550000").status == Status.SENT
