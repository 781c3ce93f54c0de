"""Admin search on the big tables: a phone number, however written, is one exact index lookup."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from ..validation import normalize_phone

_M = TypeVar("_M", bound=Model)

#: Fewer digits than this cannot be a number: search the other fields without trying.
MIN_DIGITS = 7


def by_phone(queryset: QuerySet[_M], search_term: str, field: str) -> QuerySet[_M] | None:
    """The rows whose ``field`` holds the number ``search_term`` names; None when it names no
    number (then the admin searches as usual, a scan on a big table)."""
    if sum(char.isdigit() for char in search_term) < MIN_DIGITS:
        return None
    try:
        number = normalize_phone(search_term)
    except ValueError:
        return None
    return queryset.filter(**{field: number})
