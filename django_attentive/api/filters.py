"""The list's query parameters: ``status``, ``to``, ``created_after``, ``created_before``."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework import serializers

from ..models import OutboundMessage, Status
from ..validation import normalize_phone


class MessageFilters(TypedDict, total=False):
    """The list's filters, as MessageFilterSerializer validated them; each only if given."""

    status: list[str]
    to: str
    created_after: datetime
    created_before: datetime


class MessageFilterSerializer(serializers.Serializer[None]):
    # allow_blank: a present-but-empty parameter reaches the validators (and is refused)
    # instead of being read as absent, which would list every message.
    status = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"One status or several, comma-separated: {', '.join(Status.values)}.",
    )
    to = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A phone number in any format; it is matched in E.164.",
    )
    created_after = serializers.DateTimeField(
        required=False, help_text="Created at or after this time (ISO 8601, or a date)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Created before this time (ISO 8601, or a date)."
    )

    def validate_status(self, value: str) -> list[str]:
        # Exactly the schema's form-style array: names joined by commas, nothing else.
        statuses = value.split(",")
        if any(status not in Status.values for status in statuses):
            raise serializers.ValidationError(
                f"'{value}' is not a status; use one or more of {', '.join(Status.values)}."
            )
        return statuses

    def validate_to(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def filter_messages(
    queryset: QuerySet[OutboundMessage], params: QueryDict
) -> QuerySet[OutboundMessage]:
    """Narrow ``queryset`` by the query parameters; bad values raise a 400 ValidationError."""
    filters = MessageFilterSerializer(data=params)
    filters.is_valid(raise_exception=True)
    wanted: MessageFilters = filters.validated_data
    if "status" in wanted:
        queryset = queryset.filter(status__in=wanted["status"])
    if "to" in wanted:
        queryset = queryset.filter(to=wanted["to"])
    if "created_after" in wanted:
        queryset = queryset.filter(created_at__gte=wanted["created_after"])
    if "created_before" in wanted:
        queryset = queryset.filter(created_at__lt=wanted["created_before"])
    return queryset
