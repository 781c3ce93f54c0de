"""The fake posts signed webhook events for the texts it accepted, and the app takes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_attentive import send_bulk
from django_attentive.fake.webhooks import sign
from django_attentive.models import Campaign, Suppression, WebhookEvent
from django_attentive.sending.worker import Worker
from django_attentive.webhooks import signature_for

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "test-webhook-secret"  # tests/settings.py


@given(body=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40))
def test_the_fake_signs_exactly_as_the_app_verifies(body, secret):
    assert sign(body, secret) == signature_for(body, secret)


@pytest.fixture
def text_send(fake, attentive):
    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    return fake


def test_the_app_accepts_what_the_fake_signs_and_links_each_event(text_send, live_server):
    numbers = [f"+1201555{n:04d}" for n in range(20)]
    send_bulk(numbers, "Spring sale: 20% off", campaign="Spring")
    Worker(concurrency=2).run()
    assert {t["messageName"] for t in text_send.texts} == {"Spring"}

    text_send.webhooks.configure(
        url=f"{live_server.url}/attentive/webhooks/",
        secret=SECRET,
        click_rate=0.5,
        opt_out_rate=0.2,
        seed=7,
    )
    emitted = text_send.webhooks.emit()
    posted = text_send.webhooks.posted
    assert len(posted) == emitted and {status for _, status in posted} == {200}
    kinds = [kind for kind, _ in posted]
    clicks, opt_outs = kinds.count("sms.message_link_click"), kinds.count("sms.unsubscribed")
    assert kinds.count("sms.sent") == 20 and 0 < clicks < 20 and 0 < opt_outs < 20

    campaign = Campaign.objects.get()
    events = WebhookEvent.objects.all()
    assert events.count() == emitted
    assert all(e.campaign_id == campaign.pk and e.message.to == e.number for e in events)
    engagement = campaign.progress().as_json()["engagement"]
    assert (engagement["delivered"], engagement["clicked"], engagement["opted_out"]) == (
        20,
        clicks,
        opt_outs,
    )
    assert Suppression.objects.count() == opt_outs
    assert text_send.webhooks.emit() == 0  # each text is answered once


def test_events_signed_with_another_key_are_refused(text_send, live_server):
    send_bulk(["+12015550100", "+12015550101"], "Hi", campaign="Spring")
    Worker().run()
    text_send.webhooks.configure(url=f"{live_server.url}/attentive/webhooks/", secret="wrong")
    text_send.webhooks.emit()
    assert {status for _, status in text_send.webhooks.posted} == {403}
    assert not WebhookEvent.objects.exists()


def test_the_control_endpoint_configures_and_emits(text_send, fake_server, live_server):
    import requests

    send_bulk(["+12015550100"], "Hi", campaign="Spring")
    Worker().run()
    answer = requests.post(
        f"{fake_server.url}/_fake/webhooks",
        json={"url": f"{live_server.url}/attentive/webhooks/", "secret": SECRET, "seed": 1},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["emitted"] >= 1 and answer.json()["secret"] == "set"
    assert WebhookEvent.objects.filter(type="sms.sent", campaign__name="Spring").count() == 1
    bad = requests.post(f"{fake_server.url}/_fake/webhooks", json={"click_rate": 2}, timeout=10)
    assert bad.status_code == 400 and "click_rate" in bad.text
