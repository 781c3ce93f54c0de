"""OpenAPI annotations from drf-spectacular (the ``schema`` extra); no-ops without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

try:
    from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
except ImportError:  # the API works the same; only the schema is less precise
    OpenApiParameter = OpenApiResponse = None

    def extend_schema(*args: object, **kwargs: object) -> Callable[[F], F]:
        return lambda view: view


def idempotency_parameter() -> list:
    if OpenApiParameter is None:
        return []
    return [
        OpenApiParameter(
            "Idempotency-Key",
            str,
            OpenApiParameter.HEADER,
            description=(
                "Makes a retried POST return the first answer (201, with the header "
                "Idempotent-Replayed: true) and send nothing new. 1-200 printable ASCII "
                "characters; reusing a key for different content is a 422."
            ),
        )
    ]


def response(description: str, serializer: object = None) -> object:
    if OpenApiResponse is None:
        return None
    return OpenApiResponse(response=serializer, description=description)
