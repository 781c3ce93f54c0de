"""The example shop is safe to run with DEBUG off: no open fake, no public secrets, no peeking.

Each test runs the example project in a subprocess (its own settings, a throwaway SQLite file
and secrets file), as ``manage.py`` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.checks import Warning
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
MARK = "RESULT:"
PUBLIC_SECRETS = {"demo-only-insecure-key", "demo-webhook-secret"}

# Places an order as one visitor, then asks for its thanks page as that visitor, as another,
# and as staff; reads the fake's pages; reports the secrets the settings ended up with.
PROBE = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
host = {"HTTP_HOST": "127.0.0.1"}
buyer, stranger, staff = Client(**host), Client(**host), Client(**host)
placed = buyer.post("/shop/", {"customer_name": "Ada Lovelace", "phone": "+1 201 555 0123",
                               "item": "mug"})
thanks = placed.headers.get("Location", "")
staff.force_login(get_user_model().objects.create_user("boss", is_staff=True))
print("RESULT:" + json.dumps({
    "placed": placed.status_code,
    "thanks": thanks,
    "buyer": buyer.get(thanks).status_code,
    "buyer_sees_name": "Ada Lovelace" in buyer.get(thanks).content.decode(),
    "stranger": stranger.get(thanks).status_code,
    "stranger_sees_name": "Ada Lovelace" in stranger.get(thanks).content.decode(),
    "staff": staff.get(thanks).status_code,
    "inbox": stranger.get("/fake-attentive/inbox/").status_code,
    "config": stranger.get("/fake-attentive/_fake/config").status_code,
    "secret_key": settings.SECRET_KEY,
    "webhook_secret": settings.ATTENTIVE.get("WEBHOOK_SECRET", ""),
    "backend": settings.ATTENTIVE["BACKEND"],
}))
"""


def run_demo(tmp_path: Path, code: str, **env: str) -> dict:
    """Run ``code`` inside the example project with ``env``; returns what it printed as JSON."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ATTENTIVE_", "DJANGO_")) and key not in {"DEBUG", "SECRET_KEY"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DEMO_SECRETS_FILE=str(tmp_path / "demo-secrets.json"),
        DEMO_ADMIN_FILE=str(tmp_path / "demo-admin"),
        **env,
    )
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    assert result.returncode == 0 and lines, result.stderr[-3000:]
    return json.loads(lines[-1][len(MARK) :])


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """The demo with DEBUG off and no token, as someone might deploy it."""
    return run_demo(tmp_path_factory.mktemp("production"), PROBE, DEBUG="False")


def test_with_debug_off_the_fake_is_not_mounted(production):
    assert production["placed"] == 302
    assert production["inbox"] == 404
    assert production["config"] == 404


def test_with_debug_off_and_no_token_texts_go_nowhere_outside(production):
    assert production["backend"] == "django_attentive.backends.console.ConsoleBackend"


def test_the_demo_secrets_are_not_the_public_defaults(production):
    assert production["secret_key"] not in PUBLIC_SECRETS
    assert len(production["secret_key"]) >= 50


def test_an_order_page_is_shown_only_to_the_visitor_who_placed_it_or_staff(production):
    assert production["thanks"].startswith("/shop/thanks/")
    assert production["buyer"] == 200
    assert production["buyer_sees_name"]
    assert production["stranger"] == 404
    assert not production["stranger_sees_name"]
    assert production["staff"] == 200


SECRETS = """
import json
from django.conf import settings
print("RESULT:" + json.dumps([settings.SECRET_KEY, settings.ATTENTIVE["WEBHOOK_SECRET"]]))
"""


def test_with_debug_on_the_fake_is_mounted_and_its_secrets_are_made_once_per_install(tmp_path):
    first = run_demo(tmp_path, PROBE, DEBUG="True")
    assert first["inbox"] == 200
    assert first["secret_key"] not in PUBLIC_SECRETS
    assert first["webhook_secret"] not in PUBLIC_SECRETS
    assert len(first["webhook_secret"]) >= 32
    assert run_demo(tmp_path, SECRETS) == [first["secret_key"], first["webhook_secret"]]
    (tmp_path / "other").mkdir()
    other = run_demo(tmp_path / "other", SECRETS)
    assert other[0] != first["secret_key"]
    assert other[1] != first["webhook_secret"]


def test_the_fake_mounted_with_debug_off_is_warned_about():
    from example_project.shop.checks import check_fake_attentive_not_public

    with override_settings(DEBUG=False, ROOT_URLCONF="tests.urls"):  # mounts the fake
        warnings = check_fake_attentive_not_public(None)
    assert [(type(w), w.id) for w in warnings] == [(Warning, "shop.W001")]
    assert "DEBUG" in warnings[0].msg
    with override_settings(DEBUG=True, ROOT_URLCONF="tests.urls"):
        assert check_fake_attentive_not_public(None) == []


def test_the_fake_check_is_registered_by_the_shop_app(tmp_path):
    code = """
    import json
    from django.core.checks import registry
    print("RESULT:" + json.dumps([c.__name__ for c in registry.registry.get_checks()]))
    """
    assert "check_fake_attentive_not_public" in run_demo(tmp_path, code)


CHECKOUT = """
import json, re
from django.core.management import call_command
from django.test import Client
from django_attentive.models import Consent, OutboundMessage
from example_project.shop.models import Order

