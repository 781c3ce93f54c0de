"""The sign-up form at attentive/subscribe/, ConsentField and {% attentive_subscribe_form %}."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client

from django_attentive.backends import locmem
from django_attentive.disclosure import disclosure
from django_attentive.forms import ConsentField
from django_attentive.models import Consent, OutboundMessage

pytestmark = pytest.mark.django_db

URL = "/attentive/subscribe/"
PHONE = "+12015550123"
CONSENT = {
    "SHOP_NAME": "Acme",
    "TERMS_URL": "https://acme.test/terms",
    "PRIVACY_URL": "https://acme.test/privacy",
    "SIGN_UP_SOURCE_IDS": {"MARKETING": "357276", "TRANSACTIONAL": "357280"},
}


@pytest.fixture(autouse=True)
def _consent_settings(attentive):
    attentive(CONSENT=CONSENT)
    cache.clear()
    yield
    cache.clear()


def checkbox(html: str) -> str:
    return re.search(r'<input type="checkbox"[^>]*>', html)[0]


def token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html)[1]


def posted(client: Client, **fields: str):
    page = client.get(URL).content.decode()
    data = {"phone": PHONE, "token": token(page), **fields}
    return client.post(URL, data, REMOTE_ADDR=fields.pop("ip", "198.51.100.7"))


# ---------------------------------------------------------------- ConsentField


def test_the_box_is_never_ticked_when_shown(client):
    page = client.get(URL).content.decode()
    box = checkbox(page)
    assert "checked" not in box
    assert f'value="{disclosure("MARKETING").sha256}"' in box


def test_a_consent_field_refuses_to_be_ticked_in_advance():
    with pytest.raises(ValueError, match="never ticked in advance"):
        ConsentField(initial=True)

    class Checkout(forms.Form):
        texts = ConsentField()

    with pytest.raises(ValueError, match="never ticked in advance"):
        str(Checkout(initial={"texts": True})["texts"])
    assert "checked" not in str(Checkout()["texts"])


def test_the_label_is_the_disclosure_with_its_links():
    class Checkout(forms.Form):
        order_texts = ConsentField("TRANSACTIONAL")

    label = Checkout()["order_texts"].label_tag()
    assert "automated text messages about your orders" in label
    assert '<a href="https://acme.test/terms"' in label
    assert Checkout().fields["order_texts"].disclosure.subscription_type == "TRANSACTIONAL"


def test_a_box_ticked_under_other_words_is_asked_again(client, attentive):
    page = client.get(URL).content.decode()
    attentive(CONSENT={**CONSENT, "SHOP_NAME": "Acme Corp"})  # the wording changes meanwhile
    shown_then = re.search(r'name="consent"[^>]*value="([0-9a-f]{64})"', page)[1]
    response = client.post(URL, {"phone": PHONE, "consent": shown_then, "token": token(page)})
    assert response.status_code == 400
    assert "wording of this agreement changed" in response.content.decode()
    assert not Consent.objects.exists()


# ---------------------------------------------------------------- the page


def test_a_ticked_box_stores_the_consent_and_subscribes(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = posted(client, consent=disclosure("MARKETING").sha256, email="ada@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/attentive/subscribe/thanks/"
    consent = Consent.objects.get()
    assert (consent.phone, consent.source, consent.email) == (
        PHONE,
        "sign-up form",
        "ada@example.com",
    )
    assert [path for path, _ in locmem.requests] == ["/v1/subscriptions"]
    assert "Reply <strong>Y</strong>" in client.get(response["Location"]).content.decode()


def test_an_unticked_box_stores_nothing_and_calls_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = posted(client)
    assert response.status_code == 400
    assert "Tick the box to agree" in response.content.decode()
    assert not Consent.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert locmem.requests == []


def test_a_double_submit_subscribes_once(client, django_capture_on_commit_callbacks):
    page = client.get(URL).content.decode()
    data = {"phone": PHONE, "consent": disclosure("MARKETING").sha256, "token": token(page)}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, data)
        second = client.post(URL, data)
    assert first.status_code == second.status_code == 302
    assert Consent.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert len(locmem.requests) == 1


def test_the_same_form_again_after_a_fresh_page_is_still_one_consent(client):
    ticked = disclosure("MARKETING").sha256
    posted(client, consent=ticked)
    posted(client, consent=ticked)  # a new token, same person and words, minutes later
    assert Consent.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


HOSTILE = [
    ({"phone": "9" * 5000}, "phone"),
    ({"phone": "+1201555\x000123"}, "phone"),
    ({"phone": "<script>alert(1)</script>"}, "phone"),
    ({"phone": "+33 6 12 34 56 78"}, "phone"),
    ({"email": "<script>@x"}, "email"),
    ({"email": "a" * 300 + "@example.com"}, "email"),
    ({"email": "ada\x00@example.com"}, "email"),
    ({"consent": "<script>alert(1)</script>"}, "consent"),
    ({"consent": "x" * 100_000}, "consent"),
    ({"token": "t" * 500}, "token"),
]


@pytest.mark.parametrize(("fields", "field"), HOSTILE)
def test_hostile_input_gets_a_clear_error_never_a_500(client, fields, field):
    data = {"consent": disclosure("MARKETING").sha256, **fields}
    response = posted(client, **data)
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'id="id_{field}"', html)
    assert 'class="errorlist' in html
    assert "<script>alert" not in html and "\x00" not in html
    assert not Consent.objects.exists() and not OutboundMessage.objects.exists()


def test_posts_are_limited_per_ip(client, attentive):
    attentive(CONSENT={**CONSENT, "FORM_RATE": "3/minute"})
    codes = [posted(client, ip="198.51.100.7").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert "Too many sign-ups" in posted(client).content.decode()
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert posted(other, ip="198.51.100.8").status_code == 400  # another visitor is not held


def test_without_consent_settings_there_is_no_sign_up_page(client, settings):
    settings.ATTENTIVE = {k: v for k, v in settings.ATTENTIVE.items() if k != "CONSENT"}
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"phone": PHONE}).status_code == 404


def test_csrf_is_required():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"phone": PHONE, "consent": disclosure("MARKETING").sha256})
    assert response.status_code == 403
    assert not Consent.objects.exists()


def test_the_template_tag_drops_the_form_into_any_page(rf):
    html = Template("{% load attentive %}<p>Shop</p>{% attentive_subscribe_form %}").render(
        Context({"csrf_token": "abc"})
    )
    assert 'action="/attentive/subscribe/"' in html
    assert 'name="csrfmiddlewaretoken" value="abc"' in html
    assert "checked" not in checkbox(html)
    assert "recurring automated marketing" in html
