"""The real transport: ``POST {BASE_URL}/v1/messages`` over one keep-alive session per process."""

from __future__ import annotations

import json
import threading

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
    RecipientError,
    TransientError,
)
from .base import BaseBackend, MessagePayload, SendResult

MESSAGES_PATH = "/v1/messages"
POOL_SIZE = 64  # enough for attentive_send_queued --concurrency up to 64 on one session
RECIPIENT_REASONS = ("opted out", "opted-out", "opt out", "not found", "unsubscribed")
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

_session: requests.Session | None = None
_session_lock = threading.Lock()


def get_session() -> requests.Session:
    """The process-wide session, so every send reuses warm keep-alive connections."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                session = requests.Session()
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                _session = session
    return _session


def response_reason(text: str) -> str:
    """Attentive's explanation from an error body: JSON of any common shape, or plain text."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:500]
    if isinstance(data, dict):
        for key in ("message", "error", "errors", "detail", "description"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or json.dumps(value)
            if isinstance(value, list):
                value = "; ".join(str(item) for item in value)
            if value:
                return str(value)[:500]
    return text.strip()[:500]


def _request_never_left(exc: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request went out."""
    if isinstance(exc, requests.exceptions.SSLError):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_for_response(response: requests.Response) -> APIError:
    """Map a non-2xx answer to the exception that says what to do about it."""
    code, text = response.status_code, response.text
    reason = response_reason(text) or response.reason or "no reason given"
    details = {"status_code": code, "response_body": text}
    if code in (401, 403):
        return AuthenticationError(
            f"Attentive refused the API token: {reason}. Fix ATTENTIVE['API_TOKEN']; "
            "messages wait and go out once it works",
            **details,
        )
    if code == 404:
        return RecipientError(f"Attentive does not know this number: {reason}", **details)
    if code == 400:
        if any(marker in reason.lower() for marker in RECIPIENT_REASONS):
            return RecipientError(f"Attentive will not text this number: {reason}", **details)
        return BadRequest(f"Attentive rejected the message: {reason}", **details)
    if code in RETRYABLE_STATUS or code >= 500:
        return TransientError(
            f"Attentive could not take the message now: {reason}",
            retry_after=_retry_after(response),
            **details,
        )
    return BadRequest(f"Attentive answered {code}: {reason}", **details)


class HttpBackend(BaseBackend):
    """Sends through Attentive's Messages API (or the fake, at the same path)."""

    def send(self, payload: MessagePayload) -> SendResult:
        token = conf.api_token()
        if not token:
            raise ConfigurationError(
                "ATTENTIVE['API_TOKEN'] is empty; the http backend needs Attentive's token "
                "(or set BACKEND to the console or locmem backend)."
            )
        connect_timeout, read_timeout = conf.timeout()
        try:
            response = get_session().post(
                conf.base_url() + MESSAGES_PATH,
                json=payload,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=(connect_timeout, read_timeout),
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
            raise TransientError(f"Could not send to Attentive: {exc}; nothing was sent") from exc
        if 200 <= response.status_code < 300:
            return SendResult(response.status_code, response.text, _json_object(response.text))
        raise error_for_response(response)


def _json_object(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
