"""Where the account's rate limit lives: the database row (on the database's clock) and Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from django_attentive.models import RateLimitState
from django_attentive.sending.ratelimit import AccountLimiter
from django_attentive.sending.ratestore import _EPOCH, DatabaseStore, RedisStore

pytestmark = pytest.mark.django_db(transaction=True)
TEXTS = "/v1/text/send"


def db_now() -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_EPOCH[connection.vendor]}")
        return float(cursor.fetchone()[0])


def test_the_first_reservation_creates_the_endpoints_row():
    assert DatabaseStore().reserve(TEXTS, 0.1) == 0
    state = RateLimitState.objects.get(endpoint=TEXTS)
    assert state.reserved_until == pytest.approx(db_now() + 0.1, abs=0.05)


def test_reservations_queue_up_one_after_the_other():
    store = DatabaseStore()
    assert store.reserve(TEXTS, 0.3) == 0
    assert store.reserve(TEXTS, 0.3) == pytest.approx(0.3, abs=0.05)
    assert store.reserve(TEXTS, 0.3) == pytest.approx(0.6, abs=0.05)


def test_time_is_read_from_the_database_clock_not_this_hosts(monkeypatch):
    RateLimitState.objects.create(endpoint=TEXTS, reserved_until=db_now() + 1.5)
    # A host whose clock is an hour off changes nothing: only the database's clock counts.
    monkeypatch.setattr(time, "time", lambda: 1e9)
    assert DatabaseStore().reserve(TEXTS, 0.1) == pytest.approx(1.5, abs=0.1)


def test_an_idle_endpoint_refills_by_the_database_clock_without_banking_credit():
    RateLimitState.objects.create(endpoint=TEXTS, reserved_until=db_now() - 3600)
    assert DatabaseStore().reserve(TEXTS, 0.2) == 0
    # An hour idle is not an hour of budget: the next reservation follows this one.
    assert DatabaseStore().reserve(TEXTS, 0.2) == pytest.approx(0.2, abs=0.05)


def test_a_pause_empties_the_budget_for_everyone():
    store = DatabaseStore()
    store.reserve(TEXTS, 0.01, pause=1.0)
    assert DatabaseStore().reserve(TEXTS, 0.01) == pytest.approx(1.01, abs=0.05)


def test_without_returning_a_locked_transaction_does_the_same():
    store = DatabaseStore()
    assert store._reserve_in_transaction("default", TEXTS, 0.3, 0.0) == 0
    assert store._reserve_in_transaction("default", TEXTS, 0.3, 0.0) == pytest.approx(0.3, abs=0.05)
    assert store.reserve(TEXTS, 0.3) == pytest.approx(0.6, abs=0.05)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_inside_a_transaction_the_row_is_not_held_until_it_commits():
    from django.db import connections

    store = DatabaseStore()
    store.reserve(TEXTS, 0.01)
    with transaction.atomic():
        store.reserve(TEXTS, 0.01)
        # Another sender, on another connection, is not blocked by our open transaction.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
                cursor.execute(
                    "UPDATE django_attentive_ratelimitstate SET reserved_until = reserved_until "
                    "WHERE endpoint = %s",
                    [TEXTS],
                )
        finally:
            other.close()


# ------------------------------------------------------------------------------------- Redis


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("redis")
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_store(redis_url: str) -> RedisStore:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return RedisStore(redis_url, fallback=_NoFallback())


class _NoFallback:
    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        raise AssertionError("Redis is up: the database must not be asked")


def test_redis_reservations_queue_up_and_pause(redis_store, redis_url):
    assert redis_store.reserve(TEXTS, 0.3) == 0
    assert redis_store.reserve(TEXTS, 0.3) == pytest.approx(0.3, abs=0.05)
    other = RedisStore(redis_url, fallback=_NoFallback())  # another process
    assert other.reserve(TEXTS, 0.1, pause=1.0) == pytest.approx(1.0, abs=0.05)
    assert redis_store.reserve("/v1/subscriptions", 0.1) == 0  # each endpoint its own key


def test_two_processes_share_the_budget_through_redis(redis_url, attentive, redis_store):
    attentive(RATE_LIMIT=40, RATE_LIMIT_REDIS_URL=redis_url)
    first, second = AccountLimiter(), AccountLimiter()  # the configured store: Redis
    start = time.monotonic()
    for _ in range(30):
        first.wait(TEXTS)
        second.wait(TEXTS)
    assert time.monotonic() - start >= (60 - 4) / 40 * 0.95
    assert not RateLimitState.objects.exists()  # the database was not used


def test_while_redis_is_down_the_database_keeps_the_limit(caplog):
    store = RedisStore("redis://127.0.0.1:1/0")  # nothing listens there
    assert store.reserve(TEXTS, 0.3) == 0
    assert store.reserve(TEXTS, 0.3) == pytest.approx(0.3, abs=0.05)
    assert RateLimitState.objects.filter(endpoint=TEXTS).exists()
    assert "unreachable" in caplog.text
