"""How the outbox asks for delivery: one signal, sent once the storing transaction commits.

The outbox never imports the runtime that sends. ``django_attentive.sending`` connects its
dispatcher to ``delivery_requested`` when the app is ready; with nothing connected, rows wait
in the outbox for ``attentive_send_queued``, which finds every due row anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("django_attentive")

#: Sent after commit with ``deliveries`` (a list of (message pk, run_after or None)),
#: ``bulk`` (chunk them, never run them inside the caller) and ``retry`` (a retry: never
#: inside the caller either).
delivery_requested = Signal()

Delivery = tuple[int, datetime | None]
# Inside gathered(): the deliveries asked for so far.
_gathered: ContextVar[list[Delivery] | None] = ContextVar("attentive_gathered", default=None)


def request_delivery(
    message_pk: int, run_after: datetime | None = None, *, retry: bool = False
) -> None:
    """Ask for one message's delivery once the surrounding transaction commits."""
    gathered = _gathered.get()
    if gathered is not None:
        gathered.append((message_pk, run_after))
        return
    transaction.on_commit(
        lambda: _emit([(message_pk, run_after)], bulk=False, retry=retry), robust=True
    )


def request_bulk_delivery(deliveries: Iterable[Delivery]) -> None:
    """Ask, after commit, for many deliveries: one wave per distinct ``run_after``."""
    waves: dict[datetime | None, list[Delivery]] = {}
    for message_pk, run_after in deliveries:
        waves.setdefault(run_after, []).append((message_pk, run_after))
    for wave in waves.values():
        transaction.on_commit(partial(_emit, wave, bulk=True, retry=False), robust=True)


@contextmanager
def gathered() -> Iterator[None]:
    """Within the block, ``request_delivery`` calls become bulk deliveries.

    For code that queues many messages one at a time (resending a selection): they go out
    like ``send_bulk``'s, in chunks, never one send inside the caller per message. Use it
    inside the transaction that stores the messages.
    """
    deliveries: list[Delivery] = []
    token = _gathered.set(deliveries)
    try:
        yield
    finally:
        _gathered.reset(token)
    request_bulk_delivery(deliveries)


def _emit(deliveries: list[Delivery], *, bulk: bool, retry: bool) -> None:
    for receiver, result in delivery_requested.send_robust(
        sender=None, deliveries=deliveries, bulk=bulk, retry=retry
    ):
        if isinstance(result, Exception):
            logger.error(
                "Could not hand %s texts to %s; attentive_send_queued will send them",
                len(deliveries),
                getattr(receiver, "__qualname__", receiver),
                exc_info=result,
            )
