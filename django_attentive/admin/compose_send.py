"""Sending what the compose screen confirmed: one text, a bulk send, or a campaign's texts.

The form's token and a digest of its content key every text (``compose_key``), so the same
form sent twice queues nothing new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from .. import send_bulk, send_message
from ..models import Campaign, OutboundMessage, Source, Status
from . import form_tokens
from .compose_form import ComposeForm


class _SendOptions(TypedDict):
    media_url: str | None
    message_id: str | None
    transactional: bool
    send_at: datetime | None
    source: str
    created_by: AbstractBaseUser | None


def acting_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The signed-in user behind an admin request (the admin lets no anonymous one this far)."""
    user = request.user
    return user if isinstance(user, AbstractBaseUser) else None


def compose_key(token: str, data: dict[str, Any]) -> str:
    """The idempotency key prefix of a compose form's texts; each text adds ``:<number>``.

    The token is made when the form is first shown, so the same form sent again (double
    click, back and resubmit, a retried POST) makes no new texts; the digest of the content
    makes a changed text from that form a new send.
    """
    send_at = data["send_at"]
    content = [
        data["body"],
        data["media_url"],
        data["message_id"],
        bool(data["transactional"]),
        send_at.isoformat() if send_at else None,
    ]
    if data.get("campaign"):
        content.append(data["campaign"])
    digest = hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]
    return f"admin-compose:{token}:{digest}"


def send(opts: Options[OutboundMessage], request: HttpRequest, form: ComposeForm) -> HttpResponse:
    """Queue the confirmed form's texts and go where the operator follows them."""
    data = form.cleaned_data
    key = compose_key(data["token"], data)
    started = timezone.now()
    common: _SendOptions = {
        "media_url": data["media_url"] or None,
        "message_id": data["message_id"] or None,
        "transactional": data["transactional"],
        "send_at": data["send_at"],
        "source": Source.ADMIN,
        "created_by": acting_user(request),
    }
    info = opts.app_label, opts.model_name
    if data.get("campaign"):
        return _send_campaign(request, form, key, common)
    if len(form.numbers) == 1:
        number = form.numbers[0]
        message = send_message(number, data["body"], idempotency_key=f"{key}:{number}", **common)
        if form_tokens.queued_before(message, started):
            messages.warning(
                request,
                f"Text #{message.pk} to {message.to} was already queued from this page; "
                "it was not sent again.",
            )
        elif message.status == Status.SUPPRESSED:
            messages.warning(request, f"Text #{message.pk} to {message.to}: {message.last_error}")
        else:
            messages.success(request, f"Text #{message.pk} to {message.to} is on its way.")
        return HttpResponseRedirect(reverse("admin:{}_{}_change".format(*info), args=[message.pk]))
    created = send_bulk(form.numbers, data["body"], idempotency_key=key, **common)
    pks = [message.pk for message in created]
    new = [message for message in created if not form_tokens.queued_before(message, started)]
    _report_bulk(request, len(created), new)
    query = {
        "source__exact": Source.ADMIN,
        "created_by__id__exact": request.user.pk,
        "id__gte": min(pks),
        "id__lte": max(pks),
    }
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    return HttpResponseRedirect(f"{changelist}?{urlencode(query)}")


def _send_campaign(
    request: HttpRequest, form: ComposeForm, key: str, common: _SendOptions
) -> HttpResponse:
    """Queue the texts as (part of) a campaign, then show its live progress page."""
    started = timezone.now()
    data = form.cleaned_data
    created = send_bulk(
        form.numbers, data["body"], idempotency_key=key, campaign=data["campaign"], **common
    )
    new = [message for message in created if not form_tokens.queued_before(message, started)]
    _report_bulk(request, len(created), new)
    campaign_pk = created[0].campaign_id
    opts = Campaign._meta
    return HttpResponseRedirect(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[campaign_pk])
    )


def _report_bulk(request: HttpRequest, total: int, new: list[OutboundMessage]) -> None:
    """Say what a bulk send queued now, and what an earlier send of the same page already had."""
    if not new:
        messages.warning(
            request,
            f"All {total:,} texts were already queued from this page; nothing was sent twice.",
        )
        return
    if len(new) < total:
        messages.warning(
            request,
            f"{total - len(new):,} of these texts were already queued from this page; they "
            "were not sent again.",
        )
    suppressed = sum(message.status == Status.SUPPRESSED for message in new)
    if suppressed:
        messages.warning(
            request,
            f"{suppressed:,} of them are on the suppression list: stored as suppressed, not sent.",
        )
    queued = ngettext("Queued %(count)s text.", "Queued %(count)s texts.", len(new)) % {
        "count": f"{len(new):,}"
    }
    messages.success(
        request, f"{queued} They go out through the task queue; their status updates here."
    )
