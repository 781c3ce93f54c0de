"""HTTP to Attentive: one keep-alive session per process, the request and its failure modes,
and the mapping of every answer to a result or a typed exception. ``HttpBackend`` is the
archived Messages API (``POST {BASE_URL}/v1/messages``); text_send.py holds the current API.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, cast
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from .. import conf
from ..exceptions import (
    AmbiguousError,
    APIError,
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    EndpointNotFound,
    RateLimited,
    RecipientError,
    TransientError,
)
from .base import (
    BaseBackend,
    CustomEventPayload,
    MessagePayload,
    Payload,
    RequestPayload,
    SendResult,
)

MESSAGES_PATH = "/v1/messages"
CUSTOM_EVENTS_PATH = "/v1/events/custom"
POOL_SIZE = 64  # enough for attentive_send_queued --concurrency up to 64 on one session
# Attentive's own reasons for refusing a number, matched whole (lower case, no final period):
# "not found" inside any other 400, or a 404 page from a proxy, says nothing about the number.
RECIPIENT_REASONS_400 = frozenset(
    {"subscriber not found", "subscriber is opted-out", "subscriber is opted out"}
)
RECIPIENT_REASONS_404 = frozenset({"invalid or unmatched phone number"})
TOKEN_REFUSED = "Attentive refused the API token"
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Attentive's limit is per second: with none left, the next second brings a fresh allowance.
RATE_LIMIT_WINDOW_SECONDS = 1.0

_session: requests.Session | None = None
_session_lock = threading.Lock()
_environments: dict[tuple[str, str], dict[str, Any]] = {}


def get_session() -> requests.Session:
    """The process-wide session, so every send reuses warm keep-alive connections.

    It does not read the environment on each request (``trust_env`` is off): ``post`` passes
    what ``environment_for`` read once per host instead.
    """
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                session = requests.Session()
                session.trust_env = False
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                _session = session
    return _session


def environment_for(url: str) -> dict[str, Any]:
    """The proxies and CA bundle the environment gives requests to ``url``'s host.

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY``, ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``
    / ``CURL_CA_BUNDLE`` are honoured as requests honours them, but read once per host and
    process: requests would read them (and look for ~/.netrc) on every request, about a
    quarter of its CPU time per text. ~/.netrc is not used at all: credentials found there
    would replace the token's ``Authorization`` header.
    """
    origin = urlsplit(url)[:2]
    found = _environments.get(origin)
    if found is None:
        with requests.Session() as probe:  # trust_env on: what requests would use
            merged = probe.merge_environment_settings(url, {}, None, None, None)
        found = {"proxies": merged["proxies"], "verify": merged["verify"]}
        _environments[origin] = found
    return found


def forget_environment() -> None:
    """Read the proxy and CA bundle variables again on the next request (after changing them)."""
    _environments.clear()


@dataclass(frozen=True)
class ErrorBody:
    """What an error answer says: the reason, and Attentive's error id when it gives one."""

    reason: str
    error_id: str = ""

    def __str__(self) -> str:
        if self.error_id:
            return f"{self.reason} (Attentive error id {self.error_id})"
        return self.reason


def parse_error_body(text: str) -> ErrorBody:
    """Read an error body of any common shape: the current API's
    ``{"error": {"id": ..., "message": ...}}``, the Messages API's ``{"message": ...}``,
    other JSON, or plain text.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return ErrorBody(text.strip()[:500])
    if isinstance(data, dict):
        for key in ("message", "error", "errors", "detail", "description"):
            value = data.get(key)
            error_id = ""
            if isinstance(value, dict):
                error_id = str(value.get("id") or "")[:100]
                value = value.get("message") or json.dumps(value)
            if isinstance(value, list):
                value = "; ".join(str(item) for item in value)
            if value:
                return ErrorBody(str(value)[:500], error_id)
    return ErrorBody(text.strip()[:500])


def _request_never_left(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request went out."""
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _number_header(response: requests.Response, name: str) -> float | None:
    value = response.headers.get(name)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    return _number_header(response, "Retry-After")


class _Details(TypedDict):
    status_code: int
    response_body: str


def _own_reason(text: str) -> str:
    """Attentive's reason when ``text`` is one of its JSON error bodies, normalised; else ""."""
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return parse_error_body(text).reason.strip().rstrip(".").lower()


def _rate_limited(response: requests.Response, reason: str, details: _Details) -> RateLimited:
    limit = _number_header(response, "x-ratelimit-limit")
    remaining = _number_header(response, "x-ratelimit-remaining")
    retry_after = _retry_after(response)
    if retry_after is None and remaining == 0:
        retry_after = RATE_LIMIT_WINDOW_SECONDS
    return RateLimited(
        f"Attentive's rate limit was reached: {reason}",
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        retry_after=retry_after,
        **details,
    )


