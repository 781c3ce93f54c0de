"""The fake's eCommerce, identity and custom-attribute endpoints answer as Attentive does."""

from __future__ import annotations

import pytest
import requests

from django_attentive.fake.commerce import ATTRIBUTES_PATH, ECOMMERCE_PATHS, IDENTIFY_PATH

from .conftest import TOKEN

ITEM = {"productId": "mug", "productVariantId": "mug-blue", "price": [{"value": 12.5}]}
EVENT = {"items": [ITEM], "user": {"email": "ada@example.com"}}


@pytest.fixture
def post(fake_server):
    fake_server.fake.reset()
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def send(path: str, payload: object) -> requests.Response:
        return session.post(f"{fake_server.url}{path}", json=payload, headers=headers, timeout=5)

    yield send
    fake_server.fake.reset()


@pytest.mark.parametrize("path", ECOMMERCE_PATHS)
def test_a_valid_event_is_200_and_recorded(post, fake_server, path):
    payload = {**EVENT, "occurredAt": "2021-03-30T14:38:29+00:00"}
    assert post(path, payload).status_code == 200
    [record] = fake_server.fake.records(path)
    assert record["items"] == [ITEM]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"items": [{**ITEM, "productVariantId": None}]}, "productVariantId is required"),
        ({"items": [{"productId": "mug", "productVariantId": "x"}]}, "price must be a list"),
        ({"items": [{**ITEM, "price": 12.5}]}, "price must be a list"),
        ({"items": [{**ITEM, "price": [{"value": "12.5"}]}]}, "value is required and must be"),
        ({"items": [{**ITEM, "quantity": 1.5}]}, "quantity must be an integer"),
        ({"items": None}, "items is required"),
        ({"user": {}}, "user is required"),
        ({"user": {"externalIdentifiers": {"clientUserId": "7"}}}, "phone is required if"),
        ({"user": {"phone": "2015550123"}}, "E.164"),
        ({"user": {"email": "a@b.co", "orderId": "1"}}, "unknown properties: orderId"),
        ({"occurredAt": "yesterday"}, "occurredAt"),
    ],
)
def test_what_attentive_refuses_is_400_with_the_reason(post, fake_server, change, reason):
    answer = post(ECOMMERCE_PATHS[2], {**EVENT, **change})
    assert answer.status_code == 400
    assert reason in answer.json()["error"]["message"]
    assert fake_server.fake.records(ECOMMERCE_PATHS[2]) == []


def test_identify_needs_a_client_user_id_and_another_identifier(post):
    assert post(IDENTIFY_PATH, {"clientUserId": "7", "email": "a@b.co"}).status_code == 202
    assert post(IDENTIFY_PATH, {"clientUserId": "7"}).status_code == 400
    assert post(IDENTIFY_PATH, {"email": "a@b.co"}).status_code == 400
    assert post(IDENTIFY_PATH, {"clientUserId": "7", "phone": "555"}).status_code == 400


def test_custom_attributes_are_flat(post):
    user = {"phone": "+12015550123"}
    assert post(ATTRIBUTES_PATH, {"properties": {"tier": "gold"}, "user": user}).status_code == 200
    refused = post(ATTRIBUTES_PATH, {"properties": {"sizes": ["M", "L"]}, "user": user})
    assert refused.status_code == 400
    assert "arrays" in refused.json()["error"]["message"]
    assert post(ATTRIBUTES_PATH, {"properties": {"tier": "gold"}}).status_code == 400


@pytest.mark.django_db
def test_the_inbox_shows_events_by_type(client):
    from django_attentive.fake.core import fake

    fake.reset()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for path in ECOMMERCE_PATHS:
        fake.handle(
            "POST",
            path,
            headers,
            b'{"items": [{"productId": "mug", '
            b'"productVariantId": "mug-blue", "name": "Blue mug", "quantity": 2, '
            b'"price": [{"value": 12.5, "currency": "USD"}]}], '
            b'"user": {"email": "ada@example.com"}}',
        )
    fake.handle(
        "POST", IDENTIFY_PATH, headers, b'{"clientUserId": "7", "email": "ada@example.com"}'
    )
    page = client.get("/fake-attentive/inbox/").content.decode()
    fake.reset()
    for name in ("product-view", "add-to-cart", "purchase"):
        assert f"eCommerce event “{name}”" in page
    assert "2 × Blue mug (mug-blue) 12.5 USD" in page
    assert "Identify clientUserId: 7" in page


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*ECOMMERCE_PATHS, IDENTIFY_PATH, ATTRIBUTES_PATH])
def test_the_mounted_fake_serves_every_endpoint(client, path):
    from django_attentive.fake.core import fake

    fake.reset()
    answer = client.post(
        f"/fake-attentive{path}", {}, content_type="application/json", HTTP_AUTHORIZATION="Bearer t"
    )
    assert answer.status_code == 400  # routed to the endpoint's checks, not a 404
    assert "No such endpoint" not in answer.content.decode()
