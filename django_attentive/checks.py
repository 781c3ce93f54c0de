"""System checks (``manage.py check``) for the ATTENTIVE settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.utils.module_loading import import_string

from . import conf, quiet_hours
from .models import OutboundMessage
from .sending.db_retry import RECOMMENDED_OPTIONS

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
HTTP_BACKEND = "django_attentive.backends.http.AttentiveHttpBackend"
MESSAGES_BACKEND = "django_attentive.backends.http.HttpBackend"
TEXT_SEND_BACKEND = "django_attentive.backends.text_send.TextSendBackend"


@register("django_attentive")
def check_settings(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    backend_class = _backend_class()
    return [
        *_check_backend(backend_class),
        *_check_base_url(backend_class),
        *_check_regions(),
        *_check_text_send(),
        *_check_order_events_as(backend_class),
        *_check_quiet_hours(),
        *_check_webhook_secret(),
        *_check_rate_limits(),
    ]


def _backend_class() -> type | None:
    """The configured transport's class, or None when it cannot be imported (E004 says so)."""
    try:
        backend_class: type = import_string(conf.get("BACKEND"))
    except ImportError:
        return None
    return backend_class


def _check_backend(backend_class: type | None) -> list[CheckMessage]:
    if backend_class is None:
        path = conf.get("BACKEND")
        return [
            Error(
                f"ATTENTIVE['BACKEND'] = {path!r} cannot be imported.",
                hint=f"Use {TEXT_SEND_BACKEND!r} (or .http.HttpBackend, "
                ".console.ConsoleBackend, .locmem.LocmemBackend).",
                id="django_attentive.E004",
            )
        ]
    http_class = import_string(HTTP_BACKEND)
    if not issubclass(backend_class, http_class):
        return []
    if not conf.api_token():
        return [
            Error(
                "ATTENTIVE['API_TOKEN'] is empty but the http backend needs it.",
                hint="Set it from the environment (e.g. ATTENTIVE_API_TOKEN); nothing is sent "
                "until it is there.",
                id="django_attentive.E001",
            )
        ]
    if problem := conf.token_problem(conf.api_token()):
        return [
            Error(
                problem,
                hint="Texts wait in the outbox until the token is fixed.",
                id="django_attentive.E009",
            )
        ]
    return []


def _check_base_url(backend_class: type | None) -> list[CheckMessage]:
    default = getattr(backend_class, "default_base_url", None)
    url = conf.base_url(default)
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.hostname or "") in LOCAL_HOSTS:
        return []
    return [
        Warning(
            f"ATTENTIVE['BASE_URL'] = {url!r} is not https; the API token would travel in clear.",
            hint="Use https://client-api.attentivemobile.com (plain http only for a local fake).",
            id="django_attentive.W002",
        )
    ]


def _rate_problem(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float) or value < 0


def _check_rate_limits() -> list[CheckMessage]:
    """RATE_LIMIT and RATE_LIMITS are requests/s (0 or more); the Redis URL needs redis."""
    errors: list[CheckMessage] = []
    overall = conf.get("RATE_LIMIT")
    overrides = conf.get("RATE_LIMITS")
    if _rate_problem(overall):
        errors.append(
            Error(
                f"ATTENTIVE['RATE_LIMIT'] = {overall!r} is not a number of requests per second.",
                hint="Use 150 (Attentive's limit per endpoint for the whole account), or 0 to "
                "turn the limiter off.",
                id="django_attentive.E060",
            )
        )
    elif overall > conf.ATTENTIVE_RATE_LIMIT:
        errors.append(
            Warning(
                f"ATTENTIVE['RATE_LIMIT'] = {overall!r} is above Attentive's "
                f"{conf.ATTENTIVE_RATE_LIMIT} requests/s per endpoint: expect 429s.",
                hint="It is the budget of the whole account, shared by every process; "
                f"use {conf.ATTENTIVE_RATE_LIMIT}.",
                id="django_attentive.W060",
            )
        )
    bad = (
        [repr(overrides)]
        if not isinstance(overrides, dict)
        else [
            f"{path!r}: {rate!r}"
            for path, rate in overrides.items()
            if not (isinstance(path, str) and path.startswith("/")) or _rate_problem(rate)
        ]
    )
    if bad:
        errors.append(
            Error(
                "ATTENTIVE['RATE_LIMITS'] must map endpoint paths to requests/s: "
                f"{', '.join(bad)}.",
                hint='For example {"/v1/subscriptions": 10}; 0 leaves that endpoint unlimited.',
                id="django_attentive.E061",
            )
        )
    if conf.rate_limit_redis_url():
        try:
            import redis  # noqa: F401
        except ImportError:
            errors.append(
                Error(
                    "ATTENTIVE['RATE_LIMIT_REDIS_URL'] is set but the redis package is missing.",
                    hint="pip install 'django-attentive[redis]', or remove the setting to share "
                    "the rate limit through the database.",
                    id="django_attentive.E062",
                )
            )
    return errors


