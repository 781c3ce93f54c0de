"""A campaign in a real browser: compose it, watch the bar move while a worker sends through
the fake, pause and resume it, and see clicks and opt-outs arrive from signed webhooks.

ATTENTIVE_SCREENSHOTS=1 also refreshes docs/screenshots/campaign.png.
"""

from __future__ import annotations

import re
import time

import pytest

from django_attentive.models import Campaign, OutboundMessage, Status

from .test_browser_admin import _shoot, browser, page  # noqa: F401, F811 - fixtures
from .workers import start_worker

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 300


def _done(page) -> int:  # noqa: F811
    return int(page.get_attribute("#attentive-campaign", "data-done") or 0)


def test_progress_bar_moves_pauses_resumes_and_shows_clicks(
    page,  # noqa: F811 - the fixture imported above
    live_server,
    fake_server,
    attentive,
    tmp_path,  # noqa: F811
):
    # The worker sends to the standalone fake, so the live server only serves the browser
    # and the webhooks (SQLite in many live-server threads at once is not something to test).
    fake = fake_server.fake
    fake.reset()
    fake.configure(latency=0.01)
    attentive(RATE_LIMIT=40, WEBHOOK_SECRET="browser-secret")
    page.goto(f"{live_server.url}/admin/django_attentive/outboundmessage/compose/")
    page.fill("#id_recipients", "\n".join(f"+1201555{n:04d}" for n in range(SIZE)))
    page.fill("#id_body", "Spring sale: 20% off everything at shop.example/spring")
    page.fill("#id_campaign", "Spring sale")
    page.click("input[name=_preview]")
    assert "A new campaign" in page.inner_text("#attentive-confirm-campaign")
    page.click("input[name=_confirm]")
    page.wait_for_url(re.compile(r"/admin/django_attentive/campaign/\d+/change/$"))
    assert page.inner_text("#attentive-total") == str(SIZE)
    assert _done(page) == 0

    # A real worker process (attentive_send_queued --loop), sending through the fake.
    settings = {
        "BACKEND": "django_attentive.backends.http.HttpBackend",
        "BASE_URL": fake_server.url,
        "API_TOKEN": "live-token",
        "RATE_LIMIT": 40,
    }
    worker = start_worker(
        "--loop", "--concurrency", "2", "--batch-size", "20", "--interval", "0.1", settings=settings
    )
    try:
        # The bar moves while the worker sends: two readings, both part-way, the second further.
        page.wait_for_function(
            "() => +document.querySelector('#attentive-campaign').dataset.done >= 20"
        )
        first = _done(page)
        page.wait_for_function(
            f"() => +document.querySelector('#attentive-campaign').dataset.done > {first + 20}"
        )
        assert first < _done(page) < SIZE
        width = page.eval_on_selector(".attentive-bar-sent", "el => el.style.width")
        assert width.endswith("%") and 0 < float(width[:-1]) < 100

        page.click("#attentive-pause")
        page.wait_for_selector("#attentive-resume")
        assert page.get_attribute("#attentive-campaign", "data-state") == "paused"
        assert "Paused" in page.inner_text("#attentive-state-label")
        campaign = Campaign.objects.get()
        texts = OutboundMessage.objects.filter(campaign=campaign)
        paused_at = texts.exclude(status=Status.QUEUED).count()
        time.sleep(1.5)
        assert texts.exclude(status=Status.QUEUED).count() == paused_at < SIZE

        page.click("#attentive-resume")
        page.wait_for_selector("#attentive-pause")
        page.wait_for_function(
            "() => document.querySelector('#attentive-campaign').dataset.finished === 'true'",
            timeout=60_000,
        )
    finally:
        worker.terminate()  # SIGTERM: it finishes what is in flight and exits
        worker.communicate(timeout=30)
    assert page.inner_text("#attentive-state-label") == "Finished"
    assert page.inner_text("[data-count=sent]") == str(SIZE)
    assert page.inner_text("#attentive-finished-at") != "—"

    fake.webhooks.configure(
        url=f"{live_server.url}/attentive/webhooks/",
        secret="browser-secret",
        click_rate=0.25,
        opt_out_rate=0.03,
        seed=3,
    )
    fake.webhooks.emit()
    kinds = [kind for kind, status in fake.webhooks.posted if status == 200]
    clicks = kinds.count("sms.message_link_click")
    opted_out = kinds.count("sms.unsubscribed")
    # Wait for one poll that has seen every event: a poll taken while the fake was still
    # posting can show the final clicks before the last sms.sent.
    page.wait_for_function(
        "([clicks, delivered, optedOut]) => {"
        " const n = (name) => document.querySelector(`[data-engagement=${name}]`).textContent;"
        " return n('clicked') === clicks && n('delivered') === delivered"
        " && n('opted_out') === optedOut; }",
        arg=[str(clicks), str(SIZE), str(opted_out)],
        timeout=15_000,
    )
    assert page.inner_text("[data-engagement=delivered]") == str(SIZE)
    assert page.inner_text("[data-engagement=opted_out]") == str(opted_out)
    assert page.inner_text("[data-rate=clicked]").endswith("%")
    _shoot(page, "campaign.png", tmp_path)
