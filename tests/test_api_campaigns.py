"""``attentive/api/campaigns/``: a bulk send creates or joins a campaign; its progress on read."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from django_attentive import cancel_campaign, send_bulk
from django_attentive.api.campaign_serializers import MAX_RECIPIENTS
from django_attentive.models import Campaign, OutboundMessage, Source, Status, Suppression
from tests.test_api import client_for, make_user

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/attentive/api/campaigns/"
SEND = {
    "name": "Spring sale",
    "body": "20% off this weekend",
    "recipients": ["+1 201 555 0123", "(201) 555-0124", "+12015550123"],
}


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return client_for(make_user("sender", "send_message", "view_outboundmessage"))


def post(api: APIClient, payload: object, **headers: str):
    body = json.dumps(payload)
    return api.post(CAMPAIGNS, body, content_type="application/json", headers=headers)


def test_a_bulk_send_creates_the_campaign_with_one_text_per_distinct_number(api):
    response = post(api, SEND)

    assert response.status_code == 201, response.json()
    answer = response.json()
    campaign = Campaign.objects.get()
    assert answer["id"] == campaign.pk
    assert answer["name"] == "Spring sale"
    assert answer["state"] == "active"
    assert answer["body"] == "20% off this weekend"
    assert answer["audience"] == 2
    assert answer["send"]["recipients"] == 2
    assert answer["send"]["queued"] == 2
    assert answer["send"]["suppressed"] == 0
    texts = OutboundMessage.objects.filter(campaign=campaign).order_by("pk")
    assert answer["send"]["messageIds"] == [t.pk for t in texts]
    assert [t.to for t in texts] == ["+12015550123", "+12015550124"]
    assert {t.source for t in texts} == {Source.API}
    assert answer["progress"]["total"] == 2
    assert sum(answer["progress"]["counts"].values()) == 2
    assert "Idempotent-Replayed" not in response.headers


def test_a_second_send_under_the_same_name_joins_the_campaign(api):
    first = post(api, SEND).json()
    second = post(api, {**SEND, "recipients": ["+12015550125"]}).json()

    assert second["id"] == first["id"]
    assert second["audience"] == 3
    assert second["send"]["queued"] == 1
    assert Campaign.objects.count() == 1


def test_a_suppressed_number_is_counted_and_never_sent(api):
    Suppression.objects.create(number="+12015550124", reason="opted_out")

    answer = post(api, SEND).json()

    assert answer["send"]["suppressed"] == 1
    assert OutboundMessage.objects.get(to="+12015550124").status == Status.SUPPRESSED


def test_the_same_idempotency_key_answers_the_first_send_and_sends_nothing_new(api):
    first = post(api, SEND, **{"Idempotency-Key": "spring-1"})
    again = post(api, SEND, **{"Idempotency-Key": "spring-1"})

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["send"]["messageIds"] == first.json()["send"]["messageIds"]
    assert again.json()["send"]["queued"] == 0
    assert OutboundMessage.objects.count() == 2
    assert Campaign.objects.get().audience_size == 2


def test_a_key_reused_for_another_text_is_refused(api):
    post(api, SEND, **{"Idempotency-Key": "spring-1"})

    response = post(api, {**SEND, "body": "30% off"}, **{"Idempotency-Key": "spring-1"})

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert OutboundMessage.objects.count() == 2


def test_a_key_reused_for_another_campaign_is_refused(api):
    post(api, SEND, **{"Idempotency-Key": "spring-1"})

    response = post(api, {**SEND, "name": "Summer"}, **{"Idempotency-Key": "spring-1"})

    assert response.status_code == 422
    assert not Campaign.objects.filter(name="Summer").exists()


def test_a_key_reused_with_more_recipients_texts_none_of_them(api):
    post(api, SEND, **{"Idempotency-Key": "spring-1"})

    more = {**SEND, "recipients": [*SEND["recipients"], "+12015550199"]}
    response = post(api, more, **{"Idempotency-Key": "spring-1"})

    assert response.status_code == 422
    assert not OutboundMessage.objects.filter(to="+12015550199").exists()


def test_a_campaign_key_never_meets_a_single_text_key(api):
    """``k:+1...`` on messages/ and ``k`` on campaigns/ are two different sends."""
    api.post(
        "/attentive/api/messages/",
        {"to": "+12015550123", "body": "Hello"},
        format="json",
        headers={"Idempotency-Key": "k:+12015550123"},
    )

    response = post(api, SEND, **{"Idempotency-Key": "k"})

    assert response.status_code == 201
    assert response.json()["send"]["queued"] == 2


def test_bad_recipients_are_listed_by_position_and_nothing_is_saved(api):
    response = post(
        api, {**SEND, "recipients": ["+12015550123", "not a number", None, "+33 6 12 34 56 78"]}
    )

    assert response.status_code == 400
    problems = response.json()["recipients"]
    assert [p.split(":")[0] for p in problems] == ["Recipient 2", "Recipient 3", "Recipient 4"]
    assert not Campaign.objects.exists()
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**SEND, "name": "   "}, "name"),
        ({**SEND, "name": 12}, "name"),
        ({**SEND, "name": "x" * 101}, "name"),
        ({k: v for k, v in SEND.items() if k != "name"}, "name"),
        ({**SEND, "body": ""}, "body"),
        ({**SEND, "body": "x" * 1601}, "body"),
        ({**SEND, "recipients": []}, "recipients"),
        ({**SEND, "recipients": "+12015550123"}, "recipients"),
        ({**SEND, "recipients": ["+12015550123"] * (MAX_RECIPIENTS + 1)}, "recipients"),
        ({**SEND, "mediaUrl": "ftp://example.com/a.png"}, "mediaUrl"),
        ({**SEND, "sendAt": "tomorrow"}, "sendAt"),
        ({**SEND, "to": "+12015550123"}, "to"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(api, payload, field):
    response = post(api, payload)

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Campaign.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_cancelled_campaign_cannot_be_joined(api):
    send_bulk(["+12015550123"], "Old", campaign="Spring sale")
    cancel_campaign(Campaign.objects.get())

    response = post(api, SEND)

    assert response.status_code == 400
    assert "cancelled" in response.json()["name"][0]
    assert OutboundMessage.objects.count() == 1


def test_progress_counts_the_texts_by_status(api):
    created = post(api, SEND).json()
    OutboundMessage.objects.filter(to="+12015550123").update(status=Status.SENT)

    response = api.get(f"{CAMPAIGNS}{created['id']}/")

    assert response.status_code == 200
    progress = response.json()["progress"]
    assert progress["counts"]["sent"] == 1
    assert progress["done"] == 1
    assert progress["pending"] == 1
    assert progress["percentDone"] == 50.0
    assert progress["finished"] is False
    assert progress["engagement"]["rates"]["clicked"] == 0.0


@pytest.mark.parametrize("pk", ["0", "abc", "99", str(2**63)])
def test_an_unknown_campaign_is_a_json_404(api, pk):
    response = api.get(f"{CAMPAIGNS}{pk}/")

    assert response.status_code == 404
    assert "campaign" in response.json()["detail"]


def test_sending_needs_the_send_permission():
    reader = client_for(make_user("reader", "view_outboundmessage"))

    response = post(reader, SEND)

    assert response.status_code == 403
    assert "send_message" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_reading_needs_the_view_permission_and_a_sender_sees_no_body():
    send_only = client_for(make_user("send-only", "send_message"))
    created = post(send_only, SEND)

    assert created.status_code == 201
    assert created.json()["body"] is None
    assert send_only.get(f"{CAMPAIGNS}{created.json()['id']}/").status_code == 403
    assert APIClient().get(f"{CAMPAIGNS}{created.json()['id']}/").status_code in (401, 403)