def _check_regions() -> list[CheckMessage]:
    known = phonenumbers.SUPPORTED_REGIONS
    errors: list[CheckMessage] = []
    unknown = [code for code in conf.allowed_regions() if code not in known]
    if unknown:
        errors.append(
            Error(
                f"ATTENTIVE['ALLOWED_REGIONS'] has unknown region codes: {', '.join(unknown)}.",
                hint="Use ISO 3166 codes as phonenumbers knows them; Attentive texts "
                "US, CA and GB.",
                id="django_attentive.E003",
            )
        )
    if conf.default_region() not in known:
        errors.append(
            Error(
                f"ATTENTIVE['DEFAULT_REGION'] = {conf.default_region()!r} is not a region code.",
                hint="Use e.g. 'US' or 'GB'.",
                id="django_attentive.E005",
            )
        )
    return errors


@register(Tags.database)
def check_token_accepted(
    app_configs: object = None, databases: object = None, **kwargs: object
) -> list[CheckMessage]:
    """With ``--database``: shout if the latest request was refused for the configuration."""
    if not databases:
        return []
    from .health import latest_refusal

    try:
        refusal = latest_refusal()
    except DatabaseError:  # not migrated yet: nothing was sent, so nothing was refused
        return []
    if refusal is None:
        return []
    token = refusal.fix.endswith("TOKEN']")
    return [
        Error(
            f"Attentive refused {refusal.what} at {refusal.at:%Y-%m-%d %H:%M:%S %Z}; "
            "texts are waiting.",
            hint=f"Fix {refusal.fix}; queued texts go out once a request succeeds.",
            id="django_attentive.E006" if token else "django_attentive.E010",
        )
    ]


def _check_text_send() -> list[CheckMessage]:
    options = conf.get("TEXT_SEND") or {}
    if not isinstance(options, dict):
        return [
            Error(
                "ATTENTIVE['TEXT_SEND'] must be a dict.",
                hint='e.g. {"messageName": "order-updates", "useShortLinks": True}',
                id="django_attentive.E020",
            )
        ]
    errors: list[CheckMessage] = []
    unknown = sorted(set(options) - set(conf.TEXT_SEND_OPTIONS))
    if unknown:
        errors.append(
            Error(
                f"ATTENTIVE['TEXT_SEND'] has unknown keys: {', '.join(unknown)}.",
                hint=f"Use {', '.join(conf.TEXT_SEND_OPTIONS)} (Attentive's spelling).",
                id="django_attentive.E023",
            )
        )
    if options.get("useShortLinks") and not options.get("messageName"):
        errors.append(
            Error(
                "ATTENTIVE['TEXT_SEND'] turns on useShortLinks without a messageName; "
                "Attentive refuses every such text.",
                hint='Add "messageName", e.g. "order-updates" (it names the texts in reports).',
                id="django_attentive.E021",
            )
        )
    return errors


