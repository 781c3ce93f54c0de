"""The compose screen: write a text, preview its cost, confirm, and queue it for one or many.

The form is in ``compose_form``, the sending in ``compose_send``; this module is the view.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.db.models.options import Options
from django.forms import Media
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..backends import forbidden_body_characters
from ..exceptions import InvalidMessage
from ..models import Campaign, OutboundMessage
from ..segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    count_segments,
)
from ..validation import MAX_BODY_LENGTH, forbidden_character_message
from . import form_tokens
from .compose_form import (  # noqa: F401 - the form's names, imported from here too
    MAX_RECIPIENTS,
    ComposeForm,
    message_template_model,
    parse_recipients,
)
from .compose_send import send
from .message_names import message_names_warning

PREVIEW_NUMBERS = 20


class SendingAdmin(Protocol):
    """What the compose screen needs of the outbox's ModelAdmin."""

    admin_site: AdminSite
    opts: Options[OutboundMessage]

    @property
    def media(self) -> Media: ...

    def has_send_permission(self, request: HttpRequest) -> bool: ...


def counter_config() -> dict[str, object]:
    """What the live counter needs to count exactly as segments.count_segments does."""
    config: dict[str, object] = {
        "brand_prefix": conf.brand_prefix(),
        "gsm7_basic": "".join(sorted(GSM7_BASIC)),
        "gsm7_extended": "".join(sorted(GSM7_EXTENDED)),
        "gsm7_single": GSM7_SINGLE,
        "gsm7_part": GSM7_PART,
        "ucs2_single": UCS2_SINGLE,
        "ucs2_part": UCS2_PART,
        "max_body_length": MAX_BODY_LENGTH,
        "templates": {},
        **forbidden_characters_config(),
    }
    template_model = message_template_model()
    if template_model is not None:
        config["templates"] = {
            template.key: {
                "body": template.body,
                "media_url": template.media_url or "",
                "transactional": bool(template.transactional),
            }
            for template in template_model._default_manager.filter(is_active=True)
        }
    return config


def forbidden_characters_config() -> dict[str, str]:
    """The characters the configured transport refuses, and the words validation uses for them
    (``%s`` stands for the character found)."""
    forbidden = forbidden_body_characters()
    message = forbidden_character_message("%s", forbidden) if forbidden else ""
    return {"forbidden_characters": forbidden, "forbidden_message": message}


def compose_view(model_admin: SendingAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: preview (always for many recipients), then send on confirmation."""
    if not model_admin.has_send_permission(request):
        raise PermissionDenied
    if request.method != "POST":
        initial = {"token": form_tokens.new_token(), "recipients": request.GET.get("to", "")}
        if request.GET.get("template"):
            initial["template"] = request.GET["template"]
        return _render_compose(model_admin, request, ComposeForm(initial=initial))
    form = ComposeForm(request.POST)
    if "_edit" in request.POST or not form.is_valid():
        return _render_compose(model_admin, request, form)
    wants_send = "_confirm" in request.POST or "_send" in request.POST
    # Without a token a resubmission could not be recognised: confirm once more, with one.
    can_send = bool(form.cleaned_data["token"])
    # A campaign is always confirmed first: the page says whether it joins an existing one.
    at_once = len(form.numbers) == 1 and not form.cleaned_data["campaign"]
    if wants_send and can_send and ("_confirm" in request.POST or at_once):
        try:
            return send(model_admin.opts, request, form)
        except InvalidMessage as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return _render_compose(model_admin, request, form)
    return _render_preview(model_admin, request, form)


def _context(
    model_admin: SendingAdmin, request: HttpRequest, title: str | Promise
) -> dict[str, object]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        "counter_config": counter_config(),
    }


def _render_compose(
    model_admin: SendingAdmin, request: HttpRequest, form: ComposeForm
) -> TemplateResponse:
    context = _context(model_admin, request, _("Compose a text"))
    context.update(form=form, media=model_admin.media + form.media)
    return TemplateResponse(request, "admin/django_attentive/outboundmessage/compose.html", context)


def _render_preview(
    model_admin: SendingAdmin, request: HttpRequest, form: ComposeForm
) -> TemplateResponse:
    data = form.cleaned_data
    segments = form.segments or count_segments(data["body"])
    recipients = form.recipients_parsed
    count = len(form.numbers)
    context = _context(
        model_admin,
        request,
        _("Confirm: text %(count)s recipients") % {"count": f"{count:,}"}
        if count > 1
        else _("Confirm the text"),
    )
    context.update(
        form=form,
        count=count,
        duplicates=recipients.duplicates,
        shown_numbers=form.numbers[:PREVIEW_NUMBERS],
        more_numbers=max(0, count - PREVIEW_NUMBERS),
        segments=segments,
        total_segments=segments.segments * count,
        brand_prefix=conf.brand_prefix(),
        body=data["body"],
        media_url=data["media_url"],
        message_id=data["message_id"],
        transactional=data["transactional"],
        send_at=data["send_at"],
        template=form.template_object,
        token=data["token"] or form_tokens.new_token(),
        campaign=data.get("campaign") or "",
        campaign_joined=_joined(data.get("campaign")),
        names_warning=message_names_warning(data.get("campaign"), data["message_id"]),
    )
    return TemplateResponse(
        request, "admin/django_attentive/outboundmessage/compose_confirm.html", context
    )


def _joined(name: str | None) -> Campaign | None:
    return Campaign.objects.filter(name=name).first() if name else None
