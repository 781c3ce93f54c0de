"""Admin for the outbox (OutboundMessage): the list, a text's page, search and filters.

Resend and cancel live in ``message_actions``, the send log in ``attempts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import truncatechars
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..health import latest_refusal
from ..models import FINAL_STATUSES, OutboundMessage, Status, Suppression
from . import form_tokens
from .compose import compose_view
from .message_actions import MessageActionsAdmin
from .message_display import attempt_row, pretty, what
from .pagination import LargeTablePaginator
from .phone_search import by_phone
from .readonly import ReadOnlyAdminMixin

if TYPE_CHECKING:
    # Names the stubs define for Django's loosely typed admin hooks.
    from django.contrib.admin.options import _FieldsetSpec
    from django_stubs_ext import StrOrPromise

#: The message a GET of its page has read, so the change view does not read it again.
_read_by_request: WeakKeyDictionary[HttpRequest, OutboundMessage | None] = WeakKeyDictionary()


class NeedsAttentionFilter(admin.SimpleListFilter):
    """One click to what an operator has to look at; filters on the indexed ``status``."""

    title = _("needs attention")
    parameter_name = "attention"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[OutboundMessage]
    ) -> list[tuple[str, StrOrPromise]]:
        return [
            ("problems", _("Failed or unconfirmed")),
            ("failed", _("Failed")),
            ("unconfirmed", _("Unconfirmed (may or may not have arrived)")),
            ("retrying", _("Waiting to retry")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboundMessage]
    ) -> QuerySet[OutboundMessage] | None:
        value = self.value()
        if value == "problems":
            return queryset.filter(status__in=[Status.FAILED, Status.UNCONFIRMED])
        if value in (Status.FAILED, Status.UNCONFIRMED):
            return queryset.filter(status=value)
        if value == "retrying":
            return queryset.filter(status=Status.QUEUED, attempts__gt=0)
        return None


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, MessageActionsAdmin):
    list_display = [
        "id",
        "to",
        "kind",
        "short_body",
        "status_badge",
        "attempts",
        "source",
        "created_at",
        "sent_at",
        "resend_of",
    ]
    list_display_links = ["id", "to"]
    list_filter = [NeedsAttentionFilter, "status", "kind", "source", "message_type", "created_at"]
    search_fields = ["=to", "body", "=message_id"]
    date_hierarchy = None
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50
    # No column follows a relation (resend_of reads resent_from_id): no joins on a page view.
    list_select_related = []
    actions = ["resend_selected", "cancel_selected"]
    change_list_template = "admin/django_attentive/outboundmessage/change_list.html"
    change_form_template = "admin/django_attentive/outboundmessage/change_form.html"
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
        "leased_at",
        "leased_by",
        "hold",
        "created_at",
        "sent_at",
        "updated_at",
        "kind",
        "payload_json",
        "suppression",
        "campaign",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "to", "body", "media_url", "message_id", "message_type"]}),
        ("Payload", {"fields": ["payload_json"]}),
        (
            "Delivery",
            {
                "fields": [
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "hold",
                    "last_error",
                    "suppression",
                    "sent_at",
                ]
            },
        ),
        (
            "Origin",
            {
                "fields": [
                    "source",
                    "campaign",
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
        ("Worker", {"classes": ["collapse"], "fields": ["leased_at", "leased_by"]}),
    ]

    class Media:
        css = {"all": ["django_attentive/admin.css"]}
        js = ["django_attentive/confirm.js"]

    def get_fieldsets(
        self, request: HttpRequest, obj: OutboundMessage | None = None
    ) -> _FieldsetSpec:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.is_event:
            return fieldsets
        return [
            (name, options)
            for name, options in fieldsets
            if "payload_json" not in options["fields"]
        ]

    @admin.display(description=_("body"))
    def short_body(self, obj: OutboundMessage) -> str:
        if obj.is_event:  # an event has no body: say what it is
            return f"{obj.get_kind_display()}: {truncatechars(what(obj), 48)}"
        return truncatechars(obj.body, 60)

    @admin.display(description=_("payload"))
    def payload_json(self, obj: OutboundMessage) -> str:
        """What a non-text kind posts (a custom event's type, properties, ids), indented."""
        return format_html("<pre>{}</pre>", pretty(obj.payload)) if obj.payload else "—"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: OutboundMessage) -> str:
        # Hovering a suppressed (or held, or failed) text's status shows why.
        return format_html(
            '<span class="attentive-status attentive-status-{}" title="{}">{}</span>',
            obj.status,
            obj.last_error,
            obj.get_status_display(),
        )

    @admin.display(description=_("suppression list"))
    def suppression(self, obj: OutboundMessage) -> str:
        """Whether the number is on the suppression list now, linked to its entry."""
        entry = Suppression.objects.filter(number=obj.to).first()
        if entry is None:
            return "Not on the list."
        url = reverse(f"admin:{self.opts.app_label}_suppression_change", args=[entry.pk])
        return format_html(
            '<a href="{}">On the list since {} ({})</a>{}',
            url,
            entry.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            entry.get_reason_display().lower(),
            f" — {entry.source}" if entry.source else "",
        )

    @admin.display(description=_("resend of"))
    def resend_of(self, obj: OutboundMessage) -> str:
        if obj.resent_from_id is None:
            return ""
        url = reverse(self._url_name("change"), args=[obj.resent_from_id])
        return format_html('<a href="{}">#{}</a>', url, obj.resent_from_id)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OutboundMessage], search_term: str
    ) -> tuple[QuerySet[OutboundMessage], bool]:
        """A phone number, however written, finds that number on the ``to`` index alone.

        Anything else searches the bodies and messageIds (a scan on a big table).
        """
        found = by_phone(queryset, search_term, "to")
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # A campaign's page links to its texts; a filter listing every campaign would be long.
        allowed = lookup == "campaign__id__exact"
        return allowed or super().lookup_allowed(lookup, value, request)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "compose/",
                wrap(lambda request: compose_view(self, request)),
                name="{}_{}_compose".format(*info),
            ),
            path(
                "<path:object_id>/resend/",
                wrap(require_POST(self.resend_view)),
                name="{}_{}_resend".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                wrap(require_POST(self.cancel_view)),
                name="{}_{}_cancel".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        refusal = latest_refusal()
        if refusal is not None and request.method == "GET":
            messages.error(
                request,
                _(
                    "Attentive refused %(what)s at %(when)s: texts are waiting, not lost. "
                    "Fix %(fix)s and they go out."
                )
                % {
                    "what": refusal.what,
                    "when": refusal.at.strftime("%Y-%m-%d %H:%M"),
                    "fix": refusal.fix,
                },
            )
        can_send = self.has_send_permission(request)
        extra_context = {
            **(extra_context or {}),
            "fake_inbox_url": _fake_inbox_url(),
            "compose_url": reverse(self._url_name("compose")) if can_send else None,
        }
        return super().changelist_view(request, extra_context)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> OutboundMessage | None:
        """On a GET, the message page reads its message once, not once here and once in
        Django's change view."""
        cached = _read_by_request.get(request)
        if request.method == "GET" and cached is not None and str(cached.pk) == str(object_id):
            return cached
        message = super().get_object(request, object_id, from_field)
        if request.method == "GET":
            _read_by_request[request] = message
        return message

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        message = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if message is not None:
            can_send = self.has_send_permission(request)
            extra.update(
                attempts=[attempt_row(a) for a in message.send_attempts.order_by("started_at")],
                resends=list(message.resends.order_by("pk").values_list("pk", "status")),
                can_resend=can_send and message.status in FINAL_STATUSES,
                resend_token=form_tokens.new_token(),
                can_cancel=can_send and message.status == Status.QUEUED,
                resend_url=reverse(self._url_name("resend"), args=[message.pk]),
                cancel_url=reverse(self._url_name("cancel"), args=[message.pk]),
                compose_again_url=(
                    reverse(self._url_name("compose")) + "?" + urlencode({"to": message.to})
                    if can_send
                    else None
                ),
            )
        return super().change_view(request, object_id, form_url, extra)


def _fake_inbox_url() -> str | None:
    """The fake Attentive's inbox, when the project mounts it (the demo does)."""
    try:
        return reverse("attentive_fake:inbox")
    except NoReverseMatch:
        return None
