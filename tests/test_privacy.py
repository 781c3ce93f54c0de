"""PII in logs: every line of the django_attentive logger masks phone numbers; no bodies at INFO."""

from __future__ import annotations

import logging

import pytest
import responses

from django_attentive import send_message, suppress
from django_attentive.privacy import MaskPhonesFilter, mask_phone, mask_phones_in

NUMBER = "+12015550123"
DIGITS = "2015550123"


def test_mask_phone_keeps_the_first_and_last_four_digits_as_style_md_shows():
    assert mask_phone(NUMBER) == "+1201•••0123"
    assert mask_phone("+447700900123") == "+4477•••0123"
    assert mask_phone("+353851234567") == "+3538•••4567"
    assert mask_phone("2015550123") == "•••0123"
    assert mask_phone("123") == "•••"
    assert mask_phone("12345678") == "•••"
    assert mask_phone("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # International, however it is grouped.
        ("+12015550123", "+1201•••0123"),
        ("+1 201 555 0123", "+1201•••0123"),
        ("+1 (201) 555-0123", "+1201•••0123"),
        ("+1.201.555.0123", "+1201•••0123"),
        ("+44 20 7946 0000", "+4420•••0000"),
        ("+44 (0)20 7946 0000", "+4402•••0000"),
        ("+447700900123", "+4477•••0123"),
        ("+33 6 12 34 56 78", "+3361•••5678"),
        # North American, as customers and shops write them.
        ("(201) 555-0123", "•••0123"),
        ("(201)555-0123", "•••0123"),
        ("201-555-0123", "•••0123"),
        ("201.555.0123", "•••0123"),
        ("201 555 0123", "•••0123"),
        ("2015550123", "•••0123"),
        ("12015550123", "•••0123"),
        ("1-201-555-0123", "•••0123"),
        ("1 (201) 555-0123", "•••0123"),
        # UK national, with the trunk 0.
        ("020 7946 0000", "•••0000"),
        ("(020) 7946 0000", "•••0000"),
        ("07700 900123", "•••0123"),
        ("07700900123", "•••0123"),
        # Inside the sentences the app logs.
        (
            "Subscriber +12015550123 is opted-out",
            "Subscriber +1201•••0123 is opted-out",
        ),
        (
            "'(201) 555-0199' is not a valid phone number.",
            "'•••0199' is not a valid phone number.",
        ),
        (
            "'+33 6 12 34 56 78' is a number from France",
            "'+3361•••5678' is a number from France",
        ),
        ('{"phone": "2015550123", "id": 100234}', '{"phone": "•••0123", "id": 100234}'),
        ("to 2015550123, 2015550199.", "to •••0123, •••0199."),
        (
            "Suppressed +12015550123 at 2025-01-02 13:00",
            "Suppressed +1201•••0123 at 2025-01-02 13:00",
        ),
    ],
)
def test_phone_numbers_in_text_are_masked(text, expected):
    assert mask_phones_in(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-02 13:00",
        "2025-01-02 13:00:00",
        "since 2025-01-02 13:00 UTC",
        "2025-01-02T13:00:00Z",
        "2025-07-01T12:00:00.123456+00:00",
        "2025-07-01T12:00:00-04:00",
        "20250102T130000Z",
        "20250102130000",
        "01.02.2025 13:00",
        "02/01/2025 13:00",
        "Thu, 02 Jan 2025 13:00:00 +0000",
        "Thu Jan 02 13:00:00 +0000 2025",
        "timestamp 1735822800000",
        "epoch 1735822800",
        "0:00:01.234567",
        "1 day, 2:03:04",
        "123e4567-e89b-12d3-a456-426614174000",
        "12345678-1234-5678-1234-567812345678",
        "3f2b8c4e9d0a4b1c8e7f6a5b4c3d2e1f",
        "took 1234 ms",
        "took 12.345678 s",
        "order 100234",
        "order #1001 shipped",
        "order 1002345678",  # area code 100 does not exist
        "Text #123456 to +1201•••0123 is sent",
        "Queued 15000 texts in bulk (12 suppressed)",
        "ratio 0.0123456789",
        "host 192.168.100.200",
        "django-attentive 1.201.555",
        'File "/srv/shop/django_attentive/services.py", line 1234, in deliver',
        "<Response [503]> at 0x7f3a2015550123",
    ],
)
def test_dates_times_ids_and_durations_are_left_alone(text):
    assert mask_phones_in(text) == text


def test_filter_masks_messages_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("django_attentive")
    with caplog.at_level(logging.DEBUG, logger="django_attentive"):
        logger.info("to " + NUMBER)
        logger.warning("to %s: %s", NUMBER, ValueError(f"bad {NUMBER}"))
        logger.info("to %(to)s", {"to": NUMBER})
        try:
            raise RuntimeError(f"cannot text {NUMBER}")
        except RuntimeError:
            logger.exception("failed")
    assert DIGITS not in caplog.text
    assert caplog.text.count("+1201•••0123") >= 4


