"""A transport that keeps payloads in memory, for tests (yours and ours)."""

from __future__ import annotations

import json

from .base import BaseBackend, CustomEventPayload, MessagePayload, RequestPayload, SendResult

#: Every payload "sent" in this process; clear it between tests with ``outbox.clear()``.
outbox: list[MessagePayload] = []
#: Every custom event "posted" in this process (ORDER_EVENTS_AS = "custom_event").
events: list[CustomEventPayload] = []
#: Every other request "posted" (subscriptions, commerce events, identity, attributes), as
#: (path, payload) pairs.
requests: list[tuple[str, dict[str, object]]] = []


class LocmemBackend(BaseBackend):
    """Keeps what it is given in this module's lists instead of sending it."""

    def send(self, payload: MessagePayload) -> SendResult:
        outbox.append(dict(payload))  # type: ignore[arg-type]
        return SendResult(200, json.dumps(payload), dict(payload))

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        events.append(dict(payload))  # type: ignore[arg-type]
        return SendResult(200, json.dumps(payload), dict(payload))

    def send_request(self, path: str, payload: RequestPayload) -> SendResult:
        requests.append((path, dict(payload)))
        return SendResult(202, json.dumps(dict(payload)), dict(payload))
