"""A system check: the fake Attentive must never be reachable on a server run with DEBUG off."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning
from django.urls import NoReverseMatch, reverse

FAKE_INBOX = "attentive_fake:inbox"


def fake_attentive_url() -> str | None:
    """Where the URLconf mounts the fake Attentive's inbox, or None when it is not mounted."""
    try:
        return reverse(FAKE_INBOX)
    except NoReverseMatch:
        return None


def check_fake_attentive_not_public(app_configs: object = None, **kwargs: object) -> list:
    """Warn when the fake is mounted while DEBUG is off (a server others can reach)."""
    url = fake_attentive_url()
    if settings.DEBUG or url is None:
        return []
    prefix = url.removesuffix("inbox/")
    return [
        Warning(
            f"The fake Attentive is mounted at {prefix} with DEBUG off: anyone who can reach "
            "this server can read every text it received and change how it answers "
            f"({prefix}_fake/config).",
            hint="Mount django_attentive.fake.urls only when DEBUG is on (see "
            "example_project/urls.py), or run the fake standalone with "
            "`manage.py attentive_fake_server`.",
            obj="ROOT_URLCONF",
            id="shop.W001",
        )
    ]
