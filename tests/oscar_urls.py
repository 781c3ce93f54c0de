"""The test URLs plus Oscar's storefront (used by tests.oscar_settings)."""

from django.apps import apps
from django.urls import include, path

from tests.urls import urlpatterns as base

urlpatterns = [*base, path("", include(apps.get_app_config("oscar").urls[0]))]
