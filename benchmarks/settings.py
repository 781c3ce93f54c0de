"""Minimal settings for the benchmarks. BENCH_DATABASE_URL picks the database."""

import json
import os

import environ

SECRET_KEY = "benchmarks-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_attentive",
]
DATABASES = {
    "default": environ.Env.db_url_config(
        os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/attentive-bench.sqlite3")
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ATTENTIVE = {
    "BACKEND": "django_attentive.backends.http.HttpBackend",
    "API_TOKEN": "benchmark-token",
    "RATE_LIMIT": 0,  # measure the engine, not the limiter
    "WEBHOOK_SECRET": "benchmarks-only",
    "QUIET_HOURS": None,  # nor the time of day: at night US numbers would be held
    **json.loads(os.environ.get("BENCH_ATTENTIVE", "{}")),
}
LOGGING = {"version": 1, "loggers": {"django_attentive": {"level": "WARNING"}}}

# Django Tasks on RQ (account_limit.py --engine rq sets these for itself and its rqworkers):
# a queue of the run's own next to "default", on which the app's tasks are declared.
if os.environ.get("BENCH_REDIS_URL"):
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUE = os.environ["BENCH_RQ_QUEUE"]
    RQ_QUEUES = {
        name: {"URL": os.environ["BENCH_REDIS_URL"], "DEFAULT_TIMEOUT": 600}
        for name in ("default", RQ_QUEUE)
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", RQ_QUEUE]}}
    ATTENTIVE["TASK_QUEUE"] = RQ_QUEUE
