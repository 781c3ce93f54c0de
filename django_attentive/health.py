"""Is Attentive accepting our requests? Read from the send log, for the admin and system checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import Outcome, SendAttempt


@dataclass(frozen=True)
class Refusal:
    """The latest request was refused for the configuration, not for its message."""

    at: datetime
    what: str  # what was refused, for a sentence: "the API token", "the API endpoint"
    fix: str  # the setting to fix


REFUSALS = {
    Outcome.AUTH: ("the API token (HTTP 403)", "ATTENTIVE['API_TOKEN']"),
    Outcome.ENDPOINT: ("the API endpoint (HTTP 404)", "ATTENTIVE['BASE_URL']"),
}


def latest_refusal() -> Refusal | None:
    """Why sending is paused: the latest request's refused token or missing endpoint, if any."""
    latest = SendAttempt.objects.order_by("-pk").values_list("outcome", "started_at").first()
    if latest is None or latest[0] not in REFUSALS:
        return None
    what, fix = REFUSALS[Outcome(latest[0])]
    return Refusal(latest[1], what, fix)
