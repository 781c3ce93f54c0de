"""Admin for consent evidence: read-only, never deleted, exported to CSV for an auditor."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ..models import Consent, OutboundMessage
from .pagination import LargeTablePaginator
from .phone_search import by_phone
from .readonly import ReadOnlyAdminMixin

CSV_FIELDS = [
    "id",
    "created_at",
    "phone",
    "email",
    "user_id",
    "subscription_type",
    "source",
    "sign_up_source_id",
    "ip_address",
    "user_agent",
    "page_url",
    "disclosure_sha256",
    "disclosure",
]
_E164 = re.compile(r"^\+\d{1,15}$")
DETAIL_FIELDS = [
    "created_at",
    "phone",
    "email",
    "user",
    "subscription_type",
    "source",
    "sign_up_source_id",
    "disclosure",
    "disclosure_sha256",
    "ip_address",
    "user_agent",
    "page_url",
    "subscription_requests",
]

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Consent]
else:
    _ModelAdmin = admin.ModelAdmin


def csv_cell(value: object) -> str:
    """A value as a spreadsheet shows it, never as a formula (=, +, -, @ lead a formula)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _E164.match(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(queryset: QuerySet[Consent]) -> Iterator[str]:
    """The header, then one CSV line per consent, oldest first, read in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_FIELDS)
    for consent in queryset.order_by("created_at", "id").iterator(chunk_size=2000):
        yield writer.writerow([csv_cell(getattr(consent, name)) for name in CSV_FIELDS])


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin, _ModelAdmin):
    list_display = ["id", "phone", "subscription_type", "source", "created_at", "ip_address"]
    list_filter = ["subscription_type", "source", "created_at"]
    search_fields = ["=phone", "=email"]
    show_full_result_count = False
    paginator = LargeTablePaginator
    actions = ["export_csv"]
    fields = tuple(DETAIL_FIELDS)
    readonly_fields = tuple(DETAIL_FIELDS)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Consent], search_term: str
    ) -> tuple[QuerySet[Consent], bool]:
        found = by_phone(queryset, search_term, "phone")
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="subscription requests")
    def subscription_requests(self, obj: Consent) -> str:
        """The requests this consent made (e.g. POST /v1/subscriptions) and Attentive's answer."""
        rows = OutboundMessage.objects.filter(
            content_type=ContentType.objects.get_for_model(Consent), object_id=str(obj.pk)
        ).prefetch_related("send_attempts")
        if not rows:
            return "None (recorded without subscribing)."
        return format_html_join(
            "",
            '<div><a href="{}">#{} {}</a>: {} {}</div>',
            (
                (
                    reverse("admin:django_attentive_outboundmessage_change", args=[row.pk]),
                    row.pk,
                    row.get_kind_display(),
                    row.get_status_display(),
                    _answer(row),
                )
                for row in rows
            ),
        )

    @admin.action(description="Export selected consents to CSV")
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Consent]
    ) -> StreamingHttpResponse:
        response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="consents-{stamp}.csv"'
        return response


def _answer(row: OutboundMessage) -> str:
    attempts = list(row.send_attempts.all())
    if not attempts:
        return ""
    code = attempts[0].status_code
    return format_html("(Attentive answered {})", code if code is not None else "nothing")
