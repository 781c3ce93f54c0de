"""The outbox: one row per text or request to send (OutboundMessage), and its send log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..backends.base import Outgoing
from ..campaign_progress import PENDING_STATUSES, RATE_WINDOW_SECONDS, StatusCount
from ..choices import Hold, Kind, MessageType, Source, Status
from ..keys import MAX_LENGTH as KEY_MAX_LENGTH
from .campaigns import Campaign


class OutboundMessageQuerySet(models.QuerySet["OutboundMessage"]):
    """The outbox's queries, and the one way a lease is dropped."""

    def due(self) -> OutboundMessageQuerySet:
        """Queued messages whose time has come, that no live lease holds and whose campaign,
        if any, is not paused."""
        now = timezone.now()
        lease_start = now - timedelta(seconds=conf.lease_seconds())
        return self.filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
            models.Q(leased_at__isnull=True) | models.Q(leased_at__lt=lease_start),
            status=Status.QUEUED,
        ).not_paused()

    def not_paused(self) -> OutboundMessageQuerySet:
        """Rows outside any paused campaign. NOT EXISTS, not a join: a worker's SELECT ... FOR
        UPDATE must lock outbox rows only, never the campaign row other workers read too."""
        paused = Campaign.objects.paused().filter(pk=models.OuterRef("campaign_id"))
        return self.filter(~models.Exists(paused))

    def status_counts(self, now: datetime | None = None) -> dict[str, StatusCount]:
        """One GROUP BY status: each status's count, how many of those changed within the
        rate window, and when the last one changed."""
        since = (now or timezone.now()) - timedelta(seconds=RATE_WINDOW_SECONDS)
        rows = (
            self.order_by()
            .values("status")
            .annotate(
                n=models.Count("pk"),
                recent=models.Count("pk", filter=models.Q(updated_at__gte=since)),
                last=models.Max("updated_at"),
            )
        )
        return {row["status"]: StatusCount(row["n"], row["recent"], row["last"]) for row in rows}

    def pending(self) -> OutboundMessageQuerySet:
        return self.filter(status__in=PENDING_STATUSES)

    def answered_by(self, number: str, at: datetime) -> OutboundMessageQuerySet:
        """Texts to ``number`` that a webhook event at ``at`` may answer, most recent first:
        on their way or sent, created before the event (give or take clock skew) and sent
        within ``ATTRIBUTION_WINDOW`` of it."""
        window = timedelta(seconds=conf.attribution_window())
        skew = timedelta(minutes=5)
        return self.filter(
            models.Q(sent_at__isnull=True) | models.Q(sent_at__gte=at - window),
            kind=Kind.TEXT,
            to=number,
            status__in=[Status.SENDING, Status.SENT, Status.UNCONFIRMED],
            created_at__lte=at + skew,
            created_at__gte=at - window - skew,
        ).order_by("-created_at", "-pk")

    def leased_by(self, lease: str) -> OutboundMessageQuerySet:
        return self.filter(leased_by=lease)

    def release_leases(self, **changes: object) -> int:
        """Drop the lease of every row in the queryset, applying ``changes`` in the same UPDATE."""
        changes.setdefault("updated_at", timezone.now())
        return self.update(leased_at=None, leased_by="", **changes)

    def settle(self, message: OutboundMessage, status: str, **changes: object) -> bool:
        """Move ``message`` (in the status and lease it had when read) to ``status``, dropping
        its lease; a row someone else changed meanwhile is left alone. True if it moved."""
        moved = self.filter(
            pk=message.pk, status=message.status, leased_by=message.leased_by
        ).release_leases(status=status, **changes)
        fields = {"status": status, "leased_at": None, "leased_by": "", **changes}
        for name, value in fields.items():
            setattr(message, name, value)
        return bool(moved)

    def counts_by_status(self, statuses: Iterable[str]) -> dict[str, int]:
        """Rows per status among ``statuses`` (each present, 0 if none): one GROUP BY that the
        ``(status, next_attempt_at)`` index answers."""
        wanted = [str(status) for status in statuses]
        rows = (
            self.filter(status__in=wanted)
            .order_by()
            .values_list("status")
            .annotate(n=models.Count("pk"))
        )
        return dict.fromkeys(wanted, 0) | {status: n for status, n in rows}

    def oldest_due_at(self) -> datetime | None:
        """When the longest-waiting due text became due: its retry or send time, else its
        creation. One pass over the queued rows of the ``(status, next_attempt_at)`` index
        (a plain MIN(created_at) would walk the creation index from the oldest text)."""
        at: datetime | None = self.filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=timezone.now()),
            status=Status.QUEUED,
        ).aggregate(at=models.Min(Coalesce("next_attempt_at", "created_at")))["at"]
        return at


