"""The token an admin form carries so that submitting it twice sends nothing new.

It is made when the form is shown, and the idempotency keys of what the form sends are built
from it (``admin-compose:<token>:…``, ``admin-resend:<token>:<pk>``): a double click, back
and resubmit, or a retried POST finds the texts the first submission queued.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from ..models import OutboundMessage

FIELD = "token"
PATTERN = re.compile(r"[\w-]{1,64}", re.ASCII)


def new_token() -> str:
    return uuid.uuid4().hex


def usable(token: str | None) -> str:
    """``token`` when it can be part of a key; "" for a missing, hand-made or truncated one."""
    return token if token and PATTERN.fullmatch(token) else ""


def queued_before(message: OutboundMessage, started: datetime) -> bool:
    """True when a keyed call made at ``started`` returned a text an earlier submission queued."""
    return message.created_at < started
