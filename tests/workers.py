"""Start `attentive_send_queued` as real worker processes against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(*args: str, settings: dict | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "ATTENTIVE_TEST_SETTINGS": json.dumps(settings or {}),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "django", "attentive_send_queued", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"worker exited {process.returncode}:\n{out}\n{err}"
    return out


def start_rqworker(queue: str, *, settings: dict, tasks: dict, log: Path) -> subprocess.Popen:
    """One ``rqworker`` (django-rq) with the scheduler, on ``queue``, against the test database.

    Its own session, so a test can kill it without touching pytest; output goes to ``log``.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database_url(),
        "ATTENTIVE_TEST_SETTINGS": json.dumps(settings),
        "ATTENTIVE_TEST_TASKS": json.dumps(tasks),
        "ATTENTIVE_TEST_RQ_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "django", "rqworker", queue, "--with-scheduler"]
    command += ["--job-class", "django_tasks_rq.Job"]
    with log.open("ab") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
