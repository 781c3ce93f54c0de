"""Where the account's rate limit is kept, so every sender on every host shares it: a row per
endpoint in the database, or a key per endpoint in Redis.

Both keep one number per endpoint, ``reserved_until``: the moment up to which the endpoint's
budget is spoken for, on the store's own clock (the database's ``clock_timestamp()`` or
``julianday('now')``, Redis's ``TIME``), so the hosts' clocks never matter. Reserving
``seconds`` of budget moves it forward in one atomic statement and says how far ahead of now
the reservation starts; a sender waits that long on its own monotonic clock.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

from django.db import OperationalError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.functions import Now

from .. import conf
from ..exceptions import ConfigurationError
from ..models import RateLimitState

logger = logging.getLogger("django_attentive")

#: How long a reservation waits for the endpoint's row on PostgreSQL before giving up.
LOCK_TIMEOUT_MS = 2000

_EPOCH = {
    "postgresql": "EXTRACT(EPOCH FROM clock_timestamp())::float8",
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}
_MAX = {"postgresql": "GREATEST", "sqlite": "MAX"}


class BudgetStore(Protocol):
    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        """Reserve ``seconds`` of ``endpoint``'s budget, none of it sooner than ``pause``
        seconds from now; return how many seconds from now the reservation starts."""
        ...


class DatabaseStore:
    """The rate limit in the shop's database: one ``UPDATE ... RETURNING`` per reservation."""

    def __init__(self) -> None:
        self._own: dict[str, BaseDatabaseWrapper] = {}
        self._own_lock = threading.Lock()

    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        alias = router.db_for_write(RateLimitState)
        connection = connections[alias]
        if (
            connection.vendor not in _EPOCH
            or not connection.features.can_return_rows_from_bulk_insert
        ):
            return self._reserve_in_transaction(alias, endpoint, seconds, pause)
        if connection.vendor == "sqlite":
            return self._reserve(connection, endpoint, seconds, pause)
        try:
            if connection.in_atomic_block:
                # Inside the caller's transaction the row would stay locked until it commits,
                # holding up every other sender: use a connection of our own instead.
                with self._own_lock:
                    own = self._own_connection(alias)
                    return self._reserve(own, endpoint, seconds, pause)
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
                return self._reserve(connection, endpoint, seconds, pause)
        except OperationalError:
            # A transaction holding the row (or its first insert) must never stall every
            # sender: this slice goes unreserved, and a 429 would slow everyone down anyway.
            logger.warning(
                "The rate-limit row for %s stayed locked for %s ms; sending this slice "
                "without reserving it",
                endpoint,
                LOCK_TIMEOUT_MS,
            )
            return 0.0

    def _reserve(
        self, connection: BaseDatabaseWrapper, endpoint: str, seconds: float, pause: float
    ) -> float:
        vendor = connection.vendor
        table = connection.ops.quote_name(RateLimitState._meta.db_table)
        epoch, greatest = _EPOCH[vendor], _MAX[vendor]
        update = (
            f"UPDATE {table} SET reserved_until = "
            f"{greatest}(reserved_until, {epoch} + %s) + %s "
            f"WHERE endpoint = %s RETURNING reserved_until, {epoch}"
        )
        with connection.cursor() as cursor:
            cursor.execute(update, [pause, seconds, endpoint])
            row = cursor.fetchone()
            if row is None:  # the endpoint's first reservation ever
                cursor.execute(
                    f"INSERT INTO {table} (endpoint, reserved_until) VALUES (%s, 0) "
                    "ON CONFLICT (endpoint) DO NOTHING",
                    [endpoint],
                )
                cursor.execute(update, [pause, seconds, endpoint])
                row = cursor.fetchone()
        reserved_until, now = float(row[0]), float(row[1])
        return max(0.0, reserved_until - seconds - now)

    def _reserve_in_transaction(
        self, alias: str, endpoint: str, seconds: float, pause: float
    ) -> float:
        """For databases without ``RETURNING``: lock the row, read the database's clock, update."""
        states = RateLimitState.objects.using(alias)
        states.get_or_create(endpoint=endpoint)
        with transaction.atomic(using=alias):
            state = states.select_for_update().annotate(db_now=Now()).get(endpoint=endpoint)
            now = state.db_now.timestamp()
            start = max(state.reserved_until, now + pause)
            states.filter(endpoint=endpoint).update(reserved_until=start + seconds)
        return max(0.0, start - now)

    def _own_connection(self, alias: str) -> BaseDatabaseWrapper:
        connection = self._own.get(alias)
        if connection is None:
            connection = connections.create_connection(alias)
            connection.inc_thread_sharing()  # used under our lock, from any sending thread
            with connection.cursor() as cursor:  # only this connection waits at most so long
                cursor.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
            self._own[alias] = connection
        return connection


_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local reserved = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(reserved, now + tonumber(ARGV[2]))
local reserved_until = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.6f', reserved_until),
    'PX', math.ceil((reserved_until - now) * 1000) + 60000)
return string.format('%.6f', start - now)
"""
REDIS_RETRY_SECONDS = 30.0


class RedisStore:
    """The rate limit in Redis: a Lua script on Redis's clock, atomic on the server.

    While Redis cannot be reached the database keeps the limit (and says so in the log), so a
    Redis outage slows nobody down and lets nobody through unlimited.
    """

    def __init__(self, url: str, fallback: BudgetStore | None = None) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigurationError(
                "ATTENTIVE['RATE_LIMIT_REDIS_URL'] is set but the redis package is not "
                "installed: pip install 'django-attentive[redis]', or remove the setting to "
                "share the rate limit through the database."
            ) from exc
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script: Any = self._client.register_script(_SCRIPT)
        self._fallback = fallback or DatabaseStore()
        self._down_until = 0.0

    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        if time.monotonic() < self._down_until:
            return self._fallback.reserve(endpoint, seconds, pause)
        try:
            answer = self._script(keys=[f"attentive:ratelimit:{endpoint}"], args=[seconds, pause])
        except self._errors as exc:
            logger.warning(
                "Redis for the rate limit is unreachable (%s); the database keeps the limit "
                "for the next %ss",
                type(exc).__name__,
                int(REDIS_RETRY_SECONDS),
            )
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            return self._fallback.reserve(endpoint, seconds, pause)
        return max(0.0, float(answer))


def configured_store() -> BudgetStore:
    """Redis when ``RATE_LIMIT_REDIS_URL`` is set, else the database."""
    url = conf.rate_limit_redis_url()
    return RedisStore(url) if url else DatabaseStore()
