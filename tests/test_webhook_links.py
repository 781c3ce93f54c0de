"""Webhook events linked to the text and campaign they answer."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from django_attentive import purge, send_bulk
from django_attentive.models import Campaign, OutboundMessage, Status, WebhookEvent

from .test_webhooks import event, post

pytestmark = pytest.mark.django_db

NUMBER = "+12015550123"


def sent(campaign: str, *, ago: timedelta = timedelta(0), message_id: str = "") -> OutboundMessage:
    message = send_bulk([NUMBER], "Sale", campaign=campaign, message_id=message_id or None)[0]
    moment = timezone.now() - ago
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT, sent_at=moment, created_at=moment
    )
    return message


def millis(ago: timedelta = timedelta(0)) -> int:
    return int((time.time() - ago.total_seconds()) * 1000)


def test_a_click_naming_a_campaign_links_to_that_campaigns_text():
    older = sent("Spring", ago=timedelta(hours=5))
    sent("Summer", ago=timedelta(hours=1))
    assert post(event("sms.message_link_click", message={"name": "Spring"})).status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.message_id, stored.campaign.name, stored.number) == (older.pk, "Spring", NUMBER)


def test_a_message_id_we_sent_links_to_that_text():
    first = sent("Spring", ago=timedelta(hours=5), message_id="order-77")
    sent("Summer", ago=timedelta(hours=1))
    post(event("sms.sent", message={"id": "order-77", "name": ""}))
    assert WebhookEvent.objects.get().message_id == first.pk


def test_an_opt_out_without_a_message_links_to_the_latest_text_to_the_number():
    sent("Spring", ago=timedelta(hours=5))
    latest = sent("Summer", ago=timedelta(hours=1))
    post(event("sms.unsubscribed"))
    stored = WebhookEvent.objects.get()
    assert (stored.message_id, stored.campaign.name) == (latest.pk, "Summer")


def test_an_unknown_name_falls_back_to_the_number_and_time():
    latest = sent("Spring", ago=timedelta(minutes=5))
    post(event("sms.message_link_click", message={"name": "Made in Attentive's UI"}))
    assert WebhookEvent.objects.get().message_id == latest.pk


def test_nothing_is_linked_outside_the_attribution_window(attentive):
    attentive(ATTRIBUTION_WINDOW=3600)
    sent("Spring", ago=timedelta(hours=2))
    post(event("sms.message_link_click", message={"name": "Spring"}))
    stored = WebhookEvent.objects.get()
    assert (stored.message, stored.campaign, stored.number) == (None, None, NUMBER)


def test_an_event_before_the_text_was_even_queued_is_not_linked():
    sent("Spring")
    post(event("sms.sent", timestamp=millis(timedelta(hours=1)), message={"name": "Spring"}))
    assert WebhookEvent.objects.get().message is None


def test_a_subscribe_event_keeps_its_number_but_answers_no_text():
    sent("Spring")
    post(event("sms.subscribed"))
    stored = WebhookEvent.objects.get()
    assert (stored.number, stored.message, stored.campaign) == (NUMBER, None, None)


def test_queued_or_cancelled_texts_are_never_credited():
    send_bulk([NUMBER], "Sale", campaign="Spring")
    post(event("sms.message_link_click", message={"name": "Spring"}))
    assert WebhookEvent.objects.get().message is None


def test_campaign_engagement_counts_distinct_texts():
    message = sent("Spring")
    for _ in range(2):  # clicked twice: one text clicked
        post(event("sms.message_link_click", message={"name": "Spring"}, timestamp=millis()))
        time.sleep(0.002)
    post(event("sms.sent", message={"name": "Spring"}))
    engagement = Campaign.objects.get().progress().as_json()["engagement"]
    assert (engagement["delivered"], engagement["clicked"], engagement["opted_out"]) == (1, 1, 0)
    assert engagement["rates"]["clicked"] == 1.0
    assert message.webhook_events.count() == 3


def test_purging_the_text_keeps_the_event_but_drops_the_link():
    sent("Spring", ago=timedelta(days=40))
    post(event("sms.sent", message={"name": "Spring"}, timestamp=millis(timedelta(days=40))))
    purge(timezone.now() - timedelta(days=30))
    assert WebhookEvent.objects.get().message is None
