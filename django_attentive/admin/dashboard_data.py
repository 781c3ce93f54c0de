"""The dashboard's figures: a fixed handful of aggregate queries, however big the outbox.

Each figure is one GROUP BY over a time window on an indexed column (``created_at``,
``received_at``) or the ``(status, next_attempt_at)`` index, so the page costs the same number
of queries at a thousand rows or a million; see BENCHMARKS.md for the timings on PostgreSQL.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.urls import reverse
from django.utils import timezone

from ..models import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    Campaign,
    DailyTextCount,
    Kind,
    OutboundMessage,
    Status,
    Suppression,
    WebhookEvent,
)

DEFAULT_DAYS = 30
TOP_REASONS = 8
# Grouped in SQL by this prefix, then merged in Python into categories (see ``reason_category``).
REASON_PREFIX = 120
REASON_CANDIDATES = 50
FAILED_STATUSES = (Status.FAILED, Status.UNCONFIRMED)
QUEUE_STATUSES = (Status.QUEUED, Status.SENDING)
#: A day is rolled up once it ended this many days ago (and holds no queued or sending text):
#: by then even a late answer recorded after its lease ran out has settled its text.
SETTLED_AFTER_DAYS = 2
#: Settled days not yet in the rollup that one view counts live and stores, newest first: it
#: bounds the first view after an upgrade (each day is one index range on ``created_at``).
ROLLUP_DAYS_PER_VIEW = 5
#: Latency is measured on the latest texts sent, a bounded sample however big the outbox.
LATENCY_SAMPLE = 10_000
_GAVE_UP = re.compile(r"^Gave up after \d+ attempts: ")
_HTTP = re.compile(r"^(.*?\(HTTP \d{3}\))")


@dataclass(frozen=True)
class Latency:
    """Created -> sent, for the texts sent in the window."""

    sent: int
    median: timedelta | None
    p95: timedelta | None


@dataclass(frozen=True)
class Queue:
    queued: int
    sending: int
    oldest_due_at: datetime | None

    @property
    def oldest_due_age(self) -> timedelta | None:
        return timezone.now() - self.oldest_due_at if self.oldest_due_at else None


@dataclass(frozen=True)
class CampaignClicks:
    """One campaign's texts sent and the texts whose link was clicked."""

    name: str
    url: str
    sent: int
    clicked: int

    @property
    def rate(self) -> float:
        return self.clicked / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class DashboardData:
    days: list[date]
    #: status -> one count per day (texts created that day, by where they stand now)
    texts: dict[str, list[int]]
    reasons: list[tuple[str, int]]
    #: "subscribed", "unsubscribed" (webhooks), "suppressed" (rows added to the list)
    audience: dict[str, list[int]]
    latency: Latency
    queue: Queue
    #: click-through per campaign active in the window (see ``campaign_click_through``)
    campaigns: list[CampaignClicks] | None = field(default=None)
    #: settled days not rolled up yet: zero in ``texts`` until a later view counts them
    counting: list[date] = field(default_factory=list)


def dashboard_data(days: int = DEFAULT_DAYS) -> DashboardData:
    """Everything the dashboard shows for the last ``days`` days (local dates)."""
    today = timezone.localdate()
    window = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    start = _midnight(window[0])
    texts = OutboundMessage.objects.filter(kind=Kind.TEXT, created_at__gte=start).order_by()
    per_day, counting = texts_per_day(texts, window)
    return DashboardData(
        days=window,
        texts=per_day,
        counting=counting,
        reasons=failure_reasons(texts),
        audience=audience_per_day(start, window),
        latency=delivery_latency(texts),
        queue=queue_state(),
        campaigns=campaign_click_through(start),
    )


