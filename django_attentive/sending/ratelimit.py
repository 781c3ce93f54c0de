"""The account-wide rate limit: every thread and process on every host that sends shares
``RATE_LIMIT`` requests/s per Attentive endpoint (lower where Attentive publishes lower).

A process reserves a slice of the endpoint's budget in the shared store (one cheap query, see
ratestore.py) and hands its tokens out locally, each at its own moment, so a request costs
at most one query per slice. A slice is about a fifth of a second of this process's own
recent pace: one token for a web process sending now and then, more for a busy worker.
A 429 pushes the endpoint's budget a second into the future for every sender at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from .. import conf
from ..backends import BaseBackend
from ..backends.base import path_for
from ..backends.http import MESSAGES_PATH
from ..exceptions import RateLimited
from ..models import OutboundMessage
from .ratestore import BudgetStore, configured_store

logger = logging.getLogger("django_attentive")

#: How much of its own pace a process reserves at once.
SLICE_SECONDS = 0.2
#: Requests that may go at once after a quiet spell, as a share of a second's budget.
BURST_SECONDS = 0.1
#: A token older than this is dropped: sent late, it would add to a later second's requests.
STALE_SECONDS = 0.5
#: Attentive's limit is per second and its 429 says no Retry-After: a second brings it back.
PAUSE_SECONDS = 1.0


def endpoint_of(message: OutboundMessage, backend: BaseBackend) -> str:
    """The Attentive path a message posts to: its kind's, or the transport's for a text."""
    # From the row's own fields: no related row is read (a chunk's rows are loaded lean).
    path = path_for(message.kind, message.endpoint)
    return path or getattr(backend, "message_path", MESSAGES_PATH)


@dataclass
class _Slice:
    first: float  # when its first token may be spent, on this process's monotonic clock
    interval: float
    size: int
    handed: int = 0

    def next_at(self) -> float:
        return self.first + self.handed * self.interval


class _Endpoint:
    """This process's view of one endpoint: its slice, its pace, a pending 429 pause."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.slice: _Slice | None = None
        self.pause = 0.0
        self.window_start = time.monotonic()
        self.window_count = 0
        self.last_count = 0

    def count(self, now: float) -> None:
        if now - self.window_start >= 1.0:
            self.last_count = self.window_count if now - self.window_start < 2.0 else 0
            self.window_start, self.window_count = now, 0
        self.window_count += 1

    def slice_size(self) -> int:
        """About SLICE_SECONDS of this process's pace over the last second, at least 1."""
        pace = max(self.last_count, self.window_count)
        largest = max(1, int(self.rate * SLICE_SECONDS))
        return max(1, min(largest, math.ceil(pace * SLICE_SECONDS)))


class AccountLimiter:
    """Thread-safe: ``wait(endpoint)`` returns once a request to ``endpoint`` may go out."""

    def __init__(self, store: BudgetStore | None = None) -> None:
        self._store = store
        self._endpoints: dict[str, _Endpoint] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> BudgetStore:
        if self._store is None:
            self._store = configured_store()
        return self._store

    def wait(self, endpoint: str, stopping: threading.Event | None = None) -> float:
        """Take a token for ``endpoint`` and sleep until it may be spent; the seconds waited.

        Returns early (the token spent on nothing) if ``stopping`` is set meanwhile.
        """
        delay = self.reserve(endpoint)
        if delay > 0:
            if stopping is None:
                time.sleep(delay)
            else:
                stopping.wait(delay)
        return delay

    def reserve(self, endpoint: str) -> float:
        """Take a token for ``endpoint``; how many seconds from now it may be spent."""
        rate = conf.rate_limit_for(endpoint)
        if rate <= 0:
            return 0.0
        state = self._state(endpoint, rate)
        with state.lock:
            now = time.monotonic()
            state.count(now)
            current = state.slice
            if current is not None and current.next_at() < now - STALE_SECONDS:
                current = None
            if current is None or current.handed >= current.size:
                current = state.slice = self._fetch(endpoint, state)
            at = current.next_at()
            current.handed += 1
        return max(0.0, at - time.monotonic())

    def penalize(self, endpoint: str, error: RateLimited) -> None:
        """Attentive answered 429: every sender to ``endpoint`` holds back for a second.

        With ``x-ratelimit-remaining`` above 0 the account still has budget: only this
        process's slice is dropped. The pause reaches the store with the next reservation.
        """
        rate = conf.rate_limit_for(endpoint)
        if rate <= 0:
            return
        if error.limit is not None and error.limit < rate:
            logger.warning(
                "Attentive limits %s to %s requests/s but RATE_LIMIT(S) allows %g: lower it",
                endpoint,
                error.limit,
                rate,
            )
        state = self._state(endpoint, rate)
        with state.lock:
            state.slice = None
            if not error.remaining:
                state.pause = max(state.pause, error.retry_after or PAUSE_SECONDS)

    def reset(self) -> None:
        """Forget slices and pauses (tests; a process that changed its settings)."""
        with self._lock:
            self._endpoints.clear()
            self._store = None

    def _state(self, endpoint: str, rate: float) -> _Endpoint:
        with self._lock:
            state = self._endpoints.get(endpoint)
            if state is None or state.rate != rate:
                state = self._endpoints[endpoint] = _Endpoint(rate)
            return state

    def _fetch(self, endpoint: str, state: _Endpoint) -> _Slice:
        interval = 1.0 / state.rate
        size = state.slice_size()
        burst = max(1, round(state.rate * BURST_SECONDS))
        ahead = self.store.reserve(endpoint, size * interval, state.pause)
        state.pause = 0.0
        # Token k of the reservation may go at start + k·interval, less the burst allowance.
        first = time.monotonic() + ahead - (burst - 1) * interval
        return _Slice(first, interval, size)


_limiter = AccountLimiter()


def limiter() -> AccountLimiter:
    """This process's limiter, shared by the worker's threads and task deliveries."""
    return _limiter
