"""The app's models, one module per job, all importable from ``django_attentive.models``.

- ``outbox``: OutboundMessage (+ its QuerySet), the one row per text or request, and
  SendAttempt, its send log
- ``campaigns``: Campaign (+ its QuerySet), a named bulk send
- ``webhook_events``: WebhookEvent (+ its QuerySet), what Attentive posted
- ``compliance``: Suppression (the numbers never texted) and Consent (the evidence)
- ``message_templates``: MessageTemplate
- ``dashboard``: the admin's Dashboard entry and DailyTextCount, its rollup
- ``rate_limits``: RateLimitState, the account-wide rate limit's shared state
"""

from ..choices import (
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
from .campaigns import Campaign, CampaignQuerySet
from .compliance import Consent, Suppression
from .dashboard import DailyTextCount, Dashboard
from .message_templates import MessageTemplate
from .outbox import OutboundMessage, OutboundMessageQuerySet, SendAttempt
from .rate_limits import RateLimitState
from .webhook_events import SUBSCRIBED, UNSUBSCRIBED, WebhookEvent, WebhookEventQuerySet

__all__ = [
    "Consent",
    "FINAL_STATUSES",
    "SCREENED_KINDS",
    "Campaign",
    "CampaignQuerySet",
    "CampaignState",
    "DailyTextCount",
    "Dashboard",
    "Hold",
    "Kind",
    "MessageTemplate",
    "MessageType",
    "OutboundMessage",
    "OutboundMessageQuerySet",
    "Outcome",
    "RateLimitState",
    "SUBSCRIBED",
    "UNSUBSCRIBED",
    "SendAttempt",
    "Source",
    "Status",
    "Suppression",
    "SuppressionReason",
    "WebhookEvent",
    "WebhookEventQuerySet",
    "WebhookOutcome",
]
