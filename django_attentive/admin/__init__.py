"""The admin, one module per screen; importing them registers the ModelAdmins."""

from . import messages  # noqa: F401
from .attempts import SendAttemptAdmin  # noqa: F401
from .campaigns import CampaignAdmin  # noqa: F401
from .consents import ConsentAdmin  # noqa: F401
from .dashboard import DashboardAdmin  # noqa: F401
from .suppressions import SuppressionAdmin  # noqa: F401
from .templates import MessageTemplateAdmin  # noqa: F401
from .webhooks import WebhookEventAdmin  # noqa: F401
