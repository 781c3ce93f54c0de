"""Campaigns: create or join one by name, pause it, resume it, cancel what is left of it.

Pausing is a field, not a status: the campaign's texts stay ``queued`` and
``OutboundMessage.objects.due()`` skips them, so resuming only flips the field back. Texts
already ``sending`` are in flight and are never touched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..exceptions import AttentiveError, InvalidMessage
from ..models import Campaign, CampaignState, Hold, OutboundMessage, Status
from . import handoff

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")

NAME_MAX_LENGTH = Campaign._meta.get_field("name").max_length or 100


def check_name(campaign: str | Campaign) -> str:
    """The campaign's name, stripped; ``InvalidMessage`` on ``campaign`` if it cannot be one."""
    if isinstance(campaign, Campaign):
        if campaign.pk is None:
            raise InvalidMessage({"campaign": ["Save the campaign before sending to it."]})
        return campaign.name
    name = campaign.strip() if isinstance(campaign, str) else ""
    if not name:
        raise InvalidMessage({"campaign": ["Give the campaign a name, or leave it out."]})
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidMessage(
            {"campaign": [f"Use at most {NAME_MAX_LENGTH} characters for a campaign's name."]}
        )
    return name


def create_or_join(
    campaign: str | Campaign, *, body: str = "", created_by: AbstractBaseUser | None = None
) -> Campaign:
    """The campaign of that name, created if new; texts may join it unless it was cancelled.

    A paused campaign can be joined: the new texts wait with the others until it resumes.
    """
    name = check_name(campaign)
    if isinstance(campaign, Campaign):
        found = Campaign.objects.get(pk=campaign.pk)
    else:
        defaults = {"body": body, "created_by": created_by}
        try:
            with transaction.atomic():
                found, created = Campaign.objects.get_or_create(name=name, defaults=defaults)
        except IntegrityError:  # created by a concurrent send between our read and insert
            found, created = Campaign.objects.get(name=name), False
        if created:
            logger.info("Created campaign #%s", found.pk)
    if found.state == CampaignState.CANCELLED:
        raise InvalidMessage(
            {"campaign": [f"The campaign “{name}” was cancelled; send under a new name."]}
        )
    return found


def add_audience(campaign: Campaign, count: int) -> None:
    """Count ``count`` more texts queued for the campaign (in the caller's transaction)."""
    if count:
        Campaign.objects.filter(pk=campaign.pk).update(audience_size=F("audience_size") + count)
        campaign.audience_size += count


def pause(campaign: Campaign) -> Campaign:
    """Stop the campaign's texts from being leased; those already ``sending`` finish.

    Leases workers hold on texts not yet started are dropped too, so no worker starts one of
    them after this returns (``leases.start`` re-checks the campaign as well).
    """
    with transaction.atomic():
        _change_state(campaign, CampaignState.PAUSED, allowed=[CampaignState.ACTIVE])
        OutboundMessage.objects.filter(
            campaign=campaign, status=Status.QUEUED, leased_at__isnull=False
        ).release_leases()
    logger.info("Paused campaign #%s", campaign.pk)
    return campaign


def resume(campaign: Campaign) -> Campaign:
    """Let a paused campaign's texts go again: they are simply due, and delivery is asked for."""
    with transaction.atomic():
        _change_state(campaign, CampaignState.ACTIVE, allowed=[CampaignState.PAUSED])
        waiting = OutboundMessage.objects.filter(campaign=campaign).due()
        handoff.request_bulk_delivery(waiting.values_list("pk", "next_attempt_at"))
    logger.info("Resumed campaign #%s", campaign.pk)
    return campaign


def cancel_rest(campaign: Campaign) -> int:
    """Cancel every text of the campaign not yet sent; returns how many.

    Only ``queued`` texts change: a text already ``sending`` may have reached Attentive and
    keeps its outcome. Should one of those come back for a retry, screening cancels it then.
    """
    with transaction.atomic():
        _change_state(
            campaign,
            CampaignState.CANCELLED,
            allowed=[CampaignState.ACTIVE, CampaignState.PAUSED],
        )
        cancelled = OutboundMessage.objects.filter(
            campaign=campaign, status=Status.QUEUED
        ).release_leases(status=Status.CANCELLED, next_attempt_at=None, hold=Hold.NONE)
    logger.info("Cancelled campaign #%s: %s texts not sent", campaign.pk, cancelled)
    return cancelled


def _change_state(campaign: Campaign, state: str, *, allowed: list[str]) -> None:
    """Move the campaign to ``state`` if it is in one of ``allowed`` (checked in the UPDATE)."""
    now = timezone.now()
    moved = Campaign.objects.filter(pk=campaign.pk, state__in=allowed).update(
        state=state, state_changed_at=now
    )
    campaign.refresh_from_db(fields=["state", "state_changed_at"])
    if not moved:
        label = CampaignState(campaign.state).label
        raise AttentiveError(
            f"The campaign “{campaign.name}” is {str(label).lower()}; it cannot be {_VERBS[state]}."
        )


_VERBS: dict[str, str] = {
    CampaignState.PAUSED: "paused",
    CampaignState.ACTIVE: "resumed",
    CampaignState.CANCELLED: "cancelled",
}


# The names the public API exports them under (``from django_attentive import pause_campaign``).
pause_campaign = pause
resume_campaign = resume
cancel_campaign = cancel_rest
