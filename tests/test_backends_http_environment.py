"""The http transport's session: proxies and CA bundle from the environment, never ~/.netrc."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from django_attentive.backends import http
from django_attentive.backends.http import HttpBackend

from .conftest import TOKEN

PAYLOAD = {"to": "+12015550123", "body": "Your order shipped"}


@pytest.fixture(autouse=True)
def _fresh_environment(monkeypatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    http.forget_environment()
    yield
    http.forget_environment()


def sent_request() -> responses.Call:
    HttpBackend().send(dict(PAYLOAD))  # type: ignore[arg-type]
    return responses.calls[-1]


@responses.activate
def test_a_netrc_entry_for_the_host_does_not_replace_the_token(http_backend, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine attentive.test login someone password elsewhere\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    responses.post(http_backend, json=PAYLOAD)
    assert sent_request().request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_a_proxy_from_the_environment_is_used(http_backend, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    responses.post(http_backend, json=PAYLOAD)
    call = sent_request()
    assert call.request.req_kwargs["proxies"]["https"] == "http://proxy.internal:3128"


@responses.activate
def test_no_proxy_sends_direct(http_backend, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "attentive.test")
    responses.post(http_backend, json=PAYLOAD)
    assert not sent_request().request.req_kwargs["proxies"].get("https")


@responses.activate
def test_a_ca_bundle_from_the_environment_is_used(http_backend, tmp_path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    responses.post(http_backend, json=PAYLOAD)
    assert sent_request().request.req_kwargs["verify"] == str(bundle)
