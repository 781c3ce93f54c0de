"""The demo shop's admin: orders, and actions that move them along (each one texts)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .models import Order


def _mark(status: str):
    @admin.action(description=f"Mark selected orders {status}")
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            changed = 0
            for order in queryset.select_for_update():
                if order.status != status:
                    order.status = status
                    order.save(update_fields=["status"])  # track() fires order_<status>
                    changed += 1
        modeladmin.message_user(
            request, f"{changed} order(s) marked {status}; texts queued.", messages.SUCCESS
        )

    action.__name__ = f"mark_{status}"
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer_name", "phone", "item", "total", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["number", "customer_name", "phone"]
    actions = [_mark(status) for status in ("paid", "shipped", "delivered", "refunded")]
    change_list_template = "shop/order_change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        try:
            inbox = reverse("attentive_fake:inbox")
        except NoReverseMatch:
            inbox = None
        extra_context = {**(extra_context or {}), "fake_inbox_url": inbox}
        return super().changelist_view(request, extra_context)
