"""Reading many outbox rows by value in as few ``IN (...)`` queries as the database allows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from ..models import OutboundMessage

LOOKUP_CHUNK = 5000  # values per IN (...) query, unless the database allows fewer


def rows_by(
    queryset: models.QuerySet[Any], field_name: str, values: Iterable[str]
) -> dict[str, Any]:
    """The rows whose ``field_name`` is one of ``values``, by that value."""
    wanted = list(dict.fromkeys(values))
    size = min(LOOKUP_CHUNK, connection.features.max_query_params or 1_000_000)
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        rows = queryset.filter(**{f"{field_name}__in": chunk})
        found.update((getattr(row, field_name), row) for row in rows)
    return found


def by_key(keys: Iterable[str]) -> dict[str, OutboundMessage]:
    """The messages holding these idempotency keys, by key."""
    return rows_by(OutboundMessage.objects.all(), "idempotency_key", keys)


def existing(idempotency_key: str) -> OutboundMessage | None:
    """The message stored under ``idempotency_key``, if any."""
    return OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
