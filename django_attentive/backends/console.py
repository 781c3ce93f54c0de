"""A transport that prints each text instead of sending it, for local development."""

from __future__ import annotations

import sys

from ..privacy import mask_phone
from .base import BaseBackend, CustomEventPayload, MessagePayload, RequestPayload, SendResult


class ConsoleBackend(BaseBackend):
    """Prints each text, event and request instead of sending it, for local development."""

    def send(self, payload: MessagePayload) -> SendResult:
        extras = "".join(
            f" {key}={payload[key]}" for key in ("messageId", "type", "mediaUrl") if key in payload
        )
        sys.stdout.write(f"[attentive] to {mask_phone(payload['to'])}{extras}\n{payload['body']}\n")
        sys.stdout.flush()
        return SendResult(200, "", dict(payload))

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        properties = "".join(f" {key}={value}" for key, value in payload["properties"].items())
        sys.stdout.write(
            f"[attentive] event {payload['type']!r} for {mask_phone(payload['user']['phone'])}"
            f" id={payload['externalEventId']}{properties}\n"
        )
        sys.stdout.flush()
        return SendResult(200, "", dict(payload))

    def send_request(self, path: str, payload: RequestPayload) -> SendResult:
        # Every value is printed masked: payloads carry phone numbers and emails.
        fields = " ".join(sorted(payload))
        sys.stdout.write(f"[attentive] POST {path} ({fields})\n")
        sys.stdout.flush()
        return SendResult(202, "", dict(payload))
