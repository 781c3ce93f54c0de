"""Evidence of consent to texts, written once and never edited or deleted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
