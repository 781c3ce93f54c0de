"""Campaigns in the admin: each one's live progress bar, its engagement, Pause / Resume / Cancel.

The page polls ``<id>/progress/``, a small JSON view whose two queries do not grow with the
campaign (``Campaign.progress``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from .. import cancel_campaign, pause_campaign, resume_campaign
from ..campaign_progress import SHOWN_STATUSES
from ..exceptions import AttentiveError
from ..models import Campaign, CampaignState, OutboundMessage
from .readonly import ReadOnlyAdminMixin
from .sending_screens import SendingScreenMixin

#: How often the page asks for progress while texts are pending, in milliseconds.
POLL_INTERVAL_MS = 1000


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Campaign]
else:
    _ModelAdmin = admin.ModelAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdminMixin, SendingScreenMixin, _ModelAdmin):
    list_display = ["name", "state_badge", "audience_size", "created_by", "created_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
    fields = ("name", "body", "state", "audience_size", "created_by", "created_at")
    readonly_fields = fields
    change_form_template = "admin/django_attentive/campaign/change_form.html"

    class Media:
        css = {"all": ["django_attentive/admin.css"]}
        js = ["django_attentive/confirm.js", "django_attentive/campaign.js"]

    @admin.display(description=_("state"), ordering="state")
    def state_badge(self, obj: Campaign) -> str:
        return format_html(
            '<span class="attentive-campaign-state attentive-campaign-{}">{}</span>',
            obj.state,
            obj.get_state_display(),
        )

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/progress/",
                wrap(require_GET(self.progress_view)),
                name="{}_{}_progress".format(*info),
            ),
            *[
                path(
                    f"<int:object_id>/{action}/",
                    wrap(require_POST(self._action_view(action))),
                    name=f"{info[0]}_{info[1]}_{action}",
                )
                for action in ACTIONS
            ],
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, object_id: int) -> JsonResponse:
        """The campaign's counts, rate, ETA and engagement as JSON: two queries, any size."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            progress = Campaign(pk=object_id).progress()
        except Campaign.DoesNotExist:
            raise Http404(f"No campaign #{object_id}.") from None
        return JsonResponse(progress.as_json())

    def _action_view(self, action: str) -> Callable[[HttpRequest, int], HttpResponse]:
        def view(request: HttpRequest, object_id: int) -> HttpResponse:
            if not self.has_send_permission(request):
                raise PermissionDenied
            campaign = Campaign.objects.filter(pk=object_id).first()
            if campaign is None:
                raise Http404(f"No campaign #{object_id}.")
            try:
                done = ACTIONS[action](campaign)
            except AttentiveError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _said(action, campaign, done))
            return HttpResponseRedirect(reverse(self._url_name("change"), args=[campaign.pk]))

        return view

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        campaign = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if campaign is not None:
            can_send = self.has_send_permission(request)
            progress = campaign.progress()
            urls = {
                action: reverse(self._url_name(action), args=[campaign.pk]) for action in ACTIONS
            }
            messages_url = reverse(
                f"admin:{OutboundMessage._meta.app_label}_outboundmessage_changelist"
            )
            extra.update(
                progress=progress.as_json(),
                statuses=[(status.value, status.label) for status in SHOWN_STATUSES],
                poll_config={
                    "url": reverse(self._url_name("progress"), args=[campaign.pk]),
                    "interval": POLL_INTERVAL_MS,
                },
                can_pause=can_send and campaign.state == CampaignState.ACTIVE and progress.pending,
                can_resume=can_send and campaign.state == CampaignState.PAUSED,
                can_cancel=can_send and campaign.state != CampaignState.CANCELLED,
                action_urls=urls,
                messages_url=f"{messages_url}?campaign__id__exact={campaign.pk}",
            )
        return super().change_view(request, object_id, form_url, extra)


ACTIONS = {"pause": pause_campaign, "resume": resume_campaign, "cancel": cancel_campaign}


def _said(action: str, campaign: Campaign, done: object) -> str:
    if action == "pause":
        return f"Paused “{campaign.name}”: no more of its texts start until you resume it."
    if action == "resume":
        return f"Resumed “{campaign.name}”: its waiting texts go out again."
    return f"Cancelled the rest of “{campaign.name}”: {done:,} texts will not be sent."
