"""Quiet hours: the earliest moment a non-transactional text may reach a recipient.

Pure: a number, a moment and a window in, a moment out; no settings, no database. The
recipient's time zones come from the number (phonenumbers' prefix data). A number that maps
to several zones (an area code across a zone line, a toll-free number) is held until the
window is closed in all of them: the strictest zone wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

from . import conf

Window = tuple[time, time]


def configured_window() -> Window | None:
    """ATTENTIVE["QUIET_HOURS"] as (start, end), or None when it is off; ValueError if garbled."""
    return parse_window(conf.get("QUIET_HOURS"))


def parse_window(value: object) -> Window | None:
    """``("21:00", "08:00")`` -> ``(time(21), time(8))``; None (or an empty value) -> None.

    Raises ValueError saying what is wrong with anything else.
    """
    if not value:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValueError(
            f"QUIET_HOURS = {value!r}: use a (start, end) pair such as ('21:00', '08:00'), "
            "or None to turn quiet hours off."
        )
    start, end = (_as_time(part) for part in value)
    return (start, end)


def _as_time(part: object) -> time:
    if isinstance(part, time):
        return part
    try:
        return time.fromisoformat(str(part))
    except ValueError:
        raise ValueError(f"QUIET_HOURS: {part!r} is not a time of day like '21:00'.") from None


@lru_cache(maxsize=4096)
def zones_for(number: str) -> tuple[ZoneInfo, ...]:
    """The time zones an E.164 number may ring in; empty when phonenumbers cannot tell."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ()
    names = [
        name
        for name in phone_timezones.time_zones_for_number(parsed)
        if name != phone_timezones.UNKNOWN_TIMEZONE
    ]
    if not names:
        # A number phonenumbers cannot place (a new range): every zone of its country.
        names = [
            name
            for name in phone_timezones._country_level_time_zones_for_number(parsed)
            if name != phone_timezones.UNKNOWN_TIMEZONE
        ]
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except ZoneInfoNotFoundError:
            continue
    return tuple(zones)


def is_quiet(moment: datetime, zone: ZoneInfo, window: Window) -> bool:
    """True when ``moment`` falls inside the quiet window on the clocks of ``zone``.

    A moment whose local date is past year 9999 (or before year 1) counts as not quiet: the
    window cannot be computed there, and a text scheduled that far out may go at its own time.
    """
    start, end = window
    if start == end:
        return False
    try:
        local = moment.astimezone(zone).time().replace(tzinfo=None)
    except OverflowError:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _openings(moment: datetime, zone: ZoneInfo, window: Window) -> list[datetime]:
    """The next two moments at or after ``moment`` when the window ends in ``zone``, in UTC.

    Fewer near the ends of the calendar: an opening before year 1 or after 9999 does not exist.
    """
    try:
        day = moment.astimezone(zone).date()
    except OverflowError:
        return []
    openings = []
    for offset in range(3):
        try:
            opening = datetime.combine(day + timedelta(days=offset), window[1], tzinfo=zone)
            openings.append(opening.astimezone(UTC))
        except OverflowError:
            continue
    return [opening for opening in openings if opening >= moment][:2]


def allowed_at(number: str, moment: datetime, window: Window | None) -> datetime:
    """The earliest moment at or after ``moment`` outside quiet hours for ``number``.

    Returns ``moment`` itself when it is allowed already. If the number's zones are so far
    apart that no moment is outside the window in all of them (a toll-free number lists every
    North American zone from Guam to Newfoundland), the earliest moment quiet in the fewest
    zones wins. A moment so close to the end of year 9999 that the window's next opening is
    past the last date Python can hold is allowed at its own time: never an OverflowError.
    """
    if window is None or window[0] == window[1]:
        return moment
    zones = zones_for(number)
    if not zones:
        return moment
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-14:00 is in year 10000 in UTC
        return moment
    candidates = [moment, *(t for zone in zones for t in _openings(moment, zone, window))]

    def rank(candidate: datetime) -> tuple[int, datetime]:
        return (sum(is_quiet(candidate, zone, window) for zone in zones), candidate)

    return min(candidates, key=rank)


def describe(number: str, window: Window) -> str:
    """'21:00–08:00 in America/New_York', for the reason a text is held."""
    names = ", ".join(str(zone) for zone in zones_for(number)[:3]) or "an unknown zone"
    if len(zones_for(number)) > 3:
        names += f" and {len(zones_for(number)) - 3} more zones"
    return f"{window[0]:%H:%M}–{window[1]:%H:%M} in {names}"
