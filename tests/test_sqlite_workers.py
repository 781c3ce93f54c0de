"""Workers on SQLite: the W030 check, and several workers on Django's default SQLite options."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TOKEN
from .workers import ROOT

TEXTS = 300
WORKERS = 3


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
