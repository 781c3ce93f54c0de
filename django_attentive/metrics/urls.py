"""``path("attentive/metrics/", include("django_attentive.metrics.urls"))``."""

from django.urls import path

from .views import metrics_view

app_name = "attentive_metrics"
urlpatterns = [path("", metrics_view, name="metrics")]
