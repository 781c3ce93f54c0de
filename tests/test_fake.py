"""The fake Attentive: the API contract over real HTTP, its knobs, and the mounted views."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from django_attentive.fake import FakeAttentive, FakeAttentiveServer
from django_attentive.fake import fake as default_fake

TOKEN = "1a2b3c4d5"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEED_EXAMPLE = {
    "to": "555-555-5555",
    "body": "30% off sitewide sale going on now. Use code SAVE30.",
    "messageId": "123456789",
}
US_NUMBER = "+12015550123"


class Api:
    """A fake Attentive behind a real HTTP server, with shortcuts for posting to it."""

    def __init__(self, server: FakeAttentiveServer) -> None:
        self.server = server
        self.fake = server.fake
        self.url = server.url
        self.session = requests.Session()

    def send(self, payload: object = None, *, headers: dict | None = None, **kwargs):
        """POST ``payload`` as JSON to /v1/messages, with the bearer token unless told otherwise."""
        headers = AUTH if headers is None else headers
        kwargs.setdefault("timeout", 5)
        return self.session.post(f"{self.url}/v1/messages", json=payload, headers=headers, **kwargs)

    def control(self, method: str, name: str, **kwargs):
        return self.session.request(method, f"{self.url}/_fake/{name}", timeout=5, **kwargs)


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeAttentiveServer]:
    with FakeAttentiveServer(fake=FakeAttentive()) as server:
        yield server


@pytest.fixture
def api(_server: FakeAttentiveServer) -> Iterator[Api]:
    _server.fake.reset()
    client = Api(_server)
    yield client
    client.session.close()
    _server.fake.reset()


@pytest.fixture
def mounted() -> Iterator[FakeAttentive]:
    """The module-level fake that the mounted views serve, reset around the test."""
    default_fake.reset()
    yield default_fake
    default_fake.reset()


def assert_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    assert response.json() == {"status": status, "message": message}


# The contract


def test_seed_curl_example_is_accepted_and_echoed(api):
    response = api.send(SEED_EXAMPLE, headers={**AUTH, "Content-Type": "application/json"})

    assert response.status_code == 200
    assert response.json() == SEED_EXAMPLE
    assert response.headers["Content-Type"] == "application/json"


def test_accepted_message_is_recorded_with_time_and_sequence(api):
    api.send({"to": US_NUMBER, "body": "one", "type": "TRANSACTIONAL"})
    api.send({"to": US_NUMBER, "body": "two", "mediaUrl": "https://cdn.example/a.PNG?v=2"})

    first, second = api.fake.messages
    assert first["to"] == US_NUMBER
    assert first["body"] == "one"
    assert first["type"] == "TRANSACTIONAL"
    assert first["seq"] == 1
    assert "T" in first["received_at"]
    assert second["seq"] == 2
    assert second["mediaUrl"] == "https://cdn.example/a.PNG?v=2"


def test_response_omits_message_id_when_none_was_sent(api):
    response = api.send({"to": US_NUMBER, "body": "hi"})

    assert response.json() == {"to": US_NUMBER, "body": "hi"}


def test_get_is_405(api):
    response = api.session.get(f"{api.url}/v1/messages", headers=AUTH, timeout=5)

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_missing_authorization_is_403(api):
    assert_error(api.send(SEED_EXAMPLE, headers={}), 403, "Invalid API token.")


def test_malformed_authorization_is_403(api):
    for value in (TOKEN, "Basic abc", "Bearer ", "Bearer"):
        assert_error(
            api.send(SEED_EXAMPLE, headers={"Authorization": value}), 403, "Invalid API token."
        )


def test_any_bearer_token_is_accepted_when_none_is_configured(api):
    assert api.send(SEED_EXAMPLE, headers={"Authorization": "Bearer whatever"}).status_code == 200


def test_wrong_token_is_403_when_a_token_is_configured(api):
    api.fake.token = "right"

    assert_error(api.send(SEED_EXAMPLE), 403, "Invalid API token.")
    assert api.send(SEED_EXAMPLE, headers={"Authorization": "Bearer right"}).status_code == 200


def test_token_is_checked_before_the_body(api):
    response = api.session.post(f"{api.url}/v1/messages", data=b"not json", timeout=5)

    assert response.status_code == 403


def test_body_that_is_not_json_is_400(api):
    response = api.session.post(f"{api.url}/v1/messages", data=b"{to:", headers=AUTH, timeout=5)

    assert_error(response, 400, "Illegal argument passed in: body is not a JSON object")


def test_json_that_is_not_an_object_is_400(api):
    response = api.send([SEED_EXAMPLE])

    assert_error(response, 400, "Illegal argument passed in: body is not a JSON object")


def test_missing_to_is_500(api):
    assert_error(api.send({"body": "hi"}), 500, "Missing required parameters: to")


def test_missing_to_and_body_is_500_naming_both(api):
    assert_error(api.send({}), 500, "Missing required parameters: to, body")


@pytest.mark.parametrize(
    "payload",
    [
        {"to": "", "body": "hi"},
        {"to": US_NUMBER, "body": ""},
        {"to": US_NUMBER, "body": "   "},
        {"to": 2015550123, "body": "hi"},
        {"to": US_NUMBER, "body": None},
    ],
)
def test_empty_or_non_string_to_or_body_is_400(api, payload):
    assert_error(
        api.send(payload), 400, "Invalid Input - phone number or body missing from request"
    )


@pytest.mark.parametrize("value", ["transactional", "MARKETING", "", None])
def test_type_other_than_transactional_is_400(api, value):
    response = api.send({"to": US_NUMBER, "body": "hi", "type": value})

    assert_error(response, 400, "Illegal argument passed in: type must be TRANSACTIONAL")


@pytest.mark.parametrize(
    "url",
    ["https://cdn.example/a.pdf", "ftp://cdn.example/a.png", "a.png", "https:///a.png", "", None],
)
def test_media_url_that_is_not_an_http_image_is_400(api, url):
    response = api.send({"to": US_NUMBER, "body": "hi", "mediaUrl": url})

    assert_error(
        response, 400, "Illegal argument passed in: mediaUrl must be a gif, png or jpg URL"
    )


@pytest.mark.parametrize("url", ["http://x.example/a.gif", "https://x.example/b.jpeg?w=300"])
def test_media_url_ending_in_an_image_extension_is_accepted(api, url):
    assert api.send({"to": US_NUMBER, "body": "hi", "mediaUrl": url}).status_code == 200


@pytest.mark.parametrize("number", ["+33 6 12 34 56 78", "+1 876 555 1234", "12", "call me"])
def test_foreign_or_impossible_number_is_404(api, number):
    assert_error(api.send({"to": number, "body": "hi"}), 404, "Invalid or unmatched phone number")


@pytest.mark.parametrize("number", ["(201) 555-0123", "+1 416 555 1234", "+44 20 7183 8750"])
def test_us_canadian_and_uk_numbers_are_accepted(api, number):
    assert api.send({"to": number, "body": "hi"}).status_code == 200


def test_opted_out_number_is_400_whatever_its_format(api):
    api.fake.opted_out = {"(201) 555-0123"}

    assert_error(api.send({"to": "+1 201-555-0123", "body": "hi"}), 400, "Subscriber is opted-out")


def test_unknown_number_is_400(api):
    api.fake.unknown = [US_NUMBER]

    assert_error(api.send({"to": "2015550123", "body": "hi"}), 400, "Subscriber not found")


def test_rejected_messages_are_not_recorded(api):
    api.send({"to": "+33612345678", "body": "hi"})
    api.send({"to": US_NUMBER})
    api.send(SEED_EXAMPLE, headers={})

    assert api.fake.messages == []


# Knobs


def test_latency_delays_every_answer(api):
    api.fake.latency = 0.2
    started = time.monotonic()

    response = api.send(SEED_EXAMPLE)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_error_fault_answers_503_without_recording(api):
    api.fake.configure(fault_rate=1, fault_kinds=["error"])

    response = api.send(SEED_EXAMPLE)

    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert api.fake.messages == []


def test_drop_fault_hangs_up_without_recording(api):
    api.fake.configure(fault_rate=1, fault_kinds=["drop"])

    with pytest.raises(requests.ConnectionError):
        api.send(SEED_EXAMPLE)
    assert api.fake.messages == []


def test_drop_after_fault_records_then_hangs_up(api):
    api.fake.configure(fault_rate=1, fault_kinds=["drop_after"])

    with pytest.raises(requests.ConnectionError):
        api.send(SEED_EXAMPLE)
    assert [m["body"] for m in api.fake.messages] == [SEED_EXAMPLE["body"]]


def test_slow_fault_records_then_answers_late(api):
    api.fake.configure(fault_rate=1, fault_kinds=["slow"], slow_seconds=0.3)

    with pytest.raises(requests.ReadTimeout):
        api.send(SEED_EXAMPLE, timeout=(2, 0.1))
    assert len(api.fake.messages) == 1


def test_faults_do_not_spare_invalid_requests_from_rejection(api):
    api.fake.configure(fault_rate=1, fault_kinds=["drop_after"])

    assert api.send({"to": US_NUMBER}).status_code == 500


def test_seeded_fault_rate_is_reproducible():
    def outcomes() -> list[int]:
        fake = FakeAttentive(fault_rate=0.5, fault_kinds=["error"], seed=7)
        body = b'{"to": "+12015550123", "body": "hi"}'
        return [fake.handle("POST", "/v1/messages", AUTH, body).status for _ in range(40)]

    first = outcomes()
    assert first == outcomes()
    assert {200, 503} == set(first)


def test_fail_next_forces_answers_then_returns_to_normal(api):
    api.fake.fail_next(429, count=2, headers={"Retry-After": "1"})

    first, second, third = (api.send(SEED_EXAMPLE) for _ in range(3))

    assert_error(first, 429, "Too Many Requests")
    assert first.headers["Retry-After"] == "1"
    assert second.status_code == 429
    assert third.status_code == 200
    assert len(api.fake.messages) == 1


def test_fail_next_403_uses_attentives_message(api):
    api.fake.fail_next(403)

    assert_error(api.send(SEED_EXAMPLE), 403, "Invalid API token.")


def test_reset_restores_defaults(api):
    api.fake.configure(token="t", latency=0.01, fault_rate=1, opted_out=[US_NUMBER])
    api.fake.fail_next(503)
    api.send(SEED_EXAMPLE, headers={"Authorization": "Bearer t"})

    api.fake.reset()

    assert api.fake.settings.as_json()["token"] is None
    assert api.fake.latency == 0
    assert api.send({"to": US_NUMBER, "body": "hi"}).json()["to"] == US_NUMBER
    assert api.fake.messages[0]["seq"] == 1


def test_bad_knob_values_raise_value_error():
    fake = FakeAttentive()
    with pytest.raises(ValueError):
        fake.fault_kinds = ["explode"]
    with pytest.raises(ValueError):
        fake.fault_rate = 2
    with pytest.raises(ValueError):
        fake.opted_out = ["+33612345678"]
    with pytest.raises(ValueError):
        fake.configure(colour="red")


def test_concurrent_messages_get_distinct_sequence_numbers():
    fake = FakeAttentive()
    body = b'{"to": "+12015550123", "body": "hi"}'

    def post() -> None:
        for _ in range(50):
            fake.handle("POST", "/v1/messages", AUTH, body)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(m["seq"] for m in fake.messages) == list(range(1, 401))


# Control endpoints


def test_control_messages_lists_records_since_a_sequence(api):
    for body in ("a", "b", "c"):
        api.send({"to": US_NUMBER, "body": body})

    everything = api.control("GET", "messages").json()
    later = api.control("GET", "messages", params={"since": 1}).json()

    assert everything["count"] == 3
    assert [m["body"] for m in everything["messages"]] == ["a", "b", "c"]
    assert later["count"] == 2
    assert [m["seq"] for m in later["messages"]] == [2, 3]


def test_control_delete_messages_clears_records_but_not_the_sequence(api):
    api.send(SEED_EXAMPLE)

    assert api.control("DELETE", "messages").json() == {"cleared": 1}
    api.send(SEED_EXAMPLE)
    assert [m["seq"] for m in api.fake.messages] == [2]


def test_control_config_reads_and_changes_knobs(api):
    response = api.control(
        "POST", "config", json={"token": "t", "opted_out": ["2015550123"], "latency": 0.01}
    )

    assert response.status_code == 200
    config = api.control("GET", "config").json()
    assert config["token"] == "t"
    assert config["opted_out"] == [US_NUMBER]
    assert config["latency"] == 0.01
    assert api.fake.token == "t"


def test_control_config_rejects_unknown_or_bad_knobs_with_400(api):
    assert api.control("POST", "config", json={"fault_kinds": ["explode"]}).status_code == 400
    assert api.control("POST", "config", json={"colour": "red"}).status_code == 400
    assert api.control("POST", "config", data=b"[1]").status_code == 400


def test_control_reset_restores_defaults(api):
    api.fake.configure(token="t")
    api.fake.fail_next(503)

    response = api.control("POST", "reset")

    assert response.json()["token"] is None
    assert api.send(SEED_EXAMPLE).status_code == 200


def test_control_fail_next_queues_forced_answers(api):
    response = api.control("POST", "fail_next", json={"status": 503, "count": 2})

    assert response.json() == {"pending": 2}
    assert [api.send(SEED_EXAMPLE).status_code for _ in range(3)] == [503, 503, 200]


def test_control_endpoint_with_wrong_method_is_405(api):
    assert api.control("GET", "reset").status_code == 405


def test_unknown_path_is_404(api):
    assert api.session.get(f"{api.url}/v2/other", timeout=5).status_code == 404


# The standalone server


def test_keep_alive_serves_many_requests_on_one_connection(api):
    host, port = api.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.connect()
    sock = connection.sock
    body = b'{"to": "+12015550123", "body": "hi"}'

    for _ in range(100):
        connection.request("POST", "/v1/messages", body=body, headers=AUTH)
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Connection") == "keep-alive"
        response.read()
    assert connection.sock is sock
    connection.close()
    assert len(api.fake.messages) == 100


def test_connection_close_is_honoured(api):
    response = api.send(SEED_EXAMPLE, headers={**AUTH, "Connection": "close"})

    assert response.headers["Connection"] == "close"


def test_stop_hangs_up_on_idle_keep_alive_connections():
    server = FakeAttentiveServer(fake=FakeAttentive())
    url = server.start()
    session = requests.Session()
    assert session.post(f"{url}/v1/messages", json=SEED_EXAMPLE, headers=AUTH).status_code == 200

    server.stop()

    with pytest.raises(requests.ConnectionError):
        session.post(f"{url}/v1/messages", json=SEED_EXAMPLE, headers=AUTH, timeout=2)


def test_url_before_start_raises():
    with pytest.raises(RuntimeError):
        _ = FakeAttentiveServer().url


def test_management_command_serves_until_sigterm(tmp_path: Path):
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "attentive_fake_server", "--port", "0", "--token", "t"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Read the banner line by line: anything else printed first must not confuse the test.
        banner: list[str] = []
        while not any("BASE_URL" in line for line in banner) and len(banner) < 20:
            banner.append(process.stdout.readline())
        url = next(line for line in banner if " on " in line).split(" on ")[1].split()[0]
        setting_line = next(line for line in banner if "BASE_URL" in line)
        ok = requests.post(
            f"{url}/v1/messages", json=SEED_EXAMPLE, headers={"Authorization": "Bearer t"}
        )
        refused = requests.post(f"{url}/v1/messages", json=SEED_EXAMPLE, headers=AUTH)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert ok.status_code == 200
    assert refused.status_code == 403
    assert process.returncode == 0, err
    assert f'ATTENTIVE["BASE_URL"] = "{url}"' in setting_line
    assert "1 message(s) accepted" in out


# Mounted in a Django project (tests/urls.py includes django_attentive.fake.urls)


def test_mounted_view_accepts_the_seed_example(client, mounted):
    response = client.post(
        reverse("attentive_fake:messages"),
        SEED_EXAMPLE,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )

    assert response.status_code == 200
    assert response.json() == SEED_EXAMPLE
    assert mounted.messages[0]["messageId"] == "123456789"


def test_mounted_view_applies_the_same_rules(client, mounted):
    mounted.unknown = [US_NUMBER]

    missing_token = client.post(
        reverse("attentive_fake:messages"), SEED_EXAMPLE, content_type="application/json"
    )
    unknown = client.post(
        reverse("attentive_fake:messages"),
        {"to": US_NUMBER, "body": "hi"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer x",
    )

    assert missing_token.status_code == 403
    assert unknown.json() == {"status": 400, "message": "Subscriber not found"}


def test_mounted_drop_after_answers_502_after_recording(client, mounted):
    mounted.configure(fault_rate=1, fault_kinds=["drop_after"])

    response = client.post(
        reverse("attentive_fake:messages"),
        SEED_EXAMPLE,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer x",
    )

    assert response.status_code == 502
    assert len(mounted.messages) == 1


def test_mounted_control_endpoint_lists_messages(client, mounted):
    mounted.handle("POST", "/v1/messages", AUTH, b'{"to": "+12015550123", "body": "hi"}')

    response = client.get(reverse("attentive_fake:control", args=["messages"]), {"since": 0})

    assert response.json()["count"] == 1


@pytest.mark.django_db
def test_inbox_lists_messages_newest_first_and_escaped(client, mounted):
    for body in ("first-body", "<script>alert(1)</script>"):
        mounted.handle(
            "POST", "/v1/messages", AUTH, f'{{"to": "{US_NUMBER}", "body": "{body}"}}'.encode()
        )

    html = client.get(reverse("attentive_fake:inbox")).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert html.index("&lt;script&gt;") < html.index("first-body")


@pytest.mark.django_db
def test_inbox_clear_needs_a_csrf_token(mounted):
    from django.test import Client

    mounted.handle("POST", "/v1/messages", AUTH, b'{"to": "+12015550123", "body": "hi"}')

    response = Client(enforce_csrf_checks=True).post(reverse("attentive_fake:inbox"))

    assert response.status_code == 403
    assert len(mounted.messages) == 1


@pytest.mark.django_db
def test_inbox_clear_empties_the_inbox(client, mounted):
    mounted.handle("POST", "/v1/messages", AUTH, b'{"to": "+12015550123", "body": "hi"}')

    response = client.post(reverse("attentive_fake:inbox"))

    assert response.status_code == 302
    assert mounted.messages == []


# The current API: /v1/text/send and /v1/events/custom, through the same knobs

TEXT = {"to": US_NUMBER, "subscriptionType": "TRANSACTIONAL", "body": "Your order shipped"}
EVENT = {
    "type": "Order Shipped",
    "properties": {"orderNumber": "1001"},
    "externalEventId": "order:shop.order:1:shipped",
    "occurredAt": "2026-01-02T03:04:05.000Z",
    "user": {"phone": US_NUMBER},
}


def post(api: Api, path: str, payload: object, headers: dict | None = None):
    headers = AUTH if headers is None else headers
    return api.session.post(f"{api.url}{path}", json=payload, headers=headers, timeout=5)


def assert_current_error(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] == message
    assert error["id"]


def test_text_send_is_accepted_and_recorded_apart_from_messages(api):
    response = post(api, "/v1/text/send", TEXT)

    assert response.status_code == 202
    assert api.fake.messages == []
    [record] = api.fake.records("/v1/text/send")
    assert {k: record[k] for k in TEXT} == TEXT
    assert record["endpoint"] == "/v1/text/send"
    assert [t["body"] for t in api.fake.texts] == ["Your order shipped"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"to": US_NUMBER, "body": "hi"}, 400, "Missing required parameters: subscriptionType"),
        ({**TEXT, "subscriptionType": "transactional"}, 400, "subscriptionType must be"),
        ({**TEXT, "useShortLinks": True}, 400, "messageName is required"),
        ({**TEXT, "mediaUrl": "https://cdn.example/a.pdf"}, 400, "Illegal argument"),
        ({**TEXT, "to": "+33612345678"}, 404, "Invalid or unmatched phone number"),
    ],
)
def test_text_send_refusals_use_the_current_error_shape(api, payload, status, message):
    response = post(api, "/v1/text/send", payload)

    assert response.status_code == status
    assert response.json()["error"]["message"].startswith(message)
    assert api.fake.records() == []


def test_text_send_token_is_checked_first(api):
    api.fake.configure(token=TOKEN)

    assert_current_error(post(api, "/v1/text/send", TEXT, headers={}), 403, "Invalid API token.")


def test_text_send_accepts_braces_but_marks_the_text_dropped(api):
    response = post(api, "/v1/text/send", {**TEXT, "body": "Code {1234}"})

    assert response.status_code == 202  # Attentive says nothing...
    [record] = api.fake.texts
    assert "drops a body containing" in record["dropped"]  # ...and never delivers it


def test_custom_event_is_accepted_and_recorded(api):
    response = post(api, "/v1/events/custom", EVENT)

    assert response.status_code == 202
    [record] = api.fake.events
    assert {k: record[k] for k in EVENT} == EVENT
    assert api.fake.texts == []


def test_repeated_external_event_id_is_flagged(api):
    post(api, "/v1/events/custom", EVENT)
    post(api, "/v1/events/custom", EVENT)

    first, second = api.fake.events
    assert "duplicate" not in first
    assert second["duplicate"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "Order (Shipped)"}, "type is required"),
        ({"type": ""}, "type is required"),
        ({"properties": ["a"]}, "properties must be a JSON object"),
        ({"occurredAt": "yesterday"}, "occurredAt must be an RFC 3339"),
        ({"occurredAt": "2026-01-02T03:04:05"}, "occurredAt must be an RFC 3339"),
        ({"user": {}}, "user.phone"),
    ],
)
def test_custom_event_refusals(api, change, message):
    response = post(api, "/v1/events/custom", {**EVENT, **change})

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)
    assert api.fake.events == []


def test_custom_event_for_an_opted_out_number_is_refused(api):
    api.fake.configure(opted_out=[US_NUMBER])

    assert_current_error(post(api, "/v1/events/custom", EVENT), 400, "Subscriber is opted-out")


@pytest.mark.parametrize("path", ["/v1/text/send", "/v1/events/custom"])
def test_fail_next_429_carries_rate_limit_headers_in_the_current_shape(api, path):
    limits = {"x-ratelimit-limit": "150", "x-ratelimit-remaining": "0"}
    api.fake.fail_next(429, "Too many requests", headers=limits)

    response = post(api, path, TEXT if path == "/v1/text/send" else EVENT)

    assert_current_error(response, 429, "Too many requests")
    assert response.headers["x-ratelimit-limit"] == "150"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert api.fake.records() == []
    assert post(api, path, TEXT if path == "/v1/text/send" else EVENT).status_code == 202


@pytest.mark.parametrize("path", ["/v1/text/send", "/v1/events/custom"])
def test_fault_knobs_apply_to_the_current_api(api, path):
    api.fake.configure(fault_rate=1.0, fault_kinds=["error"])

    assert_current_error(
        post(api, path, TEXT if path == "/v1/text/send" else EVENT),
        503,
        "Service temporarily unavailable (fake fault)",
    )


def test_drop_after_records_a_text_send_then_hangs_up(api):
    api.fake.configure(fault_rate=1.0, fault_kinds=["drop_after"])

    with pytest.raises(requests.ConnectionError):
        post(api, "/v1/text/send", TEXT)
    assert len(api.fake.texts) == 1


def test_control_records_lists_one_endpoint_or_all(api):
    api.send({"to": US_NUMBER, "body": "legacy"})
    post(api, "/v1/text/send", TEXT)
    post(api, "/v1/events/custom", EVENT)

    everything = api.control("GET", "records").json()
    events = api.control("GET", "records", params={"endpoint": "/v1/events/custom"}).json()

    assert [r["endpoint"] for r in everything["records"]] == [
        "/v1/messages",
        "/v1/text/send",
        "/v1/events/custom",
    ]
    assert events["count"] == 1
    assert api.control("GET", "messages").json()["count"] == 1  # still /v1/messages alone


def test_records_of_an_unknown_endpoint_raise():
    with pytest.raises(ValueError, match="Unknown endpoints"):
        FakeAttentive().records("/v1/nope")


def test_mounted_views_serve_the_current_api(client, mounted):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    text = client.post(
        reverse("attentive_fake:text_send"), TEXT, content_type="application/json", **auth
    )
    event = client.post(
        reverse("attentive_fake:events"), EVENT, content_type="application/json", **auth
    )

    assert (text.status_code, event.status_code) == (202, 202)
    assert [r["endpoint"] for r in mounted.records()] == ["/v1/text/send", "/v1/events/custom"]


@pytest.mark.django_db
def test_inbox_shows_texts_and_events_from_every_endpoint(client, mounted):
    mounted.handle("POST", "/v1/text/send", AUTH, json.dumps({**TEXT, "body": "{x}"}).encode())
    mounted.handle("POST", "/v1/events/custom", AUTH, json.dumps(EVENT).encode())

    html = client.get(reverse("attentive_fake:inbox")).content.decode()

    assert "/v1/text/send" in html and "/v1/events/custom" in html
    assert "Order Shipped" in html and "orderNumber: 1001" in html
    assert "Dropped:" in html
