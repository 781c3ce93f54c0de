"""The fake Attentive itself, with no transport: the archived ``POST /v1/messages``, the current
API's ``POST /v1/text/send`` and ``POST /v1/events/custom``, plus control endpoints.

Every API endpoint runs the same pipeline (latency, forced answers, faults, token, JSON, its
own checks, recording), so the knobs work whichever transport a project uses. Both front
ends (the Django views and the standalone server) hand each request to ``FakeAttentive.handle``
and write back the ``FakeResponse`` it returns.
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal, Protocol, TypedDict, TypeGuard
from urllib.parse import parse_qs, urlsplit

import phonenumbers

from . import commerce
from . import subscriptions as subs
from .ratelimit import EndpointLimiter, RateLimitStats, clean_rate
from .webhooks import FakeWebhooks

MESSAGES_PATH = "/v1/messages"
TEXT_SEND_PATH = "/v1/text/send"
CUSTOM_EVENTS_PATH = "/v1/events/custom"
TEXT_PATHS = (MESSAGES_PATH, TEXT_SEND_PATH)
CONTROL_PREFIX = "/_fake/"
TRANSACTIONAL = "TRANSACTIONAL"
MEDIA_EXTENSIONS = (".gif", ".png", ".jpg", ".jpeg")
SUPPORTED_REGIONS = frozenset({"US", "CA", "GB"})
DEFAULT_REGION = "US"
FaultKind = Literal["error", "drop", "drop_after", "slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "drop", "drop_after", "slow")

INVALID_TOKEN = "Invalid API token."
NOT_AN_OBJECT = "Illegal argument passed in: body is not a JSON object"
MISSING_PARAMETERS = "Missing required parameters: {}"
INVALID_INPUT = "Invalid Input - phone number or body missing from request"
BAD_TYPE = "Illegal argument passed in: type must be TRANSACTIONAL"
BAD_MEDIA_URL = "Illegal argument passed in: mediaUrl must be a gif, png or jpg URL"
BAD_NUMBER = "Invalid or unmatched phone number"
OPTED_OUT = "Subscriber is opted-out"
NOT_FOUND = "Subscriber not found"
FAULT_ERROR = "Service temporarily unavailable (fake fault)"
RATE_LIMITED = "Rate limit exceeded"
BAD_SUBSCRIPTION_TYPE = "subscriptionType must be TRANSACTIONAL or MARKETING"
MESSAGE_NAME_NEEDED = "messageName is required when useShortLinks is true"
BRACES_DROPPED = "Attentive drops a body containing { or } without saying so"
BAD_EVENT_TYPE = "type is required and may not contain any of " + "\"'(){}[]\\|,"
BAD_PROPERTIES = "properties must be a JSON object"
BAD_OCCURRED_AT = "occurredAt must be an RFC 3339 date-time"
MISSING_USER = "user.phone (or another identifier) is required"
EVENT_TYPE_FORBIDDEN = "\"'(){}[]\\|,"

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class FakeResponse:
    """What to answer: status, body and headers, or ``drop`` to close the connection silently."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class RecordedMessage(TypedDict, total=False):
    """An accepted message: the JSON fields as received, plus ``received_at`` and ``seq``."""

    to: str
    body: str
    messageId: str
    type: str
    mediaUrl: str
    received_at: str
    seq: int


@dataclass(frozen=True)
class FakeConfig:
    """The knobs; replaced as a whole under the lock, so readers always see a consistent set."""

    token: str | None = None
    opted_out: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()
    latency: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[FaultKind, ...] = ("error",)
    slow_seconds: float = 2.0
    seed: int | None = None
    rate_limit: float = 0.0  # requests/s per endpoint (0: unlimited), as Attentive enforces

    def as_json(self) -> dict[str, object]:
        """Return the knobs as JSON-friendly values (sets become sorted lists)."""
        return {
            "token": self.token,
            "opted_out": sorted(self.opted_out),
            "unknown": sorted(self.unknown),
            "latency": self.latency,
            "fault_rate": self.fault_rate,
            "fault_kinds": list(self.fault_kinds),
            "slow_seconds": self.slow_seconds,
            "seed": self.seed,
            "rate_limit": self.rate_limit,
        }


KNOBS = tuple(f.name for f in dataclasses.fields(FakeConfig))


