"""Mount with ``path("attentive/", include("django_attentive.urls"))``."""

from django.urls import path  # noqa: F401

app_name = "django_attentive"

urlpatterns: list = []
