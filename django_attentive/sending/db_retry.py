"""Wait out a locked SQLite database instead of crashing the worker, for a while.

On SQLite's default options (deferred transactions, a 5-second busy timeout, no WAL) several
workers trip over each other's write lock: a transaction that read first cannot take the write
lock while another holds it, and SQLite answers "database is locked" at once. The worker waits
and tries again, with backoff, for up to ``MAX_WAIT`` seconds; then it gives up with
``DatabaseStillLocked``, which says how to configure SQLite so this stops happening. Every other
error, and every error on another database, propagates unchanged.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connections, router, transaction

from ..models import OutboundMessage

logger = logging.getLogger("django_attentive")

T = TypeVar("T")

#: Seconds a worker waits, in all, for a locked database before it gives up.
MAX_WAIT = 30.0
FIRST_PAUSE = 0.05
LONGEST_PAUSE = 1.0

#: The OPTIONS under which SQLite workers wait for the write lock instead of failing.
RECOMMENDED_OPTIONS = (
    '{"transaction_mode": "IMMEDIATE", "timeout": 20, '
    '"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}'
)

_warned = False


class DatabaseStillLocked(OperationalError):
    """The SQLite database stayed locked longer than the worker is willing to wait."""


def alias() -> str:
    """The database the outbox writes to."""
    return router.db_for_write(OutboundMessage)


def is_locked(error: BaseException, using: str) -> bool:
    """True for SQLite's "database is locked" / "busy" errors, which pass if one waits."""
    if connections[using].vendor != "sqlite" or not isinstance(error, OperationalError):
        return False
    text = str(error).lower()
    return "locked" in text or "busy" in text


def retry_locked(
    operation: Callable[[], T],
    *,
    what: str,
    atomic: bool = False,
    max_wait: float | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> T:
    """Run ``operation``; while SQLite says it is locked, wait and run it again.

    ``operation`` must be safe to run again after it raised: it wrote nothing (an atomic block
    that rolled back), or what it wrote is skipped the next time (a conditional update).
    ``atomic=True`` makes it so for an operation of several statements: on SQLite it runs in
    one transaction, which a lock error rolls back whole. Inside a caller's transaction
    nothing is retried, since only that caller can roll back.
    """
    using = alias()
    connection = connections[using]
    if connection.vendor != "sqlite":
        return operation()
    max_wait = MAX_WAIT if max_wait is None else max_wait
    deadline = time.monotonic() + max_wait
    pause = FIRST_PAUSE
    while True:
        try:
            if atomic:
                with transaction.atomic(using=using):
                    return operation()
            return operation()
        except OperationalError as error:
            if not is_locked(error, using) or connection.in_atomic_block:
                raise
            if time.monotonic() + pause > deadline:
                raise DatabaseStillLocked(
                    f"The SQLite database {connection.settings_dict['NAME']} stayed locked for "
                    f"{max_wait:.0f} s while the worker tried to {what}: other processes keep "
                    "its write lock. Give DATABASES its OPTIONS "
                    f"{RECOMMENDED_OPTIONS} (manage.py check warns about this as "
                    "django_attentive.W030), run fewer workers, or use PostgreSQL."
                ) from error
            _note_wait(what, error)
            sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, LONGEST_PAUSE)


@contextmanager
def unchanged_on_error(messages: Iterable[OutboundMessage]) -> Iterator[None]:
    """If the block raises, put the messages' fields back as they were before it.

    Recording results updates the message objects as it writes their rows; when its
    transaction then fails (and rolls back), the objects must say what the rows still say, or
    a second try would count an attempt twice or look for a lease that is no longer there.
    """
    # A model instance keeps its field values in its __dict__ (by attname): one copy each is
    # much cheaper than reading every field, and this runs for every text the worker records.
    saved = [(message, vars(message).copy()) for message in messages]
    try:
        yield
    except BaseException:
        for message, fields in saved:
            vars(message).update(fields)
        raise


def _note_wait(what: str, error: BaseException) -> None:
    global _warned
    if not _warned:
        _warned = True
        logger.warning(
            "The SQLite database is locked (%s, while trying to %s); waiting for it. Several "
            "workers on SQLite need OPTIONS %s (see manage.py check).",
            error,
            what,
            RECOMMENDED_OPTIONS,
        )
    else:
        logger.debug("The database is locked while trying to %s; waiting", what)
