"""Shared fixtures: Attentive settings, the locmem outbox, and a real fake Attentive over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_attentive.backends import locmem
from django_attentive.sending import gate

TOKEN = "test-token-s3cr3t"


@pytest.fixture(autouse=True)
def _empty_outbox() -> Iterator[None]:
    locmem.outbox.clear()
    locmem.events.clear()
    locmem.requests.clear()
    gate.reset()
    yield
    locmem.outbox.clear()
    locmem.events.clear()
    gate.reset()


@pytest.fixture
def attentive(settings):
    """Change ATTENTIVE keys for one test: ``attentive(MAX_ATTEMPTS=2)``."""

    def configure(**keys: object) -> dict:
        settings.ATTENTIVE = {**settings.ATTENTIVE, **keys}
        return settings.ATTENTIVE

    return configure


@pytest.fixture
def http_backend(attentive) -> str:
    """Send through the real http backend to a base URL that `responses` mocks."""
    base_url = "https://attentive.test"
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend", BASE_URL=base_url, API_TOKEN=TOKEN
    )
    return base_url + "/v1/messages"


@pytest.fixture(scope="session")
def fake_server():
    """One standalone fake Attentive for the whole run, reached over real HTTP."""
    from django_attentive.fake import FakeAttentive, FakeAttentiveServer

    server = FakeAttentiveServer(fake=FakeAttentive())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server, attentive):
    """The fake, reset, with the http backend pointed at it. Returns the FakeAttentive."""
    fake_server.fake.reset()
    fake_server.fake.configure(token=TOKEN)
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend",
        BASE_URL=fake_server.url,
        API_TOKEN=TOKEN,
        TIMEOUT=(2, 5),
    )
    yield fake_server.fake
    fake_server.fake.reset()
