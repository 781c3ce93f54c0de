"""Observers of recorded attempts: told after commit, and never able to undo a record."""

from __future__ import annotations

import pytest

from django_attentive import instruments, send_message
from django_attentive.models import OutboundMessage, Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seen():
    batches: list[list[instruments.RecordedAttempt]] = []

    def observer(attempts):
        batches.append(list(attempts))

    instruments.observe(observer)
    yield batches
    instruments.forget(observer)


def test_each_recorded_attempt_reaches_observers(seen):
    send_message("+12015550123", "Hello")
    attempts = [attempt for batch in seen for attempt in batch]
    assert attempts == [
        instruments.RecordedAttempt(
            kind="text",
            endpoint="",
            outcome="sent",
            status_code=200,
            duration_ms=attempts[0].duration_ms,
            made_request=True,
        )
    ]


def test_a_failing_observer_is_logged_and_the_text_still_sent(caplog):
    def broken(attempts):
        raise RuntimeError("observer bug")

    instruments.observe(broken)
    try:
        message = send_message("+12015550123", "Hello")
    finally:
        instruments.forget(broken)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "An attempt observer" in caplog.text
    assert OutboundMessage.objects.count() == 1


def test_observing_twice_reports_once(seen):
    observer = instruments._observers[-1]
    instruments.observe(observer)
    send_message("+12015550123", "Hello")
    assert len(seen) == 1
