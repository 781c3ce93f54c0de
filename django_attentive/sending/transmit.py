"""Making the request for a leased message. Nothing is written here: ``outbox.outcomes`` does."""

from __future__ import annotations

import time

from django.utils import timezone

from ..backends import BaseBackend
from ..backends.base import Payload, SendResult
from ..exceptions import BadRequest
from ..models import OutboundMessage
from ..outbox.outcomes import SendReport


def transmit(message: OutboundMessage, *, backend: BaseBackend) -> SendReport:
    """Send a message in ``sending`` once; the report says what happened, nothing is raised."""
    started_at = timezone.now()
    clock = time.monotonic()
    outgoing = message.outgoing()
    try:
        payload: Payload = backend.build_payload(outgoing)
    except Exception as exc:  # noqa: BLE001 - e.g. a body this transport cannot carry
        # Nothing left this machine, and the same message would fail the same way again.
        error = BadRequest(f"Could not build the request for {type(backend).__name__}: {exc}")
        return SendReport(message, {}, started_at, 0, error)
    try:
        outcome: SendResult | BaseException = backend.send_payload(outgoing, payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
        outcome = exc
    duration_ms = int((time.monotonic() - clock) * 1000)
    return SendReport(message, payload, started_at, duration_ms, outcome)
