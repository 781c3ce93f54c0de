"""The compose screen: write a text, preview its cost, confirm, and queue it for one or many."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypedDict
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models.options import Options
from django.forms import Media
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import conf, send_bulk, send_message
from ..backends import forbidden_body_characters
from ..exceptions import InvalidMessage
from ..models import Campaign, MessageTemplate, OutboundMessage, Source, Status
from ..segments import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    SegmentCount,
    count_segments,
)
from ..validation import (
    MAX_BODY_LENGTH,
    check_body,
    check_media_url,
    check_message_id,
    forbidden_character_message,
    normalize_phone,
)
from . import form_tokens
from .message_names import message_names_warning

MAX_RECIPIENTS = 10_000
# Parsing stops here: a paste far beyond the limit is refused before phonenumbers reads it all.
MAX_ENTRIES = 5 * MAX_RECIPIENTS
PREVIEW_NUMBERS = 20
SEPARATORS = re.compile(r"[,;]")


class SendingAdmin(Protocol):
    """What the compose screen needs of the outbox's ModelAdmin."""

    admin_site: AdminSite
    opts: Options[OutboundMessage]

    @property
    def media(self) -> Media: ...

    def has_send_permission(self, request: HttpRequest) -> bool: ...


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


def message_template_model() -> type[MessageTemplate] | None:
    """MessageTemplate when the order-events work is installed; None otherwise."""
    try:
        return apps.get_model("django_attentive", "MessageTemplate")
    except LookupError:
        return None


@dataclass
class Recipients:
    numbers: list[str] = field(default_factory=list)  # E.164, first occurrence order
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)


def parse_recipients(text: str) -> Recipients:
    """Split one-per-line or comma-separated numbers; every bad one is listed with its line."""
    result = Recipients()
    seen: set[str] = set()
    entries = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        for raw in SEPARATORS.split(line):
            raw = raw.strip()
            if not raw:
                continue
            entries += 1
            if entries > MAX_ENTRIES:
                result.problems.append(
                    f"More than {MAX_ENTRIES:,} entries; send at most {MAX_RECIPIENTS:,} "
                    "numbers at a time."
                )
                return result
            try:
                number = normalize_phone(raw)
            except ValueError as exc:
                result.problems.append(f"Line {line_number}: {exc}")
                continue
            if number in seen:
                result.duplicates += 1
            else:
                seen.add(number)
                result.numbers.append(number)
    return result


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class ComposeForm(forms.Form):
    recipients = forms.CharField(
        label=_("To"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "+1 201 555 0123\n(201) 555-0124, +44 7700 900123"}
        ),
        help_text=_(
            "One number per line or separated by commas, up to 10,000. Duplicates get one text."
        ),
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_BODY_LENGTH}),
    )
    media_url = forms.CharField(
        label=_("Image URL"),
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://shop.example/sale.png"}),
        help_text=_("Optional. A .gif, .png or .jpg under 500 KB; the text then goes out as MMS."),
    )
    message_id = forms.CharField(
        label=_("messageId"),
        required=False,
        help_text=_("Optional. Your own reference; Attentive echoes it back."),
    )
    transactional = forms.BooleanField(
        label=_("Transactional"),
        required=False,
        help_text=_("Order updates and other non-marketing texts (sent with type TRANSACTIONAL)."),
    )
    campaign = forms.CharField(
        label=_("Campaign"),
        required=False,
        max_length=Campaign._meta.get_field("name").max_length,
        help_text=_(
            "Optional. Name the send to follow its progress, pause or cancel it, and see who "
            "clicked or opted out; the same name again adds to that campaign."
        ),
    )
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Optional. Leave empty to send now."),
    )
    # Made when the form is first shown; with the content it keys each text (see compose_key).
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipients_parsed = Recipients()
        self.segments: SegmentCount | None = None
        self.template_object: MessageTemplate | None = None
        template_model = message_template_model()
        if template_model is not None:
            self.fields["template"] = forms.ModelChoiceField(
                label=_("Start from a template"),
                queryset=template_model._default_manager.filter(is_active=True).order_by("key"),
                to_field_name="key",
                required=False,
                empty_label=_("— write a new text —"),
            )
            self.order_fields(["recipients", "template", "body"])

    def clean_recipients(self) -> list[str]:
        parsed = parse_recipients(self.cleaned_data["recipients"])
        self.recipients_parsed = parsed
        if parsed.problems:
            count = len(parsed.problems)
            raise forms.ValidationError(
                [
                    ngettext(
                        "%(count)s number can't be texted; fix or remove it:",
                        "%(count)s numbers can't be texted; fix or remove them:",
                        count,
                    )
                    % {"count": f"{count:,}"},
                    *parsed.problems,
                ]
            )
        if not parsed.numbers:
            raise forms.ValidationError(_("Enter at least one phone number."))
        if len(parsed.numbers) > MAX_RECIPIENTS:
            raise forms.ValidationError(
                f"That is {len(parsed.numbers):,} different numbers; send to at most "
                f"{MAX_RECIPIENTS:,} at a time."
            )
        return parsed.numbers

    def clean_token(self) -> str:
        # One that can't be part of a key (hand-made, truncated) gets a fresh confirmation page.
        return form_tokens.usable(self.cleaned_data["token"])

    def clean_body(self) -> str:
        # Browsers submit CRLF; the live counter (and Attentive) see LF.
        body: str = self.cleaned_data["body"]
        return body.replace("\r\n", "\n")

    def clean_media_url(self) -> str:
        return _checked(check_media_url, self.cleaned_data["media_url"])

    def clean_message_id(self) -> str:
        return _checked(check_message_id, self.cleaned_data["message_id"])

    def clean_send_at(self) -> datetime | None:
        send_at: datetime | None = self.cleaned_data["send_at"]
        if send_at is not None and send_at < timezone.now() - timedelta(minutes=1):
            raise forms.ValidationError(_("That time has passed; leave it empty to send now."))
        return send_at

    def clean(self) -> dict[str, Any]:
        super().clean()
        # Form data is Django's untyped dict; each value is the one its field cleaned.
        data = self.cleaned_data
        template: MessageTemplate | None = data.get("template")
        if template is not None:
            self.template_object = template
            # Fields left empty are taken from the template.
            if not data.get("body"):
                data["body"] = template.body
            if not data.get("media_url") and "media_url" not in self.errors:
                data["media_url"] = template.media_url or ""
            data["transactional"] = data.get("transactional") or template.transactional
        if "body" in data and "body" not in self.errors:
            try:
                data["body"] = check_body(data["body"], forbidden_body_characters())
            except ValueError as exc:
                self.add_error("body", str(exc))
            else:
                self.segments = count_segments(data["body"])
        return data

    @property
    def numbers(self) -> list[str]:
        numbers: list[str] = self.cleaned_data["recipients"]
        return numbers


def _checked(check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


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
            return _send(model_admin, request, form)
        except InvalidMessage as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return _render_compose(model_admin, request, form)
    return _render_preview(model_admin, request, form)


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


def _send(model_admin: SendingAdmin, request: HttpRequest, form: ComposeForm) -> HttpResponse:
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
    info = model_admin.opts.app_label, model_admin.opts.model_name
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
