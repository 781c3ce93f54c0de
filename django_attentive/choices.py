"""The outbox's vocabularies: statuses, outcomes, kinds, sources and reasons.

A leaf: it needs no app registry, so the pure modules (``retry``) can speak of statuses
without importing the models.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses a message never leaves (it may be resent as a new message, or purged).
FINAL_STATUSES = frozenset(
    {Status.SENT, Status.FAILED, Status.UNCONFIRMED, Status.SUPPRESSED, Status.CANCELLED}
)


class MessageType(models.TextChoices):
    DEFAULT = "", _("Default")
    TRANSACTIONAL = "TRANSACTIONAL", _("Transactional")


class Source(models.TextChoices):
    CODE = "code", _("Code")
    ADMIN = "admin", _("Admin")
    API = "api", _("REST API")
    ORDER = "order", _("Order event")
    CLI = "cli", _("Command line")


class Kind(models.TextChoices):
    """Which Attentive endpoint a row goes to; everything but a text keeps its ``payload``."""

    TEXT = "text", _("Text")
    CUSTOM_EVENT = "custom_event", _("Custom event")
    SUBSCRIPTION = "subscription", _("Subscription")
    UNSUBSCRIPTION = "unsubscription", _("Unsubscription")
    COMMERCE = "commerce", _("Commerce event")
    IDENTITY = "identity", _("Identity")
    ATTRIBUTES = "attributes", _("Custom attributes")


#: Kinds held back by the suppression list and quiet hours: what makes Attentive text someone.
#: A subscription, an opt-out or an identity is never held.
SCREENED_KINDS = frozenset({Kind.TEXT, Kind.CUSTOM_EVENT})


class CampaignState(models.TextChoices):
    """What an operator chose for a campaign; how far it got is counted from its texts."""

    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")


class Hold(models.TextChoices):
    """Why a queued message waits although nothing is wrong with it."""

    NONE = "", _("—")
    TOKEN = "token", _("API token refused or unusable")
    ENDPOINT = "endpoint", _("API endpoint not found (BASE_URL)")
    QUIET_HOURS = "quiet_hours", _("Quiet hours")


class Outcome(models.TextChoices):
    SENT = "sent", _("Sent")
    REJECTED = "rejected", _("Rejected (final)")
    RETRY = "retry", _("Failed, will retry")
    AUTH = "auth", _("Token refused")
    ENDPOINT = "endpoint", _("Endpoint not found")
    AMBIGUOUS = "ambiguous", _("No answer (unconfirmed)")
    WORKER_LOST = "worker_lost", _("Worker died mid-send")


class SuppressionReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("Opted out")
    NOT_FOUND = "not_found", _("Not found")
    MANUAL = "manual", _("Added by hand")
    WEBHOOK = "webhook", _("Unsubscribed (webhook)")


class WebhookOutcome(models.TextChoices):
    SUPPRESSED = "suppressed", _("Number suppressed")
    LIFTED = "lifted", _("Suppression lifted")
    IGNORED = "ignored", _("Nothing to do")
