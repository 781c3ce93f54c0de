"""A transport that keeps payloads in memory, for tests (yours and ours)."""

from __future__ import annotations

import json

from .base import BaseBackend, CustomEventPayload, MessagePayload, SendResult

#: Every payload "sent" in this process; clear it between tests with ``outbox.clear()``.
outbox: list[MessagePayload] = []
#: Every custom event "posted" in this process (ORDER_EVENTS_AS = "custom_event").
events: list[CustomEventPayload] = []


class LocmemBackend(BaseBackend):
    def send(self, payload: MessagePayload) -> SendResult:
        outbox.append(dict(payload))  # type: ignore[arg-type]
        return SendResult(200, json.dumps(payload), dict(payload))

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        events.append(dict(payload))  # type: ignore[arg-type]
        return SendResult(200, json.dumps(payload), dict(payload))
