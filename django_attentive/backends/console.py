"""A transport that prints each text instead of sending it, for local development."""

from __future__ import annotations

import sys

from ..privacy import mask_phone
from .base import BaseBackend, MessagePayload, SendResult


class ConsoleBackend(BaseBackend):
    def send(self, payload: MessagePayload) -> SendResult:
        extras = "".join(
            f" {key}={payload[key]}" for key in ("messageId", "type", "mediaUrl") if key in payload
        )
        sys.stdout.write(f"[attentive] to {mask_phone(payload['to'])}{extras}\n{payload['body']}\n")
        sys.stdout.flush()
        return SendResult(200, "", dict(payload))
