"""Typed errors raised by django-attentive."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured, ValidationError


class AttentiveError(Exception):
    """Base class of every error this app raises."""


class InvalidMessage(AttentiveError, ValidationError):
    """A message failed validation; ``message_dict`` maps argument names to problems."""

    def __init__(self, errors: Mapping[str, list[str] | str]) -> None:
        ValidationError.__init__(self, dict(errors))

    def __str__(self) -> str:
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in self.message_dict.items()
        )


class ConfigurationError(AttentiveError, ImproperlyConfigured):
    """The ATTENTIVE settings are missing something or hold a wrong value."""


class APIError(AttentiveError):
    """Attentive answered, or failed to answer, in a way that is not success."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        response_body: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response_body = response_body
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        if self.status_code is not None:
            text = f"{text} (HTTP {self.status_code})"
        return text


class AuthenticationError(APIError):
    """403: the API token is wrong. The message is fine and waits for a working token."""


class EndpointNotFound(APIError):
    """404 that is not Attentive's answer about a number (a wrong BASE_URL, a proxy's page):
    the configuration is wrong, not the message, which waits until it is fixed."""


class RecipientError(APIError):
    """The number cannot be texted: opted out, not a subscriber, or unmatched (404)."""


class BadRequest(APIError):
    """Attentive refused the request itself (400 other than a recipient problem)."""


class TransientError(APIError):
    """Nothing was sent and trying again later may work (network, 429, 5xx)."""


class AmbiguousError(APIError):
    """The request may have reached Attentive but no answer came back."""


class RateLimited(TransientError):
    """429: Attentive's rate limit was reached; ``limit`` and ``remaining`` come from its
    ``x-ratelimit-limit`` / ``x-ratelimit-remaining`` headers (None when absent)."""

    def __init__(
        self,
        message: str,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        status_code: int | None = None,
        response_body: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status_code=status_code, response_body=response_body, retry_after=retry_after
        )
        self.limit = limit
        self.remaining = remaining

    def __str__(self) -> str:
        text = super().__str__()
        if self.limit is not None or self.remaining is not None:
            limit = "?" if self.limit is None else self.limit
            remaining = "?" if self.remaining is None else self.remaining
            text = f"{text} [limit {limit}/s, {remaining} remaining]"
        return text
