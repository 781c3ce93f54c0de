"""JSON in and out, with Attentive's field names (``messageId``, ``mediaUrl``, ``type``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework import serializers
from rest_framework.settings import api_settings

from ..backends import forbidden_body_characters
from ..exceptions import InvalidMessage
from ..models import OutboundMessage, SendAttempt
from ..validation import validate_message

# validation.py's argument names -> the API's field names.
API_FIELD_NAMES = {
    "to": "to",
    "body": "body",
    "media_url": "mediaUrl",
    "message_id": "messageId",
    "message_type": "type",
}


def api_errors(exc: InvalidMessage) -> dict[str, list[str]]:
    """InvalidMessage's per-argument problems, keyed by the API's field names."""
    errors: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        if field == NON_FIELD_ERRORS:
            field = api_settings.NON_FIELD_ERRORS_KEY
        errors[API_FIELD_NAMES.get(field, field)] = list(messages)
    return errors


class NewText(TypedDict):
    """A text to send, as MessageCreateSerializer validated it (validation.py's names)."""

    to: str
    body: str
    media_url: str
    message_id: str
    message_type: str
    send_at: datetime | None


def printable(name: str) -> str:
    """``name`` safe to echo in a JSON answer: a lone surrogate cannot be encoded as UTF-8."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


class BlankAsNullField(serializers.CharField):
    """An optional text stored as "" and shown as null."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    # A CharField shows a str; this one shows "" as null on purpose.
    def to_representation(self, value: str) -> str | None:  # type: ignore[override]
        return value or None


def _text_input(label: str, help_text: str) -> serializers.CharField:
    # Blank and null reach validation.py, so a missing value reads as the admin says it.
    return serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        label=label,
        help_text=help_text,
    )


class MessageCreateSerializer(serializers.Serializer[OutboundMessage]):
    """A text to send: Attentive's request fields plus ``sendAt``."""

    to = _text_input("to", "Required. The recipient's number, any format; stored in E.164.")
    body = _text_input("body", "Required. The text, at most 1600 characters.")
    messageId = _text_input("messageId", "Optional id of yours, passed on to Attentive.")
    type = _text_input("type", 'Optional: "TRANSACTIONAL" exactly, or leave it out.')
    mediaUrl = _text_input("mediaUrl", "Optional https link to a .gif/.png/.jpg: makes it an MMS.")
    sendAt = serializers.DateTimeField(
        required=False,
        allow_null=True,
        label="sendAt",
        help_text="Optional ISO 8601 time to hold the text until; a past time means now.",
    )

    def validate(self, attrs: dict[str, Any]) -> NewText:
        errors: dict[str, list[str]] = {}
        if isinstance(self.initial_data, Mapping):
            known = ", ".join(self.fields)
            for name in self.initial_data:
                if name not in self.fields:
                    errors[printable(name)] = [f"Unknown field; send only {known}."]
        try:
            clean = validate_message(
                attrs.get("to"),
                attrs.get("body"),
                media_url=attrs.get("mediaUrl"),
                message_id=attrs.get("messageId"),
                message_type=attrs.get("type"),
                forbidden_characters=forbidden_body_characters(),
            )
        except InvalidMessage as exc:
            errors.update(api_errors(exc))
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "to": clean.to,
            "body": clean.body,
            "media_url": clean.media_url,
            "message_id": clean.message_id,
            "message_type": clean.message_type,
            "send_at": attrs.get("sendAt"),
        }


class EventField(serializers.JSONField):
    """A custom event's payload; null for a text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    # The stubs say JSONField shows a str; DRF hands back the decoded value itself.
    def to_representation(self, value: object) -> object:  # type: ignore[override]
        return value or None


class MessageSerializer(serializers.ModelSerializer[OutboundMessage]):
    """A text as stored: its content, status and timestamps."""

    messageId = BlankAsNullField(source="message_id")
    type = BlankAsNullField(source="message_type")
    mediaUrl = BlankAsNullField(source="media_url")
    nextAttemptAt = serializers.DateTimeField(
        source="next_attempt_at", read_only=True, allow_null=True
    )
    lastError = BlankAsNullField(source="last_error")
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    sentAt = serializers.DateTimeField(source="sent_at", read_only=True, allow_null=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)
    resentFrom = serializers.PrimaryKeyRelatedField[OutboundMessage](
        source="resent_from", read_only=True, allow_null=True
    )
    event = EventField(
        source="payload",
        help_text=(
            "A custom event's type, properties, externalEventId, occurredAt; null for a text."
        ),
    )

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "status",
            "to",
            "body",
            "messageId",
            "type",
            "mediaUrl",
            "nextAttemptAt",
            "attempts",
            "lastError",
            "source",
            "createdAt",
            "sentAt",
            "updatedAt",
            "resentFrom",
            "kind",
            "event",
        ]
        read_only_fields = fields


class MessageReceiptSerializer(serializers.ModelSerializer[OutboundMessage]):
    """What send, resend and cancel answer to a user who may send but not read texts."""

    class Meta:
        model = OutboundMessage
        fields = ["id", "status"]
        read_only_fields = fields


class SendAttemptSerializer(serializers.ModelSerializer[SendAttempt]):
    """One HTTP attempt from the send log."""

    startedAt = serializers.DateTimeField(source="started_at", read_only=True)
    durationMs = serializers.IntegerField(source="duration_ms", read_only=True)
    statusCode = serializers.IntegerField(source="status_code", read_only=True, allow_null=True)
    error = BlankAsNullField()
    responseBody = serializers.CharField(source="response_body", read_only=True)

    class Meta:
        model = SendAttempt
        fields = [
            "startedAt",
            "durationMs",
            "statusCode",
            "outcome",
            "error",
            "request",
            "responseBody",
        ]
        read_only_fields = fields


class MessageDetailSerializer(MessageSerializer):
    """A text with its send log, oldest attempt first."""

    sendAttempts = SendAttemptSerializer(source="send_attempts", many=True, read_only=True)

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "sendAttempts"]
        read_only_fields = fields
