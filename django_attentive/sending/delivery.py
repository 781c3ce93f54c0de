"""Deliveries run by Django Tasks: wait for the rate limit, lease, transmit, record."""

from __future__ import annotations

from collections.abc import Iterable

from .. import conf
from ..backends import BaseBackend, get_backend
from ..exceptions import RateLimited
from ..models import OutboundMessage, Outcome
from ..outbox import leases, outcomes
from . import gate
from .ratelimit import endpoint_of
from .transmit import transmit

#: Outcomes that say the configuration is wrong (not the message): sending pauses.
PAUSING_OUTCOMES = frozenset({Outcome.AUTH, Outcome.ENDPOINT})


def deliver(message_pk: int, *, backend: BaseBackend | None = None) -> OutboundMessage | None:
    """Lease one message and make one attempt to send it. None if it could not be leased, or
    if Attentive refused the token a moment ago (the message waits, still ``queued``)."""
    if not _gate_open():
        return None
    backend = backend or get_backend()
    endpoint = _due_endpoints([message_pk], backend).get(message_pk)
    if endpoint is None:
        return None  # sent, held or leased elsewhere meanwhile: spend no budget on it
    gate.rate_limiter().wait(endpoint)  # before the lease: `sending` only while it is sent
    message = leases.lease_one(message_pk)
    if message is None:
        return None
    return _attempt(message, backend).message


def deliver_many(message_pks: Iterable[int]) -> int:
    """Deliver each message once, skipping any another worker holds; returns how many were sent.

    While Attentive refuses the token the rest stay ``queued`` for ``attentive_send_queued``.
    """
    backend = get_backend()
    pks = list(message_pks)
    endpoints = _due_endpoints(pks, backend)
    sent = 0
    for pk in pks:
        if not _gate_open():
            break
        if pk not in endpoints:
            continue
        gate.rate_limiter().wait(endpoints[pk])
        message = leases.lease_one(pk)
        if message is not None and _attempt(message, backend).outcome == Outcome.SENT:
            sent += 1
    return sent


def _gate_open() -> bool:
    """Task deliveries share this process's pause; a changed setting ends it and frees holds."""
    if gate.circuit.config_changed():
        outcomes.release_holds()
    return not gate.circuit.remaining()


def _due_endpoints(pks: list[int], backend: BaseBackend) -> dict[int, str]:
    """The endpoint of each message among ``pks`` that is due now, in one query (none when
    the limiter is off: the lease alone decides then)."""
    if conf.rate_limit() <= 0:
        return dict.fromkeys(pks, "")
    due = OutboundMessage.objects.due().filter(pk__in=pks).only("pk", "kind", "endpoint")
    return {message.pk: endpoint_of(message, backend) for message in due}


def attempt(message: OutboundMessage, *, backend: BaseBackend) -> outcomes.Delivery:
    """Send a message in ``sending`` once and record the attempt and its outcome together."""
    report = transmit(message, backend=backend)
    if isinstance(report.outcome, RateLimited):
        gate.rate_limiter().penalize(endpoint_of(message, backend), report.outcome)
    return outcomes.record([report])[0]


def _attempt(message: OutboundMessage, backend: BaseBackend) -> outcomes.Delivery:
    delivery = attempt(message, backend=backend)
    if delivery.outcome in PAUSING_OUTCOMES:
        gate.circuit.trip(delivery.message.last_error)
    elif delivery.outcome == Outcome.SENT:
        gate.circuit.reset()
    return delivery
