"""ORDER_EVENTS_AS = "custom_event": order events become /v1/events/custom posts in the outbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from django_attentive import custom_events, resend, send_custom_event
from django_attentive.backends import locmem
from django_attentive.exceptions import InvalidMessage
from django_attentive.models import Kind, OutboundMessage, Source, Status
from django_attentive.signals import order_event
from tests.shopapp.models import Order

TEXT_SEND = "django_attentive.backends.text_send.TextSendBackend"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def as_events(attentive):
    attentive(ORDER_EVENTS_AS="custom_event")


def make_order(**fields) -> Order:
    values = {"number": "1001", "phone": "+1 201 555 0123", "total": Decimal("49.90"), **fields}
    return Order.objects.create(**values)


def fire(order, event: str = "placed", **kwargs) -> None:
    order_event.send(sender=type(order), order=order, event=event, **kwargs)


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("placed", "Order Placed"),
        ("out_for_delivery", "Order Out For Delivery"),
        ("re-funded", "Order Re Funded"),
        ('sh"ip(p)ed{}', "Order Shipped"),
    ],
)
def test_event_type_is_titled_without_forbidden_characters(event, expected):
    assert custom_events.order_event_type(event) == expected


def test_type_made_only_of_forbidden_characters_is_refused():
    with pytest.raises(ValueError, match="Name the event"):
        custom_events.clean_type("\"'(){}[]\\|,")


def test_properties_are_flattened_to_strings():
    flat = custom_events.flat_properties(
        {
            "total": Decimal("49.90"),
            "count": 2,
            "gift": True,
            "skus": ["A", "B"],
            "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "nested": {"a": 1},
            "missing": None,
        }
    )
    assert flat == {
        "total": "49.90",
        "count": "2",
        "gift": "true",
        "skus": "A, B",
        "when": "2026-01-02T03:04:05.000Z",
        "nested": '{"a": 1}',
    }


def test_occurred_at_is_rfc3339_in_utc():
    assert RFC3339_UTC.match(custom_events.rfc3339())


# ---------------------------------------------------------------- send_custom_event


@pytest.mark.django_db
def test_custom_event_is_queued_with_its_wire_payload(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = send_custom_event(
            "(201) 555-0123", "Order Placed", {"orderNumber": 1001}, idempotency_key="k1"
        )
    event.refresh_from_db()
    assert (event.kind, event.status, event.to, event.body, event.payload["type"]) == (
        Kind.CUSTOM_EVENT,
        Status.SENT,  # locmem in the test settings: delivered at once
        "+12015550123",
        "",  # an event keeps its content in payload, never in body
        "Order Placed",
    )
    [posted] = locmem.events
    assert posted["type"] == "Order Placed"
    assert posted["properties"] == {"orderNumber": "1001"}
    assert posted["externalEventId"] == "k1"
    assert posted["user"] == {"phone": "+12015550123"}
    assert RFC3339_UTC.match(posted["occurredAt"])
    assert locmem.outbox == []  # an event is not a text


@pytest.mark.django_db
def test_custom_event_for_a_suppressed_number_is_never_posted(django_capture_on_commit_callbacks):
    from django_attentive import suppress
    from django_attentive.models import SuppressionReason

    suppress("+12015550123", SuppressionReason.OPTED_OUT)
    with django_capture_on_commit_callbacks(execute=True):
        event = send_custom_event("+12015550123", "Order Placed", {"orderNumber": 1})
    event.refresh_from_db()
    assert event.status == Status.SUPPRESSED
    assert locmem.events == []


@pytest.mark.django_db
def test_invalid_event_raises_by_field_and_saves_nothing():
    with pytest.raises(InvalidMessage) as caught:
        send_custom_event("+33 6 12 34 56 78", "()", {})
    assert set(caught.value.message_dict) == {"to", "event_type"}
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_resend_posts_a_new_event_with_a_new_external_id(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = send_custom_event(
            "+12015550123", "Order Shipped", idempotency_key="order:x:1:shipped"
        )
    first.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        copy = resend(first)
    assert copy.is_event and copy.resent_from == first
    assert copy.payload["type"] == "Order Shipped"
    assert copy.payload["externalEventId"].startswith("order:x:1:shipped:resend:")
    assert [e["externalEventId"] for e in locmem.events] == [
        "order:x:1:shipped",
        copy.payload["externalEventId"],
    ]


# ---------------------------------------------------------------- order events


@pytest.mark.django_db
def test_order_event_becomes_a_custom_event_without_any_template(as_events):
    order = make_order(customer_name="Ada")
    fire(order)
    message = OutboundMessage.objects.get()
    assert message.kind == Kind.CUSTOM_EVENT
    assert message.source == Source.ORDER
    assert message.related == order
    assert message.idempotency_key == f"order:shopapp.order:{order.pk}:placed"
    assert message.payload["externalEventId"] == message.idempotency_key
    assert message.payload["properties"] == {
        "event": "placed",
        "orderNumber": "1001",
        "status": "placed",
        "total": "49.90",
        "customerName": "Ada",
    }
    assert locmem.outbox == []


@pytest.mark.django_db
def test_properties_come_from_order_event_properties_when_set(as_events, attentive):
    attentive(ORDER_EVENT_PROPERTIES=lambda order, event: {"n": order.number, "e": event})
    fire(make_order(), "shipped")
    assert OutboundMessage.objects.get().payload["properties"] == {"n": "1001", "e": "shipped"}


@pytest.mark.django_db
def test_broken_properties_callable_is_recorded_as_a_failed_event(as_events, attentive):
    attentive(ORDER_EVENT_PROPERTIES=lambda order, event: 1 / 0)
    fire(make_order())
    message = OutboundMessage.objects.get()
    assert (message.kind, message.status) == (Kind.CUSTOM_EVENT, Status.FAILED)
    assert "ZeroDivisionError" in message.last_error


@pytest.mark.django_db
def test_order_without_a_phone_is_a_failed_event_with_the_reason(as_events):
    fire(make_order(phone=""))
    message = OutboundMessage.objects.get()
    assert (message.kind, message.status, message.payload["type"]) == (
        Kind.CUSTOM_EVENT,
        Status.FAILED,
        "Order Placed",
    )
    assert "no phone number" in message.last_error
    assert locmem.events == []


@pytest.mark.django_db
def test_event_silenced_by_order_templates_posts_nothing(as_events, attentive):
    attentive(ORDER_TEMPLATES={"pending": None})
    fire(make_order(), "pending")
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_text_mode_is_still_the_default():
    fire(make_order())  # no template: nothing at all, as before
    assert OutboundMessage.objects.count() == 0


# ---------------------------------------------------------------- over HTTP, against the fake


@pytest.mark.django_db(transaction=True)
def test_firing_twice_makes_one_outbox_row_and_one_post(fake, attentive, as_events):
    attentive(BACKEND=TEXT_SEND)
    order = make_order()
    for _ in range(2):
        with transaction.atomic():
            fire(order)
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert message.send_attempts.get().status_code == 202
    [posted] = fake.events
    assert posted["externalEventId"] == f"order:shopapp.order:{order.pk}:placed"
    assert posted["type"] == "Order Placed"
    assert posted["user"] == {"phone": "+12015550123"}
    assert "duplicate" not in posted
    assert fake.texts == []


@pytest.mark.django_db(transaction=True)
def test_event_failures_follow_the_text_rules(fake, attentive, as_events):
    attentive(BACKEND=TEXT_SEND)
    fake.fail_next(503)
    fire(make_order())
    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert fake.events == []

    fake.configure(opted_out=["+12015550123"])
    fire(make_order(number="1002"))
    refused = OutboundMessage.objects.get(payload__properties__orderNumber="1002")
    assert refused.status == Status.FAILED
    assert "opted-out" in refused.last_error


# ---------------------------------------------------------------- admin


@pytest.mark.django_db
def test_admin_lists_events_as_events_and_filters_on_kind(as_events):
    fire(make_order())
    admin_user = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
    client = Client()
    client.force_login(admin_user)
    changelist = reverse("admin:django_attentive_outboundmessage_changelist")
    page = client.get(changelist, {"kind__exact": "custom_event"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Custom event" in html and "Order Placed" in html
    assert "Order Placed" not in client.get(changelist, {"kind__exact": "text"}).content.decode()
    message = OutboundMessage.objects.get()
    detail = client.get(reverse("admin:django_attentive_outboundmessage_change", args=[message.pk]))
    assert "externalEventId" in detail.content.decode()


# ---------------------------------------------------------------- system checks


def _check_ids() -> set[str]:
    from django.core.checks import run_checks

    return {message.id for message in run_checks(tags=["django_attentive"])}


def test_unknown_order_events_mode_is_a_check_error(attentive):
    attentive(ORDER_EVENTS_AS="sms")
    assert "django_attentive.E022" in _check_ids()


def test_custom_events_on_the_archived_messages_api_warn(attentive):
    attentive(ORDER_EVENTS_AS="custom_event", BACKEND="django_attentive.backends.http.HttpBackend")
    assert "django_attentive.W020" in _check_ids()
    attentive(BACKEND=TEXT_SEND)
    assert "django_attentive.W020" not in _check_ids()
