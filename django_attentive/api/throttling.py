"""The ``attentive`` throttle scope, tuned in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class AttentiveRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that lets everything through while the project sets no rate for the scope.

    DRF's own raises ImproperlyConfigured (a 500 on every request) when the rate is missing.
    The rates are read at request time so override_settings works.
    """

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
