"""The suppression list: numbers the app never texts, and what changes when one joins it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TypeGuard

from django.db import transaction
from django.utils import timezone

from ..exceptions import RecipientError
from ..models import Hold, OutboundMessage, Status, Suppression, SuppressionReason
from ..privacy import mask_phone
from ..validation import normalize_phone
from .screening import suppressed_reason, suppressions_for

logger = logging.getLogger("django_attentive")


def suppress(
    number: str,
    reason: str = SuppressionReason.MANUAL,
    *,
    source: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Suppression:
    """Put a number on the suppression list and suppress its queued texts.

    ``at`` is when the number was opted out (an unsubscribe event's own time; now by default).
    A number already on the list keeps its entry (and its reason), whose latest opt-out moves
    to ``at`` when that is later. Raises ValueError for a number that is not a valid US, CA or
    GB number.
    """
    if reason not in SuppressionReason.values:
        raise ValueError(
            f"Unknown suppression reason {reason!r}; use one of "
            f"{', '.join(SuppressionReason.values)}."
        )
    number = normalize_phone(number)
    at = at or timezone.now()
    with transaction.atomic():
        # Locked, so a concurrent sms.subscribed cannot delete the entry this opt-out updates.
        suppression, created = Suppression.objects.select_for_update().get_or_create(
            number=number,
            defaults={
                "reason": reason,
                "source": source[:255],
                "note": note,
                "last_opted_out_at": at,
            },
        )
        if not created:
            _seen_opted_out([suppression], at)
        stopped = _suppress_queued({number: suppression})
    if created:
        logger.info(
            "Suppressed %s (%s); %s queued texts stopped", mask_phone(number), reason, stopped
        )
    return suppression


def lift_suppression(number: str, *, resubscribed_at: datetime | None = None) -> bool:
    """Take a number off the suppression list; texts suppressed before stay as they are.

    With ``resubscribed_at`` (an sms.subscribed event's time) the entry is kept when the number
    was seen opted out at or after that moment, checked in the DELETE itself so an opt-out
    recorded meanwhile wins.
    """
    entries = Suppression.objects.filter(number=normalize_phone(number))
    if resubscribed_at is not None:
        entries = entries.filter(last_opted_out_at__lt=resubscribed_at)
    deleted, _ = entries.delete()
    if deleted:
        logger.info("Lifted the suppression of %s", mask_phone(number))
    return bool(deleted)


def is_recipient_refusal(outcome: object) -> TypeGuard[RecipientError]:
    """Attentive refused the number itself (opted out, not found): it joins the list."""
    return isinstance(outcome, RecipientError) and outcome.status_code in (400, 404)


def reason_for(error: RecipientError) -> str:
    """A 404 or a 400 "not found" is ``not_found``; any other refused recipient opted out."""
    if error.status_code == 404 or "not found" in str(error).lower():
        return SuppressionReason.NOT_FOUND
    return SuppressionReason.OPTED_OUT


def storable(text: str) -> str:
    """Text from Attentive or an exception as a database can keep it (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "\\x00")


def suppress_refused(refusals: list[tuple[OutboundMessage, RecipientError]]) -> None:
    """Add the numbers Attentive refused (400 opted out / not found, 404) to the list.

    Runs inside the transaction that records the attempts, so the failed status and the
    suppression commit together; a number already on the list keeps its first entry, which
    now knows of this later opt-out.
    """
    if not refusals:
        return
    now = timezone.now()  # new entries' own last_opted_out_at (their default) is later
    entries = {}
    for message, error in refusals:
        entries[message.to] = Suppression(
            number=message.to,
            reason=reason_for(error),
            source=f"Attentive answered {error.status_code} to text #{message.pk}",
            note=storable(str(error))[:1000],
        )
    Suppression.objects.bulk_create(entries.values(), ignore_conflicts=True)
    listed = suppressions_for(entries)
    _seen_opted_out(listed.values(), now)
    _suppress_queued(listed)
    for number in entries:
        logger.warning("Suppressed %s: Attentive refused it", mask_phone(number))


def _suppress_queued(suppressions: dict[str, Suppression]) -> int:
    """Queued texts to these numbers become ``suppressed`` (a leased one is never started)."""
    stopped = 0
    for number, suppression in suppressions.items():
        stopped += OutboundMessage.objects.filter(to=number, status=Status.QUEUED).release_leases(
            status=Status.SUPPRESSED,
            next_attempt_at=None,
            hold=Hold.NONE,
            last_error=suppressed_reason(suppression),
        )
    return stopped


def _seen_opted_out(suppressions: Iterable[Suppression], at: datetime) -> None:
    """Entries that knew of an earlier opt-out only now know of the one at ``at``.

    An sms.subscribed event lifts an entry only when it is newer than this.
    """
    stale = [entry for entry in suppressions if entry.last_opted_out_at < at]
    if stale:
        Suppression.objects.filter(
            pk__in=[entry.pk for entry in stale], last_opted_out_at__lt=at
        ).update(last_opted_out_at=at)
    for entry in stale:
        entry.last_opted_out_at = at
