"""A transport that keeps payloads in memory, for tests (yours and ours)."""

from __future__ import annotations

import json

from .base import BaseBackend, MessagePayload, SendResult

#: Every payload "sent" in this process; clear it between tests with ``outbox.clear()``.
outbox: list[MessagePayload] = []


class LocmemBackend(BaseBackend):
    def send(self, payload: MessagePayload) -> SendResult:
        outbox.append(dict(payload))  # type: ignore[arg-type]
        return SendResult(200, json.dumps(payload), dict(payload))
