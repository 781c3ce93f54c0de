"""The outbox (OutboundMessage), the send log (SendAttempt), templates, and compliance records."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf
from .backends.base import Outgoing
from .choices import (
    FINAL_STATUSES,
    SCREENED_KINDS,
    Hold,
    Kind,
    MessageType,
    Outcome,
    Source,
    Status,
    SuppressionReason,
    WebhookOutcome,
)
from .keys import MAX_LENGTH as KEY_MAX_LENGTH

__all__ = [
    "FINAL_STATUSES",
    "SCREENED_KINDS",
    "Hold",
    "Kind",
    "MessageTemplate",
    "MessageType",
    "OutboundMessage",
    "Outcome",
    "SendAttempt",
    "Source",
    "Status",
    "Suppression",
    "SuppressionReason",
    "WebhookEvent",
    "WebhookOutcome",
]


class OutboundMessageQuerySet(models.QuerySet["OutboundMessage"]):
    """The outbox's queries, and the one way a lease is dropped."""

    def due(self) -> OutboundMessageQuerySet:
        """Queued messages whose time has come and that no live lease holds."""
        now = timezone.now()
        lease_start = now - timedelta(seconds=conf.lease_seconds())
        return self.filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
            models.Q(leased_at__isnull=True) | models.Q(leased_at__lt=lease_start),
            status=Status.QUEUED,
        )

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
        )


class SendAttempt(models.Model):
    message = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="send_attempts",
    )
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request = models.JSONField(_("request"), default=dict, help_text=_("The JSON payload sent."))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("send attempt")
        verbose_name_plural = _("send attempts")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        code = self.status_code if self.status_code is not None else "no answer"
        return f"Attempt on #{self.message_id} at {self.started_at:%Y-%m-%d %H:%M:%S}: {code}"


class MessageTemplate(models.Model):
    """A text written once in Django template syntax; order events pick one by key."""

    key = models.SlugField(
        _("key"),
        max_length=100,
        unique=True,
        help_text=_("Order events use order_<event>, e.g. order_placed, order_shipped."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Django template syntax, rendered as plain text (no HTML escaping): "
            "{{ order.number }}, {{ event }}."
        ),
    )
    media_url = models.URLField(
        _("media URL"),
        max_length=2000,
        blank=True,
        help_text=_("A .gif, .png or .jpg under 500 KB makes the text an MMS."),
    )
    transactional = models.BooleanField(
        _("transactional"),
        default=True,
        help_text=_('Sent with type "TRANSACTIONAL" (order updates, not marketing).'),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive templates send nothing.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Suppression(models.Model):
    """A number the app never texts: it opted out, is unknown to Attentive, or was blocked."""

    number = models.CharField(
        _("number"), max_length=20, unique=True, help_text=_("E.164, e.g. +12015550123")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    source = models.CharField(
        _("source"),
        max_length=255,
        blank=True,
        help_text=_("What added it: a text's HTTP answer, a webhook event, an admin user."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("suppressed since"), default=timezone.now, editable=False)
    last_opted_out_at = models.DateTimeField(
        _("latest opt-out"),
        default=timezone.now,
        editable=False,
        help_text=_(
            "The latest moment the number was known to be opted out (an unsubscribe, a refusal "
            "from Attentive, an entry by hand); only an sms.subscribed event after it lifts "
            "the suppression."
        ),
    )

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_reason_display()})"


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

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class RateLimitState(models.Model):
    """One Attentive endpoint's share of the account's rate limit, as every sender sees it.

    ``reserved_until`` is the moment (seconds since the epoch on the database's clock) up to
    which the endpoint's budget is spoken for; senders move it forward a slice at a time.
    """

    endpoint = models.CharField(_("endpoint"), max_length=200, primary_key=True)
    reserved_until = models.FloatField(_("reserved until"), default=0.0)

    class Meta:
        verbose_name = _("rate limit state")
        verbose_name_plural = _("rate limit states")

    def __str__(self) -> str:
        return self.endpoint
