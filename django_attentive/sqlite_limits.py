"""Let bulk queries on SQLite use as many parameters as SQLite allows, not Django 5.2's guess."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def real_parameter_limit() -> Iterator[None]:
    """Within the block, size SQLite batches by SQLite's own bound-parameter limit.

    Django 5.2 assumes SQLite's historic 999 parameters per query, so a 1,000-recipient bulk
    send took 23 INSERTs; SQLite 3.32+ allows 32,766 and Django 6 asks it. This backports that
    for this thread's connection only, and only while the block runs.
    """
    features = connection.features
    if connection.vendor != "sqlite" or not isinstance(
        getattr(type(features), "max_query_params", None), int
    ):
        yield  # another database, or a Django that already asks SQLite
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit <= features.max_query_params:
        yield
        return
    features.max_query_params = limit
    try:
        yield
    finally:
        del features.max_query_params