def error_for_response(response: requests.Response) -> APIError:
    """Map a non-2xx answer to the exception that says what to do about it."""
    code, text = response.status_code, response.text
    reason = str(parse_error_body(text)) or response.reason or "no reason given"
    details: _Details = {"status_code": code, "response_body": text}
    if code in (401, 403):
        return AuthenticationError(
            f"{TOKEN_REFUSED}: {reason}. Fix ATTENTIVE['API_TOKEN']; "
            "messages wait and go out once it works",
            **details,
        )
    if code == 404:
        if _own_reason(text) in RECIPIENT_REASONS_404:
            return RecipientError(f"Attentive does not know this number: {reason}", **details)
        return EndpointNotFound(
            f"{response.url} answered 404 ({reason}), which is not Attentive's answer about a "
            "number: check ATTENTIVE['BASE_URL'] (and any proxy); texts wait and go out once "
            "it is right",
            **details,
        )
    if code == 400:
        if _own_reason(text) in RECIPIENT_REASONS_400:
            return RecipientError(f"Attentive will not text this number: {reason}", **details)
        return BadRequest(f"Attentive rejected the message: {reason}", **details)
    if code == 429:
        return _rate_limited(response, reason, details)
    if code in RETRYABLE_STATUS or code >= 500:
        return TransientError(
            f"Attentive could not take the message now: {reason}",
            retry_after=_retry_after(response),
            **details,
        )
    return BadRequest(f"Attentive answered {code}: {reason}", **details)


class AttentiveHttpBackend(BaseBackend):
    """What both Attentive transports share: post JSON with the Bearer token, map the answer.

    A transport sets ``message_path`` and, if its body differs from the Messages API's,
    overrides ``build_message_payload``. Custom events go to ``/v1/events/custom``.
    """

    message_path: ClassVar[str]
    #: Added to the "token is empty" error: which token this transport wants.
    token_kind: ClassVar[str] = "Attentive's API token"

    def send(self, payload: MessagePayload) -> SendResult:
        return self.post(self.message_path, payload)

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        return self.post(CUSTOM_EVENTS_PATH, payload)

    def send_request(self, path: str, payload: RequestPayload) -> SendResult:
        return self.post(path, payload)

    def base_url(self) -> str:
        return conf.base_url(self.default_base_url)

    def post(self, path: str, payload: Payload) -> SendResult:
        """POST ``payload`` to ``path``; a typed exception for anything but a 2xx."""
        token = conf.api_token()
        if not token:
            raise ConfigurationError(
                f"{conf.TOKEN_SETTING} is empty; {type(self).__name__} needs "
                f"{self.token_kind} (or set BACKEND to the console or locmem backend)."
            )
        if problem := conf.token_problem(token):
            raise ConfigurationError(problem)
        connect_timeout, read_timeout = conf.timeout()
        url = self.base_url() + path
        try:
            response = get_session().post(
                url,
                json=cast(dict[str, Any], payload),
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=(connect_timeout, read_timeout),
                **environment_for(url),
            )
        except requests.ConnectTimeout as exc:
            raise TransientError(
                f"Could not connect to Attentive within {connect_timeout:g}s; nothing was sent"
            ) from exc
        except requests.ReadTimeout as exc:
            raise AmbiguousError(
                f"Attentive did not answer within {read_timeout:g}s; the text may have been sent"
            ) from exc
        except requests.ConnectionError as exc:
            if _request_never_left(exc):
                raise TransientError(
                    f"Could not connect to Attentive ({type(exc.args[0]).__name__}); "
                    "nothing was sent"
                ) from exc
            raise AmbiguousError(
                "The connection dropped after the request went out; the text may have been sent"
            ) from exc
        except requests.RequestException as exc:
            raise TransientError(
                f"Could not send to Attentive: {conf.without_token(str(exc))}; nothing was sent"
            ) from exc
        if 200 <= response.status_code < 300:
            return SendResult(response.status_code, response.text, _json_object(response.text))
        raise self.error_for_response(response)

    def error_for_response(self, response: requests.Response) -> APIError:
        return error_for_response(response)


class HttpBackend(AttentiveHttpBackend):
    """Sends through Attentive's archived Messages API (or the fake, at the same path)."""

    message_path = MESSAGES_PATH
    token_kind = "Attentive's legacy Messages API token"


def _json_object(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
