"""A per-IP limit on sign-up form posts, kept in Django's cache (CONSENT["FORM_RATE"])."""

from __future__ import annotations

import re
import time

from django.core.cache import cache

from .. import conf
from ..exceptions import ConfigurationError
from ..outbox.consents import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([smhd])[a-z]*\s*$", re.IGNORECASE)


def parse_rate(rate: object) -> tuple[int, int] | None:
    """``"5/minute"`` -> (5, 60); None or "" -> None (no limit)."""
    if rate in (None, ""):
        return None
    match = _RATE.match(str(rate))
    if not match:
        raise ConfigurationError(
            f"ATTENTIVE['CONSENT']['FORM_RATE'] = {rate!r} is not a rate; write it as "
            '"5/minute" (per second, minute, hour or day), or None for no limit.'
        )
    return int(match[1]), PERIODS[match[2].lower()]


def allow(request: object) -> bool:
    """Count one post from the request's IP; False once it is over the rate in this window."""
    rate = parse_rate(conf.consent().get("FORM_RATE"))
    if rate is None:
        return True
    limit, period = rate
    window = int(time.time() // period)
    key = f"django_attentive:subscribe:{client_ip(request) or 'unknown'}:{period}:{window}"  # type: ignore[arg-type]
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    return count <= limit
