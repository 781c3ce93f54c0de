"""The adapter's app config, found by Django from ``"django_attentive.contrib.oscar"``."""

from __future__ import annotations

from django.apps import AppConfig


class AttentiveOscarConfig(AppConfig):
    name = "django_attentive.contrib.oscar"
    label = "attentive_oscar"  # "oscar" is Oscar's own label
    verbose_name = "Attentive texts for django-oscar"

    def ready(self) -> None:
        from .receivers import connect

        connect()
