"""What a template sees of an order: plain values, no user, no secrets, bounded lists."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from django_attentive.models import OutboundMessage
from django_attentive.signals import order_event
from django_attentive.template_context import (
    MAX_ITEMS,
    MAX_VALUE_LENGTH,
    SAMPLE_ORDER,
    ContextError,
    is_sensitive,
    order_context,
    order_values,
)
from tests.shopapp.models import Address, CustomerOrder, OrderLine

pytestmark = pytest.mark.django_db

PLAIN_TYPES = (str, int, float, Decimal, bool, date, time, type(None))


def assert_plain(value: object, path: str = "order") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_plain(item, f"{path}.{index}")
    else:
        assert type(value) in PLAIN_TYPES or isinstance(value, date), (path, type(value))


def full_order(**fields) -> CustomerOrder:
    user = User.objects.create_user("ada", email="ada@example.com", password="pw")
    address = Address.objects.create(phone_number="+12015550123")
    values = {
        "number": "1001",
        "customer_name": "Ada",
        "phone": "+12015550123",
        "total": Decimal("49.90"),
        "tracking_url": "https://tracking.example/1001",
        "api_token": "tok-s3cr3t",
        "user": user,
        "shipping_address": address,
        **fields,
    }
    order = CustomerOrder.objects.create(**values)
    OrderLine.objects.create(order=order, title="Mug", quantity=2, price=Decimal("12.50"))
    return order


def test_everything_is_a_plain_value():
    values = order_values(full_order())
    assert_plain(values)
    assert_plain(SAMPLE_ORDER)


def test_the_order_fields_relations_and_standard_names():
    values = order_values(full_order())
    assert values["number"] == "1001"
    assert values["customer_name"] == "Ada"
    assert values["total"] == Decimal("49.90")
    assert values["tracking_url"] == "https://tracking.example/1001"
    assert values["shipping_address"]["phone_number"] == "+12015550123"
    assert values["items"] == [
        {"id": OrderLine.objects.get().pk, "title": "Mug", "quantity": 2, "price": Decimal("12.50")}
    ]
    assert values["item_count"] == 1
    assert str(values) == "1001"


def test_no_user_no_secret_named_field_no_foreign_key_ids():
    values = order_values(full_order())
    assert "user" not in values and "user_id" not in values
    assert "api_token" not in values
    assert "shipping_address_id" not in values


@pytest.mark.parametrize(
    "name",
    ["password", "api_token", "secret_key", "stripe_key", "apikey", "pin", "reset_token_hash"],
)
def test_names_like_secrets_are_sensitive(name):
    assert is_sensitive(name)


@pytest.mark.parametrize("name", ["number", "customer_name", "tracking_url", "monkey", "status"])
def test_ordinary_names_are_not_sensitive(name):
    assert not is_sensitive(name)


def test_lists_and_strings_are_bounded():
    order = full_order(notes="x" * (MAX_VALUE_LENGTH * 3))
    for index in range(MAX_ITEMS + 5):
        OrderLine.objects.create(order=order, title=f"Item {index}")
    values = order_values(order)
    assert len(values["notes"]) == MAX_VALUE_LENGTH
    assert len(values["items"]) == MAX_ITEMS
    assert values["item_count"] == MAX_ITEMS + 6


def test_only_what_the_template_reads_is_loaded(django_assert_num_queries):
    order = CustomerOrder.objects.get(pk=full_order().pk)
    with django_assert_num_queries(0):
        values = order_values(order, wanted={"number", "total"})
    assert "shipping_address" not in values and "items" not in values


def test_the_order_context_hook_adds_plain_values(attentive):
    attentive(ORDER_CONTEXT=lambda order: {"points": 120, "perks": ["free shipping"]})
    context = order_context(full_order(), "placed", wanted={"points"})
    assert context["order"]["points"] == 120
    assert context["order"]["perks"] == ["free shipping"]
    assert context["event"] == "placed"


def test_the_order_context_hook_can_be_a_dotted_path(attentive):
    attentive(ORDER_CONTEXT="tests.test_template_context.loyalty")
    assert order_values(full_order(), wanted=set())["points"] == 7


def loyalty(order):
    return {"points": 7}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"customer": "user"}, "User is not a plain value"),
        ({"api_key": "k"}, "looks like a secret"),
        ({"lines": "manager"}, "not a plain value"),
    ],
)
def test_the_order_context_hook_may_not_hand_over_models_or_secrets(attentive, extra, reason):
    def hook(order):
        things = {"user": order.user, "manager": order.lines, "k": "k"}
        return {key: things[value] for key, value in extra.items()}

    attentive(ORDER_CONTEXT=hook)
    with pytest.raises(ContextError, match=reason):
        order_values(full_order())


def test_a_hook_handing_over_a_model_fails_the_text_with_the_reason(attentive):
    from django_attentive.models import MessageTemplate

    attentive(ORDER_CONTEXT=lambda order: {"customer": order.user})
    MessageTemplate.objects.create(key="order_placed", body="Hi {{ order.customer.email }}")
    order = full_order()
    order_event.send(sender=CustomerOrder, order=order, event="placed")
    message = OutboundMessage.objects.get()
    assert message.status == "failed"
    assert "ORDER_CONTEXT" in message.last_error and "'customer'" in message.last_error
