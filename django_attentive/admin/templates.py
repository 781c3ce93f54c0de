"""Admin for MessageTemplate, with a live preview rendered against a recent order.

The preview shows a real order only to staff who may view the shop's orders; everyone else
sees sample data, so writing templates never shows customers' data.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.template.defaultfilters import truncatechars
from django.template.response import SimpleTemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from ..models import MessageTemplate
from ..order_tracking import recent_order
from ..rendering import PreviewDict, RenderError, compile_body, preview
from ..template_language import allowed_list
from ..validation import check_media_url

#: The user whose change form is being rendered: the read-only preview field gets no request.
_viewer: ContextVar[object] = ContextVar("attentive_template_viewer", default=None)

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[MessageTemplate]
    _ModelAdmin = admin.ModelAdmin[MessageTemplate]
else:  # Django's classes take no type parameters at run time
    _ModelForm = forms.ModelForm
    _ModelAdmin = admin.ModelAdmin


class MessageTemplateForm(_ModelForm):
    media_url = forms.URLField(
        label="Media URL",
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=MessageTemplate._meta.get_field("media_url").help_text,
    )

    class Meta:
        model = MessageTemplate
        fields = ["key", "body", "media_url", "transactional", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "cols": 80})}
        help_texts = {
            "body": "Django template syntax, rendered as plain text: {{ order.number }}, "
            "{{ order.customer_name }}, {{ event }}. " + allowed_list()
        }

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        try:
            compile_body(body)
        except RenderError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return body

    def clean_media_url(self) -> str:
        try:
            return check_media_url(self.cleaned_data.get("media_url"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(MessageTemplate)
class MessageTemplateAdmin(_ModelAdmin):
    form = MessageTemplateForm
    list_display = ["key", "short_body", "transactional", "is_active", "updated_at"]
    list_filter = ["is_active", "transactional"]
    search_fields = ["key", "body"]
    readonly_fields = ["preview"]
    fields = ["key", "body", "preview", "media_url", "transactional", "is_active"]
    change_form_template = "admin/django_attentive/messagetemplate/change_form.html"

    @admin.display(description="body")
    def short_body(self, obj: MessageTemplate) -> str:
        return truncatechars(obj.body, 80)

    @admin.display(description="preview")
    def preview(self, obj: MessageTemplate | None) -> str:
        """Server-rendered first view; the page's script keeps it live while typing."""
        order = _order_to_preview(_viewer.get())
        result = preview(obj.body if obj and obj.body else "", order=order)
        return format_html(
            '<div id="attentive-preview" data-url="{}">'
            '<pre class="attentive-preview-text" style="white-space: pre-wrap; margin: 0">{}</pre>'
            '<p class="help attentive-preview-meta">{}</p>'
            '<p class="errornote attentive-preview-error"{}>{}</p></div>',
            reverse("admin:django_attentive_messagetemplate_preview"),
            result.text,
            _describe(result.as_dict()),
            "" if result.error else " hidden",
            result.error,
        )

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Render the page while the preview can still see who is looking."""
        token = _viewer.set(request.user)
        try:
            response = super().changeform_view(request, *args, **kwargs)
            if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                response.render()
            return response
        finally:
            _viewer.reset(token)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", view, name="django_attentive_messagetemplate_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """POST ``body`` -> JSON: the text as a customer would get it, its segments, any error."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        order = _order_to_preview(request.user)
        result = preview(request.POST.get("body", ""), order=order).as_dict()
        return JsonResponse({**result, "meta": _describe(result)})


def _may_view(user: object, model: type[models.Model]) -> bool:
    opts = model._meta
    has_perm = getattr(user, "has_perm", None)
    if has_perm is None:
        return False
    return any(
        has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
        for action in ("view", "change")
    )


def _order_to_preview(user: object) -> models.Model | None:
    """The newest real order if ``user`` may view orders of its model, else None (sample data)."""
    if user is None:
        return None
    order = recent_order()
    if order is None or not _may_view(user, type(order)):
        return None
    return order


def _describe(result: PreviewDict) -> str:
    """'Rendered with Order #1001 · 1 segment (GSM-7, 42 characters)'."""
    segments = result.get("segments")
    text = f"Rendered with {result['source']}"
    if segments:
        plural = "" if segments["segments"] == 1 else "s"
        text += (
            f" · {segments['segments']} segment{plural} "
            f"({segments['encoding']}, {segments['characters']} characters)"
        )
        if segments["ucs2_character"]:
            text += f"; {segments['ucs2_character']!r} forces UCS-2"
    return text
