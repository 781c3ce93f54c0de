"""System checks for consent capture, run only once ATTENTIVE["CONSENT"] is set.

Projects that collect no consent (no CONSENT key) see none of them: the sign-up form is not
served and ``ConsentField`` refuses to render without the shop's name and links.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.checks import CheckMessage, Error, Warning, register

from . import conf
from .disclosure import (
    MARKETING,
    SUBSCRIPTION_TYPES,
    fill,
    missing_elements,
    missing_settings,
)
from .exceptions import ConfigurationError
from .storefront.throttle import parse_rate


@register("django_attentive")
def check_consent(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    if not conf.consent_configured():
        return []
    return [*_check_required_settings(), *_check_sources(), *_check_overrides(), *_check_rate()]


def _check_required_settings() -> list[CheckMessage]:
    return [
        Error(
            f"ATTENTIVE['CONSENT']['{key}'] is empty, so no valid consent can be collected: "
            "the disclosure must name the shop and link to its terms and privacy policy.",
            hint="Set it, e.g. 'TERMS_URL': 'https://shop.example/terms-sms'.",
            id="django_attentive.E030",
        )
        for key in missing_settings()
    ]


def _check_sources() -> list[CheckMessage]:
    return [
        Warning(
            f"ATTENTIVE['CONSENT']['SIGN_UP_SOURCE_IDS']['{kind}'] is empty: consent to "
            f"{kind.lower()} texts is recorded but subscribing the number fails.",
            hint="Ask Attentive for an API sign-up unit of this type (Sign-up Units tab, ID "
            "column) and set its id.",
            id="django_attentive.W032",
        )
        for kind in SUBSCRIPTION_TYPES
        if not conf.sign_up_source_id(kind)
    ]


def _check_overrides() -> list[CheckMessage]:
    overrides = conf.consent().get("DISCLOSURE")
    if overrides is None:
        return []
    if not isinstance(overrides, Mapping):
        return [
            Error(
                "ATTENTIVE['CONSENT']['DISCLOSURE'] must be None or a dict {locale: text}.",
                hint='e.g. {"fr-ca": "En cochant cette case, ..."}; a text may be a dict '
                '{"MARKETING": ..., "TRANSACTIONAL": ...}.',
                id="django_attentive.E031",
            )
        ]
    messages: list[CheckMessage] = []
    for locale, value in overrides.items():
        texts = value if isinstance(value, Mapping) else {MARKETING: value}
        for kind, text in texts.items():
            messages += _check_text(str(locale), str(kind), text)
    return messages


def _check_text(locale: str, kind: str, text: object) -> list[CheckMessage]:
    where = f"ATTENTIVE['CONSENT']['DISCLOSURE'][{locale!r}]" + (
        "" if kind == MARKETING else f"[{kind!r}]"
    )
    if kind not in SUBSCRIPTION_TYPES or not isinstance(text, str) or not text.strip():
        return [
            Error(
                f"{where} is not a disclosure text for MARKETING or TRANSACTIONAL.",
                hint="Give the text as a string, with {shop_name}, {terms_url} and "
                "{privacy_url} where the settings should go.",
                id="django_attentive.E031",
            )
        ]
    missing = missing_elements(fill(text), kind, locale)
    messages: list[CheckMessage] = []
    if missing:
        messages.append(
            Error(
                f"{where} does not say {'; '.join(missing)}.",
                hint="Attentive and the TCPA require each of these in the text next to the "
                "checkbox; the built-in text (DISCLOSURE None) has them all.",
                id="django_attentive.E032",
            )
        )
    if not locale.lower().startswith("en"):
        messages.append(
            Warning(
                f"{where} is not English, so only the shop's name and links were checked.",
                hint="Have it reviewed: it must say everything the English text says.",
                id="django_attentive.W033",
            )
        )
    return messages


def _check_rate() -> list[CheckMessage]:
    try:
        parse_rate(conf.consent().get("FORM_RATE"))
    except ConfigurationError as exc:
        return [Error(str(exc), id="django_attentive.E033")]
    return []
