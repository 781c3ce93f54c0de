"""The consent disclosure: the words next to the checkbox, built from ATTENTIVE["CONSENT"].

Pure (settings in, text out). What a disclosure must say follows Attentive's legal-language
rules for API sign-ups and the TCPA: recurring automated marketing texts, from whom, to the
number given, consent not a condition of purchase, message frequency, message and data rates,
HELP and STOP, and links to the terms and the privacy policy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import translation

from . import conf
from .exceptions import ConfigurationError

MARKETING = "MARKETING"
TRANSACTIONAL = "TRANSACTIONAL"
#: The types a shop collects consent for; each has its own Attentive sign-up source.
SUBSCRIPTION_TYPES = (MARKETING, TRANSACTIONAL)
PLACEHOLDERS = ("{shop_name}", "{terms_url}", "{privacy_url}")

_COMMON = (
    "from {shop_name} at the number provided. Consent is not a condition of purchase. "
    "Msg frequency varies. Msg & data rates may apply. Reply HELP for help and STOP to cancel. "
    "Terms: {terms_url} Privacy: {privacy_url}"
)
BUILT_IN = {
    MARKETING: "By checking this box, you agree to receive recurring automated marketing text "
    "messages (e.g. cart reminders and offers) " + _COMMON,
    TRANSACTIONAL: "By checking this box, you agree to receive automated text messages about "
    "your orders (confirmations, shipping and delivery updates) " + _COMMON,
}

# What an English disclosure must say: (what, pattern, the types it applies to), matched
# case-insensitively except the HELP and STOP keywords.
_ALL = SUBSCRIPTION_TYPES
_ENGLISH_ELEMENTS = (
    ("that the texts are recurring", r"\brecurring\b", (MARKETING,)),
    ("that the texts are automated", r"\bautomated\b", _ALL),
    ("that the texts are marketing", r"\bmarketing\b", (MARKETING,)),
    ("the number they go to", r"\bnumber (provided|given|entered|you (gave|entered))", _ALL),
    ("that consent is not a condition of purchase", r"not a condition of (any )?purchase", _ALL),
    ("that message frequency varies", r"\b(msg|message) frequency varies", _ALL),
    ("that message and data rates may apply", r"\b(msg|message) (&|and) data rates may", _ALL),
    ("how to get help (reply HELP)", r"(?-i:\bHELP\b)", _ALL),
    ("how to stop (reply STOP)", r"(?-i:\bSTOP\b)", _ALL),
)


@dataclass(frozen=True)
class Disclosure:
    """The text as shown next to the checkbox, and its SHA-256 (the checkbox's value)."""

    text: str
    sha256: str
    subscription_type: str
    locale: str  # the DISCLOSURE key used; "" for the built-in text


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_locale(locale: str) -> str:
    """``en_US``, ``en-us`` and ``EN-US`` are one locale: ``en-us``."""
    return locale.strip().replace("_", "-").lower()


def check_type(subscription_type: object) -> str:
    if subscription_type not in SUBSCRIPTION_TYPES:
        raise ValueError(
            f"{subscription_type!r} is not a subscription type; use "
            f'"{MARKETING}" or "{TRANSACTIONAL}" (in capitals).'
        )
    return str(subscription_type)


def template_for(subscription_type: str, locale: str | None = None) -> tuple[str, str]:
    """The disclosure template for a type and locale, and the DISCLOSURE key it came from.

    ``locale`` defaults to the active language; an override for ``fr-ca`` is used for
    ``fr-CA``, else one for ``fr``, else the built-in English text.
    """
    subscription_type = check_type(subscription_type)
    wanted = normalize_locale(locale or translation.get_language() or "")
    overrides = {
        normalize_locale(str(key)): value
        for key, value in (conf.consent().get("DISCLOSURE") or {}).items()
    }
    for key in (wanted, wanted.split("-")[0]):
        value = overrides.get(key)
        if isinstance(value, Mapping):
            value = value.get(subscription_type)
        elif subscription_type != MARKETING:
            value = None  # a plain text is the marketing disclosure
        if value:
            return str(value), key
    return BUILT_IN[subscription_type], ""


def fill(template: str) -> str:
    """Put the shop's name and links into a disclosure template."""
    settings = conf.consent()
    values = {
        "{shop_name}": str(settings["SHOP_NAME"] or "").strip(),
        "{terms_url}": str(settings["TERMS_URL"] or "").strip(),
        "{privacy_url}": str(settings["PRIVACY_URL"] or "").strip(),
    }
    text = template
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return " ".join(text.split())  # one line, as a label shows it


def missing_settings() -> list[str]:
    """The CONSENT keys a disclosure needs that are empty."""
    settings = conf.consent()
    return [key for key in ("SHOP_NAME", "TERMS_URL", "PRIVACY_URL") if not settings.get(key)]


def disclosure(subscription_type: str, locale: str | None = None) -> Disclosure:
    """The disclosure to show for ``subscription_type`` in ``locale`` (default: active language).

    Raises ConfigurationError when SHOP_NAME, TERMS_URL or PRIVACY_URL is not set: a
    disclosure without them would not be valid consent.
    """
    missing = missing_settings()
    if missing:
        raise ConfigurationError(
            f"ATTENTIVE['CONSENT'] needs {', '.join(missing)} before the app can ask for consent "
            "to texts; the disclosure names the shop and links to its terms and privacy policy."
        )
    template, key = template_for(subscription_type, locale)
    text = fill(template)
    return Disclosure(text, digest(text), subscription_type, key)


def missing_elements(text: str, subscription_type: str, locale: str = "") -> list[str]:
    """What ``text`` fails to say of what the rules require (an English text is read in full;
    in another language only the shop's name and the two links can be checked)."""
    settings = conf.consent()
    missing = []
    shop, terms, privacy = (
        str(settings[key] or "").strip() for key in ("SHOP_NAME", "TERMS_URL", "PRIVACY_URL")
    )
    if shop and shop.lower() not in text.lower():
        missing.append(f"who sends the texts ({shop!r} or {{shop_name}})")
    if terms and terms not in text:
        missing.append("a link to the terms ({terms_url})")
    if privacy and privacy not in text:
        missing.append("a link to the privacy policy ({privacy_url})")
    if locale and not normalize_locale(locale).startswith("en"):
        return missing
    for what, pattern, types in _ENGLISH_ELEMENTS:
        if subscription_type in types and not re.search(pattern, text, re.IGNORECASE):
            missing.append(what)
    return missing
