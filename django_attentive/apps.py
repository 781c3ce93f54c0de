from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttentiveConfig(AppConfig):
    name = "django_attentive"
    verbose_name = _("Attentive text messages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
