"""Idempotency keys that always fit ``OutboundMessage.idempotency_key`` (255 characters)."""

from __future__ import annotations

import hashlib

from .models import OutboundMessage

MAX_LENGTH = OutboundMessage._meta.get_field("idempotency_key").max_length


def fitting(key: str, namespace: str, *, room: int = 0) -> str:
    """``key`` itself when it fits (leaving ``room`` characters for a suffix), else
    ``<namespace>:sha256:<hash of key>``.

    The same key always gives the same stored key, so a long one still deduplicates, and it
    never becomes a database error.
    """
    if len(key) <= MAX_LENGTH - room:
        return key
    return f"{namespace}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
