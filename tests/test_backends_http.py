"""The http transport maps every answer and network failure to a result or a typed error."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
import responses

from django_attentive.backends.http import HttpBackend
from django_attentive.exceptions import (
    AmbiguousError,
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    EndpointNotFound,
    RecipientError,
    TransientError,
)

PAYLOAD = {"to": "+12015550123", "body": "Your order shipped"}


def send():
    return HttpBackend().send(dict(PAYLOAD))


@responses.activate
def test_200_returns_the_echoed_message(http_backend):
    responses.post(http_backend, json={**PAYLOAD, "messageId": "1"}, status=200)
    result = send()
    assert result.status_code == 200
    assert result.data["to"] == "+12015550123"


@responses.activate
def test_request_carries_bearer_token_and_json(http_backend):
    responses.post(http_backend, json=PAYLOAD)
    send()
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer test-token-s3cr3t"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == b'{"to": "+12015550123", "body": "Your order shipped"}'


@responses.activate
def test_200_with_a_non_json_body_still_counts_as_sent(http_backend):
    responses.post(http_backend, body="OK", status=200)
    assert send().data == {}


@responses.activate
def test_400_opted_out_is_a_recipient_error(http_backend):
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    with pytest.raises(RecipientError, match="opted-out") as caught:
        send()
    assert caught.value.status_code == 400


@responses.activate
def test_400_subscriber_not_found_is_a_recipient_error(http_backend):
    responses.post(http_backend, json={"message": "Subscriber not found"}, status=400)
    with pytest.raises(RecipientError, match="not found"):
        send()


@responses.activate
def test_400_invalid_input_is_a_bad_request(http_backend):
    responses.post(http_backend, json={"message": "Illegal argument passed in"}, status=400)
    with pytest.raises(BadRequest, match="Illegal argument"):
        send()


@responses.activate
def test_400_with_a_plain_text_body_keeps_the_text_as_reason(http_backend):
    responses.post(http_backend, body="Invalid Input - body missing", status=400)
    with pytest.raises(BadRequest, match="Invalid Input - body missing") as caught:
        send()
    assert caught.value.response_body == "Invalid Input - body missing"


@responses.activate
def test_403_is_an_authentication_error(http_backend):
    responses.post(http_backend, json={"message": "Invalid API token."}, status=403)
    with pytest.raises(AuthenticationError, match="API_TOKEN") as caught:
        send()
    assert caught.value.status_code == 403


@responses.activate
def test_404_is_a_recipient_error(http_backend):
    responses.post(http_backend, json={"message": "Invalid or unmatched phone number"}, status=404)
    with pytest.raises(RecipientError, match="unmatched"):
        send()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body><h1>404 Not Found</h1></body></html>", "text/html"),  # a proxy's page
        ('{"message": "No such endpoint: /api/v1/messages"}', "application/json"),
        ('{"message": "Not found"}', "application/json"),
        ("Invalid or unmatched phone number", "text/plain"),  # not Attentive's JSON
        ("", "text/plain"),
    ],
)
@responses.activate
def test_a_404_that_is_not_attentives_answer_about_a_number_is_an_endpoint_error(
    http_backend, body, content_type
):
    responses.post(http_backend, body=body, status=404, content_type=content_type)
    with pytest.raises(EndpointNotFound, match="BASE_URL"):
        send()


@pytest.mark.parametrize(
    "reason",
    [
        "Product not found",  # "not found", but not about the subscriber
        "Subscriber not found in segment 12",
        "User is unsubscribed",  # no reason Attentive documents
        "Template opted out of short links",
    ],
)
@responses.activate
def test_a_400_merely_containing_a_recipient_word_is_a_bad_request(http_backend, reason):
    responses.post(http_backend, json={"message": reason}, status=400)
    with pytest.raises(BadRequest):
        send()


@pytest.mark.parametrize("reason", ["Subscriber is opted-out.", "SUBSCRIBER NOT FOUND"])
@responses.activate
def test_attentives_own_recipient_reasons_match_whatever_their_case_or_period(http_backend, reason):
    responses.post(http_backend, json={"message": reason}, status=400)
    with pytest.raises(RecipientError):
        send()


@responses.activate
def test_429_is_transient_and_honours_retry_after(http_backend):
    responses.post(http_backend, body="slow down", status=429, headers={"Retry-After": "7"})
    with pytest.raises(TransientError) as caught:
        send()
    assert caught.value.retry_after == 7.0


@responses.activate
def test_429_without_retry_after_is_transient(http_backend):
    responses.post(http_backend, body="", status=429)
    with pytest.raises(TransientError) as caught:
        send()
    assert caught.value.retry_after is None


@responses.activate
def test_500_missing_parameters_is_transient(http_backend):
    responses.post(http_backend, json={"message": "Missing required parameters"}, status=500)
    with pytest.raises(TransientError, match="Missing required parameters"):
        send()


@pytest.mark.parametrize("status", [502, 503, 504])
@responses.activate
def test_gateway_errors_are_transient(http_backend, status):
    responses.post(http_backend, body="<html>Bad gateway</html>", status=status)
    with pytest.raises(TransientError) as caught:
        send()
    assert caught.value.status_code == status


@responses.activate
def test_connect_timeout_is_transient(http_backend):
    responses.post(http_backend, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(TransientError, match="nothing was sent"):
        send()


@responses.activate
def test_read_timeout_mocked_is_ambiguous(http_backend):
    responses.post(http_backend, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(AmbiguousError, match="may have been sent"):
        send()


def test_missing_token_is_a_configuration_error(attentive):
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", API_TOKEN="")
    with pytest.raises(ConfigurationError, match="API_TOKEN"):
        send()


# Real sockets for the failures `responses` cannot fake faithfully.


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tcp_server() -> Iterator[callable]:
    """A raw TCP server whose connection handler the test chooses."""
    servers = []

    def start(handler) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        servers.append(listener)

        def accept():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                handler(conn)

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    for listener in servers:
        listener.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += conn.recv(65536)
    return body


def test_connection_refused_is_transient(attentive):
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend",
        BASE_URL=f"http://127.0.0.1:{_closed_port()}",
    )
    with pytest.raises(TransientError, match="nothing was sent"):
        send()


def test_unresolvable_host_is_transient(attentive):
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend",
        BASE_URL="http://no-such-host.invalid",
    )
    with pytest.raises(TransientError, match="nothing was sent"):
        send()


def test_real_read_timeout_is_ambiguous(attentive, tcp_server):
    done = threading.Event()
    url = tcp_server(lambda conn: (_read_request(conn), done.wait(5)))
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", BASE_URL=url, TIMEOUT=(2, 0.3))
    with pytest.raises(AmbiguousError, match="did not answer within 0.3s"):
        send()
    done.set()


def test_connection_dropped_after_sending_is_ambiguous(attentive, tcp_server):
    received = []
    url = tcp_server(lambda conn: received.append(_read_request(conn)))
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", BASE_URL=url)
    with pytest.raises(AmbiguousError, match="dropped after the request went out"):
        send()
    assert received and b"Your order shipped" in received[0]


def test_garbage_answer_is_ambiguous(attentive, tcp_server):
    def answer(conn):
        _read_request(conn)
        conn.sendall(b"this is not http\r\n\r\n")

    url = tcp_server(answer)
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", BASE_URL=url)
    with pytest.raises(AmbiguousError):
        send()
