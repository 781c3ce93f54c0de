"""Whether a message may go now: the suppression list and quiet hours, at admission and again
right before sending; and, for commerce events, whether they are still fresh enough to matter."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from .. import quiet_hours
from ..commerce_items import stale_reason
from ..models import (
    SCREENED_KINDS,
    CampaignState,
    Hold,
    Kind,
    OutboundMessage,
    Status,
    Suppression,
)
from ..privacy import mask_phone
from .lookups import rows_by

logger = logging.getLogger("django_attentive")

#: A new message's status, ``next_attempt_at``, hold and note.
Admission = tuple[str, datetime | None, str, str]


def suppressions_for(numbers: Iterable[str]) -> dict[str, Suppression]:
    """The suppression list entries for these E.164 numbers, by number."""
    return rows_by(Suppression.objects.all(), "number", numbers)


def suppressed_reason(suppression: Suppression) -> str:
    """What a suppressed message's ``last_error`` says: why, since when, and what to do."""
    since = suppression.created_at.astimezone(UTC)
    origin = f"; {suppression.source}" if suppression.source else ""
    return (
        f"Not sent: the number is on the suppression list since {since:%Y-%m-%d %H:%M} UTC "
        f"({suppression.get_reason_display().lower()}{origin}). Remove it from the list to "
        "text it again."
    )


def quiet_hold(to: str, transactional: bool, due: datetime) -> tuple[datetime, str] | None:
    """When a text due at ``due`` falls in the recipient's quiet hours: when it may go, and why.

    None when it may go at ``due``: transactional texts are never held.
    """
    window = quiet_hours.configured_window()
    if transactional or window is None:
        return None
    naive = timezone.is_naive(due)  # a project with USE_TZ = False
    try:
        allowed = quiet_hours.allowed_at(to, timezone.make_aware(due) if naive else due, window)
        if naive:
            allowed = timezone.make_naive(allowed)
    except OverflowError:  # at the calendar's very end: no morning left to wait for
        return None
    if allowed <= due:
        return None
    note = (
        f"Held for quiet hours ({quiet_hours.describe(to, window)}) until "
        f"{allowed:%Y-%m-%d %H:%M} UTC."
    )
    return allowed, note


def admit(
    to: str, transactional: bool, send_at: datetime | None, suppression: Suppression | None
) -> Admission:
    """A new message's status, ``next_attempt_at``, hold and note: suppressed, held, or as asked."""
    if suppression is not None:
        return Status.SUPPRESSED, None, Hold.NONE, suppressed_reason(suppression)
    send_at = project_time(send_at)
    now = timezone.now()
    due = send_at if send_at is not None and send_at > now else now
    hold = quiet_hold(to, transactional, due)
    if hold is not None:
        return Status.QUEUED, hold[0], Hold.QUIET_HOURS, hold[1]
    return Status.QUEUED, send_at, Hold.NONE, ""


def project_time(moment: datetime | None) -> datetime | None:
    """``send_at`` as the project stores times: a naive one is read in the current time zone
    (as Django's forms do); with USE_TZ = False an aware one becomes naive."""
    if moment is None:
        return None
    if settings.USE_TZ and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    if not settings.USE_TZ and timezone.is_aware(moment):
        return timezone.make_naive(moment)
    return moment


def screen(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """Right before sending: suppress what is on the list now, hold what is in quiet hours.

    Returns the messages still cleared to go. The others change state here without any
    request, so no SendAttempt is written: a held message is ``queued`` again, its lease
    dropped and ``next_attempt_at`` set to when the window opens; a suppressed one is final.
    This catches what send time could not: a retry falling due at night, a number suppressed
    after its text was queued, a retry of a text whose campaign was cancelled while it was
    being sent (it becomes ``cancelled`` here). A commerce event over 12 hours old ends
    ``failed`` (see ``drop_stale``).
    """
    messages = drop_stale(messages)
    if not messages:
        return []
    now = timezone.now()
    suppressed = suppressions_for(m.to for m in messages)
    cleared: list[OutboundMessage] = []
    holds: dict[tuple[datetime, str], list[OutboundMessage]] = {}
    for message in messages:
        campaign = message.campaign if message.campaign_id else None
        if campaign is not None and campaign.state == CampaignState.CANCELLED:
            OutboundMessage.objects.settle(
                message, Status.CANCELLED, next_attempt_at=None, hold=Hold.NONE
            )
        elif message.kind not in SCREENED_KINDS:
            cleared.append(message)
        elif message.to in suppressed:
            mark_suppressed(message, suppressed[message.to])
        elif hold := quiet_hold(message.to, message.is_transactional, now):
            holds.setdefault(hold, []).append(message)
        else:
            cleared.append(message)
    for (until, note), held in holds.items():
        _hold(held, until, note)
    return cleared


def drop_stale(messages: list[OutboundMessage]) -> list[OutboundMessage]:
    """The messages without the commerce events too old to matter, which become ``failed``
    with the reason and no request: Attentive would take them but start no journey."""
    now = timezone.now()
    fresh: list[OutboundMessage] = []
    for message in messages:
        reason = stale_reason(message.payload or {}, now) if message.kind == Kind.COMMERCE else ""
        if not reason:
            fresh.append(message)
            continue
        OutboundMessage.objects.settle(
            message, Status.FAILED, next_attempt_at=None, hold=Hold.NONE, last_error=reason
        )
        logger.warning("Commerce event #%s is over 12 hours old; not sent", message.pk)
    return fresh


def mark_suppressed(message: OutboundMessage, suppression: Suppression) -> None:
    """A message this process holds (or has just stored) becomes ``suppressed``, never sent."""
    note = suppressed_reason(suppression)
    OutboundMessage.objects.settle(
        message, Status.SUPPRESSED, next_attempt_at=None, hold=Hold.NONE, last_error=note
    )
    logger.info("Text #%s to %s is suppressed; not sent", message.pk, mask_phone(message.to))


def _hold(messages: list[OutboundMessage], until: datetime, note: str) -> None:
    changes = {"next_attempt_at": until, "hold": Hold.QUIET_HOURS, "last_error": note}
    for lease, pks in by_lease(messages).items():
        OutboundMessage.objects.filter(
            pk__in=pks, status__in=[Status.QUEUED, Status.SENDING]
        ).leased_by(lease).release_leases(status=Status.QUEUED, **changes)
    for message in messages:
        message.status, message.leased_at, message.leased_by = Status.QUEUED, None, ""
        for name, value in changes.items():
            setattr(message, name, value)
    logger.info("%s texts held for quiet hours until %s", len(messages), until)


def by_lease(messages: Iterable[OutboundMessage]) -> dict[str, list[int]]:
    """Message pks grouped by the lease that holds them."""
    groups: dict[str, list[int]] = {}
    for message in messages:
        groups.setdefault(message.leased_by, []).append(message.pk)
    return groups
