"""The dashboard at admin/django_attentive/dashboard/: what was sent, what failed, the queue.

Registered for the ``Dashboard`` proxy model so it has its place in the app's admin index;
anyone who may view text messages may see it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from ..models import Dashboard, Status
from . import charts
from .dashboard_data import DEFAULT_DAYS, DashboardData, dashboard_data

PERMISSION = "django_attentive.view_outboundmessage"
MAX_DAYS = 90
#: Bottom to top in the stacked bars; the table lists them in the same order.
TEXT_SERIES = (
    Status.SENT,
    Status.QUEUED,
    Status.SENDING,
    Status.UNCONFIRMED,
    Status.FAILED,
    Status.SUPPRESSED,
    Status.CANCELLED,
)
AUDIENCE_SERIES = (
    ("subscribed", _("Subscribed (webhook)")),
    ("unsubscribed", _("Unsubscribed (webhook)")),
    ("suppressed", _("Added to the suppression list")),
)


if TYPE_CHECKING:
    _DashboardAdmin = admin.ModelAdmin[Dashboard]
else:  # Django's classes take no type parameters at run time
    _DashboardAdmin = admin.ModelAdmin


@admin.register(Dashboard)
class DashboardAdmin(_DashboardAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("", view, name="{}_{}_changelist".format(*info))]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        days = _days(request.GET.get("days"))
        data = dashboard_data(days)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Text messages dashboard"),
            "days": days,
            "day_choices": (7, 30, 90),
            "data": data,
            **_charts(data),
        }
        return TemplateResponse(request, "admin/django_attentive/dashboard.html", context)


def _days(raw: str | None) -> int:
    try:
        return min(max(int(raw or DEFAULT_DAYS), 1), MAX_DAYS)
    except ValueError:
        return DEFAULT_DAYS


def _charts(data: DashboardData) -> dict[str, Any]:
    text_series = [
        charts.Series(status.value, str(status.label), data.texts[status.value])
        for status in TEXT_SERIES
    ]
    audience_series = [
        charts.Series(key, str(label), data.audience[key]) for key, label in AUDIENCE_SERIES
    ]
    return {
        "texts_chart": charts.stacked_bars(data.days, text_series),
        "texts_table": _table(data, text_series, data.counting),
        "text_series": text_series,
        "audience_chart": charts.lines(data.days, audience_series),
        "audience_table": _table(data, audience_series),
        "audience_series": audience_series,
        "reasons_chart": charts.horizontal_bars(data.reasons),
        "latency_median": _duration(data.latency.median),
        "latency_p95": _duration(data.latency.p95),
        "oldest_due_age": _duration(data.queue.oldest_due_age),
    }


def _duration(value: timedelta | None) -> str:
    """A span as an operator reads it: 850 ms, 4.2 s, 12 min 5 s, 3 h 20 min, 2 d 4 h."""
    if value is None:
        return "—"
    seconds = max(value.total_seconds(), 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s"


def _table(
    data: DashboardData, series: list[charts.Series], counting_days: Iterable[date] = ()
) -> list[dict[str, Any]]:
    """Rows for the accessible table beside a chart: newest day first, with a total; a day
    still being counted says so instead of showing zeros."""
    rows = []
    counting = set(counting_days)
    for i, day in enumerate(data.days):
        values = [s.values[i] for s in series]
        rows.append(
            {"day": day, "values": values, "total": sum(values), "counting": day in counting}
        )
    return rows[::-1]
