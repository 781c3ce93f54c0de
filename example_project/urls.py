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
    from django_attentive.fake import fake

    urlpatterns.append(path("fake-attentive/", include("django_attentive.fake.urls")))
    # What Attentive would post back: every text the fake accepted is "sent", some are clicked
    # and a few opt out; signed with the demo's key, so campaign pages fill in (docs/campaigns.md).
    if settings.ATTENTIVE.get("WEBHOOK_SECRET"):
        fake.webhooks.configure(
            url=f"http://127.0.0.1:{settings.DEMO_PORT}/attentive/webhooks/",
            secret=settings.ATTENTIVE["WEBHOOK_SECRET"],
            click_rate=0.25,
            opt_out_rate=0.03,
            auto=True,
            interval=2,
        )
