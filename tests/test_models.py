"""The models package: one module per job, every model in one app, registered in a fixed order."""

from __future__ import annotations

from django.apps import apps

import django_attentive.models


def test_models_register_in_the_order_they_were_always_defined():
    # Django orders the deletes and SET NULL updates of related rows, and the content types
    # it creates, by registration: splitting the module must not reorder them.
    models = apps.get_app_config("django_attentive").get_models(include_auto_created=True)
    assert [model.__name__ for model in models] == [
        "Campaign",
        "OutboundMessage",
        "Dashboard",
        "DailyTextCount",
        "SendAttempt",
        "MessageTemplate",
        "Suppression",
        "WebhookEvent",
        "Consent",
        "RateLimitState",
    ]


def test_every_model_is_importable_from_django_attentive_models():
    for model in apps.get_app_config("django_attentive").get_models():
        assert getattr(django_attentive.models, model.__name__) is model
        assert model.__name__ in django_attentive.models.__all__
