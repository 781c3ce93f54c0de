import sqlite3

import pytest
from django.db import connection

from django_attentive.sqlite_limits import real_parameter_limit

pytestmark = pytest.mark.django_db


def test_batches_use_sqlites_own_limit_only_inside_the_block():
    before = connection.features.max_query_params
    with real_parameter_limit():
        inside = connection.features.max_query_params
    assert connection.features.max_query_params == before
    if connection.vendor == "sqlite":
        # SQLite 3.32+ allows 32,766; Django 5.2 assumed 999, Django 6 asks SQLite.
        real = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        assert inside == max(real, before) > 999
    else:
        assert inside == before  # other databases are left alone