def test_filter_keeps_dates_in_log_lines_readable(caplog):
    logger = logging.getLogger("django_attentive")
    reason = "Held for quiet hours (21:00–08:00 in America/New_York) until 2025-07-01 12:00 UTC."
    with caplog.at_level(logging.INFO, logger="django_attentive"):
        logger.info("Text #%s to %s not sent: %s", 100234, NUMBER, reason)
        logger.info("Purged 3 texts from before 2025-01-02 13:00:00.123456+00:00; took 1234 ms")
    assert caplog.messages == [
        f"Text #100234 to +1201•••0123 not sent: {reason}",
        "Purged 3 texts from before 2025-01-02 13:00:00.123456+00:00; took 1234 ms",
    ]


def test_filter_leaves_numbers_that_are_not_text_alone():
    record = logging.LogRecord(
        "django_attentive", logging.INFO, "", 0, "%s texts, %d", (12345678901, 12345678901), None
    )
    MaskPhonesFilter().filter(record)
    assert record.getMessage() == "12345678901 texts, 12345678901"


def test_the_filter_is_installed_on_the_apps_logger():
    assert any(
        isinstance(f, MaskPhonesFilter) for f in logging.getLogger("django_attentive").filters
    )


@pytest.mark.django_db
@responses.activate
def test_a_send_that_fails_logs_no_number_and_no_body(
    http_backend, caplog, django_capture_on_commit_callbacks
):
    responses.post(http_backend, json={"message": f"Subscriber {NUMBER} is opted-out"}, status=400)
    with caplog.at_level(logging.DEBUG, logger="django_attentive"):
        with django_capture_on_commit_callbacks(execute=True):
            send_message(NUMBER, "Secret sale for Ann")
        send_message(NUMBER, "Second secret")  # suppressed now
        suppress("+12015550199")
    assert caplog.records
    assert DIGITS not in caplog.text
    assert "5550199" not in caplog.text
    assert "Secret sale" not in caplog.text
    assert "Second secret" not in caplog.text


def _digits_in(script_zero: int, text: str) -> str:
    return "".join(chr(script_zero + int(c)) if c.isdigit() else c for c in text)


ARABIC_INDIC = _digits_in(0x660, "+1 201 555 0123")
EXTENDED_ARABIC_INDIC = _digits_in(0x6F0, "+44 7700 900123")
FULLWIDTH = _digits_in(0xFF10, "(201) 555-0123")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1\xa0201\xa0555\xa00123", "+1201•••0123"),
        ("+1\u202f201\u2011555\u20110123", "+1201•••0123"),
        ("+44\u20097700\u2009900123", "+4477•••0123"),
        ("(201)\xa0555\u20130123", "•••0123"),
        ("\uff0b1 201 555 0123", "+1201•••0123"),
        (ARABIC_INDIC, "+1201•••0123"),
        (EXTENDED_ARABIC_INDIC, "+4477•••0123"),
        (FULLWIDTH, "•••0123"),
        (f"'{ARABIC_INDIC}' is a number from France", "'+1201•••0123' is a number from France"),
        ("café\xa0au lait, ٣ cups", "café\xa0au lait, ٣ cups"),
    ],
)
def test_numbers_written_with_unicode_spaces_dashes_or_digits_are_masked(text, expected):
    assert mask_phones_in(text) == expected


def test_mask_phone_shows_ascii_digits_whatever_digits_the_number_was_written_in():
    assert mask_phone(ARABIC_INDIC) == "+1201•••0123"
    assert mask_phone("+1\xa0201\xa0555\xa00123") == "+1201•••0123"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    [
        "+33\xa06\xa012\xa034\xa056\xa078",  # French: refused, and the reason quotes it
        _digits_in(0x660, "+33 6 12 34 56 78"),
        "+1\u202f201\u2011555\u20110123",  # not parsed: the reason quotes it too
    ],
)
def test_an_order_texted_to_an_unusable_number_logs_it_masked(phone, caplog):
    from django_attentive.models import MessageTemplate
    from django_attentive.signals import order_event
    from tests.shopapp.models import Order

    MessageTemplate.objects.create(key="order_placed", body="Thanks")
    order = Order.objects.create(number="1001", phone="")
    with caplog.at_level(logging.DEBUG, logger="django_attentive"):
        order_event.send(sender=Order, order=order, event="placed", phone=phone)
    assert "not texted" in caplog.text
    assert phone not in caplog.text
    digits = "".join(str(int(c)) for c in phone if c.isdigit())
    assert digits[-4:] in caplog.text  # masked, not dropped
    assert digits[-6:] not in caplog.text.replace("•", "")
