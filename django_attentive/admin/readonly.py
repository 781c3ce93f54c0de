"""The admin's records (texts, attempts, campaigns, consents, webhooks): viewed, never edited."""

from __future__ import annotations

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Records are viewable and searchable, never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
