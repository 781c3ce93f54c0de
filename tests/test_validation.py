import pytest

from django_attentive.exceptions import InvalidMessage
from django_attentive.validation import normalize_phone, validate_message


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 201 555 0123", "+12015550123"),
        ("(201) 555-0123", "+12015550123"),  # DEFAULT_REGION US
        ("201.555.0123", "+12015550123"),
        ("+1 416 555 0123", "+14165550123"),  # Toronto
        ("+44 7400 123456", "+447400123456"),  # UK mobile
    ],
)
def test_numbers_are_stored_in_e164(raw, e164):
    assert normalize_phone(raw) == e164


def test_default_region_reads_numbers_without_country_code(attentive):
    attentive(DEFAULT_REGION="GB")
    assert normalize_phone("07400 123456") == "+447400123456"


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"to": "12345"}, "to", "not a valid phone number"),
        ({"to": "call me"}, "to", "not a phone number"),
        ({"to": ""}, "to", "Enter the recipient"),
        ({"to": "+33 6 12 34 56 78"}, "to", "France; Attentive only texts US, CA and GB"),
        ({"body": ""}, "body", "cannot be empty"),
        ({"body": "   \n\t"}, "body", "cannot be empty"),
        ({"body": "x" * 1601}, "body", "at most 1600"),
        ({"media_url": "https://shop.example/banner.bmp"}, "media_url", "GIF, PNG or JPG"),
        ({"media_url": "ftp://shop.example/banner.png"}, "media_url", "not an http(s) URL"),
        ({"message_type": "transactional"}, "message_type", '"TRANSACTIONAL"'),
    ],
)
def test_bad_input_names_the_field_and_what_to_do(kwargs, field, words):
    values = {"to": "+12015550123", "body": "Hello", **kwargs}
    with pytest.raises(InvalidMessage) as caught:
        validate_message(
            values["to"],
            values["body"],
            media_url=values.get("media_url"),
            message_type=values.get("message_type"),
        )
    assert list(caught.value.message_dict) == [field]
    assert words in caught.value.message_dict[field][0]


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(InvalidMessage) as caught:
        validate_message("nope", "", media_url="ftp://x/y.png")
    assert set(caught.value.message_dict) == {"to", "body", "media_url"}


def test_media_url_may_carry_a_query_string():
    clean = validate_message("+12015550123", "Hi", media_url="https://cdn.example/a.JPG?v=3")
    assert clean.media_url == "https://cdn.example/a.JPG?v=3"


def test_allowed_regions_setting_narrows_who_can_be_texted(attentive):
    attentive(ALLOWED_REGIONS=["US"])
    with pytest.raises(InvalidMessage, match="only texts US numbers"):
        validate_message("+44 7400 123456", "Hi")


def test_invalid_message_is_a_django_validation_error():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_message("", "Hi")


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.com/x.png",
        "https://exa%20mple.com/x.png",
        "https://example..com/x.png",
        "https://-example.com/x.png",
        "https://example.com:99999/x.png",
        "https://[::1/x.png",
        "https:///x.png",
        "https://example.com/a b.png",
    ],
)
def test_media_url_must_be_a_well_formed_url(url):
    with pytest.raises(InvalidMessage) as caught:
        validate_message("+12015550123", "Hi", media_url=url)
    assert "media_url" in caught.value.message_dict


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a.png",
        "http://127.0.0.1:8000/static/banner.gif",
        "http://localhost/x.jpeg",
        "https://shop.example/images/a.JPG?v=3#top",
    ],
)
def test_well_formed_media_urls_are_kept(url):
    assert validate_message("+12015550123", "Hi", media_url=url).media_url == url
