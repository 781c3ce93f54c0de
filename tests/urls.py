from django.contrib import admin
from django.urls import include, path

from .commerce_views import product_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("attentive/", include("django_attentive.urls")),
    path("attentive/metrics/", include("django_attentive.metrics.urls")),
    path("fake-attentive/", include("django_attentive.fake.urls")),
    path("products/<str:product_id>/", product_page, name="product"),
]
