"""``api/campaigns/``: send one text to many numbers as a campaign, and follow its progress."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import send_bulk
from ..exceptions import InvalidMessage
from ..models import Campaign, OutboundMessage, Source, Status
from . import idempotency
from .base import AttentiveAPIMixin
from .campaign_serializers import (
    CampaignCreateSerializer,
    CampaignSendSerializer,
    CampaignSerializer,
    NewCampaignSend,
)
from .exceptions import IdempotencyKeyReused
from .ids import parse_id
from .parsers import JSONParser
from .permissions import MessagePermission, may_view, sender
from .schema import operation
from .serializers import api_errors

# send_bulk's argument names -> this endpoint's field names.
FIELD_NAMES = {"to": "recipients", "campaign": "name", "idempotency_key": idempotency.HEADER}
# send_bulk stores each text's key as "<key>:<E.164 number>": room for ":" and 15 digits + "+".
BULK_KEY_ROOM = 17
#: What a replay compares with the texts the key already sent.
COMPARED = ("body", "media_url")


class CampaignViewSet(AttentiveAPIMixin, viewsets.GenericViewSet[Campaign]):
    """Campaigns: a bulk send creates or joins one by name; its progress is counted on read."""

    queryset = Campaign.objects.all()
    serializer_class = CampaignSerializer
    permission_classes = [MessagePermission]
    parser_classes = [JSONParser]
    lookup_value_regex = r"[^/]+"

    def get_serializer_class(self) -> type[CampaignSerializer | CampaignCreateSerializer]:
        if self.request is not None and self.request.method == "POST":
            return CampaignCreateSerializer
        return CampaignSerializer

    def get_object(self) -> Campaign:
        self.kwargs[self.lookup_field] = parse_id(self.kwargs[self.lookup_field], what="campaign")
        try:
            campaign: Campaign = super().get_object()
        except Http404:
            raise NotFound("No campaign has this id.") from None
        return campaign

    @operation(
        summary="One campaign with its progress",
        description="Its texts counted by status when the answer is written; poll it to follow.",
        detail=True,
        what="campaign",
        answers={
            200: ("The campaign, its texts counted by status now.", CampaignSerializer),
            404: ("No campaign with this id.", None),
        },
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        shown = {"shown": may_view(request.user)}
        return Response(CampaignSerializer(self.get_object(), context=shown).data)

    @operation(
        summary="Send a text to many numbers as a campaign",
        description=(
            "One text per distinct number, created or added to the campaign of that name "
            "(a cancelled campaign cannot be joined). With an Idempotency-Key a retried request "
            "sends nothing new and answers the campaign again."
        ),
        idempotent=True,
        request=CampaignCreateSerializer,
        answers={
            201: ("The campaign and what this request queued.", CampaignSendSerializer),
            400: ("Per-field problems, every bad recipient by position.", "problems"),
            415: ("The body is not JSON.", None),
            422: ("The Idempotency-Key was used for a different send.", None),
        },
    )
    def create(self, request: Request) -> Response:
        key = idempotency.stored_key(request, operation="campaign", room=BULK_KEY_ROOM)
        incoming = CampaignCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        clean: NewCampaignSend = incoming.validated_data
        started = timezone.now()
        earlier = _earlier(key, clean) if key is not None else []
        replayed = bool(earlier) and len(earlier) == len(clean["numbers"])
        messages = earlier if replayed else _send(request, clean, key)
        if key is not None:
            # Also catches a concurrent request that stored the same keys first.
            _ensure_same_send(messages, clean, key)
        campaign = messages[0].campaign
        assert campaign is not None  # every text of a campaign send has one
        campaign.send_summary = {  # type: ignore[attr-defined]  # read by CampaignSendSerializer
            "recipients": len(messages),
            "queued": sum(1 for m in messages if m.created_at >= started),
            "suppressed": sum(1 for m in messages if m.status == Status.SUPPRESSED),
            "message_ids": [m.pk for m in messages],
        }
        shown = {"shown": may_view(request.user)}
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(
            CampaignSendSerializer(campaign, context=shown).data,
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


def _send(request: Request, clean: NewCampaignSend, key: str | None) -> list[OutboundMessage]:
    try:
        return send_bulk(
            clean["numbers"],
            clean["body"],
            media_url=clean["media_url"] or None,
            send_at=clean["send_at"],
            source=Source.API,
            created_by=sender(request),
            idempotency_key=key,
            campaign=clean["campaign"],
        )
    except InvalidMessage as exc:
        errors = {
            FIELD_NAMES.get(name, name): problems for name, problems in api_errors(exc).items()
        }
        raise ValidationError(errors) from None


def _keys(key: str, clean: NewCampaignSend) -> dict[str, str]:
    return {f"{key}:{number}": number for number in clean["numbers"]}


def _earlier(key: str, clean: NewCampaignSend) -> list[OutboundMessage]:
    """The texts this key already sent to the request's numbers, in the request's order.

    Some but not all of them means the key now comes with other recipients: a 422, before
    anything is sent, so a reused key never texts a number it did not text the first time.
    """
    keys = _keys(key, clean)
    found = {m.idempotency_key: m for m in OutboundMessage.objects.filter(idempotency_key__in=keys)}
    if found and len(found) < len(keys):
        raise IdempotencyKeyReused(
            f"This {idempotency.HEADER} already sent {len(found)} of these "
            f"{len(keys)} texts, to other recipients than this request lists; use a new key "
            "for a new send."
        )
    _ensure_same_send(list(found.values()), clean, key)
    return [found[k] for k in keys if k in found]


def _ensure_same_send(messages: list[OutboundMessage], clean: NewCampaignSend, key: str) -> None:
    """Refuse (422) a key whose texts carry another body, image or campaign than this request."""
    body, media_url = clean["body"], clean["media_url"]
    names = set(
        Campaign.objects.filter(pk__in={m.campaign_id for m in messages}).values_list(
            "name", flat=True
        )
    )
    wanted = str(clean["campaign"]).strip()
    for message in messages:
        if message.body != body or message.media_url != media_url or names - {wanted}:
            raise IdempotencyKeyReused(
                f"This {idempotency.HEADER} already sent text #{message.pk} of another send "
                "(its text, image or campaign differ); use a new key for a new send."
            )
