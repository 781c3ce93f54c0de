"""OpenAPI annotations from drf-spectacular (the ``schema`` extra); no-ops without it.

The schema says exactly what the API accepts and answers, so a generated client (and a
schemathesis run) never meets a surprise: enums, patterns and lengths for every input, integer
ids, and every error with its shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ..models import Status
from ..validation import MAX_BODY_LENGTH
from .campaign_serializers import MAX_RECIPIENTS
from .campaign_serializers import NAME_MAX_LENGTH as CAMPAIGN_NAME_MAX_LENGTH
from .idempotency import HEADER, MAX_KEY_LENGTH, PATTERN
from .ids import MAX_ID
from .pagination import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

F = TypeVar("F", bound=Callable[..., Any])

try:
    from drf_spectacular.extensions import OpenApiSerializerExtension
    from drf_spectacular.utils import (
        OpenApiParameter,
        OpenApiResponse,
        PolymorphicProxySerializer,
        extend_schema,
    )
except ImportError:  # the API works the same; only the schema is less precise
    SPECTACULAR = False
else:
    SPECTACULAR = True


def _unchanged(view: F) -> F:
    return view


Schema = dict[str, object]

DETAIL: Schema = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What was wrong; what to do."}},
    "required": ["detail"],
}
PROBLEMS: Schema = {
    "type": "object",
    "description": (
        "Each bad field (or header, or query parameter) with its problems; "
        '{"detail": "..."} instead when the JSON cannot be parsed.'
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
# A time, a date, or empty (an empty query parameter counts as left out).
MOMENT: Schema = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}, {"maxLength": 0}],
}
# Numbers are read as text, as the admin would read what was typed.
TEXT_OR_NUMBER: list[Schema] = [{"type": "string"}, {"type": "number"}]
CREATE_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["to", "body"],
    "properties": {
        "to": {
            "anyOf": TEXT_OR_NUMBER,
            "nullable": True,
            "description": "The recipient's number, any format; stored in E.164.",
        },
        "body": {
            "anyOf": [{"type": "string", "maxLength": MAX_BODY_LENGTH}, {"type": "number"}],
            "nullable": True,
            "description": f"The text, 1 to {MAX_BODY_LENGTH} characters, not only spaces.",
        },
        "messageId": {
            "anyOf": TEXT_OR_NUMBER,
            "nullable": True,
            "description": "Your id for the text, at most 255 characters, passed on to Attentive.",
        },
        "type": {
            "type": "string",
            "enum": ["TRANSACTIONAL", "", None],
            "nullable": True,
            "description": '"TRANSACTIONAL" exactly, or leave it out.',
        },
        "mediaUrl": {
            "type": "string",
            "nullable": True,
            "description": "An http(s) link to a .gif, .png or .jpg image: makes it an MMS.",
        },
        "sendAt": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "Hold the text until then (no zone: the project's); a past time: now.",
        },
    },
}

# A bulk send: the message's body, mediaUrl and sendAt, with a name and many numbers.
_CREATE_FIELDS: dict[str, Schema] = CREATE_REQUEST["properties"]  # type: ignore[assignment]
CAMPAIGN_REQUEST: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "body", "recipients"],
    "properties": {
        "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": CAMPAIGN_NAME_MAX_LENGTH,
            "description": "The campaign; a name already used adds these texts to it.",
        },
        "body": _CREATE_FIELDS["body"],
        "recipients": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_RECIPIENTS,
            "items": {"anyOf": TEXT_OR_NUMBER},
            "description": "The numbers, any format; each distinct number gets one text.",
        },
        "mediaUrl": _CREATE_FIELDS["mediaUrl"],
        "sendAt": _CREATE_FIELDS["sendAt"],
    },
}


def _header(name: str, schema: Schema, codes: Sequence[int], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.HEADER,
        response=list(codes),
        description=description,
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=DETAIL, description=description)


def _common_errors() -> dict[int, OpenApiResponse]:
    return {
        401: _error("Not authenticated (with a header scheme such as tokens first)."),
        403: _error("Not authenticated (session) or missing the permission, which it names."),
        429: _error("Over the `attentive` rate; Retry-After says when to try again."),
    }


def _message_answer() -> PolymorphicProxySerializer:
    """The text in full, or only its id and status for a user who may not view texts."""
    from .serializers import MessageReceiptSerializer, MessageSerializer

    return PolymorphicProxySerializer(
        component_name="MessageOrReceipt",
        serializers=[MessageSerializer, MessageReceiptSerializer],
        resource_type_field_name=None,
    )


def operation(
    *,
    summary: str,
    answers: dict[int, tuple[str, object]],
    description: str = "",
    detail: bool = False,
    what: str = "text",
    idempotent: bool = False,
    query: Sequence[OpenApiParameter] = (),
    request: object = None,
) -> Callable[[F], F]:
    """The ``extend_schema`` of one operation: its answers, then every error it can give.

    ``answers`` maps a status to (description, body): ``"message"`` for the text or its
    receipt, ``None`` for a ``{"detail"}`` error, ``"problems"`` for per-field errors, or a
    serializer.
    """
    if not SPECTACULAR:
        return _unchanged
    responses = _common_errors()
    for code, (text, body) in answers.items():
        if body is None:
            responses[code] = _error(text)
        elif body == "problems":
            responses[code] = OpenApiResponse(response=PROBLEMS, description=text)
        elif body == "message":
            responses[code] = OpenApiResponse(response=_message_answer(), description=text)
        else:
            responses[code] = OpenApiResponse(response=body, description=text)
    parameters = list(query)
    if detail:
        parameters.append(
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                OpenApiParameter.PATH,
                description=f"The {what}'s id; any other value is a 404.",
            )
        )
    if idempotent:
        parameters.append(
            OpenApiParameter(
                HEADER,
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": f"^{PATTERN}$",
                },
                OpenApiParameter.HEADER,
                description=(
                    "Makes a retried POST return the first answer (201, with the header "
                    "Idempotent-Replayed: true) and send nothing new. 1-200 printable ASCII "
                    "characters, no spaces; reusing a key for different content is a 422."
                ),
            )
        )
        parameters.append(
            _header(
                "Idempotent-Replayed",
                {"type": "string", "enum": ["true"]},
                [201],
                "Present on a replayed answer: the key was used before and nothing new was sent.",
            )
        )
    parameters.append(
        _header(
            "Retry-After",
            {"type": "string", "pattern": "^[0-9]+$"},
            [429],
            "Seconds to wait before the next request.",
        )
    )
    return extend_schema(
        summary=summary,
        description=description or None,
        parameters=parameters,
        request=request,
        responses=responses,
    )


def list_parameters() -> list[OpenApiParameter]:
    """The list's query parameters, exactly as ``filters`` and ``pagination`` read them."""
    if not SPECTACULAR:
        return []
    query: Final = OpenApiParameter.QUERY
    return [
        OpenApiParameter(
            "status",
            {"type": "array", "items": {"type": "string", "enum": list(Status.values)}},
            query,
            style="form",
            explode=False,
            description="One status or several, comma-separated: ?status=failed,unconfirmed.",
        ),
        OpenApiParameter(
            "to", str, query, description="A phone number in any format; matched in E.164."
        ),
        OpenApiParameter(
            "created_after",
            MOMENT,
            query,
            description="Created at or after this time (ISO 8601; a date means its midnight).",
        ),
        OpenApiParameter(
            "created_before",
            MOMENT,
            query,
            description="Created before this time (ISO 8601; a date means its midnight).",
        ),
        OpenApiParameter("cursor", str, query, description="From `next` or `previous`."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            query,
            description=f"Texts per page, 1 to {MAX_PAGE_SIZE}; 50 by default.",
        ),
    ]


if SPECTACULAR:

    class ReceiptSchema(OpenApiSerializerExtension):
        """A receipt has nothing but ``id`` and ``status``, so a full text is never one."""

        target_class = "django_attentive.api.serializers.MessageReceiptSerializer"

        def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
            schema = auto_schema._map_serializer(
                self.target_class, direction, bypass_extensions=True
            )
            return {**schema, "additionalProperties": False}

    class CreateRequestSchema(OpenApiSerializerExtension):
        """What ``MessageCreateSerializer`` reads, as precisely as it reads it."""

        target_class = "django_attentive.api.serializers.MessageCreateSerializer"

        def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
            return CREATE_REQUEST

    class CampaignRequestSchema(OpenApiSerializerExtension):
        """What ``CampaignCreateSerializer`` reads, as precisely as it reads it."""

        target_class = "django_attentive.api.campaign_serializers.CampaignCreateSerializer"

        def map_serializer(self, auto_schema: AutoSchema, direction: str) -> Schema:
            return CAMPAIGN_REQUEST
