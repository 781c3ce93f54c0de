from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("attentive/", include("django_attentive.urls")),
    path("shop/", include("example_project.shop.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# Only with DEBUG on and no token (settings.py): the fake's inbox and knobs have no login.
if settings.USE_FAKE_ATTENTIVE:
    urlpatterns.append(path("fake-attentive/", include("django_attentive.fake.urls")))
