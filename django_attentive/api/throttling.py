"""The ``attentive`` throttle scope, tuned in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

from __future__ import annotations

from typing import cast

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class AttentiveRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle that lets everything through while the project sets no rate for the scope.

    DRF's own raises ImproperlyConfigured (a 500 on every request) when the rate is missing.
    The rates are read at request time so override_settings works.
    """

    def get_rate(self) -> str | None:
        if self.scope is None:
            return None
        # The stubs type the rates as numbers; DRF's are strings such as "100/minute".
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)
