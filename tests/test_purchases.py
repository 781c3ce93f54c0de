"""COMMERCE_EVENTS: a placed order also posts a purchase event with its lines, once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from django_attentive import orders
from django_attentive.backends import locmem
from django_attentive.commerce_items import PATHS
from django_attentive.models import Kind, MessageTemplate, OutboundMessage, Source, Status
from django_attentive.purchases import line_item
from django_attentive.sending.worker import Worker
from django_attentive.signals import order_event
from tests.attentive_schemas import validate
from tests.shopapp.models import CustomerOrder, OrderLine

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _tracked(attentive):
    attentive(COMMERCE_EVENTS=True)
    MessageTemplate.objects.create(key="order_placed", body="Order {{ order.number }} placed")
    orders.track(CustomerOrder)
    yield
    orders.untrack(CustomerOrder)


def checkout(phone: str = "+1 201 555 0123", user=None) -> CustomerOrder:
    """A checkout as shops write one: the order and its lines in one transaction."""
    with transaction.atomic():
        order = CustomerOrder.objects.create(number="1001", phone=phone, user=user)
        OrderLine.objects.create(order=order, title="Mug", quantity=2, price=Decimal("12.50"))
        OrderLine.objects.create(order=order, title="Tee", quantity=1, price=Decimal("20"))
    return order


def test_a_placed_order_sends_its_text_and_a_purchase_with_its_lines():
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    order = checkout(user=user)
    text = OutboundMessage.objects.get(kind=Kind.TEXT)
    event = OutboundMessage.objects.get(kind=Kind.COMMERCE)
    assert text.body == "Order 1001 placed" and text.status == Status.SENT
    assert (event.endpoint, event.source, event.related) == (
        PATHS["purchase"],
        Source.ORDER,
        order,
    )
    assert [(i["name"], i["quantity"], i["price"]) for i in event.payload["items"]] == [
        ("Mug", 2, [{"value": 12.5, "currency": "USD"}]),
        ("Tee", 1, [{"value": 20, "currency": "USD"}]),
    ]
    assert event.payload["user"] == {
        "phone": "+12015550123",
        "email": "ada@example.com",
        "externalIdentifiers": {"clientUserId": str(user.pk)},
    }
    Worker(concurrency=1).run()
    [(path, payload)] = locmem.requests
    validate(path, payload)


def test_repeated_placed_signals_post_one_purchase():
    order = checkout()
    for _ in range(3):
        order_event.send(sender=CustomerOrder, order=order, event="placed")
    order.status = "paid"
    order.save()
    assert OutboundMessage.objects.filter(kind=Kind.COMMERCE).count() == 1


def test_nothing_without_the_setting(attentive):
    attentive(COMMERCE_EVENTS=False)
    checkout()
    assert not OutboundMessage.objects.filter(kind=Kind.COMMERCE).exists()
    assert OutboundMessage.objects.filter(kind=Kind.TEXT).count() == 1


def test_a_rolled_back_checkout_posts_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        checkout()
        raise RuntimeError("payment declined")
    assert not OutboundMessage.objects.exists()


def test_a_foreign_phone_still_posts_the_purchase_by_email():
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    checkout(phone="+33 6 12 34 56 78", user=user)
    event = OutboundMessage.objects.get(kind=Kind.COMMERCE)
    assert event.payload["user"]["email"] == "ada@example.com"
    assert "phone" not in event.payload["user"]
    assert OutboundMessage.objects.get(kind=Kind.TEXT).status == Status.FAILED


def test_an_order_nobody_can_be_identified_by_is_recorded_failed():
    checkout(phone="")
    event = OutboundMessage.objects.get(kind=Kind.COMMERCE)
    assert event.status == Status.FAILED
    assert "phone or an email" in event.last_error
    assert event.endpoint == PATHS["purchase"]
    assert locmem.requests == []


def test_a_line_becomes_an_item_from_its_usual_fields():
    class Line:
        product_id, title, unit_price, quantity, sku = 7, "Mug", Decimal("3.10"), 2, "MUG-B"

    assert line_item(Line(), "CAD") == {
        "productId": 7,
        "productVariantId": "MUG-B",
        "name": "Mug",
        "price": Decimal("3.10"),
        "quantity": 2,
        "currency": "CAD",
    }
