"""The send log: one SendAttempt per HTTP request made for an outbox row."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import Outcome
from .outbox import OutboundMessage


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
