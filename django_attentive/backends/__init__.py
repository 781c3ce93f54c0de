"""Transports: each sends one payload and maps Attentive's answer to a result or an exception."""

from __future__ import annotations

from django.utils.module_loading import import_string

from .. import conf
from ..exceptions import ConfigurationError
from .base import BaseBackend, MessagePayload, SendResult, build_payload

__all__ = ["BaseBackend", "MessagePayload", "SendResult", "build_payload", "get_backend"]


def get_backend(path: str | None = None) -> BaseBackend:
    """Instantiate the configured transport (cheap: shared state lives at module level)."""
    path = path or conf.get("BACKEND")
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"ATTENTIVE['BACKEND'] = {path!r} cannot be imported ({exc}). Use "
            "'django_attentive.backends.http.HttpBackend', '.console.ConsoleBackend' "
            "or '.locmem.LocmemBackend'."
        ) from exc
    return backend_class()
