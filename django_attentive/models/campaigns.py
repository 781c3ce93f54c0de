"""Campaigns: a named bulk send, paused and resumed together, and what its recipients did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..campaign_progress import (
    CLICK_EVENTS,
    DELIVERED_EVENTS,
    OPT_OUT_EVENTS,
    Engagement,
    Progress,
)
from ..choices import CampaignState


class CampaignQuerySet(models.QuerySet["Campaign"]):
    """Campaign queries: what holds its texts back, and what its recipients did."""

    def paused(self) -> CampaignQuerySet:
        return self.filter(state=CampaignState.PAUSED)

    def with_engagement(self) -> CampaignQuerySet:
        """Annotate ``delivered``, ``clicked`` and ``opted_out``: distinct texts of each campaign
        with such a webhook event linked to them (three subqueries, no extra round trip)."""
        return self.annotate(
            delivered=_engaged(DELIVERED_EVENTS),
            clicked=_engaged(CLICK_EVENTS),
            opted_out=_engaged(OPT_OUT_EVENTS),
        )


def _engaged(types: tuple[str, ...]) -> Coalesce:
    # Imported here: WebhookEvent registers after the outbox models, as it always has (Django
    # orders related rows' deletes and updates, and content types, by registration).
    from .webhook_events import WebhookEvent

    events = (
        WebhookEvent.objects.filter(campaign=models.OuterRef("pk"), type__in=types)
        .order_by()
        .values("campaign")
        .annotate(texts=models.Count("message", distinct=True))
        .values("texts")[:1]
    )
    return Coalesce(models.Subquery(events), 0)


class Campaign(models.Model):
    """A bulk send with a name: its texts (``OutboundMessage.campaign``) are counted together,
    paused, resumed and cancelled together, and webhook events are linked back to it.

    Every change of state goes through ``django_attentive.outbox.campaigns``.
    """

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_("Sending again under the same name adds to the campaign."),
    )
    body = models.TextField(_("text"), blank=True, help_text=_("The text of its first send."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    audience_size = models.PositiveIntegerField(
        _("audience"), default=0, help_text=_("Texts queued for it, one per distinct number.")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.ACTIVE
    )
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def progress(self) -> Progress:
        """Its texts by status, rate and engagement, in two queries whatever its size.

        One reads this campaign with its engagement counts; the other groups its texts by
        status on the (campaign, status) index. Neither grows with the number of polls,
        workers or webhook events; the GROUP BY reads one index range, the campaign's own.
        """
        row = (
            Campaign.objects.with_engagement()
            .values("state", "audience_size", "delivered", "clicked", "opted_out")  # type: ignore[misc]  # annotations
            .get(pk=self.pk)
        )
        self.state, self.audience_size = row["state"], row["audience_size"]
        now = timezone.now()
        return Progress(
            state=self.state,
            audience=self.audience_size,
            by_status=self.messages.status_counts(now),
            at=now,
            rate_limit=conf.rate_limit(),
            engagement=Engagement(row["delivered"], row["clicked"], row["opted_out"]),
        )
