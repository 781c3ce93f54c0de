"""The REST API never shows a text's content to a user who may not view texts, errors included."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from django_attentive import send_custom_event, send_message
from django_attentive.models import OutboundMessage, Status

pytestmark = pytest.mark.django_db

MESSAGES = "/attentive/api/messages/"
NUMBER = "+44 7400 123456"
STORED = "+447400123456"
SECRET = "Secret pickup code 4711"


def client_with(*codenames: str) -> APIClient:
    user = get_user_model().objects.create_user("clerk-" + "-".join(codenames), password="pw")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def sender_only() -> APIClient:
    return client_with("send_message")


@pytest.fixture
def sender_and_viewer() -> APIClient:
    return client_with("send_message", "view_outboundmessage")


def sent_to_gb(body: str = SECRET) -> OutboundMessage:
    message = send_message(NUMBER, body)
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENT)
    return message


def assert_no_content(response, *content: str) -> None:
    text = response.content.decode()
    for value in (STORED, "7400", SECRET, *content):
        assert value not in text, f"{value!r} leaked in {text}"


def test_resend_no_longer_valid_tells_a_sender_who_may_not_view_what_without_the_number(
    sender_only, attentive
):
    message = sent_to_gb()
    attentive(ALLOWED_REGIONS=["US"])
    response = sender_only.post(f"{MESSAGES}{message.pk}/resend/")
    assert response.status_code == 409
    assert_no_content(response)
    detail = response.json()["detail"]
    assert f"Text #{message.pk}" in detail
    assert "to" in detail  # which field no longer passes, not its value
    assert OutboundMessage.objects.count() == 1


def test_resend_no_longer_valid_tells_a_viewer_the_whole_reason(sender_and_viewer, attentive):
    message = sent_to_gb()
    attentive(ALLOWED_REGIONS=["US"])
    response = sender_and_viewer.post(f"{MESSAGES}{message.pk}/resend/")
    assert response.status_code == 409
    assert "+44 74 00 123456" in response.json()["detail"] or STORED in response.json()["detail"]


def test_resend_of_a_body_no_longer_valid_does_not_quote_it(sender_only, attentive):
    message = send_message("+12015550123", "Hi {name}")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=Status.SENT, body="x" * 1601 + SECRET
    )
    response = sender_only.post(f"{MESSAGES}{message.pk}/resend/")
    assert response.status_code == 409
    assert_no_content(response, "xxxx", "+12015550123")
    assert "body" in response.json()["detail"]


def test_resend_of_an_event_no_longer_valid_does_not_quote_it(sender_only, attentive):
    event = send_custom_event(NUMBER, "Order Shipped", {"code": SECRET})
    OutboundMessage.objects.filter(pk=event.pk).update(status=Status.SENT)
    attentive(ALLOWED_REGIONS=["US"])
    response = sender_only.post(f"{MESSAGES}{event.pk}/resend/")
    assert response.status_code == 409
    assert_no_content(response, "Order Shipped")


@pytest.mark.parametrize("action", ["resend", "cancel"])
@pytest.mark.parametrize("status", [Status.QUEUED, Status.SENDING, Status.SENT])
def test_a_state_conflict_names_only_the_id_and_status(sender_only, action, status):
    message = sent_to_gb()
    OutboundMessage.objects.filter(pk=message.pk).update(status=status)
    response = sender_only.post(f"{MESSAGES}{message.pk}/{action}/")
    if response.status_code in (200, 201):
        assert set(response.json()) == {"id", "status"}
    else:
        assert response.status_code == 409
        assert f"Text #{message.pk} is" in response.json()["detail"]
    assert_no_content(response)


@pytest.mark.parametrize("action", ["resend", "cancel"])
def test_unknown_id_and_bad_key_say_nothing_of_any_text(sender_only, action):
    sent_to_gb()
    missing = sender_only.post(f"{MESSAGES}424242/{action}/")
    assert missing.status_code == 404
    assert_no_content(missing)
    pk = OutboundMessage.objects.get().pk
    bad_key = sender_only.post(f"{MESSAGES}{pk}/{action}/", HTTP_IDEMPOTENCY_KEY="has space")
    assert bad_key.status_code in (400, 409)  # cancel reads no key
    assert_no_content(bad_key)


def test_a_reused_key_on_send_does_not_quote_the_first_text(sender_only):
    first = sender_only.post(
        MESSAGES, {"to": NUMBER, "body": SECRET}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert first.status_code == 201
    again = sender_only.post(
        MESSAGES, {"to": "+12015550123", "body": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 422
    assert_no_content(again)
