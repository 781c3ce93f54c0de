"""The dashboard in a real browser, in the light and the dark theme (prefers-color-scheme).

ATTENTIVE_SCREENSHOTS=1 also refreshes docs/screenshots/dashboard-light.png and -dark.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.test_admin_dashboard import fill
from tests.test_browser_admin import SCREENSHOTS, browser  # noqa: F401 - the fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.django_db(transaction=True)


def _open_dashboard(browser, live_server, scheme: str):  # noqa: F811 - the fixture
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/django_attentive/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/django_attentive/$"))
    page.click("a[href$='/admin/django_attentive/dashboard/']")  # linked from the app index
    page.wait_for_url(re.compile(r"/admin/django_attentive/dashboard/$"))
    return context, page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_draws_charts_and_tables_in_both_themes(
    browser,  # noqa: F811 - the fixture
    live_server,
    tmp_path,
    scheme,
):
    User.objects.create_superuser("owner", "owner@shop.example", "correct horse")
    fill(600)
    context, page = _open_dashboard(browser, live_server, scheme)
    try:
        assert page.locator("#texts-per-day svg rect").count() > 20
        assert page.locator("#audience-per-day svg polyline").count() == 3
        assert page.locator("#failure-reasons svg rect").count() >= 2
        assert page.locator("#campaign-click-through").count() == 1
        first_row = page.locator("#texts-per-day tbody tr").first.inner_text()
        assert re.search(r"\d", first_row)
        assert page.inner_text("#queue-depth .value").strip().isdigit()

        sent_fill = page.eval_on_selector(
            "#texts-per-day rect.series-sent", "el => getComputedStyle(el).fill"
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        text = page.eval_on_selector("#texts-per-day .axis", "el => getComputedStyle(el).fill")
        if scheme == "dark":
            assert sent_fill == "rgb(102, 187, 106)"
            assert _luminance(background) < 0.2 < _luminance(text)
        else:
            assert sent_fill == "rgb(46, 125, 50)"
            assert _luminance(background) > 0.8 > _luminance(text)

        name = f"dashboard-{scheme}.png"
        page.screenshot(path=str(tmp_path / name), full_page=True)
        assert (tmp_path / name).stat().st_size > 20_000
        if os.environ.get("ATTENTIVE_SCREENSHOTS"):
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    finally:
        context.close()


def _luminance(css: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
