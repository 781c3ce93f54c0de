"""Is Attentive accepting our token? Read from the send log, for the admin and system checks."""

from __future__ import annotations

from datetime import datetime

from .models import Outcome, SendAttempt


def token_refused_at() -> datetime | None:
    """When the latest request was refused for its token (403), or None if it was not."""
    latest = SendAttempt.objects.order_by("-pk").values_list("outcome", "started_at").first()
    if latest is not None and latest[0] == Outcome.AUTH:
        return latest[1]
    return None
