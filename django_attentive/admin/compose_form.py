"""The compose form: who to text (many numbers, pasted any way), what, and when."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..backends import forbidden_body_characters
from ..models import Campaign, MessageTemplate
from ..segments import SegmentCount, count_segments
from ..validation import (
    MAX_BODY_LENGTH,
    check_body,
    check_media_url,
    check_message_id,
    normalize_phone,
)
from . import form_tokens

MAX_RECIPIENTS = 10_000
# Parsing stops here: a paste far beyond the limit is refused before phonenumbers reads it all.
MAX_ENTRIES = 5 * MAX_RECIPIENTS
SEPARATORS = re.compile(r"[,;]")


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
    # Made when the form is first shown; with the content it keys each text (compose_key).
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
