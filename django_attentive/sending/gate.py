"""This process's sending gate for deliveries run by Django Tasks: auth pause and rate limit.

Deliveries that a task backend runs (the ImmediateBackend inside a web request,
``db_worker``, an RQ or Celery worker) share this pause, so a refused token stops them too;
the rate limit is the account's, shared with ``attentive_send_queued`` and every other host.
"""

from __future__ import annotations

from .circuit import AuthCircuit
from .ratelimit import AccountLimiter, limiter

circuit = AuthCircuit()


def rate_limiter() -> AccountLimiter:
    """The account-wide rate limit, as this process takes part in it."""
    return limiter()


def reset() -> None:
    """Forget the pause and the rate limit's slices (tests; a process that changed settings)."""
    circuit.reset(quiet=True)
    limiter().reset()
