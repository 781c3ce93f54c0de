"""Admin for the send log (SendAttempt): one row per HTTP request, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import SendAttempt
from .pagination import LargeTablePaginator
from .readonly import ReadOnlyAdminMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _AttemptAdmin = admin.ModelAdmin[SendAttempt]
else:  # Django's classes take no type parameters at run time
    _AttemptAdmin = admin.ModelAdmin


class StatusCodeFilter(admin.SimpleListFilter):
    """Fixed choices: the default filter would scan the whole send log for distinct codes."""

    title = _("HTTP status")
    parameter_name = "status_code"
    CODES = (200, 400, 403, 404, 429, 500, 502, 503, 504)

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[SendAttempt]
    ) -> list[tuple[str, StrOrPromise]]:
        return [(str(code), str(code)) for code in self.CODES] + [("none", _("No answer"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SendAttempt]
    ) -> QuerySet[SendAttempt] | None:
        value = self.value()
        if value == "none":
            return queryset.filter(status_code__isnull=True)
        if value and value.isdigit():
            return queryset.filter(status_code=int(value))
        return None


@admin.register(SendAttempt)
class SendAttemptAdmin(ReadOnlyAdminMixin, _AttemptAdmin):
    list_display = ["id", "message", "started_at", "status_code", "outcome", "duration_ms"]
    list_filter = ["outcome", StatusCodeFilter, "started_at"]
    search_fields = ["=message__to", "=message__message_id", "error"]
    list_select_related = ["message"]
    show_full_result_count = False
    paginator = LargeTablePaginator
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
