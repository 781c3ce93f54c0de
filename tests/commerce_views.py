"""A product page as a shop writes one: it records the view and renders, nothing more."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from django_attentive import commerce


def product_page(request: HttpRequest, product_id: str) -> HttpResponse:
    commerce.product_viewed(
        {"productId": product_id, "name": "Mug", "price": "12.50"},
        email=request.GET.get("email"),
    )
    return HttpResponse(f"<h1>Mug {product_id}</h1>")
