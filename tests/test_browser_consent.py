"""Consent in a real browser: the box starts unticked, and the words stored are the words shown.

Playwright drives Debian's chromium against the live server; subscriptions go to the
standalone fake Attentive over real HTTP. Skips like test_browser_admin.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, InterfaceError

from django_attentive.models import Consent, Kind, OutboundMessage, Status

from .test_browser_admin import browser  # noqa: F401 - the shared chromium fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

CONSENT = {
    "SHOP_NAME": "Acme",
    "TERMS_URL": "https://acme.test/terms",
    "PRIVACY_URL": "https://acme.test/privacy",
    "SIGN_UP_SOURCE_IDS": {"MARKETING": "357276", "TRANSACTIONAL": "357280"},
}


def settled(read: Callable[[], object], until: Callable[[object], bool]) -> object:
    """Read the database until ``until`` holds (5 s at most). The live server shares this
    thread's SQLite connection and closes it after each request, so a read can collide."""
    deadline = time.monotonic() + 5
    while True:
        try:
            value = read()
            if until(value) or time.monotonic() > deadline:
                return value
        except (DatabaseError, InterfaceError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


@pytest.fixture
def page(browser, fake, attentive) -> Iterator[object]:  # noqa: F811
    # The standalone fake, not one mounted in the live server: a request the live server
    # answered closes the SQLite connection it shares with the delivery still running.
    attentive(CONSENT=CONSENT)
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_sign_up_stores_exactly_the_words_shown_and_attentive_gets_it(page, live_server, fake):
    page.goto(f"{live_server.url}/attentive/subscribe/")
    box = page.locator("#id_consent")
    assert not box.is_checked()
    shown = page.inner_text("label[for=id_consent]")
    assert "recurring automated marketing" in shown

    page.click("button[type=submit]")  # not ticked: refused, nothing stored
    assert "Tick the box to agree" in page.inner_text("body")
    assert not page.locator("#id_consent").is_checked()
    assert not settled(Consent.objects.exists, lambda found: True)

    page.fill("#id_phone", "(201) 555-0123")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/attentive/subscribe/thanks/$"))
    assert "Reply Y" in page.inner_text("body")

    consent = settled(Consent.objects.get, lambda row: True)
    assert consent.disclosure == shown
    assert consent.phone == "+12015550123" and consent.page_url.endswith("/attentive/subscribe/")
    codes = settled(
        lambda: list(
            OutboundMessage.objects.filter(kind=Kind.SUBSCRIPTION).values_list(
                "status", "send_attempts__status_code"
            )
        ),
        lambda rows: rows == [(Status.SENT, 202)],
    )
    assert codes == [(Status.SENT, 202)]
    (received,) = fake.records("/v1/subscriptions")
    assert received["user"] == {"phone": "+12015550123"}

    page.go_back()  # the browser's back button and a second submit: still one subscription
    page.go_back()
    if page.locator("#id_consent").count():
        page.fill("#id_phone", "(201) 555-0123")
        page.check("#id_consent")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/thanks/$"))
    assert settled(Consent.objects.count, lambda n: True) == 1
    assert settled(OutboundMessage.objects.filter(kind=Kind.SUBSCRIPTION).count, bool) == 1


def test_the_admin_shows_the_evidence_and_attentives_202(page, live_server, fake):
    page.goto(f"{live_server.url}/attentive/subscribe/")
    page.fill("#id_phone", "+1 201 555 0124")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/thanks/$"))
    consent = settled(Consent.objects.get, lambda row: True)

    User.objects.create_superuser("owner", "owner@shop.example", "correct horse")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/django_attentive/consent/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.click(f"a[href$='/consent/{consent.pk}/change/']")
    body = page.inner_text("#content")
    assert consent.disclosure in body
    assert "Attentive answered 202" in body
    assert page.locator("input[name=_save]").count() == 0
    (received,) = fake.records("/v1/subscriptions")
    assert received["signUpSourceId"] == "357276"