call_command("migrate", verbosity=0)
call_command("demo_setup", verbosity=0)
buyer = Client(HTTP_HOST="127.0.0.1")
page = buyer.get("/shop/").content.decode()
boxes = re.findall(r'<input type="checkbox"[^>]*>', page)
digests = dict(re.findall(r'name="(\\w+)"[^>]*value="([0-9a-f]{64})"', page))
order = {"customer_name": "Ada", "phone": "+1 201 555 0123", "item": "mug"}
quiet = buyer.post("/shop/", order)
texted = buyer.post("/shop/", {**order, "phone": "+1 201 555 0124",
                               "order_texts": digests["order_texts"]})
both = buyer.post("/shop/", {**order, "phone": "+1 201 555 0125",
                             "order_texts": digests["order_texts"],
                             "marketing_texts": digests["marketing_texts"]})
texts = {o.phone: OutboundMessage.objects.filter(kind="text", object_id=str(o.pk)).count()
         for o in Order.objects.all()}
print("RESULT:" + json.dumps({
    "codes": [quiet.status_code, texted.status_code, both.status_code],
    "boxes": boxes,
    "texts": texts,
    "consents": sorted((c.phone, c.subscription_type, c.source) for c in Consent.objects.all()),
    "subscriptions": sorted(
        (m.to, m.payload["signUpSourceId"])
        for m in OutboundMessage.objects.filter(kind="subscription")
    ),
    "signup_page": buyer.get("/attentive/subscribe/").status_code,
    "terms": buyer.get("/shop/terms/").status_code,
}))
"""


# A returning customer browses a product and adds it to the cart after an order: the shop
# records a product view, a cart addition and the order's purchase; the product page costs
# one INSERT and no request to Attentive (the worker posts the events).
COMMERCE = """
import json
from django.db import connection
from django.test import Client
from django.core.management import call_command
from django_attentive.backends import locmem
from django_attentive.models import OutboundMessage

call_command("migrate", verbosity=0)
buyer = Client(HTTP_HOST="127.0.0.1")
first_view = buyer.get("/shop/products/mug/").status_code
before = OutboundMessage.objects.filter(kind="commerce").count()
import re
shop = buyer.get("/shop/").content.decode()
digests = dict(re.findall(r'name="(\\w+)"[^>]*value="([0-9a-f]{64})"', shop))
buyer.post("/shop/", {"customer_name": "Ada", "phone": "+1 201 555 0123", "item": "tee",
                      "order_texts": digests["order_texts"]})
sqls = []
def count(execute, sql, params, many, context):
    sqls.append(sql)
    return execute(sql, params, many, context)
with connection.execute_wrapper(count):
    viewed = buyer.get("/shop/products/mug/")
added = buyer.post("/shop/products/mug/add/")
rows = OutboundMessage.objects.filter(kind="commerce").order_by("pk")
print("RESULT:" + json.dumps({
    "first_view": first_view,
    "anonymous_rows": before,
    "viewed": viewed.status_code,
    "inserts": [sql[:60] for sql in sqls if sql.startswith("INSERT")],
    "queries": len(sqls),
    "added": added.headers.get("Location", ""),
    "events": [(r.endpoint.rsplit("/", 1)[1], r.status, r.payload["items"][0]["productId"],
                r.payload["items"][0]["price"][0]["value"]) for r in rows],
    "posted_inline": len(locmem.requests),
}))
"""


def test_checkout_asks_for_each_consent_separately_and_texts_only_those_who_agreed(tmp_path):
    result = run_demo(
        tmp_path, CHECKOUT, ATTENTIVE_BACKEND="django_attentive.backends.locmem.LocmemBackend"
    )
    assert result["codes"] == [302, 302, 302]
    assert len(result["boxes"]) == 2 and not any("checked" in box for box in result["boxes"])
    assert result["texts"] == {"+12015550123": 0, "+12015550124": 1, "+12015550125": 1}
    assert result["consents"] == [
        ["+12015550124", "TRANSACTIONAL", "checkout"],
        ["+12015550125", "MARKETING", "checkout"],
        ["+12015550125", "TRANSACTIONAL", "checkout"],
    ]
    assert result["subscriptions"] == [
        ["+12015550124", "1002"],
        ["+12015550125", "1001"],
        ["+12015550125", "1002"],
    ]
    assert result["signup_page"] == result["terms"] == 200


def test_the_shop_records_views_cart_additions_and_purchases_cheaply(tmp_path):
    result = run_demo(
        tmp_path,
        COMMERCE,
        DEBUG="False",
        ATTENTIVE_BACKEND="django_attentive.backends.locmem.LocmemBackend",
    )
    assert (result["first_view"], result["anonymous_rows"]) == (200, 0)
    assert result["viewed"] == 200
    assert (
        len(result["inserts"]) == 1 and "django_attentive_outboundmessage" in result["inserts"][0]
    )
    assert result["queries"] <= 2  # the session, and the event's INSERT
    assert result["added"] == "/shop/?item=mug"
    assert result["events"] == [
        ["purchase", "queued", "tee", 24.5],
        ["product-view", "queued", "mug", 12],
        ["add-to-cart", "queued", "mug", 12],
    ]
    assert result["posted_inline"] == 0
