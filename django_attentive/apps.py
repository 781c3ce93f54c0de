from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttentiveConfig(AppConfig):
    name = "django_attentive"
    verbose_name = _("Attentive text messages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, consent_checks  # noqa: F401 - registers the system checks
        from .privacy import install_log_filter

        install_log_filter()
        self._connect_delivery()
        self._connect_order_events()
        self._register_metrics()
        self._connect_logins()

    def _connect_delivery(self) -> None:
        # The outbox asks for delivery through a signal; the runtime that sends answers it.
        from .outbox.handoff import delivery_requested
        from .sending.dispatch import on_delivery_requested

        delivery_requested.connect(on_delivery_requested, dispatch_uid="django_attentive.sending")

    def _connect_order_events(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_save

        from . import orders, rendering
        from .models import MessageTemplate

        orders.connect()
        uid = "django_attentive.rendering"
        pre_save.connect(rendering.forget_renamed_template, MessageTemplate, dispatch_uid=uid)
        post_save.connect(rendering.forget_template, MessageTemplate, dispatch_uid=uid)
        post_delete.connect(rendering.forget_template, MessageTemplate, dispatch_uid=uid)

    def _register_metrics(self) -> None:
        # Prometheus collectors, when the optional extra is installed (pip install ...[metrics]).
        from importlib.util import find_spec

        if find_spec("prometheus_client") is not None:
            from . import metrics  # noqa: F401 - importing registers the collectors

    def _connect_logins(self) -> None:
        # Connected always; each receiver reads IDENTIFY_ON_LOGIN when it runs.
        from . import logins

        logins.connect()
