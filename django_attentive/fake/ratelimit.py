"""Attentive's rate limit, as the fake enforces it: per endpoint, a bucket holding one second's
worth of requests, refilled continuously; above it a 429 with ``x-ratelimit-*`` headers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimitStats:
    """What the fake answered: API requests seen, and how many of them got a 429."""

    requests: int = 0
    rate_limited: int = 0
    by_endpoint: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "by_endpoint": {path: dict(counts) for path, counts in self.by_endpoint.items()},
        }


def clean_rate(value: object) -> float:
    """A rate knob's value: requests per second, zero (no limit) or more."""
    rate = float(value)  # type: ignore[arg-type]
    if rate < 0:
        raise ValueError(f"rate_limit must be zero (no limit) or more requests/s, not {value!r}.")
    return rate


class EndpointLimiter:
    """Thread-safe buckets, one per endpoint path; ``admit`` counts every request it sees."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._stats = RateLimitStats()

    def admit(self, path: str, rate: float) -> dict[str, str] | None:
        """None when the request may go on; else the 429's headers. A rate of 0 admits all."""
        now = time.monotonic()
        with self._lock:
            counts = self._stats.by_endpoint.setdefault(path, {"requests": 0, "rate_limited": 0})
            self._stats.requests += 1
            counts["requests"] += 1
            if rate <= 0:
                return None
            bucket = self._buckets.get(path)
            if bucket is None:
                bucket = self._buckets[path] = _Bucket(rate, now)
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            self._stats.rate_limited += 1
            counts["rate_limited"] += 1
            return {"x-ratelimit-limit": f"{rate:g}", "x-ratelimit-remaining": "0"}

    def stats(self) -> RateLimitStats:
        """A copy of the counts so far."""
        with self._lock:
            return RateLimitStats(
                self._stats.requests,
                self._stats.rate_limited,
                {path: dict(counts) for path, counts in self._stats.by_endpoint.items()},
            )

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._stats = RateLimitStats()
