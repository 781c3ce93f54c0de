"""Check and normalise a message's fields. Pure functions: no database, no network."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from . import conf
from .exceptions import InvalidMessage

TRANSACTIONAL = "TRANSACTIONAL"
MEDIA_EXTENSIONS = (".gif", ".png", ".jpg", ".jpeg")
MAX_BODY_LENGTH = 1600  # ten concatenated segments; carriers drop longer texts
MAX_MEDIA_URL_LENGTH = 2000
MAX_MESSAGE_ID_LENGTH = 255
# phonenumbers' geocoder would name every country but costs ~100 MB of memory per process;
# the regions people most often mistype get a name, the rest their code.
COUNTRY_NAMES = {
    "AU": "Australia", "BR": "Brazil", "CN": "China", "DE": "Germany", "ES": "Spain",
    "FR": "France", "GB": "the United Kingdom", "IE": "Ireland", "IN": "India", "IT": "Italy",
    "JM": "Jamaica", "JP": "Japan", "MX": "Mexico", "NL": "the Netherlands", "NZ": "New Zealand",
    "PH": "the Philippines", "PR": "Puerto Rico", "US": "the United States", "CA": "Canada",
    "BS": "the Bahamas", "DO": "the Dominican Republic", "GU": "Guam", "GG": "Guernsey",
    "VI": "the US Virgin Islands", "JE": "Jersey", "IM": "the Isle of Man",
}  # fmt: skip


@dataclass(frozen=True)
class CleanMessage:
    to: str  # E.164
    body: str
    media_url: str
    message_id: str
    message_type: str  # "" or "TRANSACTIONAL"


def _region_list(regions: list[str]) -> str:
    return ", ".join(regions[:-1]) + f" and {regions[-1]}" if len(regions) > 1 else regions[0]


def normalize_phone(value: object) -> str:
    """Return ``value`` as an E.164 number Attentive can text, or raise ValueError saying why."""
    text = str(value or "").strip()
    if not text:
        raise ValueError("Enter the recipient's phone number, e.g. +1 201 555 0123.")
    region = conf.default_region()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"'{text}' is not a phone number. Write it with its country code, e.g. +1 201 555 0123."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"'{text}' is not a valid phone number. Check the digits and write it "
            f"with its country code (numbers without one are read as {region})."
        )
    number_region = phonenumbers.region_code_for_number(number) or "ZZ"
    allowed = conf.allowed_regions()
    if number_region not in allowed:
        country = COUNTRY_NAMES.get(number_region, f"region {number_region}")
        raise ValueError(
            f"'{text}' is a number from {country}; Attentive only texts "
            f"{_region_list(allowed)} numbers."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_body(body: object, forbidden: str = "") -> str:
    """The body as given, or ValueError; ``forbidden`` are characters the transport cannot carry."""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("Write the text to send; the body cannot be empty.")
    _refuse_nul(body, "The body")
    if len(body) > MAX_BODY_LENGTH:
        raise ValueError(
            f"The body is {len(body)} characters; shorten it to at most {MAX_BODY_LENGTH}."
        )
    found = next((char for char in body if char in forbidden), None)
    if found is not None:
        raise ValueError(forbidden_character_message(found, forbidden))
    return body


def forbidden_character_message(character: str, forbidden: str) -> str:
    """Why a body with ``character`` is refused; the compose counter shows the same words."""
    listed = " or ".join(forbidden)
    return (
        f"The body contains '{character}': Attentive's current API (/v1/text/send) "
        f"silently drops any text containing {listed}, so it would never arrive. "
        "Remove the braces or use ( ) instead."
    )


_MEDIA_URL = URLValidator(schemes=["http", "https"])


def check_media_url(url: object) -> str:
    """The media URL, checked: a well-formed http(s) URL to a GIF, PNG or JPG; "" for none."""
    if url in (None, ""):
        return ""
    text = str(url).strip()
    _refuse_nul(text, "The media URL")
    if len(text) > MAX_MEDIA_URL_LENGTH:
        raise ValueError(f"The media URL is too long; keep it under {MAX_MEDIA_URL_LENGTH}.")
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{text}' is not an http(s) URL. Give a link starting with https://.")
    try:
        _MEDIA_URL(text)
        parts.port  # noqa: B018 (a port past 65535 raises ValueError)
    except (ValidationError, ValueError):
        raise ValueError(
            f"'{text}' is not a well-formed URL (check the host name for spaces or stray "
            "characters, and encode spaces in the path as %20)."
        ) from None
    if not parts.path.lower().endswith(MEDIA_EXTENSIONS):
        raise ValueError(
            f"'{text}' is not a GIF, PNG or JPG image; Attentive only sends those "
            "(under 500 KB). Link to a .gif, .png or .jpg file."
        )
    return text


def check_message_id(message_id: object) -> str:
    if message_id in (None, ""):
        return ""
    text = str(message_id).strip()
    _refuse_nul(text, "The messageId")
    if len(text) > MAX_MESSAGE_ID_LENGTH:
        raise ValueError(f"The messageId is too long; keep it under {MAX_MESSAGE_ID_LENGTH}.")
    return text


def _refuse_nul(text: str, what: str) -> None:
    """A NUL character can be neither stored (PostgreSQL refuses it) nor texted."""
    if "\x00" in text:
        raise ValueError(f"{what} contains a NUL character (\\x00); remove it.")


def check_message_type(message_type: object) -> str:
    if message_type in (None, "", False):
        return ""
    if message_type is True or message_type == TRANSACTIONAL:
        return TRANSACTIONAL
    raise ValueError(
        f"'{message_type}' is not a message type Attentive knows; use \"TRANSACTIONAL\" "
        "(exactly so, in capitals) or leave it out."
    )


def validate_message(
    to: object,
    body: object,
    *,
    media_url: object = None,
    message_id: object = None,
    message_type: object = None,
    forbidden_characters: str = "",
) -> CleanMessage:
    """Check every field, raising one InvalidMessage that lists each problem by field.

    ``forbidden_characters`` are those the transport cannot carry in a body (the caller asks
    ``backends.forbidden_body_characters()``; validation itself knows no transport).
    """
    checks = {
        "to": (normalize_phone, to),
        "body": (lambda value: check_body(value, forbidden_characters), body),
        "media_url": (check_media_url, media_url),
        "message_id": (check_message_id, message_id),
        "message_type": (check_message_type, message_type),
    }
    clean: dict[str, str] = {}
    errors: dict[str, list[str] | str] = {}
    for field, (check, value) in checks.items():
        try:
            clean[field] = check(value)
        except ValueError as exc:
            errors[field] = [str(exc)]
    if errors:
        raise InvalidMessage(errors)
    return CleanMessage(**clean)
