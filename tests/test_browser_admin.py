"""The admin in a real browser: Playwright drives Debian's chromium against the live server.

Skips when playwright or chromium is missing, except under CI=true, where that fails.
ATTENTIVE_SCREENSHOTS=1 also refreshes the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from django_attentive.models import OutboundMessage, Status
from django_attentive.segments import count_segments

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)

CHROMIUM = os.environ.get("ATTENTIVE_BROWSER", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
BRAND_PREFIX = "Acme: "
# Strings where GSM-7 and UCS-2 counting differ: extension characters, emoji (two UTF-16
# units), a prefix pushing past a segment boundary, accents inside and outside GSM-7.
AGREEMENT_STRINGS = [
    "",
    "Your order #1001 shipped",
    "Sale {today} ~ 20% off [all] €5 ^^",
    "Bonjour Élodie, café à 3€",
    "Ça marche: ğ is not GSM",
    "Sale 😀 starts now",
    "x" * 154,
    "x" * 155,
    "€" * 80,
    "👍🏽" * 20,
    "line one\nline two",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, attentive) -> Iterator[object]:
    from django_attentive.fake import fake as mounted

    mounted.reset()
    attentive(
        BACKEND="django_attentive.backends.http.HttpBackend",
        BASE_URL=f"{live_server.url}/fake-attentive",
        API_TOKEN="live-token",
        BRAND_PREFIX=BRAND_PREFIX,
        TIMEOUT=(2, 5),
    )
    User.objects.create_superuser("owner", "owner@shop.example", "correct horse")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/django_attentive/outboundmessage/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/django_attentive/outboundmessage/$"))
    yield page
    context.close()
    mounted.reset()


def _shoot(page, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("ATTENTIVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _counter(page) -> dict[str, str]:
    return page.eval_on_selector("#attentive-counter", "el => ({...el.dataset})")


def test_compose_count_confirm_and_see_it_sent(page, live_server, tmp_path):
    from django_attentive.fake import fake as mounted

    page.click("text=Compose a text")
    page.wait_for_url(re.compile(r"/compose/$"))

    page.fill("#id_recipients", "+1 201 555 0123\n(201) 555-0124\n+1 201 555 0125")
    page.fill(
        "#id_body", "Your order #1001 has shipped! Track it at shop.example/track/1001 - thanks"
    )
    counter = _counter(page)
    assert (counter["encoding"], counter["segments"], counter["recipients"]) == ("GSM-7", "1", "3")
    assert counter["total"] == "3"
    assert "brand prefix “Acme: ”" in page.inner_text("#attentive-counter")

    page.type("#id_body", " 📦")
    counter = _counter(page)
    assert counter["encoding"] == "UCS-2"
    assert counter["ucs2Character"] == "📦"
    assert "“📦” (U+1F4E6) is not in the GSM-7 alphabet" in page.inner_text("#attentive-counter")
    body = page.input_value("#id_body")
    expected = count_segments(body, brand_prefix=BRAND_PREFIX)
    assert int(counter["characters"]) == expected.characters
    assert int(counter["segments"]) == expected.segments == 2
    assert counter["total"] == "6"

    page.fill("#id_media_url", "https://shop.example/box.png")
    assert "MMS" in page.inner_text("#attentive-counter")
    _shoot(page, "compose.png", tmp_path)

    page.fill("#id_media_url", "")
    page.fill("#id_recipients", "+1 201 555 0123")
    page.click("input[name=_preview]")
    summary = page.eval_on_selector("#attentive-summary", "el => ({...el.dataset})")
    assert summary["encoding"] == "UCS-2"
    assert int(summary["segments"]) == expected.segments
    assert summary["recipients"] == "1"
    page.click("input[name=_confirm]")

    page.wait_for_url(re.compile(r"/outboundmessage/\d+/change/$"))
    assert page.get_attribute("#attentive-status-banner", "data-status") == Status.SENT
    assert "is on its way" in page.inner_text(".messagelist")
    assert page.locator("#attentive-history .attentive-attempt").count() == 1
    assert "200" in page.inner_text("#attentive-history")
    message = OutboundMessage.objects.get()
    assert (message.to, message.body, message.status) == ("+12015550123", body, Status.SENT)
    assert [m["body"] for m in mounted.messages] == [body]
    _shoot(page, "message.png", tmp_path)


def test_live_counter_agrees_with_the_server(page, live_server):
    page.goto(f"{live_server.url}/admin/django_attentive/outboundmessage/compose/")
    for text in AGREEMENT_STRINGS:
        in_js = page.evaluate("text => attentiveCount(text)", text)
        assert in_js == count_segments(text, brand_prefix=BRAND_PREFIX).as_dict(), text
        page.fill("#id_body", text)
        counter = _counter(page)
        server = count_segments(text, brand_prefix=BRAND_PREFIX)
        assert (counter["encoding"], int(counter["segments"])) == (
            server.encoding,
            server.segments,
        ), text


def test_bulk_text_asks_for_confirmation_with_the_totals(page, live_server):
    page.goto(f"{live_server.url}/admin/django_attentive/outboundmessage/compose/")
    page.fill("#id_recipients", "+12015550123, +12015550124\n+12015550124\nnot a number")
    page.fill("#id_body", "Flash sale today only")
    page.click("input[name=_send]")
    assert "Line 3: 'not a number' is not a phone number" in page.inner_text(".field-recipients")
    page.fill("#id_recipients", "+12015550123, +12015550124\n+12015550124")
    page.click("input[name=_send]")
    summary = page.eval_on_selector("#attentive-summary", "el => ({...el.dataset})")
    assert (summary["recipients"], summary["totalSegments"]) == ("2", "2")
    assert OutboundMessage.objects.count() == 0
    page.click("input[name=_confirm]")
    page.wait_for_url(re.compile(r"/outboundmessage/\?"))
    assert "Queued 2 texts" in page.inner_text(".messagelist")
    assert OutboundMessage.objects.filter(status=Status.QUEUED).count() == 2


def test_resend_a_failed_text_from_its_page(page, live_server):
    failed = OutboundMessage.objects.create(
        to="+12015550123", body="Your order shipped", status=Status.FAILED, last_error="Timeout"
    )
    page.goto(f"{live_server.url}/admin/django_attentive/outboundmessage/{failed.pk}/change/")
    assert page.get_attribute("#attentive-status-banner", "data-status") == Status.FAILED
    page.click("button.attentive-resend")
    page.wait_for_url(re.compile(r"/outboundmessage/\d+/change/$"))
    copy = OutboundMessage.objects.get(resent_from=failed)
    assert f"/{copy.pk}/change/" in page.url
    assert page.get_attribute("#attentive-status-banner", "data-status") == Status.SENT


def test_counter_warns_of_braces_when_the_transport_refuses_them(page, live_server, attentive):
    from django_attentive.fake import fake as mounted
    from django_attentive.validation import forbidden_character_message

    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    page.goto(f"{live_server.url}/admin/django_attentive/outboundmessage/compose/")
    page.fill("#id_recipients", "+1 201 555 0123")
    page.fill("#id_body", "Your code is }1234")
    words = forbidden_character_message("}", "{}")
    assert page.inner_text(".attentive-counter-forbidden") == words

    page.click("input[name=_send]")
    assert words in page.inner_text(".field-body")
    assert OutboundMessage.objects.count() == 0

    page.fill("#id_body", "Your code is 1234")
    assert page.locator(".attentive-counter-forbidden").count() == 0
    page.click("input[name=_send]")
    page.wait_for_url(re.compile(r"/outboundmessage/\d+/change/$"))
    assert page.get_attribute("#attentive-status-banner", "data-status") == Status.SENT
    assert [m["body"] for m in mounted.records("/v1/text/send")] == ["Your code is 1234"]
