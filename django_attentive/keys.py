"""Idempotency keys that always fit the outbox's key column (255 characters)."""

from __future__ import annotations

import hashlib

#: The length of ``OutboundMessage.idempotency_key`` (the model takes it from here).
MAX_LENGTH = 255


def fitting(key: str, namespace: str, *, room: int = 0) -> str:
    """``key`` itself when it fits (leaving ``room`` characters for a suffix), else
    ``<namespace>:sha256:<hash of key>``.

    The same key always gives the same stored key, so a long one still deduplicates, and it
    never becomes a database error.
    """
    if len(key) <= MAX_LENGTH - room:
        return key
    return f"{namespace}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
