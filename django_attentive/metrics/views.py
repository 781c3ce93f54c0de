"""``/metrics`` for Prometheus, for staff users or a scraper holding ``METRICS_TOKEN``.

Mount it with ``path("attentive/metrics/", include("django_attentive.metrics.urls"))``, or
use django-prometheus's own ``/metrics``, which shows the same collectors.
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from .. import conf


def allowed(request: HttpRequest) -> bool:
    """A staff user's session, or ``Authorization: Bearer <ATTENTIVE['METRICS_TOKEN']>``."""
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff:
        return True
    token = str(conf.get("METRICS_TOKEN") or "")
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.strip().encode(), token.encode())
    )


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The default registry in Prometheus's text format."""
    if not allowed(request):
        response = HttpResponse(
            "Metrics need a staff login or ATTENTIVE['METRICS_TOKEN'] as a bearer token.\n",
            status=403,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="attentive-metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
