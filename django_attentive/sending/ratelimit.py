"""A token bucket that keeps one process under RATE_LIMIT requests per second."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """Thread-safe: ``acquire()`` blocks until a request may go out. A rate of 0 means no limit."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.capacity = max(1.0, float(burst if burst is not None else rate))
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                delay = (1 - self._tokens) / self.rate
            time.sleep(delay)
            waited += delay
