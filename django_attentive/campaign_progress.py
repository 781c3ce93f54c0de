"""How far a campaign got and what its recipients did, from counts: pure arithmetic, no queries.

``Campaign.progress()`` (models/campaigns.py) runs the two queries and hands their rows here;
the admin's progress bar, its JSON endpoint and anything else that reports on campaigns read
the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .choices import CampaignState, Status

#: Webhook event types that say Attentive sent the text on to the carrier. ``sms.sent`` is
#: Attentive's own; ``sms.delivered`` is accepted for forwarders that use the word.
DELIVERED_EVENTS = ("sms.sent", "sms.delivered")
#: A recipient clicked a link in the text (``sms.message_link_click`` is Attentive's name).
CLICK_EVENTS = ("sms.message_link_click", "sms.clicked")
#: A recipient opted out after the text.
OPT_OUT_EVENTS = ("sms.unsubscribed",)
#: Every event type that answers a text, and so is linked to the text and its campaign.
ANSWER_EVENTS = DELIVERED_EVENTS + CLICK_EVENTS + OPT_OUT_EVENTS

#: The statuses shown on the bar, in its order; ``cancelled`` closes it.
SHOWN_STATUSES = (
    Status.SENT,
    Status.FAILED,
    Status.UNCONFIRMED,
    Status.SUPPRESSED,
    Status.CANCELLED,
    Status.SENDING,
    Status.QUEUED,
)
PENDING_STATUSES = (Status.QUEUED, Status.SENDING)
#: How far back the rate looks: long enough to smooth the worker's batches.
RATE_WINDOW_SECONDS = 10


@dataclass(frozen=True)
class StatusCount:
    """One status's row of the campaign's GROUP BY: how many, how many changed recently, when
    the last one changed."""

    count: int
    recent: int = 0
    last_change: datetime | None = None


@dataclass(frozen=True)
class Engagement:
    """Distinct texts of the campaign that Attentive confirmed, that were clicked, that led to
    an opt-out, as counted from the webhook events linked to them."""

    delivered: int = 0
    clicked: int = 0
    opted_out: int = 0

    def rates(self, sent: int) -> dict[str, float | None]:
        """Each count as a share of the texts sent (None before any was sent)."""
        return {
            "delivered": _share(self.delivered, sent),
            "clicked": _share(self.clicked, sent),
            "opted_out": _share(self.opted_out, sent),
        }


@dataclass(frozen=True)
class Progress:
    """A campaign's texts by status at one moment, with its rate, ETA and engagement."""

    state: str
    audience: int
    by_status: Mapping[str, StatusCount]
    at: datetime
    rate_limit: float
    engagement: Engagement = field(default_factory=Engagement)

    def count(self, status: str) -> int:
        entry = self.by_status.get(status)
        return entry.count if entry else 0

    @property
    def total(self) -> int:
        return sum(entry.count for entry in self.by_status.values())

    @property
    def pending(self) -> int:
        """Texts still to go: queued (waiting, held or paused) and sending."""
        return sum(self.count(status) for status in PENDING_STATUSES)

    @property
    def done(self) -> int:
        return self.total - self.pending

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.pending == 0

    @property
    def finished_at(self) -> datetime | None:
        """When the last text got its outcome, once none is left to go."""
        if not self.finished:
            return None
        moments = [e.last_change for e in self.by_status.values() if e.last_change is not None]
        return max(moments, default=None)

    @property
    def rate(self) -> float:
        """Texts per second that got an outcome over the last ``RATE_WINDOW_SECONDS``."""
        recent = sum(
            entry.recent
            for status, entry in self.by_status.items()
            if status not in PENDING_STATUSES
        )
        return recent / RATE_WINDOW_SECONDS

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the current rate, or at the account's rate limit before any rate is
        measured; None while paused, cancelled or finished."""
        if self.state != CampaignState.ACTIVE or not self.pending:
            return None
        speed = self.rate or self.rate_limit
        return self.pending / speed if speed > 0 else None

    @property
    def eta_at_limit_seconds(self) -> float | None:
        """The shortest time left: every remaining text at the account's rate limit."""
        if self.state != CampaignState.ACTIVE or not self.pending or self.rate_limit <= 0:
            return None
        return self.pending / self.rate_limit

    def as_json(self) -> dict[str, object]:
        """What the admin's progress endpoint answers."""
        sent = self.count(Status.SENT)
        engagement = self.engagement
        finished_at = self.finished_at
        return {
            "state": self.state,
            "audience": self.audience,
            "total": self.total,
            "done": self.done,
            "pending": self.pending,
            "finished": self.finished,
            "finished_at": finished_at.isoformat() if finished_at else None,
            "counts": {status.value: self.count(status) for status in SHOWN_STATUSES},
            "percent_done": round(100 * self.done / self.total, 1) if self.total else 0.0,
            "rate": round(self.rate, 1),
            "rate_limit": self.rate_limit,
            "eta_seconds": _rounded(self.eta_seconds),
            "eta_at_limit_seconds": _rounded(self.eta_at_limit_seconds),
            "engagement": {
                "delivered": engagement.delivered,
                "clicked": engagement.clicked,
                "opted_out": engagement.opted_out,
                "rates": engagement.rates(sent),
            },
            "at": self.at.isoformat(),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rounded(seconds: float | None) -> float | None:
    return round(seconds, 1) if seconds is not None else None
