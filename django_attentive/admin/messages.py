"""Admin for the outbox (OutboundMessage) and the send log (SendAttempt)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import cancel, resend, resend_many
from ..commerce_items import describe
from ..exceptions import AttentiveError, InvalidMessage
from ..health import latest_refusal
from ..models import FINAL_STATUSES, Kind, OutboundMessage, SendAttempt, Status, Suppression
from ..validation import normalize_phone
from . import form_tokens
from .compose import acting_user, compose_view
from .pagination import LargeTablePaginator

# More than this at once is probably a mis-click on "select all".
RESEND_LIMIT = 1000
# Distinct reasons listed after a resend; texts refused for further reasons are listed by id.
REFUSAL_LINES = 10

if TYPE_CHECKING:
    # Names the stubs define for Django's loosely typed admin hooks.
    from django.contrib.admin.options import _FieldsetSpec
    from django_stubs_ext import StrOrPromise

    _MessageAdmin = admin.ModelAdmin[OutboundMessage]
    _AttemptAdmin = admin.ModelAdmin[SendAttempt]
else:  # Django's classes take no type parameters at run time
    _MessageAdmin = _AttemptAdmin = admin.ModelAdmin

#: The message a GET of its page has read, so the change view does not read it again.
_read_by_request: WeakKeyDictionary[HttpRequest, OutboundMessage | None] = WeakKeyDictionary()


def resend_key_prefix(token: str) -> str:
    """The idempotency key prefix of a resend form's copies; each adds ``:<original pk>``."""
    return f"admin-resend:{token}"


