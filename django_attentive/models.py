"""The outbox (OutboundMessage), the send log (SendAttempt), templates, and compliance records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conf
from .backends.base import Outgoing
from .campaign_progress import (
    CLICK_EVENTS,
    DELIVERED_EVENTS,
    OPT_OUT_EVENTS,
    PENDING_STATUSES,
    RATE_WINDOW_SECONDS,
    Engagement,
    Progress,
    StatusCount,
)
from .choices import (
    FINAL_STATUSES,
    SCREENED_KINDS,
    CampaignState,
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
    "Consent",
    "FINAL_STATUSES",
    "SCREENED_KINDS",
    "Campaign",
    "CampaignState",
    "DailyTextCount",
    "Dashboard",
    "Hold",
    "Kind",
    "MessageTemplate",
    "MessageType",
    "OutboundMessage",
    "Outcome",
    "SUBSCRIBED",
    "UNSUBSCRIBED",
    "SendAttempt",
    "Source",
    "Status",
    "Suppression",
    "SuppressionReason",
    "WebhookEvent",
    "WebhookOutcome",
]


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
            by_status=OutboundMessage.objects.filter(campaign=self).status_counts(now),
            at=now,
            rate_limit=conf.rate_limit(),
            engagement=Engagement(row["delivered"], row["clicked"], row["opted_out"]),
        )


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


class Dashboard(OutboundMessage):
    """The admin's dashboard: no table of its own, an entry in the app's admin index."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboard")


class DailyTextCount(models.Model):
    """Texts created on one settled day, per status: the dashboard's rollup of the past.

    A day is written once no text created on it can change any more (none is queued or
    sending, and it ended two days ago), so concurrent writers can only write the same
    numbers. A row with an empty ``status`` marks a day as rolled up. Counts are kept when
    ``attentive_purge`` deletes the texts themselves.
    """

    day = models.DateField(_("day"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(_("status"), max_length=16, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily text count")
        verbose_name_plural = _("daily text counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "time_zone", "status"], name="attentive_daily_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status or 'rolled up'}: {self.count}"


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
        OutboundMessage,
        verbose_name=_("text"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        help_text=_("The text this event answers, when it could be told."),
    )
    campaign = models.ForeignKey(
        Campaign,
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


class Consent(models.Model):
    """Evidence that someone agreed to texts: what they were shown, where, when, from where.

    Written once by ``record_consent`` and never edited: ``save`` refuses to update a row and
    ``delete`` refuses to remove one (``attentive_purge`` keeps them too).
    """

    phone = models.CharField(_("phone"), max_length=20, help_text=_("E.164, e.g. +12015550123"))
    email = models.EmailField(_("email"), max_length=254, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subscription_type = models.CharField(_("subscription type"), max_length=16)
    disclosure = models.TextField(
        _("disclosure"), help_text=_("The text shown next to the checkbox, exactly as shown.")
    )
    disclosure_sha256 = models.CharField(_("disclosure SHA-256"), max_length=64)
    sign_up_source_id = models.CharField(_("sign-up source id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.TextField(_("user agent"), blank=True)
    page_url = models.TextField(_("page URL"), blank=True)
    source = models.CharField(
        _("source"), max_length=100, help_text=_("Where consent was given, e.g. checkout.")
    )
    created_at = models.DateTimeField(_("given at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="attentive_consent_phone_idx")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_type} consent #{self.pk} ({self.source})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A consent is evidence and is never edited; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("A consent is evidence and is never deleted.")


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
