"""Mount with ``path("attentive/", include("django_attentive.urls"))``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api.campaign_views import CampaignViewSet
from .api.views import MessageViewSet
from .storefront import views as storefront
from .webhooks import webhook_view

app_name = "django_attentive"

router = SimpleRouter()
router.register("api/messages", MessageViewSet, basename="message")
router.register("api/campaigns", CampaignViewSet, basename="campaign")

urlpatterns = [
    *router.urls,
    path("webhooks/", webhook_view, name="webhooks"),
    path("subscribe/", storefront.subscribe, name="subscribe"),
    path("subscribe/thanks/", storefront.subscribed, name="subscribed"),
]
