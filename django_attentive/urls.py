"""Mount with ``path("attentive/", include("django_attentive.urls"))``."""

from rest_framework.routers import SimpleRouter

from .api.views import MessageViewSet

app_name = "django_attentive"

router = SimpleRouter()
router.register("api/messages", MessageViewSet, basename="message")

urlpatterns = router.urls