class OutboundMessage(models.Model):
    to = models.CharField(_("to"), max_length=20, help_text=_("E.164, e.g. +12015550123"))
    body = models.TextField(_("body"))
    media_url = models.URLField(_("media URL"), max_length=2000, blank=True)
    message_id = models.CharField(_("messageId"), max_length=255, blank=True)
    message_type = models.CharField(
        _("type"), max_length=16, choices=MessageType.choices, blank=True, default=""
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0, help_text=_("Attempts counted toward MAX_ATTEMPTS.")
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=KEY_MAX_LENGTH, unique=True, null=True, blank=True
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.CODE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("resent from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resends",
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("content_type", "object_id")
    leased_at = models.DateTimeField(
        _("leased at"), null=True, blank=True, help_text=_("Start of the current lease.")
    )
    leased_by = models.CharField(
        _("leased by"), max_length=64, blank=True, help_text=_("The worker holding the lease.")
    )
    hold = models.CharField(
        _("held for"),
        max_length=16,
        choices=Hold.choices,
        blank=True,
        default=Hold.NONE,
        help_text=_("Why a queued message waits though nothing is wrong with it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=Kind.choices,
        default=Kind.TEXT,
        help_text=_("Which Attentive endpoint it goes to: a text, or an event."),
    )
    endpoint = models.CharField(
        _("endpoint"),
        max_length=100,
        blank=True,
        help_text=_("The Attentive path a non-text row posts to (a text's is the transport's)."),
    )
    payload = models.JSONField(
        _("payload"),
        default=dict,
        blank=True,
        help_text=_("What a non-text kind sends, e.g. a custom event's type and properties."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        # The (campaign, status) index below serves every lookup by campaign.
        db_index=False,
    )

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at", "-id"]
        permissions = [("send_message", "Can compose, send and resend text messages")]
        indexes = [
            # The worker's "what is due?" query.
            models.Index(fields=["status", "next_attempt_at"], name="attentive_due_idx"),
            # The admin's default ordering and date filters.
            models.Index(fields=["-created_at"], name="attentive_created_idx"),
            models.Index(fields=["to"], name="attentive_to_idx"),
            models.Index(fields=["content_type", "object_id"], name="attentive_related_idx"),
            # A campaign's progress: one GROUP BY status over its own index range.
            models.Index(fields=["campaign", "status"], name="attentive_campaign_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} to {self.to} ({self.status})"

    @property
    def is_transactional(self) -> bool:
        return self.message_type == MessageType.TRANSACTIONAL

    @property
    def is_event(self) -> bool:
        return self.kind != Kind.TEXT

    def outgoing(self) -> Outgoing:
        """What a transport needs of this row: plain values, no model."""
        return Outgoing(
            kind=self.kind,
            to=self.to,
            endpoint=self.endpoint,
            body=self.body,
            media_url=self.media_url,
            message_id=self.message_id,
            transactional=self.is_transactional,
            payload=dict(self.payload or {}),
            campaign=self.campaign.name if self.campaign_id and self.campaign else "",
        )
