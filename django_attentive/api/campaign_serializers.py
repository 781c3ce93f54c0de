"""Campaigns in JSON: a bulk send in, the campaign with its live progress out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from rest_framework import serializers

from ..backends import forbidden_body_characters
from ..exceptions import InvalidMessage
from ..models import Campaign
from ..validation import normalize_phone, validate_message
from .serializers import api_errors, printable

#: Recipients in one request; a bigger audience is sent in several requests under one name.
MAX_RECIPIENTS = 10_000
NAME_MAX_LENGTH = Campaign._meta.get_field("name").max_length or 100


class NewCampaignSend(TypedDict):
    """A bulk send as CampaignCreateSerializer validated it (send_bulk's argument names)."""

    campaign: str
    body: str
    numbers: list[str]
    media_url: str
    send_at: datetime | None


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: a number is not a campaign's name."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CampaignCreateSerializer(serializers.Serializer[Campaign]):
    """A bulk send: one text per distinct number, grouped under the campaign's name."""

    name = StrictCharField(
        max_length=NAME_MAX_LENGTH,
        trim_whitespace=False,
        help_text="Required. The campaign; a name already used adds these texts to it.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        help_text="Required. The text, at most 1600 characters.",
    )
    recipients = serializers.ListField(
        # Any JSON value: each bad one is reported by position in ``validate``, in one flat list.
        child=serializers.JSONField(allow_null=True),
        min_length=1,
        max_length=MAX_RECIPIENTS,
        help_text="Required. The numbers, any format; each distinct number gets one text.",
    )
    mediaUrl = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        help_text="Optional https link to a .gif/.png/.jpg: makes them MMS.",
    )
    sendAt = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Optional ISO 8601 time to hold the texts until; a past time means now.",
    )

    def validate(self, attrs: dict[str, Any]) -> NewCampaignSend:
        errors: dict[str, list[str]] = {}
        if isinstance(self.initial_data, Mapping):
            known = ", ".join(self.fields)
            for name in self.initial_data:
                if name not in self.fields:
                    errors[printable(name)] = [f"Unknown field; send only {known}."]
        numbers: dict[str, None] = {}
        problems: list[str] = []
        for position, raw in enumerate(attrs["recipients"], start=1):
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                problems.append(f"Recipient {position}: give a phone number as a JSON string.")
                continue
            try:
                numbers[normalize_phone(raw)] = None
            except ValueError as exc:
                problems.append(f"Recipient {position}: {exc}")
        if problems:
            errors["recipients"] = problems
        try:
            # The text once, on any number: the content is the same for every recipient.
            clean = validate_message(
                next(iter(numbers), "+12015550123"),
                attrs.get("body"),
                media_url=attrs.get("mediaUrl"),
                forbidden_characters=forbidden_body_characters(),
            )
        except InvalidMessage as exc:
            errors.update(api_errors(exc))
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "campaign": attrs["name"],
            "body": clean.body,
            "numbers": list(numbers),
            "media_url": clean.media_url,
            "send_at": attrs.get("sendAt"),
        }


class RatesSerializer(serializers.Serializer[Mapping[str, Any]]):
    """Each engagement count as a share of the texts sent; null before any was sent."""

    delivered = serializers.FloatField(read_only=True, allow_null=True)
    clicked = serializers.FloatField(read_only=True, allow_null=True)
    optedOut = serializers.FloatField(source="opted_out", read_only=True, allow_null=True)


class EngagementSerializer(serializers.Serializer[Mapping[str, Any]]):
    """Distinct texts confirmed, clicked, or followed by an opt-out (from webhook events)."""

    delivered = serializers.IntegerField(read_only=True)
    clicked = serializers.IntegerField(read_only=True)
    optedOut = serializers.IntegerField(source="opted_out", read_only=True)
    rates = RatesSerializer(read_only=True)


class ProgressSerializer(serializers.Serializer[Mapping[str, Any]]):
    """How far the campaign got, counted when the answer is written (two queries)."""

    total = serializers.IntegerField(read_only=True, help_text="Texts in the campaign.")
    done = serializers.IntegerField(read_only=True, help_text="Texts with an outcome.")
    pending = serializers.IntegerField(read_only=True, help_text="Queued or sending.")
    finished = serializers.BooleanField(read_only=True)
    finishedAt = serializers.DateTimeField(source="finished_at", read_only=True, allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Texts per status."
    )
    percentDone = serializers.FloatField(source="percent_done", read_only=True)
    rate = serializers.FloatField(
        read_only=True, help_text="Texts per second that got an outcome lately."
    )
    rateLimit = serializers.FloatField(source="rate_limit", read_only=True)
    etaSeconds = serializers.FloatField(source="eta_seconds", read_only=True, allow_null=True)
    etaAtLimitSeconds = serializers.FloatField(
        source="eta_at_limit_seconds", read_only=True, allow_null=True
    )
    engagement = EngagementSerializer(read_only=True)
    at = serializers.DateTimeField(read_only=True, help_text="When it was counted.")

    def get_attribute(self, instance: Any) -> dict[str, object]:
        progress = Campaign.progress(instance)
        return {**progress.as_json(), "finished_at": progress.finished_at, "at": progress.at}


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    """A campaign with its progress; ``body`` is null without ``view_outboundmessage``."""

    progress = ProgressSerializer(read_only=True)
    body = serializers.SerializerMethodField(
        help_text="The text of its first send; null without view_outboundmessage."
    )
    audience = serializers.IntegerField(
        source="audience_size", read_only=True, help_text="Texts queued for it."
    )
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    stateChangedAt = serializers.DateTimeField(
        source="state_changed_at", read_only=True, allow_null=True
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "state",
            "body",
            "audience",
            "createdAt",
            "stateChangedAt",
            "progress",
        ]
        read_only_fields = fields

    def get_body(self, campaign: Campaign) -> str | None:
        return campaign.body if self.context.get("shown", False) else None


class SendSummarySerializer(serializers.Serializer[Mapping[str, Any]]):
    """What this request did."""

    recipients = serializers.IntegerField(
        read_only=True, help_text="Distinct numbers in the request."
    )
    queued = serializers.IntegerField(
        read_only=True, help_text="Texts this request added (0 on a replay)."
    )
    suppressed = serializers.IntegerField(
        read_only=True, help_text="Of the request's texts, those on the suppression list."
    )
    messageIds = serializers.ListField(
        source="message_ids",
        child=serializers.IntegerField(),
        read_only=True,
        help_text="The request's texts, one per distinct number, in the order given.",
    )


class CampaignSendSerializer(CampaignSerializer):
    """The campaign after a bulk send, with what the send did."""

    send = SendSummarySerializer(source="send_summary", read_only=True)

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "send"]
        read_only_fields = fields
