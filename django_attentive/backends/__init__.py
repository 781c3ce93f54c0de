"""Transports: each sends one payload and maps Attentive's answer to a result or an exception."""

from __future__ import annotations

from django.utils.module_loading import import_string

from .. import conf
from ..exceptions import ConfigurationError
from .base import BaseBackend, MessagePayload, Outgoing, SendResult, build_payload

__all__ = [
    "BaseBackend",
    "MessagePayload",
    "Outgoing",
    "SendResult",
    "build_payload",
    "forbidden_body_characters",
    "get_backend",
    "get_backend_class",
]


def get_backend(path: str | None = None) -> BaseBackend:
    """Instantiate the configured transport (cheap: shared state lives at module level)."""
    return get_backend_class(path)()


def get_backend_class(path: str | None = None) -> type[BaseBackend]:
    """The configured transport's class, e.g. to ask what its API refuses before sending."""
    path = path or conf.get("BACKEND")
    try:
        backend_class: type[BaseBackend] = import_string(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"ATTENTIVE['BACKEND'] = {path!r} cannot be imported ({exc}). Use "
            "'django_attentive.backends.text_send.TextSendBackend', '.http.HttpBackend', "
            "'.console.ConsoleBackend' or '.locmem.LocmemBackend'."
        ) from exc
    return backend_class


def forbidden_body_characters() -> str:
    """Characters the configured transport cannot carry in a body ("" for most transports)."""
    try:
        return get_backend_class().forbidden_body_characters
    except ConfigurationError:
        return ""  # the system check reports the unimportable BACKEND
