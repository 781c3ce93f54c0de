"""The retry rule, decision by decision."""

import random

import pytest

from django_attentive import retry
from django_attentive.exceptions import (
    AmbiguousError,
    AuthenticationError,
    BadRequest,
    RecipientError,
    TransientError,
)
from django_attentive.models import Outcome, Status


def test_backoff_is_full_jitter_doubling_from_retry_backoff(attentive):
    attentive(RETRY_BACKOFF=30)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (5, 480)]:
        delays = [retry.backoff_seconds(attempt, rng=rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # the whole range is used


def test_backoff_is_capped_at_one_hour(attentive):
    attentive(RETRY_BACKOFF=30)
    assert max(retry.backoff_seconds(20, rng=random.Random(i)) for i in range(100)) <= 3600


def test_200_is_sent():
    decision = retry.decide(None, 0)
    assert (decision.status, decision.outcome) == (Status.SENT, Outcome.SENT)
    assert decision.retry_in is None


@pytest.mark.parametrize("error", [RecipientError("opted out"), BadRequest("illegal")])
def test_recipient_and_bad_request_fail_for_good(error):
    decision = retry.decide(error, 0)
    assert (decision.status, decision.retry_in) == (Status.FAILED, None)


def test_transient_is_retried_until_max_attempts(attentive):
    attentive(MAX_ATTEMPTS=3)
    assert retry.decide(TransientError("503"), 0).status == Status.QUEUED
    assert retry.decide(TransientError("503"), 1).status == Status.QUEUED
    final = retry.decide(TransientError("503"), 2)
    assert final.status == Status.FAILED
    assert "Gave up after 3 attempts" in final.error


def test_retry_after_is_honoured_as_a_minimum(attentive):
    attentive(RETRY_BACKOFF=1)
    decision = retry.decide(TransientError("429", retry_after=120), 0)
    assert decision.retry_in >= 120


def test_auth_error_holds_without_using_an_attempt():
    decision = retry.decide(AuthenticationError("403"), 4)
    assert decision.status == Status.QUEUED
    assert decision.counts_as_attempt is False
    assert decision.outcome == Outcome.AUTH


def test_ambiguous_is_unconfirmed_by_default():
    decision = retry.decide(AmbiguousError("read timeout"), 0)
    assert (decision.status, decision.retry_in) == (Status.UNCONFIRMED, None)


def test_ambiguous_is_retried_with_retry_ambiguous(attentive):
    attentive(RETRY_AMBIGUOUS=True, MAX_ATTEMPTS=2)
    assert retry.decide(AmbiguousError("read timeout"), 0).status == Status.QUEUED
    assert retry.decide(AmbiguousError("read timeout"), 1).status == Status.UNCONFIRMED


def test_an_unexpected_exception_is_treated_as_ambiguous():
    decision = retry.decide(KeyError("bug"), 0)
    assert decision.status == Status.UNCONFIRMED
    assert "Unexpected KeyError" in decision.error
