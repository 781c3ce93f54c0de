"""The suppression list: the numbers the app never texts, and why."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import SuppressionReason


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
