"""Compliance records: the suppression list and the evidence of consent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
