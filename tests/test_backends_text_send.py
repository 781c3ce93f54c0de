"""The current API's transport: /v1/text/send payloads, its errors, and the brace rule."""

from __future__ import annotations

import json

import pytest
import responses
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from django_attentive import send_bulk, send_message
from django_attentive.backends.text_send import TextSendBackend
from django_attentive.exceptions import (
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    InvalidMessage,
    RateLimited,
    RecipientError,
    TransientError,
)
from django_attentive.models import OutboundMessage, Outcome, Status
from django_attentive.validation import forbidden_character_message

from .conftest import TOKEN

TEXT_SEND = "django_attentive.backends.text_send.TextSendBackend"
BRACE_WORDS = forbidden_character_message("{", "{}")


@pytest.fixture
def text_send(attentive) -> str:
    """Send through TextSendBackend to a base URL that `responses` mocks."""
    base_url = "https://attentive.test"
    attentive(BACKEND=TEXT_SEND, BASE_URL=base_url, API_TOKEN=TOKEN)
    return base_url + "/v1/text/send"


def send(payload: dict | None = None):
    payload = payload or {"to": "+12015550123", "subscriptionType": "MARKETING", "body": "Hi"}
    return TextSendBackend().send(payload)


# ----------------------------------------------------------------- payload shape


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_one_send_message_call_gives_each_transports_payload(attentive):
    """The same call, sent once per transport: the Messages API's fields, then text/send's."""
    attentive(BASE_URL="https://attentive.test", API_TOKEN=TOKEN)
    responses.post("https://attentive.test/v1/messages", json={})
    responses.post("https://attentive.test/v1/text/send", status=202)

    def sent_with(backend: str) -> dict:
        attentive(BACKEND=backend)
        send_message(
            "(201) 555-0123",
            "Your order shipped",
            media_url="https://shop.example/box.png",
            message_id="order-updates",
            transactional=True,
        )
        return json.loads(responses.calls[-1].request.body)

    assert sent_with("django_attentive.backends.http.HttpBackend") == {
        "to": "+12015550123",
        "body": "Your order shipped",
        "messageId": "order-updates",
        "type": "TRANSACTIONAL",
        "mediaUrl": "https://shop.example/box.png",
    }
    assert sent_with(TEXT_SEND) == {
        "to": "+12015550123",
        "subscriptionType": "TRANSACTIONAL",
        "body": "Your order shipped",
        "mediaUrl": "https://shop.example/box.png",
        "messageName": "order-updates",
    }
    assert list(OutboundMessage.objects.values_list("status", flat=True)) == [Status.SENT] * 2
    latest = OutboundMessage.objects.first().send_attempts.get()
    assert latest.request["subscriptionType"] == "TRANSACTIONAL"  # the send log keeps the wire body


def test_a_plain_text_is_marketing_with_text_send_options(attentive):
    attentive(TEXT_SEND={"messageName": "newsletter", "useShortLinks": True, "skipFatigue": False})
    message = OutboundMessage(to="+12015550123", body="Sale!")
    assert TextSendBackend().build_payload(message.outgoing()) == {
        "to": "+12015550123",
        "subscriptionType": "MARKETING",
        "body": "Sale!",
        "messageName": "newsletter",
        "useShortLinks": True,
        "skipFatigue": False,
    }


def test_a_messages_message_id_overrides_the_configured_message_name(attentive):
    attentive(TEXT_SEND={"messageName": "newsletter"})
    message = OutboundMessage(to="+12015550123", body="Hi", message_id="spring-sale")
    assert TextSendBackend().build_payload(message.outgoing())["messageName"] == "spring-sale"


@responses.activate
def test_base_url_defaults_to_the_current_apis_host(settings):
    settings.ATTENTIVE = {"BACKEND": TEXT_SEND, "API_TOKEN": TOKEN}
    responses.post("https://api.attentivemobile.com/v1/text/send", status=202)
    assert send().status_code == 202
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_an_explicit_base_url_wins(text_send):
    responses.post(text_send, status=202)
    assert send().status_code == 202


