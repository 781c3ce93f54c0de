"""Quiet hours: non-transactional texts wait for the recipient's morning; transactional never do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta, timezone
from unittest import mock

import pytest

from django_attentive import send_bulk, send_message
from django_attentive.backends import locmem
from django_attentive.checks import check_settings
from django_attentive.models import OutboundMessage, SendAttempt, Status
from django_attentive.outbox.leases import lease_due as claim_batch
from django_attentive.quiet_hours import allowed_at, parse_window, zones_for
from django_attentive.sending.delivery import deliver

NEW_YORK = "+12015550123"  # 201: New Jersey, America/New_York
LOS_ANGELES = "+14155550123"  # 415: San Francisco, America/Los_Angeles
LONDON = "+442079460000"  # 020: London, Europe/London
ALASKA = "+19075550123"  # 907: America/Anchorage and America/Adak (an hour apart)
TOLL_FREE = "+18005550199"  # every North American zone, Guam to Newfoundland
WINDOW = (time(21), time(8))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ----------------------------------------------------------------- the pure rule


@pytest.mark.parametrize(
    ("number", "moment", "expected"),
    [
        # Summer (EDT = UTC-4, PDT = UTC-7, BST = UTC+1).
        (NEW_YORK, utc(2025, 7, 1, 2, 0), utc(2025, 7, 1, 12, 0)),  # 22:00 -> 08:00 EDT
        (LOS_ANGELES, utc(2025, 7, 1, 2, 0), utc(2025, 7, 1, 2, 0)),  # 19:00 PDT: fine
        (LOS_ANGELES, utc(2025, 7, 1, 5, 0), utc(2025, 7, 1, 15, 0)),  # 22:00 -> 08:00 PDT
        (LONDON, utc(2025, 7, 1, 20, 30), utc(2025, 7, 2, 7, 0)),  # 21:30 BST -> 08:00 BST
        (LONDON, utc(2025, 7, 1, 6, 59), utc(2025, 7, 1, 7, 0)),  # 07:59 BST -> 08:00
        (LONDON, utc(2025, 7, 1, 7, 0), utc(2025, 7, 1, 7, 0)),  # 08:00 BST: the window is open
        # Winter (EST = UTC-5, PST = UTC-8, GMT = UTC).
        (NEW_YORK, utc(2025, 1, 15, 1, 0), utc(2025, 1, 15, 1, 0)),  # 20:00 EST: fine
        (NEW_YORK, utc(2025, 1, 15, 2, 0), utc(2025, 1, 15, 13, 0)),  # 21:00 -> 08:00 EST
        (LONDON, utc(2025, 1, 15, 20, 59), utc(2025, 1, 15, 20, 59)),  # 20:59 GMT: fine
        (LONDON, utc(2025, 1, 15, 21, 0), utc(2025, 1, 16, 8, 0)),  # 21:00 GMT -> 08:00 GMT
        # The night clocks spring forward: 01:30 EST is held to 08:00 EDT.
        (NEW_YORK, utc(2025, 3, 9, 6, 30), utc(2025, 3, 9, 12, 0)),
    ],
)
def test_allowed_at_holds_until_the_recipients_morning(number, moment, expected):
    assert allowed_at(number, moment, WINDOW) == expected


def test_the_strictest_zone_wins_for_a_number_in_two_zones():
    assert {str(zone) for zone in zones_for(ALASKA)} == {"America/Anchorage", "America/Adak"}
    # 07:30 in Anchorage is 06:30 in Adak: wait for 08:00 in Adak (09:00 in Anchorage).
    assert allowed_at(ALASKA, utc(2025, 7, 1, 15, 30), WINDOW) == utc(2025, 7, 1, 17, 0)
    # 20:30 in Adak is 21:30 in Anchorage: Anchorage is quiet already.
    assert allowed_at(ALASKA, utc(2025, 7, 2, 5, 30), WINDOW) == utc(2025, 7, 2, 17, 0)


def test_a_number_in_every_zone_still_gets_a_time_within_a_day():
    moment = utc(2025, 7, 1, 4, 0)
    allowed = allowed_at(TOLL_FREE, moment, WINDOW)
    assert moment <= allowed < moment + timedelta(days=1)


def test_a_window_that_does_not_cross_midnight():
    lunch = (time(12), time(13))
    assert allowed_at(LONDON, utc(2025, 1, 15, 12, 15), lunch) == utc(2025, 1, 15, 13, 0)
    assert allowed_at(LONDON, utc(2025, 1, 15, 11, 59), lunch) == utc(2025, 1, 15, 11, 59)


# The last and first moments Python can hold, in UTC and in the zones furthest from it.
END_OF_TIME = {
    "9999-12-31T23:00Z": utc(9999, 12, 31, 23, 0),
    "datetime.max": datetime.max.replace(tzinfo=UTC),
    "9999-12-31T12:00-14:00": datetime(9999, 12, 31, 12, tzinfo=timezone(timedelta(hours=-14))),
    "0001-01-01T00:00Z": utc(1, 1, 1),
    "0001-01-01T00:00+14:00": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
}


@pytest.mark.parametrize("moment", END_OF_TIME.values(), ids=END_OF_TIME.keys())
@pytest.mark.parametrize("number", [NEW_YORK, LOS_ANGELES, LONDON, ALASKA, TOLL_FREE])
def test_allowed_at_never_overflows_at_the_ends_of_the_calendar(number, moment):
    assert allowed_at(number, moment, WINDOW) >= moment


def test_a_window_opening_after_year_9999_lets_the_text_go_at_its_own_time():
    # 23:00 GMT on the last day: the next 08:00 is in year 10000, which cannot be held.
    assert allowed_at(LONDON, utc(9999, 12, 31, 23, 0), WINDOW) == utc(9999, 12, 31, 23, 0)
    # 18:00 EST: not quiet at all.
    assert allowed_at(NEW_YORK, utc(9999, 12, 31, 23, 0), WINDOW) == utc(9999, 12, 31, 23, 0)
    # 03:00 GMT on the last day: the window still opens at 08:00 that morning.
    assert allowed_at(LONDON, utc(9999, 12, 31, 3, 0), WINDOW) == utc(9999, 12, 31, 8, 0)


def test_no_window_holds_nothing():
    moment = utc(2025, 7, 1, 2, 0)
    assert allowed_at(NEW_YORK, moment, None) == moment
    assert allowed_at(NEW_YORK, moment, (time(8), time(8))) == moment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("21:00", "08:00"), (time(21), time(8))),
        (["22:30", "07:15"], (time(22, 30), time(7, 15))),
        ((time(21), time(8)), (time(21), time(8))),
        (None, None),
        ((), None),
    ],
)
def test_parse_window(value, expected):
    assert parse_window(value) == expected


@pytest.mark.parametrize("value", ["21:00-08:00", ("21:00",), ("9pm", "8am"), 21])
def test_parse_window_refuses_nonsense(value):
    with pytest.raises(ValueError):
        parse_window(value)


def test_a_bad_setting_is_a_check_error(attentive):
    attentive(QUIET_HOURS=("9pm", "8am"))
    assert [m.id for m in check_settings()] == ["django_attentive.E008"]


# ----------------------------------------------------------------- in the outbox, frozen clock


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def quiet(attentive):
    attentive(QUIET_HOURS=("21:00", "08:00"))


def send_now(capture, *args, **kwargs) -> OutboundMessage:
    with capture(execute=True):
        message = send_message(*args, **kwargs)
    message.refresh_from_db()
    return message


NIGHT_IN_NEW_YORK = utc(2025, 7, 1, 2, 0)  # 22:00 EDT, 19:00 PDT, 03:00 BST


@pytest.mark.django_db
def test_marketing_text_at_night_in_new_york_waits_for_the_morning(
    quiet, django_capture_on_commit_callbacks
):
    with clock(NIGHT_IN_NEW_YORK):
        message = send_now(django_capture_on_commit_callbacks, NEW_YORK, "Sale")
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == utc(2025, 7, 1, 12, 0)
    assert "quiet hours" in message.last_error
    assert "America/New_York" in message.last_error
    assert locmem.outbox == []


@pytest.mark.django_db
def test_the_same_moment_is_evening_in_los_angeles_so_it_goes(
    quiet, django_capture_on_commit_callbacks
):
    with clock(NIGHT_IN_NEW_YORK):
        message = send_now(django_capture_on_commit_callbacks, LOS_ANGELES, "Sale")
    assert message.status == Status.SENT
    assert len(locmem.outbox) == 1


@pytest.mark.django_db
def test_uk_number_at_night_waits_for_eight_british_summer_time(
    quiet, django_capture_on_commit_callbacks
):
    with clock(NIGHT_IN_NEW_YORK):
        message = send_now(django_capture_on_commit_callbacks, LONDON, "Sale")
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == utc(2025, 7, 1, 7, 0)


@pytest.mark.django_db
def test_transactional_texts_are_never_held(quiet, django_capture_on_commit_callbacks):
    with clock(NIGHT_IN_NEW_YORK):
        message = send_now(
            django_capture_on_commit_callbacks, NEW_YORK, "Your order shipped", transactional=True
        )
    assert message.status == Status.SENT
    assert locmem.outbox[0]["type"] == "TRANSACTIONAL"


@pytest.mark.django_db
def test_quiet_hours_off_sends_at_night(attentive, django_capture_on_commit_callbacks):
    attentive(QUIET_HOURS=None)
    with clock(NIGHT_IN_NEW_YORK):
        message = send_now(django_capture_on_commit_callbacks, NEW_YORK, "Sale")
    assert message.status == Status.SENT


@pytest.mark.django_db
def test_a_scheduled_send_landing_in_quiet_hours_moves_to_the_morning(quiet):
    with clock(utc(2025, 6, 30, 15, 0)):  # 11:00 EDT the day before
        message = send_message(NEW_YORK, "Sale", send_at=NIGHT_IN_NEW_YORK)
    assert message.next_attempt_at == utc(2025, 7, 1, 12, 0)


@pytest.mark.django_db
def test_send_bulk_holds_each_number_until_its_own_morning(quiet):
    with clock(utc(2025, 7, 1, 5, 0)):  # 01:00 EDT, 22:00 PDT, 06:00 BST
        created = send_bulk([NEW_YORK, LOS_ANGELES, LONDON], "Sale")
    due = {
        m.to: m.next_attempt_at
        for m in OutboundMessage.objects.filter(pk__in=[m.pk for m in created])
    }
    assert due == {
        NEW_YORK: utc(2025, 7, 1, 12, 0),
        LOS_ANGELES: utc(2025, 7, 1, 15, 0),
        LONDON: utc(2025, 7, 1, 7, 0),
    }


@pytest.mark.django_db
def test_a_retry_falling_due_at_night_is_held_without_an_attempt(quiet):
    message = OutboundMessage.objects.create(
        to=NEW_YORK, body="Sale", attempts=1, next_attempt_at=utc(2025, 7, 1, 2, 55)
    )
    with clock(utc(2025, 7, 1, 3, 0)):  # 23:00 EDT: the retry is due, the customer asleep
        assert deliver(message.pk) is None
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == utc(2025, 7, 1, 12, 0)
    assert (message.attempts, message.leased_by) == (1, "")
    assert not SendAttempt.objects.exists()
    assert locmem.outbox == []
    with clock(utc(2025, 7, 1, 12, 0)):  # 08:00 EDT
        delivered = deliver(message.pk)
    assert delivered is not None
    assert delivered.status == Status.SENT


@pytest.mark.django_db
def test_the_worker_hands_out_only_what_may_go_now(quiet):
    asleep = OutboundMessage.objects.create(to=NEW_YORK, body="Sale")
    awake = OutboundMessage.objects.create(to=LOS_ANGELES, body="Sale")
    receipt = OutboundMessage.objects.create(
        to=NEW_YORK, body="Receipt", message_type="TRANSACTIONAL"
    )
    with clock(NIGHT_IN_NEW_YORK):
        batch = claim_batch(10)
    assert sorted(m.pk for m in batch) == [awake.pk, receipt.pk]
    asleep.refresh_from_db()
    assert (asleep.status, asleep.next_attempt_at, asleep.leased_by) == (
        Status.QUEUED,
        utc(2025, 7, 1, 12, 0),
        "",
    )
    with clock(NIGHT_IN_NEW_YORK + timedelta(minutes=5)):
        assert claim_batch(10) == []  # not due again before the morning


@pytest.mark.django_db
def test_a_send_at_in_year_9999_is_stored_not_an_overflow(quiet):
    with clock(NIGHT_IN_NEW_YORK):
        message = send_message(LONDON, "Sale", send_at=utc(9999, 12, 31, 23, 0))
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == utc(9999, 12, 31, 23, 0)


@pytest.mark.django_db
def test_a_project_without_time_zones_can_schedule_at_the_end_of_the_calendar(quiet, settings):
    settings.USE_TZ = False
    settings.TIME_ZONE = "Asia/Tokyo"
    # 16:00 in Tokyo is 23:00 the night before in Los Angeles: held until 08:00 there, which
    # is 01:00 on 1 January 10000 in Tokyo, a time a naive datetime cannot hold.
    last = datetime(9999, 12, 31, 16, 0)
    message = send_message(LOS_ANGELES, "Happy new millennium", send_at=last)
    assert message.status == Status.QUEUED
    assert message.next_attempt_at == last
