"""``{% load attentive %}{% attentive_subscribe_form %}``: the sign-up form on any page.

The page must be rendered with its request (``render(request, ...)``) so the form carries a
CSRF token; it posts to ``attentive/subscribe/``, which answers with its own pages.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..storefront.views import new_form

register = template.Library()


@register.inclusion_tag("django_attentive/subscribe_form.html", takes_context=True)
def attentive_subscribe_form(context: template.Context) -> dict[str, Any]:
    """The sign-up form (mobile number, optional email, unticked consent box)."""
    return {
        "form": new_form(),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
