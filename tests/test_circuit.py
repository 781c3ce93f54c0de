"""The auth pause: how long a refused token stops sending, and what ends the pause."""

import logging

import pytest

from django_attentive.sending import circuit
from django_attentive.sending.circuit import AuthCircuit


class Clock:
    """A stand-in for time.monotonic that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(circuit, "time", fake)
    return fake


def test_trip_pauses_for_the_backoff_and_says_so(attentive, caplog):
    attentive(RETRY_BACKOFF=10)
    circuit = AuthCircuit()
    assert circuit.remaining() == 0
    assert circuit.trip() == 10
    assert 9 < circuit.remaining() <= 10
    assert "paused for 10 s" in caplog.text


def test_one_error_is_logged_per_pause(attentive, caplog):
    circuit = AuthCircuit()
    with caplog.at_level(logging.ERROR):
        for _ in range(5):
            circuit.trip()
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_a_changed_token_ends_the_pause_at_once(attentive):
    circuit = AuthCircuit()
    circuit.trip()
    assert circuit.remaining() > 0
    attentive(API_TOKEN="the-new-token")
    assert circuit.remaining() == 0


def test_token_never_appears_in_the_log(attentive, caplog):
    attentive(API_TOKEN="very-secret-token")
    AuthCircuit().trip()
    assert "very-secret-token" not in caplog.text


def test_each_pause_doubles_the_last_up_to_an_hour(attentive, clock):
    attentive(RETRY_BACKOFF=300)
    breaker = AuthCircuit()
    pauses = []
    for _ in range(6):
        pauses.append(breaker.trip())
        assert breaker.remaining() == pauses[-1]
        clock.now += pauses[-1]
        assert breaker.remaining() == 0
    assert pauses == [300, 600, 1200, 2400, circuit.MAX_PAUSE_SECONDS, circuit.MAX_PAUSE_SECONDS]


def test_a_refusal_during_a_pause_neither_extends_nor_doubles_it(attentive, clock):
    attentive(RETRY_BACKOFF=10)
    breaker = AuthCircuit()
    assert breaker.trip() == 10
    clock.now += 4
    assert breaker.trip() == 6  # what is left of the same pause
    clock.now += 6
    assert breaker.trip() == 20


def test_a_success_or_a_new_token_starts_the_doubling_again(attentive, clock):
    attentive(RETRY_BACKOFF=10)
    breaker = AuthCircuit()
    breaker.trip()
    clock.now += 10
    assert breaker.trip() == 20
    breaker.reset()
    clock.now += 20
    assert breaker.trip() == 10
    attentive(API_TOKEN="a-new-token")
    assert breaker.config_changed()
    assert breaker.trip() == 10
