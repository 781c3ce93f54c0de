"""The admin dashboard's entry and its rollup of settled days."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .outbox import OutboundMessage


class Dashboard(OutboundMessage):
    """The admin's dashboard: no table of its own, an entry in the app's admin index."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboard")


class DailyTextCount(models.Model):
    """Texts created on one settled day, per status: the dashboard's rollup of the past.

    A day is written once no text created on it can change any more (none is queued or
    sending, and it ended two days ago), so concurrent writers can only write the same
    numbers. A row with an empty ``status`` marks a day as rolled up. Counts are kept when
    ``attentive_purge`` deletes the texts themselves.
    """

    day = models.DateField(_("day"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(_("status"), max_length=16, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("daily text count")
        verbose_name_plural = _("daily text counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "time_zone", "status"], name="attentive_daily_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status or 'rolled up'}: {self.count}"
