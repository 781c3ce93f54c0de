"""The auth circuit breaker: after a 403, stop sending until the token works or changes."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from .. import conf

logger = logging.getLogger("django_attentive")

MAX_PAUSE_SECONDS = 3600.0


def _fingerprint(token: str) -> str:
    # Only held in memory, so a changed token is noticed; the token itself is never kept.
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class AuthCircuit:
    """Per-process pause keyed by the token in use, so a new token ends the pause at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._trips = 0
        self._until = 0.0

    def remaining(self) -> float:
        """Seconds left in the pause for the token configured now (0 when sending may go on)."""
        with self._lock:
            if self._fingerprint != _fingerprint(conf.api_token()):
                return 0.0
            return max(0.0, self._until - time.monotonic())

    def trip(self) -> float:
        """Record a refused token; the pause doubles on each trip. Logs one error per pause."""
        fingerprint = _fingerprint(conf.api_token())
        with self._lock:
            if fingerprint == self._fingerprint and self._until > time.monotonic():
                return self._until - time.monotonic()
            self._trips = self._trips + 1 if fingerprint == self._fingerprint else 1
            self._fingerprint = fingerprint
            pause = min(MAX_PAUSE_SECONDS, max(conf.retry_backoff(), 1.0) * 2 ** (self._trips - 1))
            self._until = time.monotonic() + pause
        logger.error(
            "Attentive refused the API token (HTTP 403). Sending is paused for %.0f s; fix "
            "ATTENTIVE['API_TOKEN'] and queued texts go out (a changed token resumes at once).",
            pause,
        )
        return pause

    def token_replaced(self) -> bool:
        """True once after a refusal when the configured token is no longer the refused one."""
        with self._lock:
            if self._fingerprint in (None, _fingerprint(conf.api_token())):
                return False
            self._fingerprint, self._trips, self._until = None, 0, 0.0
        logger.warning("ATTENTIVE['API_TOKEN'] changed; sending resumes.")
        return True

    def reset(self, *, quiet: bool = False) -> None:
        with self._lock:
            if self._fingerprint is not None and not quiet:
                logger.warning("Attentive accepts the API token again; sending resumes.")
            self._fingerprint, self._trips, self._until = None, 0, 0.0
