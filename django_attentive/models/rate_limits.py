"""The account-wide rate limit's shared state, one row per Attentive endpoint."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitState(models.Model):
    """One Attentive endpoint's share of the account's rate limit, as every sender sees it.

    ``reserved_until`` is the moment (seconds since the epoch on the database's clock) up to
    which the endpoint's budget is spoken for; senders move it forward a slice at a time.
    """

    endpoint = models.CharField(_("endpoint"), max_length=200, primary_key=True)
    reserved_until = models.FloatField(_("reserved until"), default=0.0)

    class Meta:
        verbose_name = _("rate limit state")
        verbose_name_plural = _("rate limit states")

    def __str__(self) -> str:
        return self.endpoint