def _check_order_events_as(backend_class: type | None) -> list[CheckMessage]:
    mode = conf.order_events_as()
    if mode not in conf.ORDER_EVENT_MODES:
        return [
            Error(
                f"ATTENTIVE['ORDER_EVENTS_AS'] = {mode!r} is not a mode.",
                hint='Use "text" (our templates) or "custom_event" (Attentive\'s journeys).',
                id="django_attentive.E022",
            )
        ]
    if backend_class is None:
        return []  # E004 says so
    legacy = issubclass(backend_class, import_string(MESSAGES_BACKEND))
    if mode == "custom_event" and legacy:
        return [
            Warning(
                "ORDER_EVENTS_AS is 'custom_event' but BACKEND is the archived Messages API; "
                "custom events are part of Attentive's current API and its API key.",
                hint=f"Set BACKEND to {TEXT_SEND_BACKEND!r} with a custom app's API key "
                "(the docs' Migrating to /v1/text/send page says how).",
                id="django_attentive.W020",
            )
        ]
    return []


def _check_quiet_hours() -> list[CheckMessage]:
    try:
        quiet_hours.configured_window()
    except ValueError as exc:
        return [
            Error(
                str(exc),
                hint="Write QUIET_HOURS as ('21:00', '08:00'): recipient-local start and end.",
                id="django_attentive.E008",
            )
        ]
    return []


def _check_webhook_secret() -> list[CheckMessage]:
    if conf.webhook_secret():
        return []
    return [
        Warning(
            "ATTENTIVE['WEBHOOK_SECRET'] is empty: the webhook endpoint refuses every event, so "
            "opt-outs reach the suppression list only through Attentive's 400 and 404 answers.",
            hint="Set it to the webhook's signing key from Attentive (from the environment, e.g. "
            "ATTENTIVE_WEBHOOK_SECRET), or silence django_attentive.W007 if you use no webhooks.",
            id="django_attentive.W007",
        )
    ]


@register("django_attentive")
def check_sqlite_options(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Warn when the outbox's SQLite database would make concurrent workers fail as locked."""
    aliases = dict.fromkeys([DEFAULT_DB_ALIAS, router.db_for_write(OutboundMessage)])
    warnings: list[CheckMessage] = []
    for alias in aliases:
        if alias in connections and connections[alias].vendor == "sqlite":
            warnings += _check_sqlite_database(alias, connections[alias].settings_dict)
    return warnings


def _check_sqlite_database(alias: str, database: dict[str, Any]) -> list[CheckMessage]:
    """W030 for one SQLite database's settings, unless it has IMMEDIATE, a timeout and WAL.

    A deferred transaction that reads, then writes, cannot wait for another's write lock:
    SQLite refuses it as locked at once, whatever the timeout. IMMEDIATE takes the lock at
    BEGIN, where the timeout applies; WAL lets readers and the writer go on together.
    """
    name = str(database.get("NAME") or "")
    if name in ("", ":memory:") or "mode=memory" in name:
        return []  # private to one process: no other worker can lock it
    options = database.get("OPTIONS") or {}
    missing = []
    if str(options.get("transaction_mode", "")).upper() not in ("IMMEDIATE", "EXCLUSIVE"):
        missing.append('"transaction_mode": "IMMEDIATE"')
    if "timeout" not in options:
        missing.append('a "timeout"')
    if "journal_mode=wal" not in str(options.get("init_command", "")).lower().replace(" ", ""):
        missing.append('"PRAGMA journal_mode=WAL;" in "init_command"')
    if not missing:
        return []
    return [
        Warning(
            f"DATABASES[{alias!r}] is SQLite without {', '.join(missing)} in its OPTIONS: "
            "attentive_send_queued workers running at once (or a worker and the site) fail "
            'with "database is locked".',
            hint=f'Set DATABASES[{alias!r}]["OPTIONS"] = {RECOMMENDED_OPTIONS} (Django 5.1+), '
            "or use PostgreSQL; silence django_attentive.W030 if you never write to it from "
            "two processes at once.",
            id="django_attentive.W030",
        )
    ]
