"""Admin for the outbox (OutboundMessage) and the send log (SendAttempt)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.urls import NoReverseMatch, reverse

from ..models import OutboundMessage, SendAttempt


class ReadOnlyAdminMixin:
    """Messages and attempts are records: viewable and searchable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SendAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SendAttempt
    extra = 0
    can_delete = False
    ordering = ["started_at", "id"]
    fields = [
        "started_at",
        "duration_ms",
        "status_code",
        "outcome",
        "request",
        "response_body",
        "error",
    ]
    readonly_fields = fields


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "to",
        "short_body",
        "status",
        "attempts",
        "source",
        "created_at",
        "sent_at",
    ]
    list_display_links = ["id", "to"]
    list_filter = ["status", "source", "message_type", "created_at"]
    search_fields = ["=to", "body", "=message_id"]
    date_hierarchy = None
    show_full_result_count = False
    list_per_page = 50
    inlines = [SendAttemptInline]
    change_list_template = "admin/django_attentive/outboundmessage/change_list.html"
    readonly_fields = [
        "to",
        "body",
        "media_url",
        "message_id",
        "message_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "idempotency_key",
        "source",
        "created_by",
        "resent_from",
        "content_type",
        "object_id",
        "claimed_at",
        "claimed_by",
        "created_at",
        "sent_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["to", "body", "media_url", "message_id", "message_type"]}),
        (
            "Delivery",
            {"fields": ["status", "attempts", "next_attempt_at", "last_error", "sent_at"]},
        ),
        (
            "Origin",
            {
                "fields": [
                    "source",
                    "created_by",
                    "resent_from",
                    "content_type",
                    "object_id",
                    "idempotency_key",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        ("Worker", {"classes": ["collapse"], "fields": ["claimed_at", "claimed_by"]}),
    ]

    @admin.display(description="body")
    def short_body(self, obj: OutboundMessage) -> str:
        return truncatechars(obj.body, 60)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "fake_inbox_url": _fake_inbox_url()}
        return super().changelist_view(request, extra_context)


@admin.register(SendAttempt)
class SendAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "message", "started_at", "status_code", "outcome", "duration_ms"]
    list_filter = ["outcome", "status_code", "started_at"]
    search_fields = ["=message__to", "=message__message_id", "error"]
    list_select_related = ["message"]
    show_full_result_count = False
    readonly_fields = [
        "message",
        "started_at",
        "duration_ms",
        "request",
        "status_code",
        "response_body",
        "outcome",
        "error",
    ]


def _fake_inbox_url() -> str | None:
    """The fake Attentive's inbox, when the project mounts it (the demo does)."""
    try:
        return reverse("attentive_fake:inbox")
    except NoReverseMatch:
        return None
