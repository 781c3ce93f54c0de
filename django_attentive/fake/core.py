"""The fake Attentive itself, with no transport: the archived ``POST /v1/messages``, the current
API's ``POST /v1/text/send`` and ``POST /v1/events/custom``, plus control endpoints.

Every API endpoint runs the same pipeline (latency, forced answers, faults, token, JSON, its
own checks, recording), so the knobs work whichever transport a project uses. Both front
ends (the Django views and the standalone server) hand each request to ``FakeAttentive.handle``
and write back the ``FakeResponse`` it returns.

This module holds the pipeline and the endpoint table (``ENDPOINTS``); each endpoint's own
checks live beside it (``texts``, ``custom_events``, ``subscriptions``, ``commerce``), the knobs
in ``config``, the answers in ``responses``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import commerce, texts
from . import custom_events as events
from . import subscriptions as subs
from .config import FAULT_KINDS, FakeConfig, FaultKind, clean_knobs
from .custom_events import CUSTOM_EVENTS_PATH
from .intake import Headers, parse_request
from .ratelimit import EndpointLimiter, RateLimitStats
from .responses import (
    FAULT_ERROR,
    INVALID_TOKEN,
    RATE_LIMITED,
    FakeResponse,
    accepted,
    current_error_response,
    error_response,
    json_response,
    ok,
    reason_phrase,
)
from .texts import MESSAGES_PATH, TEXT_PATHS, TEXT_SEND_PATH, RecordedMessage
from .webhooks import FakeWebhooks

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "Endpoint",
    "FakeAttentive",
    "FakeConfig",
    "FakeResponse",
    "RecordedMessage",
    "current_error_response",
    "error_response",
    "fake",
    "json_response",
]

CONTROL_PREFIX = "/_fake/"


@dataclass(frozen=True)
class _ForcedAnswer:
    status: int
    message: str
    headers: Mapping[str, str]


Check = Callable[["FakeConfig", dict[str, Any]], "tuple[int, str] | None"]


@dataclass(frozen=True)
class Endpoint:
    """One API endpoint: its checks after token and JSON, its error shape and its success."""

    path: str
    check: Check
    error: Callable[..., FakeResponse]
    accept: Callable[[dict[str, Any]], FakeResponse]
    #: Accepted but silently not delivered (Attentive's brace rule): why, or None.
    dropped: Callable[[dict[str, Any]], str | None] = lambda payload: None


class _Knob:
    """A ``FakeAttentive`` attribute that reads and writes one field of its ``FakeConfig``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: FakeAttentive | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.settings, self.name)

    def __set__(self, obj: FakeAttentive, value: object) -> None:
        obj.configure(**{self.name: value})