def texts_per_day(
    texts: models.QuerySet[OutboundMessage], window: list[date]
) -> tuple[dict[str, list[int]], list[date]]:
    """Texts created per day by status, and the days still being counted.

    Settled days come from the rollup; the rest are counted live, but of the settled days not
    yet rolled up (after an upgrade, or a long window) only the newest
    ``ROLLUP_DAYS_PER_VIEW`` are counted and stored per call, so no view counts the whole
    window live: the others are returned as still being counted, and show as such until the
    next views have stored them (a 30-day window is complete by the sixth view).

    Four queries whatever the size: the days still holding queued or sending texts (from the
    ``(status, next_attempt_at)`` index), the rollup, the live days' counts (an index range
    on ``created_at``), and writing the newly settled days to the rollup.
    """
    zone = timezone.get_current_timezone_name()
    unsettled = set(
        texts.filter(status__in=QUEUE_STATUSES)
        .values_list(TruncDate("created_at"), flat=True)
        .distinct()
    )
    stored: dict[date, dict[str, int]] = {}
    for day, status, n in DailyTextCount.objects.filter(
        time_zone=zone, day__gte=window[0], day__lte=window[-1]
    ).values_list("day", "status", "count"):
        stored.setdefault(day, {})[status] = n
    settled_before = timezone.localdate() - timedelta(days=SETTLED_AFTER_DAYS)
    to_roll_up = [
        day for day in window if day not in stored and day < settled_before and day not in unsettled
    ]
    rolling_now = set(sorted(to_roll_up, reverse=True)[:ROLLUP_DAYS_PER_VIEW])
    waiting = [day for day in to_roll_up if day not in rolling_now]
    live = [day for day in window if day not in stored and day not in waiting]
    counted: dict[date, dict[str, int]] = {}
    if live:
        rows = (
            texts.filter(_days(live))
            .values_list(TruncDate("created_at"), "status")
            .annotate(n=models.Count("pk"))
        )
        for day, status, n in rows:
            counted.setdefault(day, {})[status] = n
    _roll_up(zone, {day: counted.get(day, {}) for day in rolling_now})
    statuses = [status.value for status in Status]
    series = {status: [0] * len(window) for status in statuses}
    for i, day in enumerate(window):
        for status, n in (stored.get(day) or counted.get(day) or {}).items():
            if status in series:
                series[status][i] = n
    return series, waiting


def _days(days: list[date]) -> models.Q:
    """``created_at`` within any of ``days`` (local dates), one range per run of days."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    condition = models.Q(pk__in=[])
    for run in runs:
        condition |= models.Q(
            created_at__gte=_midnight(run[0]), created_at__lt=_midnight(run[-1] + timedelta(days=1))
        )
    return condition


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _roll_up(zone: str, days: dict[date, dict[str, int]]) -> None:
    """Store settled days; a concurrent writer can only have stored the same numbers."""
    rows = [
        DailyTextCount(day=day, time_zone=zone, status=status, count=n)
        for day, counts in days.items()
        for status, n in [("", 0), *counts.items()]
    ]
    if rows:
        DailyTextCount.objects.bulk_create(rows, ignore_conflicts=True)


def failure_reasons(texts: models.QuerySet[OutboundMessage]) -> list[tuple[str, int]]:
    """The commonest reasons texts failed or stayed unconfirmed, most frequent first."""
    rows = (
        texts.filter(status__in=FAILED_STATUSES)
        .values_list(Substr("last_error", 1, REASON_PREFIX))
        .annotate(n=models.Count("pk"))
        .order_by("-n")[:REASON_CANDIDATES]
    )
    merged: Counter[str] = Counter()
    for text, n in rows:
        merged[reason_category(text)] += n
    return merged.most_common(TOP_REASONS)


def reason_category(error: str) -> str:
    """A stored error as a category: retries dropped, cut after Attentive's HTTP status."""
    error = _GAVE_UP.sub("", error or "").strip()
    if not error:
        return "(no reason recorded)"
    match = _HTTP.match(error)
    return match.group(1) if match else error[:80]


