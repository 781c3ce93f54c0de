"""Django views serving the fake Attentive inside a project, plus an inbox of what it received.

WSGI cannot hang up without answering, so the ``drop`` and ``drop_after`` faults answer
502 here instead (``drop_after`` still records the message first).
"""

from __future__ import annotations

from django.apps import apps
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .commerce import ATTRIBUTES_PATH, ECOMMERCE_PATHS, IDENTIFY_PATH, event_name
from .core import FakeResponse, error_response, fake

DROPPED = "Connection dropped (fake fault; a mounted fake cannot hang up, so it answers 502)"


def _to_django(response: FakeResponse) -> HttpResponse:
    if response.drop:
        response = error_response(502, DROPPED)
    result = HttpResponse(response.body, status=response.status)
    for name, value in response.headers.items():
        result[name] = value
    return result


@csrf_exempt
def endpoint(request: HttpRequest, route: str, rest: str = "") -> HttpResponse:
    """Hand the request to the fake: an API endpoint or a ``/_fake/...`` control endpoint."""
    path = route + rest
    query = request.META.get("QUERY_STRING", "")
    if query:
        path = f"{path}?{query}"
    return _to_django(fake.handle(request.method or "GET", path, request.headers, request.body))


@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    """List what the fake accepted on every endpoint, newest first; POST clears it."""
    if request.method == "POST":
        fake.clear()
        return redirect("attentive_fake:inbox")
    context: dict[str, object] = {}
    if apps.is_installed("django.contrib.admin") and hasattr(request, "user"):
        from django.contrib import admin

        context.update(admin.site.each_context(request))
    context.update(
        title="Fake Attentive inbox",
        received=[_labelled(record) for record in reversed(fake.records())],
        settings=fake.settings,
    )
    return render(request, "django_attentive/fake/inbox.html", context)


def _labelled(record: dict[str, object]) -> dict[str, object]:
    """The record with ``label``: what it is, for the inbox (``purchase``, ``identify``)."""
    endpoint = str(record.get("endpoint", ""))
    if endpoint in ECOMMERCE_PATHS:
        return {**record, "label": event_name(endpoint), "group": "ecommerce"}
    if endpoint == IDENTIFY_PATH:
        return {**record, "label": "identify", "group": "identify"}
    if endpoint == ATTRIBUTES_PATH:
        return {**record, "label": "custom attributes", "group": "attributes"}
    return record