class ReadOnlyAdminMixin:
    """Messages and attempts are records: viewable and searchable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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
class OutboundMessageAdmin(ReadOnlyAdminMixin, _MessageAdmin):
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

    def has_send_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.send_message")

    @admin.display(description=_("body"))
    def short_body(self, obj: OutboundMessage) -> str:
        if obj.is_event:  # an event has no body: say what it is
            return f"{obj.get_kind_display()}: {truncatechars(_what(obj), 48)}"
        return truncatechars(obj.body, 60)

    @admin.display(description=_("payload"))
    def payload_json(self, obj: OutboundMessage) -> str:
        """What a non-text kind posts (a custom event's type, properties, ids), indented."""
        return format_html("<pre>{}</pre>", _pretty(obj.payload)) if obj.payload else "—"

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
        if sum(char.isdigit() for char in search_term) >= 7:
            try:
                number = normalize_phone(search_term)
            except ValueError:
                pass
            else:
                return queryset.filter(to=number), False
        return super().get_search_results(request, queryset, search_term)

    def _url_name(self, view: str) -> str:
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"

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
                attempts=[_attempt_row(a) for a in message.send_attempts.order_by("started_at")],
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

    def _message_or_404(self, request: HttpRequest, object_id: str) -> OutboundMessage:
        if not self.has_send_permission(request):
            raise PermissionDenied
        message = self.get_object(request, object_id)
        if message is None:
            raise Http404(f"No text #{object_id}.")
        return message

    def resend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        message = self._message_or_404(request, object_id)
        page = HttpResponseRedirect(reverse(self._url_name("change"), args=[message.pk]))
        token = form_tokens.usable(request.POST.get(form_tokens.FIELD))
        if not token:
            # A resubmission of it could not be recognised: the reloaded page has a token.
            messages.warning(
                request,
                f"Text #{message.pk} was not resent: the page was out of date. Press Resend again.",
            )
            return page
        started = timezone.now()
        try:
            copy = resend(
                message,
                by=acting_user(request),
                idempotency_key=f"{resend_key_prefix(token)}:{message.pk}",
            )
        except AttentiveError as exc:
            messages.error(request, f"Text #{message.pk} was not resent: {_reason(exc)}")
            return page
        if form_tokens.queued_before(copy, started):
            messages.warning(
                request,
                f"Text #{message.pk} was already resent as #{copy.pk} from this page; "
                "it was not sent again.",
            )
        else:
            messages.success(request, f"Resent text #{message.pk} as #{copy.pk}.")
        return HttpResponseRedirect(reverse(self._url_name("change"), args=[copy.pk]))

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        message = self._message_or_404(request, object_id)
        try:
            cancel(message)
        except AttentiveError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Cancelled text #{message.pk}; it will not be sent.")
        return HttpResponseRedirect(reverse(self._url_name("change"), args=[message.pk]))

    @admin.action(description=_("Resend selected texts"), permissions=["send"])
    def resend_selected(
        self, request: HttpRequest, queryset: QuerySet[OutboundMessage]
    ) -> HttpResponse | None:
        total = queryset.count()
        if total > RESEND_LIMIT:
            self.message_user(
                request,
                f"You selected {total:,} texts; resend at most {RESEND_LIMIT:,} at a time.",
                messages.ERROR,
            )
            return None
        selected = list(queryset.order_by("pk"))
        resendable = [m for m in selected if m.status in FINAL_STATUSES]
        pending = [m for m in selected if m.status not in FINAL_STATUSES]
        token = form_tokens.usable(request.POST.get(form_tokens.FIELD))
        # Without a token a resubmission could not be recognised: confirm once more, with one.
        if request.POST.get("post") != "yes" or not token:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Resend texts?"),
                "resendable": resendable,
                "already_sent": [m for m in resendable if m.status == Status.SENT],
                "pending": pending,
                "queryset": selected,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
                "token": form_tokens.new_token(),
            }
            return TemplateResponse(
                request,
                "admin/django_attentive/outboundmessage/resend_confirmation.html",
                context,
            )
        started = timezone.now()
        resends = resend_many(
            resendable, by=acting_user(request), key_prefix=resend_key_prefix(token)
        )
        earlier = sum(form_tokens.queued_before(copy, started) for copy in resends.copies)
        if earlier:
            self.message_user(
                request, _already_resent(earlier, len(resends.copies)), messages.WARNING
            )
        if len(resends.copies) > earlier:
            count = len(resends.copies) - earlier
            resent = ngettext("Resent %(count)s text.", "Resent %(count)s texts.", count) % {
                "count": count
            }
            self.message_user(
                request,
                f"{resent} They go out through the task queue; their status updates here.",
                messages.SUCCESS,
            )
        for text in _refusals(resends.refused):
            self.message_user(request, text, messages.ERROR)
        if pending:
            self.message_user(
                request,
                f"Skipped {len(pending)} still queued or sending; cancel them first or wait.",
                messages.WARNING,
            )
        return None

    @admin.action(description=_("Cancel selected queued texts"), permissions=["send"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        cancelled = 0
        skipped = queryset.exclude(status=Status.QUEUED).count()
        for message in queryset.filter(status=Status.QUEUED).order_by("pk"):
            try:
                cancel(message)
            except AttentiveError:
                skipped += 1  # a worker leased it in the meantime
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext("Cancelled %(count)s text.", "Cancelled %(count)s texts.", cancelled)
                % {"count": cancelled},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Left {skipped} alone: only queued texts can be cancelled.",
                messages.WARNING,
            )


def _already_resent(earlier: int, total: int) -> str:
    """What a resubmitted resend confirmation says about the copies its first submission made."""
    if earlier == total:
        return ngettext(
            "This text was already resent from this page; it was not sent again.",
            "All %(count)s texts were already resent from this page; nothing was sent twice.",
            total,
        ) % {"count": f"{total:,}"}
    return ngettext(
        "%(count)s of these texts was already resent from this page; it was not sent again.",
        "%(count)s of these texts were already resent from this page; they were not sent again.",
        earlier,
    ) % {"count": f"{earlier:,}"}


def _reason(error: AttentiveError) -> str:
    """An error as an operator reads it: InvalidMessage without its field names."""
    if isinstance(error, InvalidMessage):
        return " ".join(text for texts in error.message_dict.values() for text in texts)
    return str(error)


def _refusals(refused: list[tuple[OutboundMessage, AttentiveError]]) -> list[str]:
    """One line per reason, naming every text it kept from being resent."""
    by_reason: dict[str, list[int]] = {}
    for message, error in refused:
        by_reason.setdefault(_reason(error), []).append(message.pk)
    lines = [
        f"Not resent: {_texts(pks)}. {reason}"
        for reason, pks in list(by_reason.items())[:REFUSAL_LINES]
    ]
    rest = [pk for pks in list(by_reason.values())[REFUSAL_LINES:] for pk in pks]
    if rest:
        lines.append(
            f"Not resent, for other reasons: {_texts(rest)}. Resend one from its page to see why."
        )
    return lines


def _what(message: OutboundMessage) -> str:
    """A non-text row in a few words: ``purchase (3 items)``, an event's type, the attributes."""
    payload = message.payload or {}
    if message.kind == Kind.COMMERCE:
        return describe(payload, message.endpoint)
    if message.kind == Kind.IDENTITY:
        return f"clientUserId {payload.get('clientUserId', '')}"
    if message.kind == Kind.ATTRIBUTES:
        properties = payload.get("properties")
        return ", ".join(properties) if isinstance(properties, dict) else ""
    return str(payload.get("type", ""))


def _texts(pks: list[int]) -> str:
    return ", ".join(f"#{pk}" for pk in pks)


def _pretty(text: object) -> str:
    """JSON indented for reading; anything else as it came."""
    if isinstance(text, dict | list):
        return json.dumps(text, indent=2, ensure_ascii=False)
    try:
        return json.dumps(json.loads(str(text)), indent=2, ensure_ascii=False)
    except ValueError:
        return str(text)


def _attempt_row(attempt: SendAttempt) -> dict[str, object]:
    return {
        "attempt": attempt,
        "request": _pretty(attempt.request),
        "response": _pretty(attempt.response_body) if attempt.response_body else "",
        "ok": attempt.status_code is not None and 200 <= attempt.status_code < 300,
    }


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


def _fake_inbox_url() -> str | None:
    """The fake Attentive's inbox, when the project mounts it (the demo does)."""
    try:
        return reverse("attentive_fake:inbox")
    except NoReverseMatch:
        return None
