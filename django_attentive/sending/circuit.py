"""The sending pause: after Attentive refuses the token (403) or the endpoint is not there
(a 404 that is not about a number), stop sending until the configuration works or changes."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from .. import conf

logger = logging.getLogger("django_attentive")

MAX_PAUSE_SECONDS = 3600.0


def _fingerprint() -> str:
    """What a pause is about: the token, where requests go, and the transport.

    Only a digest is held in memory, so a changed setting is noticed; the token is never kept.
    """
    where = f"{conf.api_token()}\n{conf.get('BASE_URL')}\n{conf.get('BACKEND')}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


class AuthCircuit:
    """Per-process pause keyed by the configuration in use, so fixing it ends the pause at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._trips = 0
        self._until = 0.0

    def remaining(self) -> float:
        """Seconds left in the pause for the configuration now (0 when sending may go on)."""
        with self._lock:
            # Not paused (the usual case): no need to digest the configuration at all.
            if self._fingerprint is None or self._fingerprint != _fingerprint():
                return 0.0
            return max(0.0, self._until - time.monotonic())

    def trip(self, reason: str = "Attentive refused the API token (HTTP 403)") -> float:
        """Record a refusal; the pause doubles on each trip. Logs one error per pause."""
        fingerprint = _fingerprint()
        with self._lock:
            if fingerprint == self._fingerprint and self._until > time.monotonic():
                return float(self._until - time.monotonic())
            self._trips = self._trips + 1 if fingerprint == self._fingerprint else 1
            self._fingerprint = fingerprint
            pause: float = min(
                MAX_PAUSE_SECONDS, max(conf.retry_backoff(), 1.0) * 2.0 ** (self._trips - 1)
            )
            self._until = time.monotonic() + pause
        logger.error(
            "%s. Sending is paused for %.0f s; fix ATTENTIVE['API_TOKEN'] or ['BASE_URL'] and "
            "queued texts go out (a changed setting resumes at once).",
            reason,
            pause,
        )
        return pause

    def config_changed(self) -> bool:
        """True once after a refusal when the configuration is no longer the refused one."""
        with self._lock:
            if self._fingerprint is None or self._fingerprint == _fingerprint():
                return False
            self._fingerprint, self._trips, self._until = None, 0, 0.0
        logger.warning("ATTENTIVE's token or BASE_URL changed; sending resumes.")
        return True

    def reset(self, *, quiet: bool = False) -> None:
        with self._lock:
            if self._fingerprint is not None and not quiet:
                logger.warning("Attentive accepts our requests again; sending resumes.")
            self._fingerprint, self._trips, self._until = None, 0, 0.0
