from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("", views.checkout, name="checkout"),
    path("thanks/<str:number>/", views.thanks, name="thanks"),
    path("terms/", views.policy, {"page": "terms"}, name="terms"),
    path("privacy/", views.policy, {"page": "privacy"}, name="privacy"),
    path("products/<str:key>/", views.product, name="product"),
    path("products/<str:key>/add/", views.add_to_cart, name="add_to_cart"),
]
