"""The sign-up page: GET shows the form, POST records consent and subscribes the number."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from .. import conf, record_consent
from ..disclosure import MARKETING
from ..exceptions import InvalidMessage
from ..forms import SubscribeForm
from . import throttle

SOURCE = "sign-up form"
TOKEN_SECONDS = 3600
RATE_LIMITED = "Too many sign-ups from your network just now; try again in a minute."


def new_form() -> SubscribeForm:
    """An unbound sign-up form with its own one-time token."""
    return SubscribeForm(initial={"token": secrets.token_urlsafe(16)})


def _require_consent_settings() -> None:
    if not conf.consent_configured():
        raise Http404("The sign-up form is served once ATTENTIVE['CONSENT'] is set.")


@csrf_protect
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Show the sign-up form; on a valid POST store the consent and queue the subscription."""
    _require_consent_settings()
    if request.method != "POST":
        return _page(request, new_form())
    if not throttle.allow(request):
        return _page(request, new_form(), status=429, error=RATE_LIMITED)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    token = form.cleaned_data["token"]
    token_key = f"django_attentive:subscribe-token:{token}"
    if token and not cache.add(token_key, 1, timeout=TOKEN_SECONDS):
        return redirect("django_attentive:subscribed")  # a double submit: done the first time
    try:
        record_consent(
            request,
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"] or None,
            subscription_type=MARKETING,
            source=SOURCE,
        )
    except InvalidMessage as exc:
        cache.delete(token_key)
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return _page(request, form, status=400)
    return redirect("django_attentive:subscribed")


@require_GET
def subscribed(request: HttpRequest) -> HttpResponse:
    """After signing up: what happens next (Attentive's confirmation text)."""
    _require_consent_settings()
    return render(request, "django_attentive/subscribed.html", _context())


def _page(
    request: HttpRequest, form: SubscribeForm, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {**_context(), "form": form, "error": error}
    return render(request, "django_attentive/subscribe.html", context, status=status)


def _context() -> dict[str, object]:
    return {"shop_name": conf.consent()["SHOP_NAME"]}
