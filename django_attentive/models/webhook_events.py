"""What Attentive posted to the webhook, stored once per event, and which events a purge empties."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..choices import WebhookOutcome

SUBSCRIBED = "sms.subscribed"
UNSUBSCRIBED = "sms.unsubscribed"


class WebhookEventQuerySet(models.QuerySet["WebhookEvent"]):
    """Which stored events a purge may delete, and the one way their contents are emptied."""

    def harmless_if_replayed(self) -> WebhookEventQuerySet:
        """Events whose replay could change nothing, so their dedup key need not be kept.

        Only the two suppression-list events act. An opt-out is honoured at any age, so its
        replay always could; an opt-in lifts nothing once older than WEBHOOK_MAX_AGE or
        without a time.
        """
        too_old = timezone.now() - timedelta(seconds=conf.webhook_max_age())
        spent_opt_in = models.Q(type=SUBSCRIBED) & (
            models.Q(occurred_at__isnull=True) | models.Q(occurred_at__lt=too_old)
        )
        return self.filter(~models.Q(type__in=[SUBSCRIBED, UNSUBSCRIBED]) | spent_opt_in)

    def not_emptied(self) -> WebhookEventQuerySet:
        return self.filter(purged_at__isnull=True)

    def empty(self) -> int:
        """Drop what names the customer (payload, number, detail), keeping what a replay is
        recognised by (dedup key) and what the lifting rule reads (type, time, outcome)."""
        return self.update(payload={}, number="", detail="", purged_at=timezone.now())


class WebhookEvent(models.Model):
    """One event Attentive posted to the webhook, stored once however often it is retried."""

    dedup_key = models.CharField(
        _("deduplication key"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the event's id, or of the raw body when it has none."),
    )
    type = models.CharField(_("type"), max_length=100)
    number = models.CharField(_("number"), max_length=20, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(
        _("occurred at"), null=True, blank=True, help_text=_("The event's own timestamp.")
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=WebhookOutcome.choices)
    detail = models.TextField(_("detail"), blank=True)
    purged_at = models.DateTimeField(
        _("contents purged at"),
        null=True,
        blank=True,
        help_text=_(
            "When attentive_purge emptied the payload, number and detail; the row stays so a "
            "replay of the same event is still recognised."
        ),
    )
    message = models.ForeignKey(
        "django_attentive.OutboundMessage",
        verbose_name=_("text"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        help_text=_("The text this event answers, when it could be told."),
    )
    campaign = models.ForeignKey(
        "django_attentive.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        db_index=False,
    )

    objects = WebhookEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        indexes = [
            # A campaign's engagement: distinct texts per event type.
            models.Index(
                fields=["campaign", "type", "message"], name="attentive_event_campaign_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} at {self.received_at:%Y-%m-%d %H:%M:%S}"
