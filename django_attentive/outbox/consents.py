"""Recording consent: the evidence row, the suppression it may lift, and the subscription."""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .. import conf
from ..disclosure import check_type, disclosure
from ..exceptions import InvalidMessage
from ..models import Consent, Suppression, SuppressionReason
from ..privacy import mask_phone
from ..subscriptions import SubscriberUser, user_fields
from .subscribers import subscribe as subscribe_number
from .suppressions import lift_suppression

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")

#: The same person agreeing to the same words from the same place again within this is one
#: consent (a double submit), not two.
REPEAT_WINDOW = timedelta(minutes=10)
MAX_SOURCE_LENGTH = 100
MAX_HEADER_LENGTH = 2000


def record_consent(
    request: HttpRequest,
    *,
    phone: str,
    subscription_type: str = "MARKETING",
    source: str,
    email: str | None = None,
    user: AbstractBaseUser | None = None,
    subscribe: bool = True,
) -> Consent:
    """Store the evidence that the visitor ticked the consent box, then subscribe the number.

    The disclosure stored is the one the app shows for ``subscription_type`` in the active
    language (``ConsentField`` checks the visitor saw exactly that text). ``user`` defaults to
    the logged-in user. A suppression of the number is lifted when this consent is newer than
    its latest opt-out (never one made by hand). Evidence and subscription are one
    transaction; the same consent submitted twice within ten minutes is stored once.
    Raises ``InvalidMessage`` keyed by argument name.
    """
    errors: dict[str, list[str]] = {}
    if phone in (None, ""):
        errors["phone"] = ["Give the phone number the visitor agreed to receive texts at."]
        number, subscriber = "", SubscriberUser()
    else:
        number, subscriber = user_fields(phone, email, errors)
    if not isinstance(source, str) or not source.strip() or "\x00" in source:
        errors["source"] = ["Say where consent was given, e.g. 'checkout' or 'footer form'."]
    try:
        check_type(subscription_type)
    except ValueError as exc:
        errors["subscription_type"] = [str(exc)]
    if errors:
        raise InvalidMessage(errors)
    shown = disclosure(subscription_type)
    if (
        user is None
        and getattr(request, "user", None) is not None
        and request.user.is_authenticated
    ):
        user = request.user
    evidence = {
        "phone": number,
        "email": subscriber.get("email", ""),
        "subscription_type": shown.subscription_type,
        "disclosure_sha256": shown.sha256,
        "source": source.strip()[:MAX_SOURCE_LENGTH],
        "ip_address": client_ip(request),
    }
    repeat = Consent.objects.filter(
        **evidence, created_at__gte=timezone.now() - REPEAT_WINDOW
    ).first()
    if repeat is not None:
        return repeat
    with transaction.atomic():
        consent = Consent.objects.create(
            **evidence,
            user=user,  # type: ignore[misc]  # AUTH_USER_MODEL may be any user model
            disclosure=shown.text,
            sign_up_source_id=conf.sign_up_source_id(shown.subscription_type),
            user_agent=_header(request, "HTTP_USER_AGENT"),
            page_url=page_url(request),
        )
        _lift_older_opt_out(number, consent)
        if subscribe:
            subscribe_number(
                number,
                email=subscriber.get("email"),
                subscription_type=shown.subscription_type,
                user=user,
                consent=consent,
                idempotency_key=f"consent:{consent.pk}",
            )
    logger.info(
        "Consent #%s to %s texts from %s (%s)",
        consent.pk,
        consent.subscription_type,
        mask_phone(number),
        consent.source,
    )
    return consent


def _lift_older_opt_out(number: str, consent: Consent) -> None:
    """A new consent undoes an older opt-out, never a newer one, nor a block made by hand."""
    if Suppression.objects.filter(number=number, reason=SuppressionReason.MANUAL).exists():
        return
    lift_suppression(number, resubscribed_at=consent.created_at)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR when it is an IP address (a proxy's header is not trusted)."""
    value = str(request.META.get("REMOTE_ADDR") or "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def page_url(request: HttpRequest) -> str:
    """Where the form was shown: the Referer on this site, else the URL posted to."""
    try:
        here = request.build_absolute_uri()
        host = request.get_host()
    except DisallowedHost:
        return _clean(request.path)
    referer = _header(request, "HTTP_REFERER")
    if referer.split("://", 1)[-1].split("/", 1)[0] == host:
        return referer
    return _clean(here)


def _header(request: HttpRequest, name: str) -> str:
    return _clean(str(request.META.get(name) or ""))


def _clean(text: str) -> str:
    return text.replace("\x00", "")[:MAX_HEADER_LENGTH]
