"""The ATTENTIVE settings dict, read at call time so override_settings works."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from django.db.models import Model

DEFAULTS: dict[str, Any] = {
    "API_TOKEN": "",
    "BASE_URL": "https://client-api.attentivemobile.com",
    "BACKEND": "django_attentive.backends.http.HttpBackend",
    "TIMEOUT": (3.05, 10),
    "ALLOWED_REGIONS": ["US", "CA", "GB"],
    "DEFAULT_REGION": "US",
    "MAX_ATTEMPTS": 5,
    "RETRY_BACKOFF": 30,
    "RETRY_AMBIGUOUS": False,
    "LEASE_SECONDS": 300,
    "RATE_LIMIT": 150,
    "TASK_CONCURRENCY": 8,
    "RATE_LIMITS": {},
    "RATE_LIMIT_REDIS_URL": "",
    "TASK_BACKEND": "default",
    "TASK_QUEUE": "default",
    "BRAND_PREFIX": "",
    "QUIET_HOURS": ("21:00", "08:00"),
    "ORDER_TEMPLATES": {},
    "ORDER_PHONE": None,
    "TEXT_SEND": {},
    "ORDER_EVENTS_AS": "text",
    "ORDER_EVENT_PROPERTIES": None,
    "ORDER_CONTEXT": None,
    "WEBHOOK_SECRET": "",
    "WEBHOOK_MAX_AGE": 86400,
    "ATTRIBUTION_WINDOW": 3 * 86400,
    "CONSENT": {
        "SHOP_NAME": "",
        "TERMS_URL": "",
        "PRIVACY_URL": "",
        "SIGN_UP_SOURCE_IDS": {"MARKETING": "", "TRANSACTIONAL": ""},
        "DISCLOSURE": None,
        "FORM_RATE": "5/minute",
    },
    "CLIENT_USER_ID": None,
    "METRICS_TOKEN": "",
    "COMMERCE_EVENTS": False,
    "COMMERCE_ITEM": None,
    "IDENTIFY_ON_LOGIN": False,
}

#: How every message about the token setting begins.
TOKEN_SETTING = "ATTENTIVE['API_TOKEN']"
TEXT_SEND_OPTIONS = ("messageName", "useShortLinks", "skipFatigue")
ORDER_EVENT_MODES = ("text", "custom_event")


def get(name: str) -> Any:
    """Return one ATTENTIVE setting, falling back to its default."""
    configured = getattr(settings, "ATTENTIVE", None) or {}
    if name in configured:
        return configured[name]
    return DEFAULTS[name]


def callable_setting(name: str, expected: str) -> Callable[..., Any] | None:
    """``ATTENTIVE[name]``: a callable, or the dotted path of one imported now; None when unset.

    A path that cannot be imported, or names something that cannot be called, raises
    ConfigurationError ending in ``expected`` (what the setting should name).
    """
    setting = get(name)
    if not setting:
        return None
    if callable(setting):
        return setting  # type: ignore[no-any-return]
    try:
        found = import_string(str(setting))
    except ImportError as exc:
        raise ConfigurationError(
            f"ATTENTIVE[{name!r}] = {setting!r} cannot be imported ({exc}); give the dotted "
            f"path of {expected}."
        ) from exc
    if not callable(found):
        raise ConfigurationError(
            f"ATTENTIVE[{name!r}] = {setting!r} is not callable; give the dotted path of "
            f"{expected}."
        )
    return found  # type: ignore[no-any-return]


def api_token() -> str:
    """The token without surrounding whitespace (a secret read from a file ends in a newline)."""
    return str(get("API_TOKEN") or "").strip()


def token_problem(token: str) -> str:
    """Why ``token`` cannot go in an HTTP header, or "" when it can. Never quotes the token."""
    for position, char in enumerate(token, start=1):
        if not "!" <= char <= "~":
            what = "a space or control character" if char.isascii() else "a non-ASCII character"
            return (
                f"{TOKEN_SETTING} has {what} at position {position} of {len(token)}, "
                "which cannot be sent in an HTTP header; copy the token again from Attentive."
            )
    return ""


def without_token(text: str) -> str:
    """``text`` with the configured token blanked out, for errors stored or logged."""
    token = api_token()
    return text.replace(token, "[API token]") if len(token) >= 4 else text


def base_url(transport_default: str | None = None) -> str:
    """BASE_URL when set; otherwise the transport's own host (each Attentive API has one)."""
    configured = getattr(settings, "ATTENTIVE", None) or {}
    value = configured.get("BASE_URL") or transport_default or DEFAULTS["BASE_URL"]
    return str(value).rstrip("/")


def timeout() -> tuple[float, float]:
    value = get("TIMEOUT")
    if isinstance(value, int | float):
        return (float(value), float(value))
    connect, read = value
    return (float(connect), float(read))


def allowed_regions() -> list[str]:
    return [region.upper() for region in get("ALLOWED_REGIONS")]