def audience_per_day(start: datetime, window: list[date]) -> dict[str, list[int]]:
    """Opt-ins and opt-outs Attentive reported, and numbers added to the suppression list."""
    events = (
        WebhookEvent.objects.filter(received_at__gte=start, type__in=[SUBSCRIBED, UNSUBSCRIBED])
        .order_by()
        .values_list(TruncDate("received_at"), "type")
        .annotate(n=models.Count("pk"))
    )
    by_type = _per_day(events, window, [SUBSCRIBED, UNSUBSCRIBED])
    suppressed = (
        Suppression.objects.filter(created_at__gte=start)
        .order_by()
        .values_list(TruncDate("created_at"))
        .annotate(n=models.Count("pk"))
    )
    added = _per_day(((day, "suppressed", n) for day, n in suppressed), window, ["suppressed"])
    return {
        "subscribed": by_type[SUBSCRIBED],
        "unsubscribed": by_type[UNSUBSCRIBED],
        "suppressed": added["suppressed"],
    }


def delivery_latency(texts: models.QuerySet[OutboundMessage]) -> Latency:
    """Median and 95th percentile of created -> sent over the latest ``LATENCY_SAMPLE`` texts
    sent in the window: one query on PostgreSQL, three elsewhere."""
    delay = models.ExpressionWrapper(
        models.F("sent_at") - models.F("created_at"), output_field=models.DurationField()
    )
    latest = (
        texts.filter(status=Status.SENT, sent_at__isnull=False)
        .order_by("-created_at")
        .annotate(delay=delay)[:LATENCY_SAMPLE]
    )
    if connection.vendor == "postgresql":
        # Aggregating a sliced queryset runs over it as a subquery: the sample, not the table.
        figures = latest.aggregate(
            n=models.Count("pk"),
            median=Percentile(models.F("delay"), 0.5),
            p95=Percentile(models.F("delay"), 0.95),
        )
        return Latency(figures["n"], figures["median"], figures["p95"])
    count = latest.count()
    if not count:
        return Latency(0, None, None)
    sample = OutboundMessage.objects.filter(pk__in=models.Subquery(latest.values("pk")))
    ordered = sample.annotate(delay=delay).order_by("delay").values_list("delay", flat=True)
    return Latency(count, ordered[_rank(count, 0.5)], ordered[_rank(count, 0.95)])


class Percentile(models.Aggregate):
    """PostgreSQL's ``percentile_disc``: the value below which ``fraction`` of rows fall."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, output_field=models.DurationField())
        self.extra["fraction"] = float(fraction)


def _rank(count: int, fraction: float) -> int:
    """The 0-based row ``percentile_disc`` picks: the first whose cumulative share >= fraction."""
    return max(0, min(count - 1, math.ceil(count * fraction - 1e-9) - 1))


def queue_state() -> Queue:
    counts = OutboundMessage.objects.counts_by_status(QUEUE_STATUSES)
    return Queue(
        counts[Status.QUEUED], counts[Status.SENDING], OutboundMessage.objects.oldest_due_at()
    )


def campaign_click_through(start: datetime, limit: int = 20) -> list[CampaignClicks]:
    """Click-through of the campaigns created since ``start``, newest first: texts sent, and
    distinct texts with a linked click event (one query: the counts are subqueries)."""
    sent = (
        OutboundMessage.objects.filter(campaign=models.OuterRef("pk"), status=Status.SENT)
        .order_by()
        .values("campaign")
        .annotate(n=models.Count("pk"))
        .values("n")[:1]
    )
    rows = (
        Campaign.objects.filter(created_at__gte=start)
        .with_engagement()
        .annotate(sent=Coalesce(models.Subquery(sent), 0))
        .order_by("-created_at")
        .values_list("pk", "name", "sent", "clicked")[:limit]
    )
    opts = Campaign._meta
    return [
        CampaignClicks(
            name=name,
            url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]),
            sent=sent_count,
            clicked=clicked,
        )
        for pk, name, sent_count, clicked in rows
    ]


def _per_day(rows: Any, window: list[date], keys: list[str]) -> dict[str, list[int]]:
    """``(day, key, n)`` rows as one list of counts per key, aligned with ``window``."""
    position = {day: i for i, day in enumerate(window)}
    series = {key: [0] * len(window) for key in keys}
    for day, key, n in rows:
        if day in position and key in series:
            series[key][position[day]] += n
    return series
