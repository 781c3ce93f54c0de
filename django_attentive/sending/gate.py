"""This process's sending gate for deliveries run by Django Tasks: auth pause and rate limit.

``attentive_send_queued`` keeps its own per worker; deliveries that a task backend runs
(the ImmediateBackend inside a web request, ``db_worker``, an RQ or Celery worker) share
this one, so a refused token stops them too and ``RATE_LIMIT`` holds for them as well.
"""

from __future__ import annotations

import threading

from .. import conf
from .circuit import AuthCircuit
from .ratelimit import TokenBucket

circuit = AuthCircuit()
_bucket: TokenBucket | None = None
_lock = threading.Lock()


def bucket() -> TokenBucket:
    """The process's token bucket at the configured ``RATE_LIMIT`` (rebuilt if it changes)."""
    global _bucket
    rate = conf.rate_limit()
    with _lock:
        if _bucket is None or _bucket.rate != rate:
            _bucket = TokenBucket(rate, burst=max(1.0, rate / 10))
        return _bucket


def reset() -> None:
    """Forget the pause and the bucket (tests; a process that changed its settings)."""
    global _bucket
    circuit.reset(quiet=True)
    with _lock:
        _bucket = None
