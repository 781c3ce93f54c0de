"""eCommerce events through the outbox: one row each, never sent inside the caller, once per
order, exact prices on the wire, and nothing sent once Attentive would ignore it."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from django_attentive import added_to_cart, commerce, product_viewed, purchased
from django_attentive.backends import locmem
from django_attentive.commerce_items import PATHS
from django_attentive.exceptions import InvalidMessage
from django_attentive.models import Kind, OutboundMessage, SendAttempt, Source, Status
from django_attentive.sending.worker import Worker
from tests.attentive_schemas import validate
from tests.shopapp.models import Order

MUG = {"productId": "mug", "productVariantId": "mug-blue", "name": "Mug", "price": "12.50"}
TEE = {"productId": "tee", "name": "Tee", "price": Decimal("20.00"), "quantity": 2}


def drain() -> dict[str, int]:
    return Worker(concurrency=1).run().counts


@pytest.mark.django_db
def test_a_product_view_is_one_queued_row_and_no_request(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = commerce.product_viewed([MUG], phone="+1 201 555 0123")
    row.refresh_from_db()
    assert (row.kind, row.status, row.endpoint, row.to) == (
        Kind.COMMERCE,
        Status.QUEUED,
        PATHS["product-view"],
        "+12015550123",
    )
    assert row.payload["items"][0]["price"] == [{"value": 12.5, "currency": "USD"}]
    assert locmem.requests == []  # the immediate task backend would run it here: it is left


@pytest.mark.django_db
def test_bad_input_stores_nothing():
    with pytest.raises(InvalidMessage) as caught:
        added_to_cart([{"productId": "mug"}], email="ada@example.com")
    assert "price is required" in str(caught.value)
    with pytest.raises(InvalidMessage, match="phone or an email"):
        purchased([MUG])
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("record", "name"),
    [(product_viewed, "product-view"), (added_to_cart, "add-to-cart"), (purchased, "purchase")],
)
def test_the_worker_posts_each_event_as_attentives_spec_takes_it(record, name):
    occurred = timezone.now() - timedelta(minutes=5)
    row = record([MUG, TEE], email="ada@example.com", occurred_at=occurred)
    assert drain()["sent"] == 1
    [(path, payload)] = locmem.requests
    assert path == PATHS[name] == f"/v1/events/ecommerce/{name}"
    validate(path, payload)
    assert payload["occurredAt"] == occurred.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.send_attempts.get().request == payload


@pytest.mark.django_db
def test_one_purchase_per_order_however_often_the_signal_fires(django_capture_on_commit_callbacks):
    order = Order.objects.create(number="1001")
    with django_capture_on_commit_callbacks(execute=True):
        rows = [purchased([MUG], order=order, email="ada@example.com") for _ in range(3)]
        other = purchased([MUG], order=Order.objects.create(number="1002"), email="a@b.co")
    assert {row.pk for row in rows} == {rows[0].pk} != {other.pk}
    assert OutboundMessage.objects.filter(kind=Kind.COMMERCE).count() == 2
    assert rows[0].idempotency_key == f"commerce:purchase:shopapp.order:{order.pk}"
    assert rows[0].related == order


@pytest.mark.django_db(transaction=True)
def test_an_event_still_unsent_after_twelve_hours_fails_with_the_reason():
    late = product_viewed([MUG], email="ada@example.com")
    old = timezone.now() - timedelta(hours=12, minutes=1)
    stale = product_viewed([MUG], email="ada@example.com", occurred_at=old)
    drain()
    stale.refresh_from_db()
    late.refresh_from_db()
    assert stale.status == Status.FAILED
    assert "over 12 hours ago" in stale.last_error
    assert not SendAttempt.objects.filter(message=stale).exists()
    assert late.status == Status.SENT
    assert len(locmem.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_prices_reach_the_wire_as_written(http_backend):
    product_viewed(
        [{**MUG, "price": Decimal("12.50")}, {**TEE, "price": "19.99"}, {**TEE, "price": 7}],
        email="ada@example.com",
    )
    url = http_backend.replace("/v1/messages", PATHS["product-view"])
    with responses.RequestsMock() as mock:
        mock.post(url, status=200)
        drain()
        body = mock.calls[0].request.body
    assert b'"value": 12.5,' in body and b'"value": 19.99,' in body and b'"value": 7,' in body
    stored = OutboundMessage.objects.get()
    assert json.dumps(stored.payload["items"][0]["price"]) == '[{"value": 12.5, "currency": "USD"}]'
    assert stored.status == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_refused_event_is_retried_then_posted_to_the_fake(fake):
    fake.fail_next(503)
    row = purchased([MUG], email="ada@example.com")
    drain()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=None)
    drain()
    row.refresh_from_db()
    assert row.status == Status.SENT
    [event] = fake.records(PATHS["purchase"])
    assert event["items"][0]["price"] == [{"value": 12.5, "currency": "USD"}]


@pytest.mark.django_db
def test_a_product_page_costs_one_insert_and_no_http_call(
    client, http_backend, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as mock:  # any HTTP call would raise
        with django_assert_max_num_queries(1), django_capture_on_commit_callbacks(execute=True):
            page = client.get("/products/mug/?email=ada@example.com")
        assert len(mock.calls) == 0
    assert page.status_code == 200
    row = OutboundMessage.objects.get()
    assert (row.status, row.source, row.payload["user"]) == (
        Status.QUEUED,
        Source.CODE,
        {"email": "ada@example.com"},
    )


@pytest.mark.django_db
def test_the_admin_lists_commerce_events_as_events_filterable_by_kind(admin_client):
    from django_attentive import identify, send_message

    purchased([MUG, TEE, MUG], email="ada@example.com")
    send_message("+12015550123", "Your order shipped")
    identify(_staff(), email="ada@example.com")
    url = "/admin/django_attentive/outboundmessage/"
    events = admin_client.get(url, {"kind__exact": Kind.COMMERCE}).content.decode()
    assert "Commerce event: purchase (3 items)" in events
    assert "Your order shipped" not in events
    everything = admin_client.get(url).content.decode()
    assert "Your order shipped" in everything
    assert "Identity: clientUserId" in everything


def _staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


@pytest.mark.django_db(transaction=True)
def test_with_a_real_task_queue_the_event_is_handed_to_it_not_sent_inline(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    row = product_viewed([MUG], email="ada@example.com")
    [task] = DBTaskResult.objects.all()
    assert task.task_path.endswith("deliver_messages")
    assert task.args_kwargs["args"] == [[row.pk]]
    assert OutboundMessage.objects.get(pk=row.pk).status == Status.QUEUED
    assert locmem.requests == []
