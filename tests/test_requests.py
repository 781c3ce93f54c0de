"""Requests to Attentive's other endpoints go through the same outbox as texts."""

from __future__ import annotations

import pytest

from django_attentive.backends import locmem
from django_attentive.models import Kind, OutboundMessage, Status, Suppression
from django_attentive.outbox.requests import queue_request

pytestmark = pytest.mark.django_db

PAYLOAD = {"user": {"phone": "+12015550123"}, "signUpSourceId": "123", "singleOptIn": False}


def test_a_request_is_queued_and_posted_to_its_kinds_endpoint(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = queue_request(Kind.SUBSCRIPTION, PAYLOAD, to="+12015550123")
    row.refresh_from_db()
    assert (row.kind, row.status, row.body, row.payload) == (
        Kind.SUBSCRIPTION,
        Status.SENT,
        "",
        PAYLOAD,
    )
    assert locmem.requests == [("/v1/subscriptions", PAYLOAD)]
    assert row.send_attempts.get().request == PAYLOAD


def test_a_row_with_its_own_endpoint_posts_there(django_capture_on_commit_callbacks):
    path = "/v1/events/ecommerce/product-view"
    with django_capture_on_commit_callbacks(execute=True):
        queue_request(Kind.COMMERCE, {"items": []}, endpoint=path)
    assert locmem.requests == [(path, {"items": []})]


def test_the_suppression_list_never_holds_back_a_request(django_capture_on_commit_callbacks):
    Suppression.objects.create(number="+12015550123", reason="opted_out")
    with django_capture_on_commit_callbacks(execute=True):
        row = queue_request(Kind.UNSUBSCRIPTION, PAYLOAD, to="+12015550123")
    assert OutboundMessage.objects.get(pk=row.pk).status == Status.SENT
    assert [path for path, _ in locmem.requests] == ["/v1/subscriptions/unsubscribe"]


def test_the_same_key_twice_posts_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue_request(Kind.IDENTITY, {"clientUserId": "7"}, idempotency_key="id:7")
        again = queue_request(Kind.IDENTITY, {"clientUserId": "7"}, idempotency_key="id:7")
    assert again.pk == first.pk
    assert len(callbacks) == 1
    assert len(locmem.requests) == 1
