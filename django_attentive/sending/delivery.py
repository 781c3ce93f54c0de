"""Deliveries run by Django Tasks: wait for the rate limit, lease, transmit, record."""

from __future__ import annotations

from collections.abc import Iterable

from ..backends import BaseBackend, get_backend
from ..models import OutboundMessage, Outcome
from ..outbox import leases, outcomes
from . import gate
from .transmit import transmit

#: Outcomes that say the configuration is wrong (not the message): sending pauses.
PAUSING_OUTCOMES = frozenset({Outcome.AUTH, Outcome.ENDPOINT})


def deliver(message_pk: int, *, backend: BaseBackend | None = None) -> OutboundMessage | None:
    """Lease one message and make one attempt to send it. None if it could not be leased, or
    if Attentive refused the token a moment ago (the message waits, still ``queued``)."""
    if not _gate_open():
        return None
    gate.bucket().acquire()  # before the lease: a text is `sending` only while it is sent
    message = leases.lease_one(message_pk)
    if message is None:
        return None
    return _attempt(message, backend or get_backend()).message


def deliver_many(message_pks: Iterable[int]) -> int:
    """Deliver each message once, skipping any another worker holds; returns how many were sent.

    While Attentive refuses the token the rest stay ``queued`` for ``attentive_send_queued``.
    """
    backend = get_backend()
    sent = 0
    for pk in message_pks:
        if not _gate_open():
            break
        gate.bucket().acquire()
        message = leases.lease_one(pk)
        if message is not None and _attempt(message, backend).outcome == Outcome.SENT:
            sent += 1
    return sent


def _gate_open() -> bool:
    """Task deliveries share this process's pause; a changed setting ends it and frees holds."""
    if gate.circuit.config_changed():
        outcomes.release_holds()
    return not gate.circuit.remaining()


def attempt(message: OutboundMessage, *, backend: BaseBackend) -> outcomes.Delivery:
    """Send a message in ``sending`` once and record the attempt and its outcome together."""
    return outcomes.record([transmit(message, backend=backend)])[0]


def _attempt(message: OutboundMessage, backend: BaseBackend) -> outcomes.Delivery:
    delivery = attempt(message, backend=backend)
    if delivery.outcome in PAUSING_OUTCOMES:
        gate.circuit.trip(delivery.message.last_error)
    elif delivery.outcome == Outcome.SENT:
        gate.circuit.reset()
    return delivery
