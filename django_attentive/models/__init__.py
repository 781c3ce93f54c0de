"""The app's models, one module per job, all importable from ``django_attentive.models``.

- ``campaigns``: Campaign (+ its QuerySet), a named bulk send
- ``outbox``: OutboundMessage (+ its QuerySet), one row per text or request to send
- ``dashboard``: the admin's Dashboard entry and DailyTextCount, its rollup
- ``send_attempts``: SendAttempt, the send log
- ``message_templates``: MessageTemplate
- ``suppressions``: Suppression, the numbers never texted
- ``webhook_events``: WebhookEvent (+ its QuerySet), what Attentive posted
- ``consents``: Consent, the evidence
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

# isort: off
# In the order the models were always defined: Django registers them in import order, and
# orders the deletes and updates of related rows, and new content types, by registration.
from .campaigns import Campaign, CampaignQuerySet
from .outbox import OutboundMessage, OutboundMessageQuerySet
from .dashboard import DailyTextCount, Dashboard
from .send_attempts import SendAttempt
from .message_templates import MessageTemplate
from .suppressions import Suppression
from .webhook_events import SUBSCRIBED, UNSUBSCRIBED, WebhookEvent, WebhookEventQuerySet
from .consents import Consent
from .rate_limits import RateLimitState

# isort: on

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