def test_missing_token_names_the_custom_apps_api_key(attentive):
    attentive(BACKEND=TEXT_SEND, API_TOKEN="")
    with pytest.raises(ConfigurationError, match="custom app"):
        send()


# ----------------------------------------------------------------- errors


@responses.activate
def test_json_error_gives_its_message_and_id(text_send):
    responses.post(
        text_send,
        json={"error": {"id": "e-42", "message": "Invalid subscriptionType"}},
        status=400,
    )
    with pytest.raises(BadRequest) as caught:
        send()
    assert "Invalid subscriptionType" in str(caught.value)
    assert "e-42" in str(caught.value)
    assert caught.value.status_code == 400


@responses.activate
def test_json_error_about_an_opted_out_number_is_a_recipient_error(text_send):
    responses.post(
        text_send, json={"error": {"id": "e-1", "message": "Subscriber is opted-out"}}, status=400
    )
    with pytest.raises(RecipientError, match="opted-out"):
        send()


@responses.activate
def test_plain_text_error_is_kept_as_the_reason(text_send):
    responses.post(text_send, body="Bad Request: body is required", status=400)
    with pytest.raises(BadRequest, match="body is required"):
        send()


@responses.activate
def test_error_with_an_unexpected_json_shape_is_shown_whole(text_send):
    responses.post(text_send, json={"error": {"code": 7}}, status=400)
    with pytest.raises(BadRequest, match='"code": 7'):
        send()


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_refused_api_key_is_an_authentication_error(text_send, status):
    responses.post(text_send, json={"error": {"id": "x", "message": "Unauthorized"}}, status=status)
    with pytest.raises(AuthenticationError, match="Unauthorized"):
        send()


@responses.activate
def test_429_records_the_rate_limit_headers_and_is_transient(text_send):
    responses.post(
        text_send,
        json={"error": {"id": "r-1", "message": "Too many requests"}},
        status=429,
        headers={"x-ratelimit-limit": "150", "x-ratelimit-remaining": "0"},
    )
    with pytest.raises(RateLimited) as caught:
        send()
    error = caught.value
    assert isinstance(error, TransientError)
    assert (error.limit, error.remaining, error.retry_after) == (150, 0, 1.0)
    assert "limit 150/s, 0 remaining" in str(error)


