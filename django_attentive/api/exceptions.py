"""HTTP errors the API answers with, beyond the ones DRF already has."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException

from ..exceptions import AttentiveError, InvalidMessage
from ..models import OutboundMessage
from .serializers import API_FIELD_NAMES

# What a refused action needs, said without the text's content.
NEEDS = {
    "resend": "resend it once it has an outcome, or cancel it first.",
    "cancel": "only queued texts can be cancelled.",
}


class Conflict(APIException):
    """409: the message is in a state that does not allow the action (e.g. cancel a sent text)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The text is in a state that does not allow this."
    default_code = "conflict"


class IdempotencyKeyReused(APIException):
    """422: an Idempotency-Key already sent one text and now comes with different content."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different text."
    default_code = "idempotency_key_reused"


def refusal(exc: AttentiveError, message: OutboundMessage, *, action: str, shown: bool) -> Conflict:
    """The 409 for a refused ``action``; without ``shown`` it names fields, never their values.

    The outbox's words quote the text (its number, its body), which only a user who may
    view texts is allowed to read; a send-only user learns the id, the status and which
    field no longer passes.
    """
    if shown:
        return Conflict(str(exc))
    if isinstance(exc, InvalidMessage):
        fields = ", ".join(API_FIELD_NAMES.get(name, name) for name in exc.message_dict)
        return Conflict(
            f"Text #{message.pk} can no longer be sent as it is: its {fields} no longer "
            "passes validation (e.g. the allowed regions changed). A user with the "
            "view_outboundmessage permission can read why; send a new text instead."
        )
    return Conflict(f"Text #{message.pk} is {message.status}; {NEEDS[action]}")
