"""Observers of recorded attempts: how metrics learn what the outbox wrote.

The outbox calls ``attempts_recorded`` once a batch of attempts is committed; whoever wants
to count them (``django_attentive.metrics``) registers an observer here. The outbox knows
nothing of its observers, and an observer that raises is logged and never undoes a record.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger("django_attentive")


@dataclass(frozen=True)
class RecordedAttempt:
    """One attempt as written to the send log, in plain values."""

    kind: str  # a choices.Kind value
    endpoint: str  # the row's endpoint; "" for a text (the transport's own path)
    outcome: str  # a choices.Outcome value
    status_code: int | None  # None: no HTTP answer
    duration_ms: int
    made_request: bool  # False when no request left (payload not built, worker died)


Observer = Callable[[Sequence[RecordedAttempt]], None]

_observers: list[Observer] = []
_lock = threading.Lock()


def observe(observer: Observer) -> None:
    """Call ``observer`` with every committed batch of attempts (registering twice is a no-op)."""
    with _lock:
        if observer not in _observers:
            _observers.append(observer)


def forget(observer: Observer) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)


def attempts_recorded(attempts: Sequence[RecordedAttempt]) -> None:
    """Tell every observer; never raises (the attempts are already committed)."""
    if not attempts:
        return
    with _lock:
        observers = list(_observers)
    for observer in observers:
        try:
            observer(attempts)
        except Exception:
            logger.exception(
                "An attempt observer (%s) failed", getattr(observer, "__qualname__", observer)
            )
