"""HTTP errors the API answers with, beyond the ones DRF already has."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


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