@responses.activate
def test_429_with_retry_after_keeps_it(text_send):
    responses.post(text_send, body="slow down", status=429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        send()
    assert (caught.value.limit, caught.value.retry_after) == (None, 7.0)


@responses.activate
def test_custom_events_go_to_their_own_endpoint(text_send):
    responses.post("https://attentive.test/v1/events/custom", status=204)
    payload = {
        "type": "Order Placed",
        "properties": {"orderNumber": "1001"},
        "externalEventId": "order:shop.order:1:placed",
        "occurredAt": "2026-01-01T12:00:00.000Z",
        "user": {"phone": "+12015550123"},
    }
    assert TextSendBackend().send_event(payload).status_code == 204
    assert json.loads(responses.calls[0].request.body) == payload


# ----------------------------------------------------------------- 429 through the worker


@pytest.mark.django_db(transaction=True)
def test_429_from_the_fake_is_retried_by_the_worker(fake, attentive):
    from django.utils import timezone

    from django_attentive.sending.worker import Worker

    attentive(BACKEND=TEXT_SEND)
    send_bulk(["+12015550123"], "Sale starts now")
    fake.fail_next(
        429, "Too many requests", headers={"x-ratelimit-limit": "150", "x-ratelimit-remaining": "0"}
    )

    Worker(concurrency=1).run()

    message = OutboundMessage.objects.get()
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert "limit 150/s, 0 remaining" in message.last_error
    attempt = message.send_attempts.get()
    assert (attempt.status_code, attempt.outcome) == (429, Outcome.RETRY)
    assert json.loads(attempt.response_body)["error"]["message"] == "Too many requests"

    OutboundMessage.objects.update(next_attempt_at=timezone.now())
    Worker(concurrency=1).run()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert [m["body"] for m in fake.records("/v1/text/send")] == ["Sale starts now"]


# ----------------------------------------------------------------- the brace rule


@pytest.fixture
def braces_refused(attentive):
    attentive(BACKEND=TEXT_SEND)


def test_brace_message_names_the_field_and_what_to_do():
    assert BRACE_WORDS.startswith("The body contains '{'")
    assert "/v1/text/send" in BRACE_WORDS
    assert "Remove the braces" in BRACE_WORDS


@pytest.mark.django_db
def test_send_message_refuses_braces_on_text_send(braces_refused):
    with pytest.raises(InvalidMessage) as caught:
        send_message("+12015550123", "Your code is {1234}")
    assert caught.value.message_dict == {"body": [BRACE_WORDS]}
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_closing_brace_alone_is_refused_too(braces_refused):
    with pytest.raises(InvalidMessage, match="'}'"):
        send_message("+12015550123", "Smile :}")


@pytest.mark.django_db
def test_send_bulk_refuses_braces_on_text_send(braces_refused):
    with pytest.raises(InvalidMessage) as caught:
        send_bulk(["+12015550123", "+12015550124"], "Hi {name}")
    assert caught.value.message_dict == {"body": [BRACE_WORDS]}
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_braces_are_fine_on_the_messages_api(attentive):
    attentive(BACKEND="django_attentive.backends.locmem.LocmemBackend")
    assert send_message("+12015550123", "Your code is {1234}").body == "Your code is {1234}"


def _user_with(*codenames: str):
    user = get_user_model().objects.create_user("sender", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    return user


@pytest.mark.django_db
def test_rest_api_answers_400_with_the_same_words(braces_refused):
    client = APIClient()
    client.force_login(_user_with("send_message", "view_outboundmessage"))
    response = client.post(
        "/attentive/api/messages/",
        {"to": "+12015550123", "body": "Hi {name}"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"body": [BRACE_WORDS]}
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_compose_form_shows_the_same_words(braces_refused):
    client = Client()
    client.force_login(_user_with("send_message", "view_outboundmessage"))
    response = client.post(
        reverse("admin:django_attentive_outboundmessage_compose"),
        {"recipients": "+12015550123", "body": "Hi {name}", "token": "t1", "_send": "1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["body"] == [BRACE_WORDS]
    assert OutboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_compose_counter_is_told_which_characters_the_transport_refuses(braces_refused):
    client = Client()
    client.force_login(_user_with("send_message", "view_outboundmessage"))
    page = client.get(reverse("admin:django_attentive_outboundmessage_compose"))
    config = page.context["counter_config"]
    assert config["forbidden_characters"] == "{}"
    assert config["forbidden_message"].replace("%s", "{") == BRACE_WORDS


@pytest.mark.django_db
def test_compose_counter_refuses_nothing_on_the_messages_api(attentive):
    from django_attentive.admin.compose import counter_config

    attentive(BACKEND="django_attentive.backends.http.HttpBackend")
    assert counter_config()["forbidden_characters"] == ""


# ----------------------------------------------------------------- system checks


def _check_ids() -> set[str]:
    return {message.id for message in run_checks(tags=["django_attentive"])}


def test_short_links_without_a_message_name_is_a_check_error(attentive):
    attentive(BACKEND=TEXT_SEND, TEXT_SEND={"useShortLinks": True})
    assert "django_attentive.E021" in _check_ids()
    attentive(TEXT_SEND={"useShortLinks": True, "messageName": "order-updates"})
    assert "django_attentive.E021" not in _check_ids()


def test_unknown_text_send_key_is_a_check_error(attentive):
    attentive(TEXT_SEND={"message_name": "x"})
    assert "django_attentive.E023" in _check_ids()


def test_text_send_without_an_api_key_is_a_check_error(attentive):
    attentive(BACKEND=TEXT_SEND, API_TOKEN="")
    assert "django_attentive.E001" in _check_ids()


def test_text_send_default_host_is_https(settings):
    settings.ATTENTIVE = {"BACKEND": TEXT_SEND, "API_TOKEN": TOKEN}
    assert "django_attentive.W002" not in _check_ids()
