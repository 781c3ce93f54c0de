"""Message templates: texts written once, picked by key for order events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageTemplate(models.Model):
    """A text written once in Django template syntax; order events pick one by key."""

    key = models.SlugField(
        _("key"),
        max_length=100,
        unique=True,
        help_text=_("Order events use order_<event>, e.g. order_placed, order_shipped."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Django template syntax, rendered as plain text (no HTML escaping): "
            "{{ order.number }}, {{ event }}."
        ),
    )
    media_url = models.URLField(
        _("media URL"),
        max_length=2000,
        blank=True,
        help_text=_("A .gif, .png or .jpg under 500 KB makes the text an MMS."),
    )
    transactional = models.BooleanField(
        _("transactional"),
        default=True,
        help_text=_('Sent with type "TRANSACTIONAL" (order updates, not marketing).'),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive templates send nothing.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key
