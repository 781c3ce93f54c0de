"""What every view of the API shares: the project's authentication and the ``attentive`` rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from rest_framework.authentication import BaseAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

from .throttling import AttentiveRateThrottle


class AttentiveAPIMixin:
    """Authenticators and throttles read per request, so override_settings reaches them too."""

    throttle_scope = "attentive"

    def get_authenticators(self) -> list[BaseAuthentication]:
        # (The stubs type these settings as the dotted paths; reading one imports the classes.)
        classes = cast(
            "Sequence[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES
        )
        return [authenticator() for authenticator in classes]

    def get_throttles(self) -> list[BaseThrottle]:
        # A ScopedRateThrottle in the defaults would count this scope twice or crash with no rate.
        classes = cast("Sequence[type[BaseThrottle]]", api_settings.DEFAULT_THROTTLE_CLASSES)
        defaults = [
            throttle() for throttle in classes if not issubclass(throttle, ScopedRateThrottle)
        ]
        return [*defaults, AttentiveRateThrottle()]
