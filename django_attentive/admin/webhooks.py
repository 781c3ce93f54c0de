"""Admin for the webhook events Attentive posted: each stored once, read-only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.html import format_html

from ..models import WebhookEvent
from ..webhooks import MAX_DEPTH, nesting_depth
from .pagination import LargeTablePaginator
from .readonly import ReadOnlyAdminMixin

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[WebhookEvent]
else:  # Django's classes take no type parameters at run time
    _ModelAdmin = admin.ModelAdmin

_FIELDS = (
    "type",
    "number",
    "outcome",
    "detail",
    "occurred_at",
    "received_at",
    "purged_at",
    "dedup_key",
    "pretty_payload",
)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, _ModelAdmin):
    list_display = ["id", "type", "number", "outcome", "occurred_at", "received_at", "purged_at"]
    list_filter = ["outcome", "type", "received_at"]
    search_fields = ["=number", "=type"]
    show_full_result_count = False
    paginator = LargeTablePaginator
    fields = _FIELDS
    readonly_fields = _FIELDS

    @admin.display(description="payload")
    def pretty_payload(self, obj: WebhookEvent) -> str:
        if obj.purged_at is not None:
            return (
                f"(Emptied by attentive_purge on {obj.purged_at:%Y-%m-%d %H:%M} UTC. The row is "
                "kept, without the payload or number, so a replay of this event is still "
                "recognised.)"
            )
        if nesting_depth(obj.payload) > MAX_DEPTH:
            # Stored before such bodies were refused; indenting it would recurse past the limit.
            return (
                f"(Not shown: the payload is too deeply nested, more than {MAX_DEPTH} levels; "
                "no real Attentive event is. It was stored before such bodies were refused.)"
            )
        text = json.dumps(obj.payload, indent=2, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)