@dataclass(frozen=True)
class _ForcedAnswer:
    status: int
    message: str
    headers: Mapping[str, str]


def json_response(
    status: int, payload: object, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build a JSON ``FakeResponse``."""
    body = json.dumps(payload).encode()
    return FakeResponse(status, body, {**JSON_HEADERS, **(headers or {})})


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build the Messages API's error shape, ``{"status": <code>, "message": "<reason>"}``."""
    return json_response(status, {"status": status, "message": message}, headers)


def current_error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """Build the current API's error shape, ``{"error": {"id": ..., "message": ...}}``."""
    error = {"id": uuid.uuid4().hex, "message": message}
    return json_response(status, {"error": error}, headers)


class Headers(Protocol):
    """A request's headers: a mapping, or the ``http.server`` handler's ``Message``."""

    def items(self) -> Iterable[tuple[str, str]]: ...


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


def to_e164(number: str) -> str | None:
    """Return ``number`` in E.164 if Attentive could text it (US, CA or GB), else None.

    Uses ``is_possible_number``, not ``is_valid_number``: the API's own example,
    555-555-5555, is possible but not valid, and Attentive accepts it.
    """
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if region is None and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region not in SUPPORTED_REGIONS:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _number_set(numbers: Iterable[str]) -> frozenset[str]:
    if isinstance(numbers, str):
        numbers = [numbers]
    normalised = set()
    for number in numbers:
        e164 = to_e164(str(number))
        if e164 is None:
            raise ValueError(f"{number!r} is not a US, CA or GB phone number.")
        normalised.add(e164)
    return frozenset(normalised)


def _fraction(name: str, value: float | str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}.")
    return number


def _seconds(name: str, value: float | str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{name} must be zero or more seconds, not {value!r}.")
    return number


def _fault_kinds(value: Iterable[str] | str) -> tuple[FaultKind, ...]:
    kinds = [k.strip() for k in value.split(",")] if isinstance(value, str) else list(value)
    kinds = [k for k in kinds if k]
    unknown = [k for k in kinds if not _is_fault_kind(k)]
    if unknown:
        raise ValueError(f"Unknown fault kinds {unknown}; choose from {list(FAULT_KINDS)}.")
    return tuple(k for k in kinds if _is_fault_kind(k))


def _is_fault_kind(kind: str) -> TypeGuard[FaultKind]:
    return kind in FAULT_KINDS


def _clean_knobs(knobs: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise ValueError(f"Unknown settings {sorted(unknown)}; choose from {list(KNOBS)}.")
    # Knob values arrive untyped (JSON, keyword arguments); each cleaner checks its own.
    cleaners: dict[str, Callable[[Any], object]] = {
        "token": lambda v: None if v in (None, "") else str(v),
        "opted_out": _number_set,
        "unknown": _number_set,
        "latency": lambda v: _seconds("latency", v),
        "fault_rate": lambda v: _fraction("fault_rate", v),
        "fault_kinds": _fault_kinds,
        "slow_seconds": lambda v: _seconds("slow_seconds", v),
        "seed": lambda v: None if v is None else int(v),
        "rate_limit": clean_rate,
    }
    return {name: cleaners[name](value) for name, value in knobs.items()}


def _media_url_ok(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path.lower().endswith(MEDIA_EXTENSIONS)
    )


def _bearer_token(headers: Headers) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


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
        cleaned = _clean_knobs(knobs)
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
            message = INVALID_TOKEN if status == 403 else _reason(status)
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
        payload, rejection = self._parse(config, headers, body)
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

    def _parse(
        self, config: FakeConfig, headers: Headers, body: bytes
    ) -> tuple[dict[str, Any], tuple[int, str] | None]:
        """The token first, then the body as a JSON object: the same for every endpoint."""
        token = _bearer_token(headers)
        if token is None or (config.token is not None and token != config.token):
            return {}, (403, INVALID_TOKEN)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return {}, (400, NOT_AN_OBJECT)
        return payload, None

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


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


# ---------------------------------------------------------------- the endpoints' own checks


def _check_recipient(config: FakeConfig, to: str) -> tuple[int, str] | None:
    e164 = to_e164(to)
    if e164 is None:
        return 404, BAD_NUMBER
    if e164 in config.opted_out:
        return 400, OPTED_OUT
    if e164 in config.unknown:
        return 400, NOT_FOUND
    return None


def _check_message(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/messages``, as Attentive's Messages API reference describes it."""
    missing = [key for key in ("to", "body") if key not in payload]
    if missing:
        return 500, MISSING_PARAMETERS.format(", ".join(missing))
    to, text = payload["to"], payload["body"]
    if not (isinstance(to, str) and to.strip() and isinstance(text, str) and text.strip()):
        return 400, INVALID_INPUT
    if "type" in payload and payload["type"] != TRANSACTIONAL:
        return 400, BAD_TYPE
    if "mediaUrl" in payload and not _media_url_ok(payload["mediaUrl"]):
        return 400, BAD_MEDIA_URL
    return _check_recipient(config, to)


def _check_text_send(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/text/send``: to, body and subscriptionType required; messageName for short links."""
    missing = [key for key in ("to", "body", "subscriptionType") if key not in payload]
    if missing:
        return 400, MISSING_PARAMETERS.format(", ".join(missing))
    to, text = payload["to"], payload["body"]
    if not (isinstance(to, str) and to.strip() and isinstance(text, str) and text.strip()):
        return 400, INVALID_INPUT
    if payload["subscriptionType"] not in SUBSCRIPTION_TYPES:
        return 400, BAD_SUBSCRIPTION_TYPE
    if "mediaUrl" in payload and not _media_url_ok(payload["mediaUrl"]):
        return 400, BAD_MEDIA_URL
    if payload.get("useShortLinks") is True and not payload.get("messageName"):
        return 400, MESSAGE_NAME_NEEDED
    return _check_recipient(config, to)


def _braces_dropped(payload: dict[str, Any]) -> str | None:
    body = str(payload.get("body", ""))
    return BRACES_DROPPED if "{" in body or "}" in body else None


def _rfc3339_ok(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _check_event(config: FakeConfig, payload: dict[str, Any]) -> tuple[int, str] | None:
    """``/v1/events/custom``: a clean type, object properties, RFC 3339 time, a user."""
    event_type = payload.get("type")
    if (
        not isinstance(event_type, str)
        or not event_type.strip()
        or any(char in EVENT_TYPE_FORBIDDEN for char in event_type)
    ):
        return 400, BAD_EVENT_TYPE
    if "properties" in payload and not isinstance(payload["properties"], dict):
        return 400, BAD_PROPERTIES
    if "occurredAt" in payload and not _rfc3339_ok(payload["occurredAt"]):
        return 400, BAD_OCCURRED_AT
    user = payload.get("user")
    phone = user.get("phone") if isinstance(user, dict) else None
    if not isinstance(phone, str) or not phone.strip():
        return 400, MISSING_USER
    return _check_recipient(config, phone)


def _echo_message(payload: dict[str, Any]) -> FakeResponse:
    return json_response(200, {k: payload[k] for k in ("to", "body", "messageId") if k in payload})


def _accepted(payload: dict[str, Any]) -> FakeResponse:
    return FakeResponse(202)


def _ok(payload: dict[str, Any]) -> FakeResponse:
    return FakeResponse(200)


SUBSCRIPTION_TYPES = frozenset({TRANSACTIONAL, "MARKETING"})
ECOMMERCE = commerce.ECOMMERCE_PATHS
ENDPOINTS: dict[str, Endpoint] = {
    MESSAGES_PATH: Endpoint(MESSAGES_PATH, _check_message, error_response, _echo_message),
    TEXT_SEND_PATH: Endpoint(
        TEXT_SEND_PATH, _check_text_send, current_error_response, _accepted, _braces_dropped
    ),
    CUSTOM_EVENTS_PATH: Endpoint(
        CUSTOM_EVENTS_PATH, _check_event, current_error_response, _accepted
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
    **{p: Endpoint(p, commerce.check_ecommerce, current_error_response, _ok) for p in ECOMMERCE},
    commerce.IDENTIFY_PATH: Endpoint(
        commerce.IDENTIFY_PATH, commerce.check_identify, current_error_response, _accepted
    ),
    commerce.ATTRIBUTES_PATH: Endpoint(
        commerce.ATTRIBUTES_PATH, commerce.check_attributes, current_error_response, _ok
    ),
}


fake = FakeAttentive()
