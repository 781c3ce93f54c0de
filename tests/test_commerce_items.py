"""Items, prices and payloads of eCommerce events: pure checks, no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jsonschema
import pytest

from django_attentive.commerce_items import (
    PATHS,
    clean_items,
    commerce_payload,
    describe,
    json_number,
    stale_reason,
)
from django_attentive.exceptions import ConfigurationError, InvalidMessage
from tests.attentive_schemas import validate

MUG = {"productId": "mug", "productVariantId": "mug-blue", "name": "Mug", "price": "12.50"}


class Product:
    def __init__(self, pk: int, title: str, price: Decimal) -> None:
        self.pk, self.title, self.price = pk, title, price


def product_item(product: Product) -> dict[str, object]:
    return {"productId": product.pk, "name": product.title, "price": product.price}


@pytest.mark.parametrize(
    ("price", "wire"),
    [
        (Decimal("12.50"), "12.5"),
        (Decimal("12.499999"), "12.499999"),
        ("19.99", "19.99"),
        (" 0.1 ", "0.1"),
        (Decimal("1234567.89"), "1234567.89"),
        (12, "12"),
        (Decimal("12.00"), "12"),
        ("0", "0"),
        (0.1 + 0.2, "0.30000000000000004"),  # a float is kept as given
    ],
)
def test_prices_become_json_numbers_that_print_as_written(price, wire):
    assert json.dumps(json_number(price)) == wire


@pytest.mark.parametrize(
    "price",
    ["", "twelve", "-1", "NaN", "Infinity", True, None, [1], Decimal("0.12345678901234567")],
)
def test_what_is_not_a_price_is_refused(price):
    with pytest.raises(ValueError):
        json_number(price)


def test_an_item_dict_becomes_attentives_product_request():
    [item] = clean_items({**MUG, "quantity": "2", "productUrl": "https://shop.test/mug"})
    assert item == {
        "productId": "mug",
        "productVariantId": "mug-blue",
        "price": [{"value": 12.5, "currency": "USD"}],
        "name": "Mug",
        "productUrl": "https://shop.test/mug",
        "quantity": 2,
    }


def test_a_product_without_variants_is_its_own_variant_and_ids_become_strings():
    [item] = clean_items([{"productId": 7, "price": 3, "currency": "cad"}])
    assert item == {
        "productId": "7",
        "productVariantId": "7",
        "price": [{"value": 3, "currency": "CAD"}],
    }


def test_attentives_own_price_list_is_taken_too():
    [item] = clean_items([{**MUG, "price": [{"value": Decimal("9.90"), "currency": "GBP"}]}])
    assert item["price"] == [{"value": 9.9, "currency": "GBP"}]


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"productVariantId": "x", "price": 1}, "item 1: productId is required"),
        ({"productId": "x"}, "item 1: price is required"),
        ({"productId": "x", "price": "abc"}, "item 1: 'abc' is not a price"),
        ({"productId": "x", "price": 1, "currency": "dollars"}, "ISO 4217"),
        ({"productId": "x", "price": 1, "quantity": 0}, "at least 1"),
        ({"productId": "x", "price": 1, "quantity": 1.5}, "whole number"),
        ({"productId": "x", "price": 1, "productUrl": "javascript:alert(1)"}, "http(s) URL"),
        ({"product_id": "x", "price": 1}, "unknown field product_id"),
        ({"productId": "x", "price": []}, "at least one"),
    ],
)
def test_a_bad_item_is_refused_naming_the_field(item, words):
    with pytest.raises(ValueError, match=None) as caught:
        clean_items([item])
    assert words in str(caught.value)


def test_every_bad_item_is_listed_by_position():
    with pytest.raises(ValueError) as caught:
        clean_items([MUG, {"productId": "a"}, {"price": 1}])
    assert "item 2: price is required" in str(caught.value)
    assert "item 3: productId is required" in str(caught.value)
    with pytest.raises(ValueError, match="at least one item"):
        clean_items([])


def test_objects_go_through_commerce_item(attentive):
    product = Product(5, "Tee", Decimal("20.00"))
    with pytest.raises(ValueError, match="COMMERCE_ITEM"):
        clean_items([product])
    attentive(COMMERCE_ITEM="tests.test_commerce_items.product_item")
    assert clean_items(product) == [
        {
            "productId": "5",
            "productVariantId": "5",
            "price": [{"value": 20, "currency": "USD"}],
            "name": "Tee",
        }
    ]
    attentive(COMMERCE_ITEM="tests.nowhere.item")
    with pytest.raises(ConfigurationError, match="COMMERCE_ITEM"):
        clean_items([product])


def test_a_commerce_item_path_to_something_not_callable_is_a_configuration_error(attentive):
    attentive(COMMERCE_ITEM="tests.test_commerce_items.MUG")
    with pytest.raises(ConfigurationError, match="COMMERCE_ITEM.*not callable"):
        clean_items([Product(5, "Tee", Decimal("20.00"))])


@pytest.mark.parametrize("path", sorted(PATHS.values()))
def test_the_payload_is_what_attentives_spec_takes(path):
    payload = commerce_payload(
        [MUG, {**MUG, "productVariantId": "mug-red", "quantity": 2}],
        phone="(201) 555-0123",
        email="ada@example.com",
        occurred_at=datetime(2025, 5, 1, 12, 0, tzinfo=UTC),
    )
    validate(path, json.loads(json.dumps(payload)))
    assert payload["user"] == {"phone": "+12015550123", "email": "ada@example.com"}
    assert payload["occurredAt"] == "2025-05-01T12:00:00.000Z"


def test_the_schema_check_can_fail():
    with pytest.raises(jsonschema.ValidationError):
        validate(PATHS["purchase"], {"items": [{"productId": "x", "price": [{"value": "1"}]}]})
    with pytest.raises(jsonschema.ValidationError):
        validate(PATHS["purchase"], {"items": [], "user": {"phone": "+1", "orderId": "1"}})


def test_no_way_to_identify_the_person_is_refused():
    with pytest.raises(InvalidMessage) as caught:
        commerce_payload([MUG])
    assert "phone or an email" in " ".join(caught.value.message_dict["user"])


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidMessage) as caught:
        commerce_payload([{"price": 1}], phone="12", email="not-an-email", occurred_at="today")
    assert set(caught.value.message_dict) == {"items", "phone", "email", "occurred_at"}


def test_describe_counts_the_items():
    assert describe({"items": [1, 2, 3]}, PATHS["purchase"]) == "purchase (3 items)"
    assert describe({"items": [1]}, PATHS["product-view"]) == "product-view (1 item)"


def test_an_event_is_stale_twelve_hours_after_it_happened():
    now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    fresh = {"occurredAt": (now - timedelta(hours=11, minutes=59)).isoformat()}
    old = {"occurredAt": "2025-04-30T23:59:00.000Z"}
    assert stale_reason(fresh, now) == ""
    assert "over 12 hours ago" in stale_reason(old, now)
    assert stale_reason({}, now) == ""
