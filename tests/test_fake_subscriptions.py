"""The fake's Subscriptions API answers as Attentive does: 202, or 400 with its error shape."""

from __future__ import annotations

import json

import pytest

from django_attentive.fake import FakeAttentive

HEADERS = {"Authorization": "Bearer t"}


def post(fake: FakeAttentive, path: str, payload: object) -> tuple[int, dict]:
    response = fake.handle("POST", path, HEADERS, json.dumps(payload).encode())
    return response.status, json.loads(response.body or b"{}")


@pytest.fixture
def fake() -> FakeAttentive:
    return FakeAttentive()


def test_a_subscription_is_accepted_with_what_will_be_created(fake):
    status, body = post(
        fake,
        "/v1/subscriptions",
        {
            "user": {"phone": "+12015550123"},
            "signUpSourceId": "357276",
            "externalIdentifiers": {"clientUserId": "7"},
            "singleOptIn": False,
        },
    )
    assert status == 202
    assert body["subscriptionResponses"] == [
        {
            "subscription": {"type": "MARKETING", "channel": "TEXT"},
            "subscriptionCreationStatus": "NEWLY_CREATED",
        }
    ]
    assert body["externalIdentifiers"] == {"clientUserId": "7"}
    (record,) = fake.records("/v1/subscriptions")
    assert record["signUpSourceId"] == "357276"


def test_a_locale_and_a_type_stand_in_for_the_sign_up_source(fake):
    status, body = post(
        fake,
        "/v1/subscriptions",
        {
            "user": {"email": "ada@example.com"},
            "locale": {"language": "en", "country": "US"},
            "subscriptionType": "TRANSACTIONAL",
        },
    )
    assert status == 202
    assert body["subscriptionResponses"][0]["subscription"] == {
        "type": "TRANSACTIONAL",
        "channel": "EMAIL",
    }


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"user": {"phone": "+12015550123"}}, "No sign-up source matches"),
        ({"user": {}, "signUpSourceId": "1"}, "user must have a phone or an email"),
        ({"signUpSourceId": "1"}, "user must have a phone or an email"),
        ({"user": {"phone": "2015550123"}, "signUpSourceId": "1"}, "E.164"),
        ({"user": {"phone": "+1---201-555"}, "signUpSourceId": "1"}, "E.164"),
        ({"user": {"phone": "+12015550123"}, "signUpSourceId": ""}, "signUpSourceId"),
        (
            {"user": {"phone": "+12015550123"}, "signUpSourceId": "1", "singleOptIn": "no"},
            "singleOptIn",
        ),
        (
            {"user": {"phone": "+12015550123"}, "locale": {"language": "en"}},
            "locale",
        ),
    ],
)
def test_a_bad_subscription_is_400_with_attentives_error_shape(fake, payload, reason):
    status, body = post(fake, "/v1/subscriptions", payload)
    assert status == 400
    assert set(body["error"]) == {"id", "message"} and reason in body["error"]["message"]
    assert fake.records("/v1/subscriptions") == []


def test_an_unsubscribe_is_accepted_for_the_types_named(fake):
    status, body = post(
        fake,
        "/v1/subscriptions/unsubscribe",
        {
            "user": {"phone": "+12015550123"},
            "subscriptions": [{"type": "MARKETING", "channel": "TEXT"}],
        },
    )
    assert status == 202
    assert body["subscriptionResponses"] == [
        {
            "subscription": {"type": "MARKETING", "channel": "TEXT"},
            "subscriptionUnsubscribeStatus": "NEWLY_UNSUBSCRIBED",
        }
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"user": {}},
        {"user": {"phone": "2015550123"}},
        {"user": {"phone": "+12015550123"}, "subscriptions": [{"type": "SPAM", "channel": "TEXT"}]},
        {"user": {"phone": "+12015550123"}, "subscriptions": "MARKETING"},
    ],
)
def test_a_bad_unsubscribe_is_400(fake, payload):
    status, body = post(fake, "/v1/subscriptions/unsubscribe", payload)
    assert status == 400 and "message" in body["error"]


def test_the_inbox_shows_subscriptions(client, db):
    from django_attentive.fake import fake as mounted

    mounted.reset()
    post(mounted, "/v1/subscriptions", {"user": {"phone": "+12015550123"}, "signUpSourceId": "42"})
    post(mounted, "/v1/subscriptions/unsubscribe", {"user": {"phone": "+12015550124"}})
    html = client.get("/fake-attentive/inbox/").content.decode()
    mounted.reset()
    assert "Subscribe (sign-up source 42)" in html
    assert "double opt-in" in html
    assert "Unsubscribe (every subscription)" in html
    assert "+12015550124" in html
