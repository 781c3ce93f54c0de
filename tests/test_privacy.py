"""PII in logs: every line of the django_attentive logger masks phone numbers; no bodies at INFO."""

from __future__ import annotations

import logging

import pytest
import responses

from django_attentive import send_message
from django_attentive.privacy import MaskPhonesFilter, mask_phone, mask_phones_in
from django_attentive.services import suppress

NUMBER = "+12015550123"
DIGITS = "2015550123"


def test_mask_phone_keeps_enough_to_tell_numbers_apart():
    assert mask_phone(NUMBER) == "+1201•••0123"
    masked = mask_phones_in("call (201) 555-0123 or +44 20 7946 0000")
    assert masked.startswith("call (")
    assert "555-0123" not in masked
    assert "+4420•••0000" in masked


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
