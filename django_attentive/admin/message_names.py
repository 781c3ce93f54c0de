"""Attentive's daily limit of distinct message names on /v1/text/send, checked before a send."""

from __future__ import annotations

from django.utils import timezone

from ..backends import BaseBackend, get_backend_class
from ..exceptions import ConfigurationError
from ..models import OutboundMessage


def message_names_warning(campaign: str | None, message_id: str) -> str:
    """Why this send would take Attentive past its daily limit of distinct message names, or "".

    On /v1/text/send each campaign's name (else a text's messageId) is the ``messageName``;
    Attentive takes only so many distinct ones a day.
    """
    limit = get_backend_class_safely().daily_message_names
    name = campaign or message_id
    if limit is None or not name:
        return ""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = OutboundMessage.objects.filter(created_at__gte=start)
    names = set(
        today.exclude(campaign=None).values_list("campaign__name", flat=True).distinct()
    ) | set(
        today.filter(campaign=None)
        .exclude(message_id="")
        .values_list("message_id", flat=True)
        .distinct()
    )
    if name in names or len(names) + 1 <= limit:
        return ""
    return (
        f"Today's texts already carry {len(names)} distinct message names; “{name}” would be "
        f"number {len(names) + 1}, and Attentive takes at most {limit} a day on /v1/text/send. "
        "Reuse one of today's names, or send tomorrow."
    )


def get_backend_class_safely() -> type[BaseBackend]:
    """The configured transport's class; the base class if BACKEND cannot be imported (the
    system check reports that)."""
    try:
        return get_backend_class()
    except ConfigurationError:
        return BaseBackend