class FakeAttentive:
    """A thread-safe stand-in for Attentive's Messages API that records what it accepted."""

    token = _Knob()
    opted_out = _Knob()
    unknown = _Knob()
    latency = _Knob()
    fault_rate = _Knob()
    fault_kinds = _Knob()
    slow_seconds = _Knob()
    seed = _Knob()
    rate_limit = _Knob()

    def __init__(self, **knobs: Any) -> None:
        self._lock = threading.Lock()
        self._config = FakeConfig()
        self._random = random.Random()
        self._records: list[tuple[str, dict[str, Any]]] = []  # (endpoint path, record)
        self._event_ids: set[object] = set()
        self._seq = 0
        self._forced: deque[_ForcedAnswer] = deque()
        self.webhooks = FakeWebhooks(self, TEXT_PATHS)
        self._limiter = EndpointLimiter()
        self.configure(**knobs)

    @property
    def settings(self) -> FakeConfig:
        """The current knobs, as one consistent snapshot."""
        with self._lock:
            return self._config

    def configure(self, **knobs: Any) -> FakeConfig:
        """Change any knobs at once (``token``, ``opted_out``, ``latency``, ...); return the result.

        Setting ``seed`` reseeds the random generator that decides faults.
        """
        cleaned = clean_knobs(knobs)
        with self._lock:
            self._config = dataclasses.replace(self._config, **cleaned)
            if "seed" in cleaned:
                self._random.seed(cleaned["seed"])
            return self._config

    def reset(self) -> None:
        """Forget recorded messages and forced answers, and put every knob back to its default."""
        with self._lock:
            self._config = FakeConfig()
            self._random = random.Random()
            self._records.clear()
            self._event_ids.clear()
            self._seq = 0
            self._forced.clear()
        self.webhooks.reset()
        self._limiter.reset()

    def fail_next(
        self,
        status: int,
        message: str | None = None,
        count: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` API requests (any endpoint) with ``status``, recording nothing.

        ``headers`` go out with each answer, e.g. ``{"x-ratelimit-remaining": "0"}`` on a 429.
        """
        status = int(status)
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {status!r}.")
        if message is None:
            message = INVALID_TOKEN if status == 403 else reason_phrase(status)
        answer = _ForcedAnswer(status, message, dict(headers or {}))
        with self._lock:
            self._forced.extend([answer] * int(count))

    @property
    def messages(self) -> list[RecordedMessage]:
        """A copy of every message accepted on ``/v1/messages``, oldest first."""
        return self.messages_since(0)

    def messages_since(self, seq: int) -> list[RecordedMessage]:
        """A copy of the ``/v1/messages`` messages whose ``seq`` is greater than ``seq``."""
        with self._lock:
            return [
                dict(record)  # type: ignore[misc]
                for path, record in self._records
                if path == MESSAGES_PATH and record["seq"] > seq
            ]

    def records(
        self, endpoint: str | Iterable[str] | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        """A copy of what one endpoint (or several, or all) accepted, each tagged ``endpoint``."""
        paths = {endpoint} if isinstance(endpoint, str) else set(endpoint or ENDPOINTS)
        unknown = paths - set(ENDPOINTS)
        if unknown:
            raise ValueError(f"Unknown endpoints {sorted(unknown)}; choose from {list(ENDPOINTS)}.")
        with self._lock:
            return [
                {**record, "endpoint": path}
                for path, record in self._records
                if path in paths and record["seq"] > since
            ]

    @property
    def stats(self) -> RateLimitStats:
        """API requests answered so far and how many got a 429 (``rate_limited``)."""
        return self._limiter.stats()

    @property
    def texts(self) -> list[dict[str, Any]]:
        """Every text accepted on ``/v1/messages`` or ``/v1/text/send``, oldest first."""
        return self.records(TEXT_PATHS)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every custom event accepted on ``/v1/events/custom``, oldest first."""
        return self.records(CUSTOM_EVENTS_PATH)

    def clear(self) -> int:
        """Forget recorded requests (``seq`` keeps counting) and return how many there were."""
        with self._lock:
            count = len(self._records)
            self._records.clear()
            return count

    def handle(self, method: str, path: str, headers: Headers, body: bytes) -> FakeResponse:
        """Answer one HTTP request; ``path`` is relative to the fake's root and may have a query."""
        url = urlsplit(path)
        route = url.path.rstrip("/") or "/"
        if route in ENDPOINTS:
            return self._serve(ENDPOINTS[route], method.upper(), headers, body)
        if url.path.startswith(CONTROL_PREFIX):
            return self._control(method.upper(), route, parse_qs(url.query), body)
        return error_response(404, f"No such endpoint: {url.path}")

    def _serve(
        self, endpoint: Endpoint, method: str, headers: Headers, body: bytes
    ) -> FakeResponse:
        config = self.settings
        over_limit = self._limiter.admit(endpoint.path, config.rate_limit)
        if config.latency:
            time.sleep(config.latency)
        if over_limit is not None:
            return endpoint.error(429, RATE_LIMITED, over_limit)
        if method != "POST":
            return endpoint.error(405, f"Method {method} not allowed", {"Allow": "POST"})
        with self._lock:
            forced = self._forced.popleft() if self._forced else None
            fault = self._draw_fault(config)
        if forced is not None:
            return endpoint.error(forced.status, forced.message, forced.headers)
        if fault == "error":
            return endpoint.error(503, FAULT_ERROR)
        if fault == "drop":
            return FakeResponse(0, drop=True)
        payload, rejection = parse_request(config, headers, body)
        if rejection is None:
            rejection = endpoint.check(config, payload)
        if rejection is not None:
            return endpoint.error(*rejection)
        self._record(endpoint, payload)
        if fault == "drop_after":
            return FakeResponse(0, drop=True)
        if fault == "slow":
            time.sleep(config.slow_seconds)
        return endpoint.accept(payload)

    def _draw_fault(self, config: FakeConfig) -> FaultKind | None:
        if not config.fault_rate or not config.fault_kinds:
            return None
        if self._random.random() >= config.fault_rate:
            return None
        return self._random.choice(config.fault_kinds)

    def _record(self, endpoint: Endpoint, payload: Mapping[str, Any]) -> None:
        received_at = datetime.now(UTC).isoformat()
        extra: dict[str, Any] = {}
        if (reason := endpoint.dropped(dict(payload))) is not None:
            extra["dropped"] = reason
        with self._lock:
            if endpoint.path == CUSTOM_EVENTS_PATH:
                external_id = payload.get("externalEventId")
                if external_id and external_id in self._event_ids:
                    extra["duplicate"] = True
                self._event_ids.add(external_id)
            self._seq += 1
            record = {**payload, **extra, "received_at": received_at, "seq": self._seq}
            self._records.append((endpoint.path, record))

    def _control(
        self, method: str, route: str, query: Mapping[str, list[str]], body: bytes
    ) -> FakeResponse:
        name = route.removeprefix(CONTROL_PREFIX.rstrip("/")).strip("/")
        allowed = {
            "messages": ("GET", "DELETE"),
            "records": ("GET",),
            "config": ("GET", "POST"),
            "reset": ("POST",),
            "fail_next": ("POST",),
            "webhooks": ("GET", "POST"),
            "stats": ("GET",),
        }
        if name not in allowed:
            return error_response(404, f"No such control endpoint: {route}")
        if method not in allowed[name]:
            return error_response(
                405, f"Method {method} not allowed", {"Allow": ", ".join(allowed[name])}
            )
        try:
            if name == "messages" and method == "GET":
                since = int(query.get("since", ["0"])[0] or 0)
                messages = self.messages_since(since)
                return json_response(200, {"count": len(messages), "messages": messages})
            if name == "messages":
                return json_response(200, {"cleared": self.clear()})
            if name == "records":
                since = int(query.get("since", ["0"])[0] or 0)
                records = self.records(query.get("endpoint") or None, since)
                return json_response(200, {"count": len(records), "records": records})
            if name == "stats":
                return json_response(200, self.stats.as_json())
            if name == "config" and method == "GET":
                return json_response(200, self.settings.as_json())
            if name == "config":
                return json_response(200, self.configure(**_json_object(body)).as_json())
            if name == "webhooks":
                return json_response(*self.webhooks.control(method, body))
            if name == "reset":
                self.reset()
                return json_response(200, self.settings.as_json())
            options = _json_object(body)
            if "status" not in options:
                raise ValueError("fail_next needs a 'status'.")
            self.fail_next(**options)
            with self._lock:
                pending = len(self._forced)
            return json_response(200, {"pending": pending})
        except (TypeError, ValueError) as exc:
            return error_response(400, str(exc))


def _json_object(body: bytes) -> dict[str, Any]:
    payload = json.loads(body or b"{}")
    if not isinstance(payload, dict):
        raise ValueError("Send a JSON object.")
    return payload


ECOMMERCE = commerce.ECOMMERCE_PATHS
ENDPOINTS: dict[str, Endpoint] = {
    MESSAGES_PATH: Endpoint(MESSAGES_PATH, texts.check_message, error_response, texts.echo_message),
    TEXT_SEND_PATH: Endpoint(
        TEXT_SEND_PATH,
        texts.check_text_send,
        current_error_response,
        accepted,
        texts.braces_dropped,
    ),
    CUSTOM_EVENTS_PATH: Endpoint(
        CUSTOM_EVENTS_PATH, events.check_event, current_error_response, accepted
    ),
    subs.SUBSCRIPTIONS_PATH: Endpoint(
        subs.SUBSCRIPTIONS_PATH,
        subs.check_subscription,
        current_error_response,
        lambda payload: json_response(202, subs.subscribed_body(payload)),
    ),
    subs.UNSUBSCRIBE_PATH: Endpoint(
        subs.UNSUBSCRIBE_PATH,
        subs.check_unsubscription,
        current_error_response,
        lambda payload: json_response(202, subs.unsubscribed_body(payload)),
    ),
    **{p: Endpoint(p, commerce.check_ecommerce, current_error_response, ok) for p in ECOMMERCE},
    commerce.IDENTIFY_PATH: Endpoint(
        commerce.IDENTIFY_PATH, commerce.check_identify, current_error_response, accepted
    ),
    commerce.ATTRIBUTES_PATH: Endpoint(
        commerce.ATTRIBUTES_PATH, commerce.check_attributes, current_error_response, ok
    ),
}


fake = FakeAttentive()
