"""System checks (``manage.py check``) for the ATTENTIVE settings."""

from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from . import conf

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
HTTP_BACKEND = "django_attentive.backends.http.HttpBackend"


@register("django_attentive")
def check_settings(app_configs: object = None, **kwargs: object) -> list:
    return [
        *_check_backend(),
        *_check_base_url(),
        *_check_regions(),
        *_check_quiet_hours(),
        *_check_webhook_secret(),
    ]


def _check_backend() -> list:
    path = conf.get("BACKEND")
    try:
        backend_class = import_string(path)
    except ImportError:
        return [
            Error(
                f"ATTENTIVE['BACKEND'] = {path!r} cannot be imported.",
                hint="Use 'django_attentive.backends.http.HttpBackend' (or "
                ".console.ConsoleBackend, .locmem.LocmemBackend).",
                id="django_attentive.E004",
            )
        ]
    http_class = import_string(HTTP_BACKEND)
    if issubclass(backend_class, http_class) and not conf.api_token():
        return [
            Error(
                "ATTENTIVE['API_TOKEN'] is empty but the http backend needs it.",
                hint="Set it from the environment (e.g. ATTENTIVE_API_TOKEN); nothing is sent "
                "until it is there.",
                id="django_attentive.E001",
            )
        ]
    return []


def _check_base_url() -> list:
    url = conf.base_url()
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


def _check_regions() -> list:
    known = phonenumbers.SUPPORTED_REGIONS
    errors = []
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


def _check_quiet_hours() -> list:
    try:
        conf.quiet_hours()
    except ValueError as exc:
        return [
            Error(
                str(exc),
                hint="Write QUIET_HOURS as ('21:00', '08:00'): recipient-local start and end.",
                id="django_attentive.E006",
            )
        ]
    return []


def _check_webhook_secret() -> list:
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
