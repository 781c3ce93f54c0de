"""What the admin's sending screens share: one permission behind every button that sends or
stops texts, and the names of their own URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from ..models import OutboundMessage

if TYPE_CHECKING:
    from django.db.models.options import Options


def may_send(request: HttpRequest) -> bool:
    """Compose, resend, cancel, a campaign's pause/resume/cancel and editing the suppression
    list all take ``send_message``."""
    return request.user.has_perm(f"{OutboundMessage._meta.app_label}.send_message")


class SendingScreenMixin:
    """``has_send_permission`` (the admin's ``permissions=["send"]`` asks it) and URL names."""

    opts: Options[Any]

    def has_send_permission(self, request: HttpRequest) -> bool:
        return may_send(request)

    def _url_name(self, view: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"
