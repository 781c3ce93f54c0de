"""The retry rule: what one request's outcome means for the message. Pure: a table, no I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import conf
from .choices import Outcome, Status
from .exceptions import (
    AmbiguousError,
    AuthenticationError,
    BadRequest,
    EndpointNotFound,
    RecipientError,
    TransientError,
)

MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True)
class Decision:
    status: str
    outcome: str
    counts_as_attempt: bool
    retry_in: float | None  # seconds until next_attempt_at; None when no retry is due
    error: str


def backoff_seconds(attempt: int, *, rng: random.Random | None = None) -> float:
    """Full jitter: a random delay up to RETRY_BACKOFF × 2^(attempt-1), capped at one hour."""
    ceiling = min(MAX_BACKOFF_SECONDS, conf.retry_backoff() * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(0, ceiling)


def auth_pause_seconds() -> float:
    """How long a refused token (or a missing endpoint) holds a message before another try."""
    return min(MAX_BACKOFF_SECONDS, max(conf.retry_backoff(), 1.0))


def decide(outcome: BaseException | None, attempts_before: int) -> Decision:
    """Turn a transport's exception (None: Attentive accepted) into the message's next state."""
    if outcome is None:
        return Decision(Status.SENT, Outcome.SENT, True, None, "")
    attempt = attempts_before + 1
    error = conf.without_token(str(outcome))
    if isinstance(outcome, AuthenticationError):
        # The token is wrong, not the message: it waits without spending an attempt.
        return Decision(Status.QUEUED, Outcome.AUTH, False, auth_pause_seconds(), error)
    if isinstance(outcome, EndpointNotFound):
        # Likewise a wrong BASE_URL: nothing is wrong with the message or the number.
        return Decision(Status.QUEUED, Outcome.ENDPOINT, False, auth_pause_seconds(), error)
    if isinstance(outcome, RecipientError | BadRequest):
        return Decision(Status.FAILED, Outcome.REJECTED, True, None, error)
    if isinstance(outcome, TransientError):
        if attempt >= conf.max_attempts():
            error = f"Gave up after {attempt} attempts: {error}"
            return Decision(Status.FAILED, Outcome.REJECTED, True, None, error)
        delay = max(backoff_seconds(attempt), outcome.retry_after or 0.0)
        return Decision(Status.QUEUED, Outcome.RETRY, True, delay, error)
    if not isinstance(outcome, AmbiguousError):
        error = f"Unexpected {type(outcome).__name__} while sending: {error}"
    # The text may have gone out: only retry when the shop chose RETRY_AMBIGUOUS.
    if conf.retry_ambiguous() and attempt < conf.max_attempts():
        return Decision(Status.QUEUED, Outcome.AMBIGUOUS, True, backoff_seconds(attempt), error)
    return Decision(Status.UNCONFIRMED, Outcome.AMBIGUOUS, True, None, error)


def due_at(decision: Decision, now: datetime) -> datetime | None:
    return None if decision.retry_in is None else now + timedelta(seconds=decision.retry_in)
