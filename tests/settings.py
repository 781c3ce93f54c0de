"""Settings for the test suite. DATABASE_URL picks PostgreSQL; SQLite otherwise."""

import json
import os

import environ

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_tasks_db",  # for the tests of the database task backend
    "django_rq",  # Django Tasks on RQ (tests/test_rq.py): the rqworker command
    "django_tasks_rq",
    "django_attentive",
    "tests.shopapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "static/"

DATABASES = {
    "default": environ.Env.db_url_config(os.environ.get("DATABASE_URL", "sqlite:///:memory:"))
}
if "ENGINE" not in DATABASES["default"]:
    raise ValueError(
        f"DATABASE_URL={os.environ['DATABASE_URL']!r} is not a database URL: "
        "use postgres://user:password@host:port/name, or unset it for SQLite."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several worker threads and processes write at once: wait for the lock, take it up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so worker subprocesses and live servers share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(
            os.environ.get("TMPDIR", "/tmp"), f"attentive-test-{os.getpid()}.sqlite3"
        )
    }
# Django Tasks on RQ (tests/test_rq.py): a queue of this run's own, so that test runs sharing one
# Redis never take each other's jobs; the rqworker processes a test starts are told its name.
# "default" must be there too: the app's tasks are declared on the default queue.
RQ_QUEUE = os.environ.get("ATTENTIVE_TEST_RQ_QUEUE") or f"attentive-test-{os.getpid()}"
RQ_QUEUES = {
    name: {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 120}
    for name in ("default", RQ_QUEUE)
}
if "ATTENTIVE_TEST_TASKS" in os.environ:  # worker subprocesses: the test's TASKS setting
    TASKS = json.loads(os.environ["ATTENTIVE_TEST_TASKS"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ATTENTIVE = {
    "BACKEND": "django_attentive.backends.locmem.LocmemBackend",
    "API_TOKEN": "test-token-s3cr3t",
    "BASE_URL": "https://attentive.invalid",
    "WEBHOOK_SECRET": "test-webhook-secret",
    # Off by default so tests do not depend on the time of day; test_quiet_hours turns it on.
    "QUIET_HOURS": None,
    # Worker subprocesses started by tests get their settings from the test through this.
    **json.loads(os.environ.get("ATTENTIVE_TEST_SETTINGS", "{}")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"django_attentive": {"level": "DEBUG"}},
}