def default_region() -> str:
    return str(get("DEFAULT_REGION")).upper()


def max_attempts() -> int:
    return int(get("MAX_ATTEMPTS"))


def retry_backoff() -> float:
    return float(get("RETRY_BACKOFF"))


def retry_ambiguous() -> bool:
    return bool(get("RETRY_AMBIGUOUS"))


def lease_seconds() -> float:
    return float(get("LEASE_SECONDS"))


#: Attentive's published limit: requests per second per endpoint for the whole account.
ATTENTIVE_RATE_LIMIT = 150
#: Endpoints for which Attentive publishes a limit lower than its 150 requests/s.
BUILT_IN_RATE_LIMITS: dict[str, float] = {
    "/v1/subscriptions": 10,
    "/v1/subscriptions/unsubscribe": 5,
    "/v1/identity-resolution/user-identifiers": 10,
}


def task_concurrency() -> int:
    """Requests one task delivery of a bulk chunk keeps in flight at once (at least 1)."""
    return max(1, int(get("TASK_CONCURRENCY") or 1))


def rate_limit() -> float:
    """Requests/s per endpoint for the whole account; 0 turns the limiter off."""
    return float(get("RATE_LIMIT") or 0)


def rate_limit_for(path: str) -> float:
    """The account's budget for one endpoint: RATE_LIMITS[path], else the lower of RATE_LIMIT
    and Attentive's published limit for it. 0 means no limit (RATE_LIMIT 0 turns all off)."""
    overall = rate_limit()
    if overall <= 0:
        return 0.0
    overrides = get("RATE_LIMITS") or {}
    if path in overrides:
        return max(0.0, float(overrides[path] or 0))
    return min(overall, BUILT_IN_RATE_LIMITS.get(path, overall))


def rate_limit_redis_url() -> str:
    """A Redis URL to share the rate limit through; "" shares it through the database."""
    return str(get("RATE_LIMIT_REDIS_URL") or "")


def brand_prefix() -> str:
    return get("BRAND_PREFIX") or ""


def order_templates() -> dict[str, str | None]:
    """Event -> template key overrides; a None value silences that event."""
    return dict(get("ORDER_TEMPLATES") or {})


def order_phone() -> Callable[[Model], object] | str | None:
    """Where an order keeps its phone: an attribute path, a dotted path to a callable, or one."""
    finder: Callable[[Model], object] | str | None = get("ORDER_PHONE") or None
    return finder


def text_send_options() -> dict[str, object]:
    """``/v1/text/send`` options for every text: messageName, useShortLinks, skipFatigue."""
    return dict(get("TEXT_SEND") or {})


def order_events_as() -> str:
    """How order events reach Attentive: ``"text"`` (our templates) or ``"custom_event"``."""
    return str(get("ORDER_EVENTS_AS") or "text")


def order_event_properties() -> object:
    """A callable (or its dotted path) giving a custom event's properties from the order."""
    return get("ORDER_EVENT_PROPERTIES") or None


def order_context() -> Callable[[Model], Mapping[str, object]] | str | None:
    """A callable (or its dotted path) adding plain values to what templates see of an order."""
    hook: Callable[[Model], Mapping[str, object]] | str | None = get("ORDER_CONTEXT") or None
    return hook


def webhook_secret() -> str:
    return get("WEBHOOK_SECRET") or ""


def webhook_max_age() -> float:
    """Seconds after which a webhook event is too old to lift a suppression."""
    return float(get("WEBHOOK_MAX_AGE"))


def attribution_window() -> float:
    """Seconds after a text during which a webhook event about its number is credited to it."""
    return float(get("ATTRIBUTION_WINDOW"))


def consent() -> dict[str, Any]:
    """ATTENTIVE["CONSENT"] over its defaults: what the consent checkbox says, and where to."""
    configured = get("CONSENT") or {}
    merged = {**DEFAULTS["CONSENT"], **configured}
    merged["SIGN_UP_SOURCE_IDS"] = {
        **DEFAULTS["CONSENT"]["SIGN_UP_SOURCE_IDS"],
        **(configured.get("SIGN_UP_SOURCE_IDS") or {}),
    }
    return merged


def consent_configured() -> bool:
    """True once the project sets ATTENTIVE["CONSENT"]: consent capture is in use."""
    configured = getattr(settings, "ATTENTIVE", None) or {}
    return bool(configured.get("CONSENT"))


def sign_up_source_id(subscription_type: str) -> str:
    """The Attentive sign-up source for a subscription type ("" when none is configured)."""
    return str(consent()["SIGN_UP_SOURCE_IDS"].get(subscription_type) or "").strip()


def commerce_events() -> bool:
    """Whether orders (and the Oscar adapter's views and cart additions) send commerce events."""
    return bool(get("COMMERCE_EVENTS"))


def identify_on_login() -> bool:
    """Whether a customer's login tells Attentive their clientUserId (``identify``)."""
    return bool(get("IDENTIFY_ON_LOGIN"))
