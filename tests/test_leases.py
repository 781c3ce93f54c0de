"""Leases: recovery takes only leases older than LEASE_SECONDS; claims skip rows others lock."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from django_attentive import send_bulk
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status
from django_attentive.outbox import leases

NUMBER = "+1201555{:04d}"


def queued(count: int) -> list[int]:
    return [m.pk for m in send_bulk([NUMBER.format(n) for n in range(count)], "Sale")]


def sending_since(pk: int, seconds_ago: float, holder: str = "other-host:1:1#x") -> None:
    OutboundMessage.objects.filter(pk=pk).update(
        status=Status.SENDING,
        leased_at=timezone.now() - timedelta(seconds=seconds_ago),
        leased_by=holder,
    )


@pytest.mark.django_db
def test_recovery_leaves_a_live_lease_alone(attentive):
    attentive(LEASE_SECONDS=300)
    (pk,) = queued(1)
    sending_since(pk, 0)
    assert leases.recover_expired() == 0
    message = OutboundMessage.objects.get(pk=pk)
    assert (message.status, message.leased_by, message.attempts) == (
        Status.SENDING,
        "other-host:1:1#x",
        0,
    )
    assert not SendAttempt.objects.exists()


@pytest.mark.django_db
def test_recovery_takes_only_claims_older_than_the_lease(attentive):
    attentive(LEASE_SECONDS=60)
    almost, expired = queued(2)
    sending_since(almost, 55)
    sending_since(expired, 65)
    assert leases.recover_expired() == 1
    assert OutboundMessage.objects.get(pk=almost).status == Status.SENDING
    lost = OutboundMessage.objects.get(pk=expired)
    assert (lost.status, lost.leased_by) == (Status.UNCONFIRMED, "")
    assert list(SendAttempt.objects.values_list("message_id", "outcome")) == [
        (expired, Outcome.WORKER_LOST)
    ]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_claim_skips_rows_another_transaction_has_locked():
    pks = queued(8)
    locked, free = pks[:3], pks[3:]
    holding = threading.Event()
    done = threading.Event()

    def hold_locks() -> None:
        try:
            with transaction.atomic():
                rows = OutboundMessage.objects.select_for_update().filter(pk__in=locked)
                assert len(list(rows)) == 3
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    locker = threading.Thread(target=hold_locks)
    locker.start()
    try:
        assert holding.wait(5), "the other transaction never took its locks"
        with connection.cursor() as cursor:
            # A claim that waits for those locks fails here instead of hanging the suite.
            cursor.execute("SET lock_timeout = '2s'")
        began = time.monotonic()
        claimed = leases.lease_due(3, holder="this-host:1:1")
        elapsed = time.monotonic() - began
    finally:
        done.set()
        locker.join(10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert [m.pk for m in claimed] == free[:3]
    assert elapsed < 1.0
    assert set(
        OutboundMessage.objects.filter(pk__in=locked).values_list("leased_by", flat=True)
    ) == {""}
