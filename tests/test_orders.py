"""order_event -> template -> send_message; track(); finding the phone; never breaking checkout."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction

from django_attentive import orders
from django_attentive.backends import locmem
from django_attentive.models import MessageTemplate, OutboundMessage, Source, Status
from django_attentive.signals import message_failed, order_event
from tests.shopapp.models import Address, AddressOnlyOrder, Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tracked():
    orders.track(Order)
    yield Order
    orders.untrack(Order)


def make_template(
    key: str = "order_placed", body: str = "Order #{{ order.number }} is confirmed.", **fields
):
    return MessageTemplate.objects.create(key=key, body=body, **fields)


def make_order(**fields) -> Order:
    values = {"number": "1001", "phone": "+1 201 555 0123", "total": Decimal("49.90"), **fields}
    return Order.objects.create(**values)


def fire(order, event: str = "placed", **kwargs) -> None:
    order_event.send(sender=type(order), order=order, event=event, **kwargs)


# ---------------------------------------------------------------- the receiver


def test_event_queues_the_rendered_template_linked_to_the_order(django_capture_on_commit_callbacks):
    make_template()
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        fire(order)
    message = OutboundMessage.objects.get()
    assert message.to == "+12015550123"
    assert message.body == "Order #1001 is confirmed."
    assert message.source == Source.ORDER
    assert message.is_transactional
    assert message.related == order
    assert message.idempotency_key == f"order:shopapp.order:{order.pk}:placed"
    assert message.status == Status.SENT
    assert locmem.outbox == [
        {"to": "+12015550123", "body": "Order #1001 is confirmed.", "type": "TRANSACTIONAL"}
    ]


def test_event_fired_twice_sends_one_text(django_capture_on_commit_callbacks):
    make_template()
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        fire(order)
    with django_capture_on_commit_callbacks(execute=True):
        fire(order)
    assert OutboundMessage.objects.count() == 1
    assert len(locmem.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_order_leaves_no_row_and_sends_nothing():
    make_template()
    with pytest.raises(RuntimeError), transaction.atomic():
        fire(make_order())
        raise RuntimeError("payment declined")
    assert OutboundMessage.objects.count() == 0
    assert Order.objects.count() == 0
    assert locmem.outbox == []


@pytest.mark.django_db(transaction=True)
def test_committed_order_is_texted_once_after_commit():
    make_template()
    with transaction.atomic():
        fire(make_order())
        assert locmem.outbox == []
    assert len(locmem.outbox) == 1


def test_ampersands_and_apostrophes_arrive_unescaped():
    make_template(body="Thanks {{ order.customer_name }}! <b>{{ order.number }}</b>")
    fire(make_order(customer_name="O'Brien & Sons"))
    assert OutboundMessage.objects.get().body == "Thanks O'Brien & Sons! <b>1001</b>"


def test_event_without_an_active_template_sends_nothing_and_logs_one_debug_line(caplog):
    make_template(key="order_placed", is_active=False)
    with caplog.at_level(logging.DEBUG, logger="django_attentive"):
        fire(make_order())
    assert OutboundMessage.objects.count() == 0
    lines = [r for r in caplog.records if "No active template" in r.getMessage()]
    assert [r.levelno for r in lines] == [logging.DEBUG]


def test_order_templates_setting_maps_an_event_to_another_template(attentive):
    attentive(ORDER_TEMPLATES={"placed": "thanks", "paid": None})
    make_template(key="thanks", body="Thanks for order {{ order.number }}")
    make_template(key="order_paid", body="Paid")
    order = make_order()
    fire(order, "placed")
    fire(order, "paid")
    assert list(OutboundMessage.objects.values_list("body", flat=True)) == ["Thanks for order 1001"]


def test_template_media_url_and_non_transactional_flag_reach_the_message():
    make_template(media_url="https://cdn.example/box.png", transactional=False)
    fire(make_order())
    message = OutboundMessage.objects.get()
    assert message.media_url == "https://cdn.example/box.png"
    assert message.message_type == ""


def test_event_renders_the_event_name():
    make_template(key="order_shipped", body="Order {{ order.number }}: {{ event }}")
    fire(make_order(), "shipped")
    assert OutboundMessage.objects.get().body == "Order 1001: shipped"


def test_template_is_looked_up_once_then_cached(django_assert_num_queries):
    make_template()
    fire(make_order(number="1"))
    with django_assert_num_queries(0):
        assert orders.active_template("order_placed").key == "order_placed"


def test_edited_template_is_used_at_once():
    template = make_template(body="Old text")
    fire(make_order(number="1"))
    template.body = "New text"
    template.save()
    fire(make_order(number="2"))
    assert list(OutboundMessage.objects.order_by("pk").values_list("body", flat=True)) == [
        "Old text",
        "New text",
    ]


def test_renamed_template_no_longer_answers_to_its_old_key():
    template = make_template()
    fire(make_order(number="1"))
    template.key = "order_old"
    template.save()
    fire(make_order(number="2"))
    assert OutboundMessage.objects.count() == 1


def test_firing_an_event_adds_at_most_three_queries(django_assert_max_num_queries):
    make_template()
    order = make_order()
    ContentType.objects.get_for_model(Order)  # Django caches it for the life of the process
    # Inside the shop's checkout transaction, with the template not cached yet: the template,
    # the insert, the read-back (which also looks the number up on the suppression list).
    with transaction.atomic(), django_assert_max_num_queries(3):
        fire(order)
    assert OutboundMessage.objects.get().status == Status.QUEUED


def test_firing_an_event_with_its_template_cached_adds_two_queries(
    django_assert_max_num_queries,
):
    make_template()
    order = make_order()
    orders.active_template("order_placed")
    ContentType.objects.get_for_model(Order)
    with transaction.atomic(), django_assert_max_num_queries(2):
        fire(order)
    assert OutboundMessage.objects.count() == 1


def test_an_event_for_a_suppressed_number_is_stored_suppressed_within_five_queries(
    django_assert_max_num_queries,
):
    from django_attentive import suppress

    make_template()
    order = make_order()
    suppress(order.phone)
    ContentType.objects.get_for_model(Order)
    with transaction.atomic(), django_assert_max_num_queries(5):
        fire(order)
    assert OutboundMessage.objects.get().status == Status.SUPPRESSED


def test_firing_an_event_again_only_finds_the_first_message(django_assert_max_num_queries):
    make_template()
    order = make_order()
    fire(order)
    # the insert the unique key skips, the read-back
    with transaction.atomic(), django_assert_max_num_queries(2):
        fire(order)
    assert OutboundMessage.objects.count() == 1


# ---------------------------------------------------------------- failures never break checkout


def test_missing_phone_records_a_failed_message_with_the_reason():
    make_template()
    order = make_order(phone="")
    fire(order)
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert message.last_error == "The order has no phone number to text."
    assert message.related == order
    assert message.source == Source.ORDER
    assert locmem.outbox == []


def test_invalid_number_records_a_failed_message_with_validations_reason():
    make_template()
    fire(make_order(phone="+33 6 12 34 56 78"))
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert "France" in message.last_error
    assert message.to == "+33 6 12 34 56 78"
    assert message.body == "Order #1001 is confirmed."


def exploding_context(order):
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize(
    ("body", "hook", "reason"),
    [
        ("Order {{ order.number|no_such_filter }}", None, "does not compile"),
        ("{% if %}x{% endif %}", None, "does not compile"),
        ("Order {{ order.number }}", exploding_context, "failed while rendering"),
    ],
)
def test_template_error_records_a_failed_message_and_does_not_raise(body, hook, reason, attentive):
    attentive(ORDER_CONTEXT=hook)
    make_template(body=body)
    fire(make_order())
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert reason in message.last_error
    assert "order_placed" in message.last_error


def test_a_property_of_the_order_model_is_not_read(monkeypatch):
    def explode(self):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Order, "explode", property(explode), raising=False)
    make_template(body="Order {{ order.number }}{{ order.explode }}")
    fire(make_order())
    assert OutboundMessage.objects.get().body == "Order 1001"


def test_empty_rendered_body_is_a_failure_not_an_exception():
    make_template(body="{{ order.nothing_here }}")
    fire(make_order())
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert "body" in message.last_error


def test_failure_fired_twice_is_recorded_once_and_a_fixed_order_is_then_texted(
    django_capture_on_commit_callbacks,
):
    make_template()
    order = make_order(phone="")
    fire(order)
    fire(order)
    assert OutboundMessage.objects.filter(status=Status.FAILED).count() == 1
    order.phone = "+12015550123"
    order.save()
    with django_capture_on_commit_callbacks(execute=True):
        fire(order)
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 1
    assert locmem.outbox == [
        {"to": "+12015550123", "body": "Order #1001 is confirmed.", "type": "TRANSACTIONAL"}
    ]


def test_failed_message_announces_message_failed_after_commit(django_capture_on_commit_callbacks):
    make_template()
    seen = []

    def receiver(sender, message, error, **kwargs):
        seen.append((message.status, str(error)))

    message_failed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            fire(make_order(phone=""))
            assert seen == []
    finally:
        message_failed.disconnect(receiver)
    assert seen == [(Status.FAILED, "The order has no phone number to text.")]


def test_unexpected_error_is_logged_and_never_raised(monkeypatch, caplog):
    make_template()

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(orders, "send_message", broken)
    with caplog.at_level(logging.ERROR, logger="django_attentive"):
        fire(make_order())
    assert "could not be recorded" in caplog.text


def test_unsaved_order_is_logged_not_raised(caplog):
    make_template()
    with caplog.at_level(logging.ERROR, logger="django_attentive"):
        fire(Order(number="1", phone="+12015550123"))
    assert OutboundMessage.objects.count() == 0
    assert "could not be recorded" in caplog.text


# ---------------------------------------------------------------- finding the phone


def test_phone_argument_overrides_the_orders_fields():
    make_template()
    fire(make_order(phone="+12015550123"), phone="+1 201 555 0199")
    assert OutboundMessage.objects.get().to == "+12015550199"


def test_default_lookup_falls_back_to_the_shipping_address():
    make_template()
    address = Address.objects.create(phone_number="(201) 555-0177")
    fire(AddressOnlyOrder.objects.create(number="7", shipping_address=address))
    assert OutboundMessage.objects.get().to == "+12015550177"


def test_order_phone_setting_as_an_attribute_path(attentive):
    attentive(ORDER_PHONE="shipping_address.phone_number")
    make_template()
    address = Address.objects.create(phone_number="+12015550166")
    fire(make_order(phone="+12015550123", shipping_address=address))
    assert OutboundMessage.objects.get().to == "+12015550166"


def phone_from_callable(order):
    return f"+1201555{order.number}"


def test_order_phone_setting_as_a_dotted_path_to_a_callable(attentive):
    attentive(ORDER_PHONE="tests.test_orders.phone_from_callable")
    make_template()
    fire(make_order(number="0155"))
    assert OutboundMessage.objects.get().to == "+12015550155"


def test_phone_number_field_values_are_read_as_e164():
    phonenumbers = pytest.importorskip("phonenumber_field.phonenumber")
    value = phonenumbers.PhoneNumber.from_string("(201) 555-0144", region="US")
    assert orders._as_text(value) == "+12015550144"


def test_missing_related_address_counts_as_no_phone():
    make_template()
    fire(AddressOnlyOrder.objects.create(number="8"))
    assert OutboundMessage.objects.get().status == Status.FAILED


# ---------------------------------------------------------------- track()


def test_track_fires_placed_on_creation(tracked):
    make_template()
    make_order()
    assert OutboundMessage.objects.get().body == "Order #1001 is confirmed."


def test_track_when_false_fires_nothing_for_that_order():
    """An order whose customer did not agree to order texts is never texted."""
    orders.track(Order, when=lambda order: order.number != "1001")
    try:
        make_template()
        make_template(key="order_shipped", body="Order {{ order.number }} shipped")
        order = make_order()
        order.status = "shipped"
        order.save()
        assert not OutboundMessage.objects.exists()
    finally:
        orders.untrack(Order)


def test_track_fires_the_new_status_on_a_real_change(tracked):
    make_template(key="order_shipped", body="Order {{ order.number }} shipped")
    order = make_order()
    order.status = "shipped"
    order.save()
    assert list(OutboundMessage.objects.values_list("body", flat=True)) == ["Order 1001 shipped"]


def test_track_ignores_saves_that_do_not_change_the_status(tracked):
    make_template(key="order_shipped", body="Shipped")
    order = make_order(status="shipped")
    order.total = Decimal("1.00")
    order.save()
    loaded = Order.objects.get(pk=order.pk)
    loaded.save()
    loaded.status = "shipped"
    loaded.save()
    assert OutboundMessage.objects.count() == 0


def test_track_fires_on_a_change_of_a_freshly_loaded_order_without_extra_queries(
    tracked, django_assert_num_queries
):
    order = make_order()
    loaded = Order.objects.get(pk=order.pk)
    loaded.status = "paid"  # no order_paid template: the event costs one template lookup
    fired = []

    def receiver(sender, order, event, **kwargs):
        fired.append((order.pk, event))

    order_event.connect(receiver)
    try:
        with django_assert_num_queries(2):  # the UPDATE and the template lookup
            loaded.save()
    finally:
        order_event.disconnect(receiver)
    assert fired == [(order.pk, "paid")]


def test_track_fires_each_change_once_even_when_saved_again(tracked):
    make_template(key="order_paid", body="Paid")
    make_template(key="order_shipped", body="Shipped")
    order = make_order()
    fired = []

    def receiver(sender, order, event, **kwargs):
        fired.append(event)

    order_event.connect(receiver)
    try:
        order.status = "paid"
        order.save()
        order.save()
        order.status = "shipped"
        order.save()
    finally:
        order_event.disconnect(receiver)
    # The rows alone would not show it: a second "paid" would reuse the first one's key.
    assert fired == ["paid", "shipped"]
    assert list(OutboundMessage.objects.order_by("pk").values_list("body", flat=True)) == [
        "Paid",
        "Shipped",
    ]


def test_track_ignores_a_status_change_left_out_of_update_fields(tracked):
    make_template(key="order_paid", body="Paid")
    order = make_order()
    order.status = "paid"
    order.save(update_fields=["total"])
    assert OutboundMessage.objects.count() == 0
    order.save(update_fields=["status"])
    assert OutboundMessage.objects.count() == 1


def test_track_reads_a_deferred_status_from_the_database(tracked):
    make_template(key="order_paid", body="Paid")
    order = make_order()
    deferred = Order.objects.only("pk", "number").get(pk=order.pk)
    deferred.status = "paid"
    deferred.save()
    same = Order.objects.only("pk").get(pk=order.pk)
    same.status = "paid"
    same.save()
    assert OutboundMessage.objects.count() == 1


def test_track_with_created_event_none_stays_quiet_on_creation():
    orders.track(Order, created_event=None)
    try:
        make_template()
        make_order()
    finally:
        orders.untrack(Order)
    assert OutboundMessage.objects.count() == 0


def test_track_rejects_an_unknown_status_field():
    from django.core.exceptions import FieldDoesNotExist

    with pytest.raises(FieldDoesNotExist):
        orders.track(Order, status_field="state")


def test_untracked_model_fires_nothing():
    make_template()
    make_order()
    assert OutboundMessage.objects.count() == 0


# ---------------------------------------------------------------- through a checkout view


@pytest.mark.urls("tests.shopapp.urls")
@pytest.mark.parametrize(
    ("phone", "body", "reason"),
    [
        ("", "Order #{{ order.number }} is confirmed.", "no phone number"),
        ("+12015550123", "Order #{{ order.number|no_such_filter }}", "does not compile"),
    ],
)
def test_checkout_answers_200_when_the_text_fails(tracked, client, phone, body, reason):
    make_template(body=body)
    response = client.post("/checkout/", {"number": "77", "phone": phone})
    assert response.status_code == 200
    assert Order.objects.filter(number="77").exists()
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert reason in message.last_error
    assert locmem.outbox == []


@pytest.mark.urls("tests.shopapp.urls")
def test_checkout_texts_the_confirmation_after_commit(
    tracked, client, django_capture_on_commit_callbacks
):
    make_template()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/checkout/", {"number": "78", "phone": "(201) 555-0123"})
    assert response.status_code == 200
    assert locmem.outbox == [
        {"to": "+12015550123", "body": "Order #78 is confirmed.", "type": "TRANSACTIONAL"}
    ]


def test_a_key_too_long_for_the_column_is_hashed_and_still_sends_once(
    settings, django_capture_on_commit_callbacks
):
    event = "x" * 300
    settings.ATTENTIVE = {**settings.ATTENTIVE, "ORDER_TEMPLATES": {event: "order_placed"}}
    make_template()
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        fire(order, event)
    with django_capture_on_commit_callbacks(execute=True) as again:
        fire(order, event)
    assert again == []
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert [m["body"] for m in locmem.outbox] == ["Order #1001 is confirmed."]
    assert message.idempotency_key.startswith("order:sha256:")
    assert len(message.idempotency_key + orders.FAILED_SUFFIX) <= 255
