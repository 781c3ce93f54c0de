"""The outbox's gauges, read from the database when Prometheus scrapes, cheaply on a big table.

A ``COUNT(*)`` per status on every scrape would read the whole outbox every 15 seconds. The
statuses that move (``queued``, ``sending``) are counted exactly at each scrape: one GROUP BY
on the ``(status, next_attempt_at)`` index, bounded by the backlog, not by history. The final
statuses only grow, so their counts (one GROUP BY over the table) are cached for
``FINAL_COUNTS_TTL`` seconds per process. The oldest due message and the pause state are
single-row index lookups.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..choices import FINAL_STATUSES, Outcome, Status
from ..models import OutboundMessage, SendAttempt

logger = logging.getLogger("django_attentive")

FINAL_COUNTS_TTL = 300.0
MOVING_STATUSES = (Status.QUEUED, Status.SENDING)


class OutboxCollector(Collector):
    """``attentive_outbox_messages{status}``, the oldest due message's age, the auth pause."""

    def __init__(self, final_counts_ttl: float = FINAL_COUNTS_TTL) -> None:
        self.final_counts_ttl = final_counts_ttl
        self._lock = threading.Lock()
        self._final: dict[str, int] = {}
        self._final_read_at = float("-inf")

    def describe(self) -> list[GaugeMetricFamily]:
        # Registering must not query the database (it happens while the app starts).
        return [family for family in self._families()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            counts = {
                **self.final_counts(),
                **OutboundMessage.objects.counts_by_status(MOVING_STATUSES),
            }
            oldest = OutboundMessage.objects.oldest_due_at()
            paused = auth_paused()
        except DatabaseError:
            logger.warning("Could not read the outbox for metrics", exc_info=True)
            return
        messages, age, pause = self._families()
        for status in Status:
            messages.add_metric([status.value], counts.get(status.value, 0))
        age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        pause.add_metric([], 1.0 if paused else 0.0)
        yield from (messages, age, pause)

    def final_counts(self) -> dict[str, int]:
        """Messages per final status, at most ``final_counts_ttl`` seconds old."""
        with self._lock:
            if time.monotonic() - self._final_read_at >= self.final_counts_ttl:
                self._final = OutboundMessage.objects.counts_by_status(FINAL_STATUSES)
                self._final_read_at = time.monotonic()
            return dict(self._final)

    def forget(self) -> None:
        """Read the final counts again at the next scrape (tests)."""
        with self._lock:
            self._final_read_at = float("-inf")

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "attentive_outbox_messages",
                "Messages in the outbox by status (final statuses cached for a few minutes).",
                labels=["status"],
            ),
            GaugeMetricFamily(
                "attentive_outbox_oldest_due_age_seconds",
                "How long the oldest due queued message has been waiting (0: none due).",
            ),
            GaugeMetricFamily(
                "attentive_auth_paused",
                "1 while sending is paused because Attentive refused the API token (HTTP 403).",
            ),
        )


def auth_paused() -> bool:
    """The latest request's answer was a refused token: sending waits for a working one."""
    latest = SendAttempt.objects.order_by("-pk").values_list("outcome", flat=True).first()
    return latest == Outcome.AUTH
