"""Deliveries run by Django Tasks: wait for the rate limit, lease, transmit, record."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .. import conf
from ..backends import BaseBackend, get_backend
from ..exceptions import RateLimited
from ..models import OutboundMessage, Outcome
from ..outbox import leases, outcomes
from ..outbox.outcomes import SendReport
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

    Once a request has succeeded, up to ``TASK_CONCURRENCY`` are in flight at once, so one task
    worker keeps pace with Attentive's latency (an RQ worker runs one job at a time); before
    that, one at a time, so a refused token costs one request. Each text is leased only
    when a request slot and the rate limit let it go, and every answer is recorded here, in
    this thread. While Attentive refuses the token the rest stay ``queued`` for
    ``attentive_send_queued``.
    """
    backend = get_backend()
    pks = list(message_pks)
    endpoints = _due_endpoints(pks, backend)
    sent = 0
    inflight: set[Future[SendReport]] = set()
    with ThreadPoolExecutor(conf.task_concurrency(), thread_name_prefix="attentive-task") as pool:
        for pk in pks:
            # One request at a time until one succeeds: a refused token costs one request.
            while len(inflight) >= (conf.task_concurrency() if sent else 1):
                sent, inflight = _record_done(inflight, backend, sent)
            if not _gate_open():
                break
            if pk not in endpoints:
                continue
            gate.rate_limiter().wait(endpoints[pk])
            message = leases.lease_one(pk)
            if message is not None:
                inflight.add(pool.submit(transmit, message, backend=backend))
        while inflight:
            sent, inflight = _record_done(inflight, backend, sent)
    return sent


def _record_done(
    inflight: set[Future[SendReport]], backend: BaseBackend, sent: int
) -> tuple[int, set[Future[SendReport]]]:
    """Record the requests that have finished (waiting for at least one); the rest go on."""
    done, pending = wait(inflight, return_when=FIRST_COMPLETED)
    for future in done:
        if _settle(future.result(), backend).outcome == Outcome.SENT:
            sent += 1
    return sent, pending


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
    return _record(transmit(message, backend=backend), backend)


def _record(report: SendReport, backend: BaseBackend) -> outcomes.Delivery:
    if isinstance(report.outcome, RateLimited):
        gate.rate_limiter().penalize(endpoint_of(report.message, backend), report.outcome)
    return outcomes.record([report])[0]


def _attempt(message: OutboundMessage, backend: BaseBackend) -> outcomes.Delivery:
    return _settle(transmit(message, backend=backend), backend)


def _settle(report: SendReport, backend: BaseBackend) -> outcomes.Delivery:
    """Record a report, then pause or resume this process's sending by its outcome."""
    delivery = _record(report, backend)
    if delivery.outcome in PAUSING_OUTCOMES:
        gate.circuit.trip(delivery.message.last_error)
    elif delivery.outcome == Outcome.SENT:
        gate.circuit.reset()
    return delivery
