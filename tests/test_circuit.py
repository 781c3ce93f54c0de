import logging

from django_attentive.sending.circuit import AuthCircuit


def test_trip_pauses_and_doubles(attentive, caplog):
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
