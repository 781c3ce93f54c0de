"""Resend and cancel in the outbox admin: the buttons on a text's page and the list's actions.

Each resend form carries a token (``form_tokens``), so a double click or a resubmitted
confirmation finds the copies the first submission made instead of sending again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import cancel, resend, resend_many
from ..exceptions import AttentiveError, InvalidMessage
from ..models import FINAL_STATUSES, OutboundMessage, Status
from . import form_tokens
from .compose_send import acting_user
from .sending_screens import SendingScreenMixin

# More than this at once is probably a mis-click on "select all".
RESEND_LIMIT = 1000
# Distinct reasons listed after a resend; texts refused for further reasons are listed by id.
REFUSAL_LINES = 10

if TYPE_CHECKING:
    _MessageAdmin = admin.ModelAdmin[OutboundMessage]
else:  # Django's classes take no type parameters at run time
    _MessageAdmin = admin.ModelAdmin


def resend_key_prefix(token: str) -> str:
    """The idempotency key prefix of a resend form's copies; each adds ``:<original pk>``."""
    return f"admin-resend:{token}"


class MessageActionsAdmin(SendingScreenMixin, _MessageAdmin):
    """The outbox admin's resend and cancel: views for one text, actions for a selection."""

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


def _texts(pks: list[int]) -> str:
    return ", ".join(f"#{pk}" for pk in pks)
