"""``api/messages/``: list, create, retrieve, resend and cancel texts through the public API."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import cancel, resend, send_message
from ..exceptions import AttentiveError, InvalidMessage
from ..models import OutboundMessage, SendAttempt, Source
from . import idempotency
from .base import AttentiveAPIMixin
from .exceptions import refusal
from .filters import filter_messages
from .ids import parse_id
from .pagination import MessageCursorPagination
from .parsers import JSONParser
from .permissions import MessagePermission, may_view, sender
from .schema import list_parameters, operation
from .serializers import (
    MessageCreateSerializer,
    MessageDetailSerializer,
    MessageReceiptSerializer,
    MessageSerializer,
    NewText,
    api_errors,
)

SHOWN = (
    " Without view_outboundmessage only its id and status: reading a text needs that "
    "permission, whoever sent it."
)
NO_TEXT = ("No text with this id.", None)


class MessageViewSet(AttentiveAPIMixin, viewsets.GenericViewSet[OutboundMessage]):
    """Texts in the outbox. Every change goes through the public API (``django_attentive``)."""

    queryset = OutboundMessage.objects.all()
    serializer_class = MessageSerializer
    permission_classes = [MessagePermission]
    parser_classes = [JSONParser]
    pagination_class = MessageCursorPagination
    # Any segment reaches the view, so a bad id is DRF's JSON 404, never Django's HTML page.
    lookup_value_regex = r"[^/]+"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[OutboundMessage]]:
        if self.action == "retrieve":
            return MessageDetailSerializer
        if self.request is not None and self.request.method == "POST" and not self.detail:
            return MessageCreateSerializer
        return MessageSerializer

    def get_object(self) -> OutboundMessage:
        self.kwargs[self.lookup_field] = parse_id(self.kwargs[self.lookup_field])
        message: OutboundMessage = super().get_object()
        return message

    def get_queryset(self) -> QuerySet[OutboundMessage]:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            oldest_first = SendAttempt.objects.order_by("started_at", "id")
            queryset = queryset.prefetch_related(Prefetch("send_attempts", oldest_first))
        return queryset

    @operation(
        summary="List texts, newest first",
        query=list_parameters(),
        answers={
            200: ("A page of texts; follow `next` until it is null.", MessageSerializer(many=True)),
            400: ("A bad filter or page_size, by name.", "problems"),
            404: ("A cursor that was not given by this API.", None),
        },
    )
    def list(self, request: Request) -> Response:
        queryset = filter_messages(self.get_queryset(), request.query_params)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @operation(
        summary="One text with its send attempts",
        detail=True,
        answers={200: ("The text and its send log.", MessageDetailSerializer), 404: NO_TEXT},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(MessageDetailSerializer(self.get_object()).data)

    @operation(
        summary="Send a text",
        idempotent=True,
        request=MessageCreateSerializer,
        answers={
            201: (f"The text.{SHOWN}", "message"),
            400: ("Per-field problems, in the admin's words; or unparsable JSON.", "problems"),
            415: ("The body is not JSON.", None),
            422: ("The Idempotency-Key was used for different content.", None),
        },
    )
    def create(self, request: Request) -> Response:
        key = idempotency.stored_key(request)
        incoming = MessageCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        clean: NewText = incoming.validated_data
        message = None
        if key is not None:
            message = OutboundMessage.objects.filter(idempotency_key=key).first()
        replayed = message is not None
        if message is None:
            message = self._send(request, clean, key)
            # Outside a transaction delivery already ran inside send_message: show its outcome.
            message.refresh_from_db()
        if key is not None:
            # Also catches a concurrent request that stored the key first.
            idempotency.ensure_same_text(message, clean)
        return _created(request, message, replayed=replayed)

    def _send(self, request: Request, clean: NewText, key: str | None) -> OutboundMessage:
        try:
            return send_message(
                clean["to"],
                clean["body"],
                media_url=clean["media_url"] or None,
                message_id=clean["message_id"] or None,
                transactional=bool(clean["message_type"]),
                idempotency_key=key,
                send_at=clean["send_at"],
                source=Source.API,
                created_by=sender(request),
            )
        except InvalidMessage as exc:
            raise ValidationError(api_errors(exc)) from None

    @operation(
        summary="Send a text again",
        description="Queues a copy (``resentFrom`` = this id) of a text that has an outcome.",
        detail=True,
        idempotent=True,
        answers={
            201: (f"The new copy.{SHOWN}", "message"),
            400: ("A bad Idempotency-Key.", "problems"),
            404: NO_TEXT,
            409: ("The text has no outcome yet, or no longer passes validation.", None),
        },
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str) -> Response:
        original = self.get_object()
        # A key names one operation on one text.
        key = idempotency.stored_key(request, operation=f"resend:{original.pk}")
        copy = OutboundMessage.objects.filter(idempotency_key=key).first() if key else None
        replayed = copy is not None
        if copy is None:
            try:
                copy = resend(original, by=sender(request), idempotency_key=key)
            except AttentiveError as exc:
                raise refusal(
                    exc, original, action="resend", shown=may_view(request.user)
                ) from None
        copy.refresh_from_db()
        return _created(request, copy, replayed=replayed)

    @operation(
        summary="Stop a queued text",
        detail=True,
        answers={
            200: (f"The cancelled text.{SHOWN}", "message"),
            404: NO_TEXT,
            409: ("Only queued texts can be cancelled.", None),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        message = self.get_object()
        try:
            message = cancel(message)
        except AttentiveError as exc:
            raise refusal(exc, message, action="cancel", shown=may_view(request.user)) from None
        return Response(_shown(request, message))


def _shown(request: Request, message: OutboundMessage) -> dict[str, object]:
    """The message as the user may read it: whole, or only its id and status."""
    serializer = MessageSerializer if may_view(request.user) else MessageReceiptSerializer
    return serializer(message).data


def _created(request: Request, message: OutboundMessage, *, replayed: bool) -> Response:
    """201 with the message; a replayed Idempotency-Key says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(_shown(request, message), status=status.HTTP_201_CREATED, headers=headers)
