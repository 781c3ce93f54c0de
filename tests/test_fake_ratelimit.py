"""The fake enforces Attentive's rate limit per endpoint and counts the 429s it answered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from django_attentive.fake import FakeAttentive, FakeAttentiveServer

AUTH = {"Authorization": "Bearer t0ken"}
TEXT = {"to": "+12015550123", "body": "Hi"}
SUBSCRIBER = {"user": {"phone": "+12015550123"}, "signUpSourceId": "1"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAttentiveServer]:
    with FakeAttentiveServer(fake=FakeAttentive()) as server:
        yield server


@pytest.fixture
def fake(server: FakeAttentiveServer) -> Iterator[FakeAttentive]:
    server.fake.reset()
    yield server.fake
    server.fake.reset()


def post(server: FakeAttentiveServer, path: str, payload: dict) -> requests.Response:
    return requests.post(f"{server.url}{path}", json=payload, headers=AUTH, timeout=5)


def test_above_the_limit_answers_429_with_both_headers_and_records_nothing(server, fake):
    fake.configure(rate_limit=5)
    answers = [post(server, "/v1/messages", TEXT) for _ in range(8)]
    codes = [a.status_code for a in answers]
    assert codes[:5] == [200] * 5  # a bucket of one second's worth
    assert 429 in codes[5:]
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["x-ratelimit-limit"] == "5"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert "Retry-After" not in refused.headers
    assert len(fake.messages) == codes.count(200)


def test_the_bucket_refills_at_the_rate(server, fake):
    fake.configure(rate_limit=20)
    while post(server, "/v1/messages", TEXT).status_code != 429:
        pass
    time.sleep(0.25)  # five tokens back
    codes = [post(server, "/v1/messages", TEXT).status_code for _ in range(4)]
    assert codes == [200] * 4


def test_each_endpoint_has_its_own_bucket(server, fake):
    fake.configure(rate_limit=3)
    assert [post(server, "/v1/messages", TEXT).status_code for _ in range(4)][-1] == 429
    codes = [post(server, "/v1/subscriptions", SUBSCRIBER).status_code for _ in range(3)]
    assert codes == [202] * 3


def test_429s_are_counted_in_the_stats_and_the_control_endpoint(server, fake):
    fake.configure(rate_limit=2)
    codes = [post(server, "/v1/messages", TEXT).status_code for _ in range(6)]
    stats = fake.stats
    assert stats.requests == 6
    assert stats.rate_limited == codes.count(429) >= 3
    over_http = requests.get(f"{server.url}/_fake/stats", timeout=5).json()
    assert over_http["rate_limited"] == stats.rate_limited
    assert over_http["by_endpoint"]["/v1/messages"] == {"requests": 6, "rate_limited": 6 - 2}
    fake.reset()
    assert fake.stats.requests == fake.stats.rate_limited == 0


def test_no_limit_by_default(server, fake):
    codes = {post(server, "/v1/messages", TEXT).status_code for _ in range(50)}
    assert codes == {200}
    assert fake.stats.requests == 50
    assert fake.stats.rate_limited == 0


def test_the_limit_is_a_knob_like_the_others(server, fake):
    response = requests.post(f"{server.url}/_fake/config", json={"rate_limit": 150}, timeout=5)
    assert response.json()["rate_limit"] == 150
    assert fake.rate_limit == 150
    bad = requests.post(f"{server.url}/_fake/config", json={"rate_limit": -1}, timeout=5)
    assert bad.status_code == 400


def test_subscriptions_need_a_user(server, fake):
    assert post(server, "/v1/subscriptions", {"user": {}}).status_code == 400
    assert post(server, "/v1/subscriptions", SUBSCRIBER).status_code == 202
    assert fake.records("/v1/subscriptions")[0]["user"] == SUBSCRIBER["user"]


def test_the_command_enforces_rate_limit_and_reports_its_429s():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "django", "attentive_fake_server", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--rate-limit", "3"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.split(" on ")[1].split()[0]
        codes = [
            requests.post(f"{url}/v1/messages", json=TEXT, headers=AUTH, timeout=5).status_code
            for _ in range(5)
        ]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert codes[:3] == [200] * 3
    assert 429 in codes[3:]
    assert f"{codes.count(429)} of 5 request(s) answered 429" in out, out + err
