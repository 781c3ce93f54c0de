"""Workers on SQLite: the W030 check, and several workers on Django's default SQLite options."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections

from django_attentive.checks import _check_sqlite_database, check_sqlite_options
from django_attentive.models import OutboundMessage, Status
from django_attentive.sending import db_retry
from django_attentive.sending.db_retry import DatabaseStillLocked, retry_locked

from .conftest import TOKEN
from .workers import ROOT

TEXTS = 300
WORKERS = 3
RECOMMENDED = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def sqlite(options: dict | None = None, name: str = "/srv/shop/db.sqlite3") -> dict:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    return database if options is None else {**database, "OPTIONS": options}


def test_default_sqlite_options_warn_with_the_options_to_set():
    [warning] = _check_sqlite_database("default", sqlite())
    assert warning.id == "django_attentive.W030"
    assert '"transaction_mode": "IMMEDIATE"' in warning.msg
    assert "journal_mode=WAL" in warning.msg
    assert '"transaction_mode": "IMMEDIATE", "timeout": 20' in warning.hint
    assert "PRAGMA journal_mode=WAL;" in warning.hint


def test_the_recommended_sqlite_options_pass():
    assert _check_sqlite_database("default", sqlite(RECOMMENDED)) == []
    assert _check_sqlite_database("default", sqlite({**RECOMMENDED, "timeout": 5})) == []


@pytest.mark.parametrize("missing", ["transaction_mode", "timeout", "init_command"])
def test_each_missing_option_warns(missing):
    options = {key: value for key, value in RECOMMENDED.items() if key != missing}
    [warning] = _check_sqlite_database("default", sqlite(options))
    assert warning.id == "django_attentive.W030"


def test_an_in_memory_database_is_not_shared_so_it_does_not_warn():
    assert _check_sqlite_database("default", sqlite(name=":memory:")) == []


@on_sqlite
def test_the_registered_check_reads_the_default_database(monkeypatch):
    default = connections["default"]
    assert check_sqlite_options() == []  # the test settings use the recommended options
    monkeypatch.setattr(default, "settings_dict", {**default.settings_dict, "OPTIONS": {}})
    assert [w.id for w in check_sqlite_options()] == ["django_attentive.W030"]


class Flaky:
    """An operation that raises ``error`` the first ``times`` calls, then answers."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error, self.times, self.calls = error, times, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return "done"


@on_sqlite
def test_a_locked_database_is_waited_for():
    operation = Flaky(OperationalError("database is locked"), times=3)
    assert retry_locked(operation, what="test", sleep=lambda _: None) == "done"
    assert operation.calls == 4


@on_sqlite
def test_a_database_locked_too_long_gives_up_with_a_clear_error():
    operation = Flaky(OperationalError("database is locked"), times=10**6)
    with pytest.raises(DatabaseStillLocked, match="stayed locked.*transaction_mode"):
        retry_locked(operation, what="test", max_wait=0.3)
    assert 2 < operation.calls < 20  # backoff, not a busy loop


@on_sqlite
def test_other_database_errors_are_not_retried():
    operation = Flaky(OperationalError("no such table: django_attentive_outboundmessage"), 1)
    with pytest.raises(OperationalError, match="no such table"):
        retry_locked(operation, what="test", sleep=lambda _: None)
    assert operation.calls == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="not SQLite")
def test_lock_errors_on_other_databases_are_not_retried():
    operation = Flaky(OperationalError("database is locked"), 1)
    with pytest.raises(OperationalError):
        retry_locked(operation, what="test", sleep=lambda _: None)
    assert operation.calls == 1


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_worker_that_cannot_write_results_stops_with_the_error(monkeypatch):
    from django_attentive import send_bulk
    from django_attentive.sending import worker

    def locked(reports):
        raise OperationalError("database is locked")

    monkeypatch.setattr(db_retry, "MAX_WAIT", 0.2)
    monkeypatch.setattr(worker.outcomes, "record", locked)
    send_bulk(["+12015550100", "+12015550101"], "Hi")
    with pytest.raises(DatabaseStillLocked, match="record results"):
        worker.Worker(concurrency=2).run()
    # Sent but not recorded: left to recovery, which marks them unconfirmed, never resent.
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {Status.SENDING}


def test_a_failed_write_leaves_the_messages_as_the_rows_still_are():
    message = OutboundMessage(pk=7, to="+12015550123", body="Hi", status=Status.SENDING)
    message.attempts, message.leased_by = 0, "host:1:1#abc"
    with pytest.raises(OperationalError), db_retry.unchanged_on_error([message]):
        message.status, message.attempts, message.leased_by = Status.SENT, 1, ""
        raise OperationalError("database is locked")
    assert (message.status, message.attempts, message.leased_by) == (
        Status.SENDING,
        0,
        "host:1:1#abc",
    )


def run_django(database: Path, *args: str, settings: dict | None = None) -> subprocess.Popen:
    """``python -m django ...`` on ``database`` with Django's default SQLite options."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.sqlite_default_settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "ATTENTIVE_TEST_SETTINGS": json.dumps(settings or {}),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, f"{out}\n{err}"


def statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT status, COUNT(*) FROM django_attentive_outboundmessage GROUP BY status"
        )
        return dict(rows.fetchall())


@pytest.mark.slow
def test_workers_on_default_sqlite_options_send_everything_once(tmp_path, fake, fake_server):
    database = tmp_path / "plain.sqlite3"
    code, output = finished(run_django(database, "migrate", "--noinput", "-v", "0"))
    assert code == 0, output
    numbers = [f"+1201555{n:04d}" for n in range(TEXTS)]
    queue = f"from django_attentive import send_bulk; send_bulk({numbers!r}, 'Sale starts now')"
    code, output = finished(run_django(database, "shell", "-c", queue))
    assert code == 0, output
    assert statuses(database) == {"queued": TEXTS}

    settings = {
        "BACKEND": "django_attentive.backends.http.HttpBackend",
        "BASE_URL": fake_server.url,
        "API_TOKEN": TOKEN,
        "RATE_LIMIT": 1000,
    }
    workers = [
        run_django(
            database,
            "attentive_send_queued",
            "--concurrency",
            "4",
            "--batch-size",
            "5",
            settings=settings,
        )
        for _ in range(WORKERS)
    ]
    results = [finished(worker) for worker in workers]

    for code, output in results:
        assert code == 0, f"a worker exited {code}:\n{output[-3000:]}"
    assert statuses(database) == {"sent": TEXTS}
    sent_to = [message["to"] for message in fake.messages]
    assert sorted(sent_to) == numbers  # each once
