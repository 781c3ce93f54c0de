"""Mount the fake Attentive: ``path("fake-attentive/", include("django_attentive.fake.urls"))``.

Then set ``ATTENTIVE["BASE_URL"]`` to ``http://<host>/fake-attentive``. Development only:
the endpoints accept any token by default and anyone can read or change the fake.
"""

from django.urls import path, re_path

from . import views

app_name = "attentive_fake"

urlpatterns = [
    re_path(r"^v1/messages/?$", views.endpoint, {"route": "/v1/messages"}, name="messages"),
    re_path(r"^v1/text/send/?$", views.endpoint, {"route": "/v1/text/send"}, name="text_send"),
    re_path(r"^v1/events/custom/?$", views.endpoint, {"route": "/v1/events/custom"}, name="events"),
    re_path(
        r"^v1/subscriptions/?$", views.endpoint, {"route": "/v1/subscriptions"}, name="subscribe"
    ),
    re_path(
        r"^v1/subscriptions/unsubscribe/?$",
        views.endpoint,
        {"route": "/v1/subscriptions/unsubscribe"},
        name="unsubscribe",
    ),
    re_path(
        r"^v1/events/ecommerce/(?P<rest>product-view|add-to-cart|purchase)/?$",
        views.endpoint,
        {"route": "/v1/events/ecommerce/"},
        name="ecommerce",
    ),
    re_path(
        r"^v1/identity-resolution/user-identifiers/?$",
        views.endpoint,
        {"route": "/v1/identity-resolution/user-identifiers"},
        name="identify",
    ),
    re_path(
        r"^v1/attributes/custom/?$",
        views.endpoint,
        {"route": "/v1/attributes/custom"},
        name="attributes",
    ),
    path("_fake/<path:rest>", views.endpoint, {"route": "/_fake/"}, name="control"),
    path("inbox/", views.inbox, name="inbox"),
]
