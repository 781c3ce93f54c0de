"""Prometheus collectors for operators, registered in prometheus-client's default registry.

Importing this module registers them (the app does it at start-up when prometheus-client is
installed: ``pip install django-attentive[metrics]``), so django-prometheus's ``/metrics``
shows them; ``django_attentive.metrics.urls`` serves them too, to staff or a bearer token.

- ``attentive_messages_total{kind,outcome}``: attempts recorded, by outcome (counter)
- ``attentive_request_duration_seconds{endpoint}``: each HTTP request to Attentive (histogram)
- ``attentive_rate_limited_total{endpoint}``: requests Attentive answered with 429 (counter)
- ``attentive_outbox_messages{status}``, ``attentive_outbox_oldest_due_age_seconds``,
  ``attentive_auth_paused``: read from the database at scrape time (see ``metrics.outbox``)
"""

from __future__ import annotations

from collections.abc import Sequence

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
except ImportError as exc:  # pragma: no cover - the optional extra is missing
    raise ImportError(
        "django_attentive.metrics needs prometheus-client: pip install django-attentive[metrics]"
    ) from exc

from .. import instruments
from ..backends import get_backend_class
from ..backends.base import KIND_ENDPOINTS
from ..choices import Kind
from .outbox import OutboxCollector

__all__ = [
    "MESSAGES",
    "RATE_LIMITED",
    "REQUEST_DURATION",
    "OutboxCollector",
    "observe_attempts",
    "register",
]

#: Seconds; Attentive answers in tens of milliseconds, a read timeout is ~10 s.
DURATION_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: A text's endpoint label when the transport names no path (console, locmem).
MESSAGES_PATH = "/v1/messages"

MESSAGES = Counter(
    "attentive_messages",
    "Attempts recorded in the send log, by kind and outcome (sent, rejected, retry, auth, ...).",
    ["kind", "outcome"],
    registry=None,
)
REQUEST_DURATION = Histogram(
    "attentive_request_duration_seconds",
    "Duration of each HTTP request to Attentive, by endpoint path.",
    ["endpoint"],
    buckets=DURATION_BUCKETS,
    registry=None,
)
RATE_LIMITED = Counter(
    "attentive_rate_limited",
    "Requests Attentive refused with HTTP 429 (rate limit exceeded), by endpoint path.",
    ["endpoint"],
    registry=None,
)
OUTBOX = OutboxCollector()


def endpoint_label(attempt: instruments.RecordedAttempt) -> str:
    """The Attentive path an attempt posted to: the row's, its kind's, or the transport's."""
    if attempt.endpoint:
        return attempt.endpoint
    if attempt.kind != Kind.TEXT:
        return KIND_ENDPOINTS.get(Kind(attempt.kind), attempt.kind)
    path = getattr(get_backend_class(), "message_path", "")
    return path if isinstance(path, str) and path else MESSAGES_PATH


def observe_attempts(attempts: Sequence[instruments.RecordedAttempt]) -> None:
    """The outbox's observer: count each attempt, time each request, count each 429."""
    for attempt in attempts:
        MESSAGES.labels(kind=attempt.kind, outcome=attempt.outcome).inc()
        if not attempt.made_request:
            continue
        endpoint = endpoint_label(attempt)
        REQUEST_DURATION.labels(endpoint=endpoint).observe(attempt.duration_ms / 1000)
        if attempt.status_code == 429:
            RATE_LIMITED.labels(endpoint=endpoint).inc()


_registries: list[CollectorRegistry] = []


def register(registry: CollectorRegistry = REGISTRY) -> None:
    """Register the collectors in ``registry`` and start counting attempts (idempotent)."""
    if not any(known is registry for known in _registries):
        for collector in (MESSAGES, REQUEST_DURATION, RATE_LIMITED, OUTBOX):
            registry.register(collector)
        _registries.append(registry)
    instruments.observe(observe_attempts)


register()
