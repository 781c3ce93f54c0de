"""Admin for the suppression list: view it; add and remove numbers with the send permission."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .. import lift_suppression, suppress
from ..models import Suppression, SuppressionReason
from ..validation import normalize_phone
from .phone_search import by_phone
from .sending_screens import may_send

if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Suppression]
    _ModelAdmin = admin.ModelAdmin[Suppression]
else:  # Django's classes take no type parameters at run time
    _ModelForm = forms.ModelForm
    _ModelAdmin = admin.ModelAdmin


class SuppressionForm(_ModelForm):
    class Meta:
        model = Suppression
        fields = ["number", "reason", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "cols": 60})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].initial = SuppressionReason.MANUAL
        self.fields["number"].help_text = "Any way of writing it, e.g. (201) 555-0123 or +44 …"

    def clean_number(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["number"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Suppression)
class SuppressionAdmin(_ModelAdmin):
    form = SuppressionForm
    list_display = ["number", "reason", "source", "created_at", "last_opted_out_at"]
    list_filter = ["reason", "created_at"]
    search_fields = ["=number"]
    readonly_fields = ["source", "created_at", "last_opted_out_at"]
    actions = ["delete_selected"]

    def has_view_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return super().has_view_permission(request, obj) or may_send(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_send(request)

    def has_change_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return False  # remove and add again: an entry says who suppressed the number and when

    def has_delete_permission(self, request: HttpRequest, obj: Suppression | None = None) -> bool:
        return may_send(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Suppression], search_term: str
    ) -> tuple[QuerySet[Suppression], bool]:
        found = by_phone(queryset, search_term, "number")
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def save_model(
        self,
        request: HttpRequest,
        obj: Suppression,
        form: forms.ModelForm[Suppression],
        change: bool,
    ) -> None:
        saved = suppress(
            obj.number, obj.reason, source=f"admin ({request.user.get_username()})", note=obj.note
        )
        obj.pk, obj.source, obj.created_at = saved.pk, saved.source, saved.created_at

    def delete_model(self, request: HttpRequest, obj: Suppression) -> None:
        lift_suppression(obj.number)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        for number in queryset.values_list("number", flat=True):
            lift_suppression(number)
