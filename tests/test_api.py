"""The REST API: each endpoint, its permissions, idempotency and the bad-input table."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from django_attentive import send_message
from django_attentive.api.idempotency import stored_key
from django_attentive.api.throttling import AttentiveRateThrottle
from django_attentive.api.views import MessageViewSet
from django_attentive.backends import locmem
from django_attentive.exceptions import InvalidMessage
from django_attentive.keys import fitting
from django_attentive.models import OutboundMessage, SendAttempt, Source, Status
from django_attentive.sending.delivery import deliver
from django_attentive.validation import validate_message

pytestmark = pytest.mark.django_db

MESSAGES = "/attentive/api/messages/"
ROOT = Path(__file__).resolve().parent.parent
TEXT = {"to": "+1 201 555 0123", "body": "Your order #1001 shipped"}


def detail(pk: object, action: str = "") -> str:
    return f"{MESSAGES}{pk}/" + (f"{action}/" if action else "")


def make_user(username: str, *codenames: str):
    user = get_user_model().objects.create_user(username, password="pw")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sender():
    return make_user("sender", "send_message", "view_outboundmessage")


@pytest.fixture
def api(sender) -> APIClient:
    return client_for(sender)


def post(api: APIClient, payload: object, **headers: str):
    # json.dumps escapes lone surrogates (\ud800), which DRF's test renderer cannot encode.
    return api.post(MESSAGES, json.dumps(payload), content_type="application/json", headers=headers)


def sent_message(body: str = "Shipped") -> OutboundMessage:
    message = send_message("+12015550123", body)
    deliver(message.pk)
    message.refresh_from_db()
    assert message.status == Status.SENT
    return message


# --- POST messages/


def test_post_queues_a_text_and_answers_201_with_the_message(api, sender):
    response = post(api, TEXT)
    assert response.status_code == 201
    data = response.json()
    message = OutboundMessage.objects.get()
    assert data["id"] == message.pk
    assert data["status"] == "queued"
    assert data["to"] == "+12015550123"
    assert data["body"] == TEXT["body"]
    assert data["createdAt"] and data["updatedAt"] and data["sentAt"] is None
    assert data["source"] == "api"
    assert message.source == Source.API
    assert message.created_by == sender


def test_post_sends_the_text_after_commit(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api,
            {
                **TEXT,
                "messageId": "order-1001",
                "type": "TRANSACTIONAL",
                "mediaUrl": "https://shop.example/parcel.png",
            },
        )
    assert response.status_code == 201
    assert locmem.outbox == [
        {
            "to": "+12015550123",
            "body": TEXT["body"],
            "messageId": "order-1001",
            "type": "TRANSACTIONAL",
            "mediaUrl": "https://shop.example/parcel.png",
        }
    ]
    assert OutboundMessage.objects.get().status == Status.SENT


def test_post_with_send_at_holds_the_text_until_then(api, django_capture_on_commit_callbacks):
    later = timezone.now() + timezone.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, {**TEXT, "sendAt": later.isoformat()})
    assert response.status_code == 201
    assert response.json()["nextAttemptAt"] == later.isoformat().replace("+00:00", "Z")
    assert locmem.outbox == []


@pytest.mark.parametrize(
    ("send_at", "status_code"),
    [
        ("9999-12-31T23:00:00Z", 201),  # 23:00 in London: quiet until a morning in year 10000
        ("9999-12-31T23:59:59.999999Z", 201),
        ("9999-12-31T03:00:00Z", 201),  # held until 08:00 that last morning
        ("9999-12-31T23:00:00-14:00", 400),  # year 10000 in UTC
        ("0001-01-01T00:00:00Z", 201),  # in the past: now
        ("0001-01-01T00:00:00+14:00", 400),  # year 0 in UTC
    ],
)
@pytest.mark.parametrize("to", ["+1 201 555 0123", "+44 20 7946 0000", "+1 800 555 0199"])
def test_send_at_at_the_ends_of_the_calendar_is_never_a_500_with_quiet_hours_on(
    api, attentive, to, send_at, status_code
):
    attentive(QUIET_HOURS=("21:00", "08:00"))
    response = post(api, {**TEXT, "to": to, "sendAt": send_at})
    assert response.status_code == status_code, response.content
    assert OutboundMessage.objects.count() == (1 if status_code == 201 else 0)


@pytest.mark.django_db(transaction=True)
def test_post_outside_a_transaction_answers_with_the_outcome(api):
    # In autocommit, delivery runs inside send_message; the answer shows it, not a stale "queued".
    data = post(api, TEXT).json()
    assert data["status"] == "sent"
    assert data["attempts"] == 1
    assert len(locmem.outbox) == 1


def test_post_answers_optional_fields_as_null(api):
    data = post(api, TEXT).json()
    assert data["messageId"] is None
    assert data["type"] is None
    assert data["mediaUrl"] is None
    assert data["lastError"] is None
    assert data["resentFrom"] is None


def test_post_reads_a_number_given_as_json_number(api):
    response = post(api, {"to": 2015550123, "body": "Hi"})
    assert response.status_code == 201
    assert response.json()["to"] == "+12015550123"


def test_post_accepts_unicode_and_emoji(api):
    response = post(api, {**TEXT, "body": "Merci ! Ваш заказ 📦 ✓"})
    assert response.status_code == 201
    assert OutboundMessage.objects.get().body == "Merci ! Ваш заказ 📦 ✓"


def test_post_reads_form_data_as_unsupported(api):
    response = api.post(MESSAGES, TEXT)  # multipart
    assert response.status_code == 415
    assert OutboundMessage.objects.count() == 0


# --- the bad-input table ------------------------------------------------------------------


def validation_words(**fields: object) -> dict[str, list[str]]:
    """What validation.py says about these fields, under the API's names."""
    names = {"media_url": "mediaUrl", "message_id": "messageId", "message_type": "type"}
    values = {"to": "+12015550123", "body": "Hi", **fields}
    with pytest.raises(InvalidMessage) as caught:
        validate_message(values.pop("to"), values.pop("body"), **values)
    return {names.get(k, k): v for k, v in caught.value.message_dict.items()}


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"body": "Hi"}, {"to": None}),
        ({"to": "12345", "body": "Hi"}, {"to": "12345"}),
        ({"to": "+33 6 12 34 56 78", "body": "Hi"}, {"to": "+33 6 12 34 56 78"}),
        ({"to": None, "body": "Hi"}, {"to": None}),
        ({"to": "+12015550123"}, {"body": None}),
        ({"to": "+12015550123", "body": ""}, {"body": ""}),
        ({"to": "+12015550123", "body": "   "}, {"body": "   "}),
        ({"to": "+12015550123", "body": "x" * 1601}, {"body": "x" * 1601}),
        (
            {**TEXT, "mediaUrl": "https://shop.example/a.bmp"},
            {"media_url": "https://shop.example/a.bmp"},
        ),
        (
            {**TEXT, "mediaUrl": "ftp://shop.example/a.png"},
            {"media_url": "ftp://shop.example/a.png"},
        ),
        ({**TEXT, "messageId": "m" * 256}, {"message_id": "m" * 256}),
        ({**TEXT, "type": "transactional"}, {"message_type": "transactional"}),
        ({**TEXT, "type": "MARKETING"}, {"message_type": "MARKETING"}),
    ],
)
def test_invalid_field_is_400_in_the_validation_words(api, payload, words):
    response = post(api, payload)
    assert response.status_code == 400
    field, value = next(iter(words.items()))
    if field == "to":
        expected = validation_words(to=value)
    elif field == "body":
        expected = validation_words(body=value)
    else:
        expected = validation_words(**{field: value})
    assert response.json() == expected
    assert OutboundMessage.objects.count() == 0


def test_a_media_url_with_a_space_in_its_host_is_400(api):
    response = post(api, {**TEXT, "mediaUrl": "https://exa mple.com/x.png"})
    assert response.status_code == 400
    assert "well-formed" in response.json()["mediaUrl"][0]
    assert OutboundMessage.objects.count() == 0


def test_every_invalid_field_is_reported_at_once(api):
    response = post(api, {"to": "12", "body": "", "mediaUrl": "x", "media_url": "y"})
    assert response.status_code == 400
    assert set(response.json()) == {"to", "body", "mediaUrl", "media_url"}


def test_unknown_field_with_a_lone_surrogate_is_echoed_escaped(api):
    response = post(api, {**TEXT, "\ud800": 1})
    assert response.status_code == 400
    assert list(response.json()) == ["\\ud800"]


def test_unknown_field_is_400_naming_the_right_ones(api):
    response = post(api, {**TEXT, "media_url": "https://shop.example/a.png"})
    assert response.status_code == 400
    assert response.json() == {
        "media_url": ["Unknown field; send only to, body, messageId, type, mediaUrl, sendAt."]
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**TEXT, "to": ["+12015550123"]}, "to"),
        ({**TEXT, "to": {"number": "+12015550123"}}, "to"),
        ({**TEXT, "to": True}, "to"),
        ({**TEXT, "body": ["Hi"]}, "body"),
        ({**TEXT, "body": "Hi\x00there"}, "body"),
        ({**TEXT, "body": "Hi \ud800"}, "body"),
        ({**TEXT, "messageId": "id\x00"}, "messageId"),
        ({**TEXT, "mediaUrl": "https://shop.example/\x00.png"}, "mediaUrl"),
        ({**TEXT, "type": 1}, "type"),
        ({**TEXT, "sendAt": "tomorrow"}, "sendAt"),
        ({**TEXT, "sendAt": 1700000000}, "sendAt"),
        ({**TEXT, "sendAt": "10000-01-01T00:00:00Z"}, "sendAt"),
        ({**TEXT, "sendAt": "0001-01-01T00:00:00+14:00"}, "sendAt"),
        ({**TEXT, "sendAt": "2030-02-30T00:00:00Z"}, "sendAt"),
    ],
)
def test_wrong_type_or_unstorable_value_is_400_on_its_field(api, payload, field):
    response = post(api, payload)
    assert response.status_code == 400
    assert field in response.json()
    assert OutboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"not json",
        b"null",
        b"[]",
        b'"to"',
        b"42",
        b'{"to": NaN, "body": "Hi"}',
        b"\xff\xfe\x00",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"to": "+12015550123", "body": "' + b"x" * 3_000_000 + b'"}',
        b'{"to": 1' + b"0" * 5000 + b', "body": "Hi"}',
    ],
    ids=[
        "empty",
        "truncated",
        "not-json",
        "null",
        "list",
        "string",
        "number",
        "nan",
        "bad-utf8",
        "nested-deep",
        "3mb-body",
        "5000-digit-number",
    ],
)
def test_malformed_or_absurd_json_is_400(api, raw):
    response = api.post(MESSAGES, raw, content_type="application/json")
    assert response.status_code == 400
    assert OutboundMessage.objects.count() == 0


# --- GET messages/


def test_list_is_newest_first(api):
    first = send_message("+12015550123", "first")
    second = send_message("+12015550124", "second")
    response = api.get(MESSAGES)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [second.pk, first.pk]


def test_list_filters_by_status(api):
    queued = send_message("+12015550123", "queued")
    sent = sent_message()
    assert [r["id"] for r in api.get(MESSAGES, {"status": "sent"}).json()["results"]] == [sent.pk]
    both = api.get(MESSAGES, {"status": "queued,sent"}).json()["results"]
    assert {r["id"] for r in both} == {queued.pk, sent.pk}


def test_list_normalizes_to_before_filtering(api):
    mine = send_message("+12015550123", "mine")
    send_message("+12015550199", "other")
    response = api.get(MESSAGES, {"to": "(201) 555-0123"})
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_list_filters_by_created_range(api):
    old = send_message("+12015550123", "old")
    new = send_message("+12015550123", "new")
    a_day_ago = timezone.now() - timezone.timedelta(days=1)
    OutboundMessage.objects.filter(pk=old.pk).update(created_at=a_day_ago)
    cutoff = (a_day_ago + timezone.timedelta(hours=1)).isoformat()
    after = api.get(MESSAGES, {"created_after": cutoff}).json()["results"]
    before = api.get(MESSAGES, {"created_before": cutoff}).json()["results"]
    assert [row["id"] for row in after] == [new.pk]
    assert [row["id"] for row in before] == [old.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "delivered"}, "status"),
        ({"status": ","}, "status"),
        ({"status": ""}, "status"),  # present but empty: not a status
        ({"to": ""}, "to"),
        ({"status": "0"}, "status"),
        ({"status": "queued,"}, "status"),
        ({"status": "queued, sent"}, "status"),  # as the schema says: names and commas only
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"to": "not a number"}, "to"),
        ({"to": "+33 6 12 34 56 78"}, "to"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "0001-01-01T00:00:00+14:00"}, "created_before"),
        ({"created_after": "2024-01-01\x00"}, "created_after"),
    ],
)
def test_list_with_a_bad_filter_is_400(api, params, field):
    response = api.get(MESSAGES, params)
    assert response.status_code == 400
    assert field in response.json()


def test_list_pages_with_a_cursor(api):
    ids = [send_message("+12015550123", f"text {n}").pk for n in range(5)]
    page = api.get(MESSAGES, {"page_size": 2}).json()
    seen = [row["id"] for row in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == ids[::-1]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.b64encode(b"p=abc").decode(),
        base64.b64encode(b"p=1%00").decode(),
        base64.b64encode(b"o=-1").decode(),
    ],
)
def test_list_with_a_forged_cursor_is_404(api, cursor):
    send_message("+12015550123", "Hi")
    assert api.get(MESSAGES, {"cursor": cursor}).status_code == 404


# --- GET messages/{id}/


def test_retrieve_shows_the_message_with_its_attempts(api):
    message = sent_message("Shipped")
    response = api.get(detail(message.pk))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == message.pk
    assert data["status"] == "sent"
    assert data["attempts"] == 1
    assert data["sentAt"]
    [attempt] = data["sendAttempts"]
    stored = SendAttempt.objects.get()
    assert attempt == {
        "startedAt": stored.started_at.isoformat().replace("+00:00", "Z"),
        "durationMs": stored.duration_ms,
        "statusCode": 200,
        "outcome": "sent",
        "error": None,
        "request": {"to": "+12015550123", "body": "Shipped"},
        "responseBody": stored.response_body,
    }


@pytest.mark.parametrize("pk", ["999", "abc", "1.5", "99999999999999999999999", "-1"])
def test_retrieve_unknown_id_is_404(api, pk):
    assert api.get(f"{MESSAGES}{pk}/").status_code == 404


@pytest.mark.parametrize("action", ["", "resend", "cancel"])
@pytest.mark.parametrize(
    "pk", ["abc", "1.5", "-1", "0", "%C2%84", "9223372036854775808", "1" * 25, "1e3"]
)
def test_an_id_no_text_can_have_is_a_json_404_never_html(api, pk, action):
    url = f"{MESSAGES}{pk}/" + (f"{action}/" if action else "")
    response = api.get(url) if not action else api.post(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No text has this id; ids are whole numbers from 1."}


def test_the_largest_id_is_looked_up_not_refused(api):
    assert api.get(f"{MESSAGES}{2**63 - 1}/").json() == {
        "detail": "No OutboundMessage matches the given query."
    }


# --- POST messages/{id}/resend/ and cancel/


def test_resend_queues_a_copy_linked_to_the_original(api, sender):
    original = sent_message("Shipped")
    response = api.post(detail(original.pk, "resend"))
    assert response.status_code == 201
    data = response.json()
    assert data["id"] != original.pk
    assert data["resentFrom"] == original.pk
    assert data["status"] == "queued"
    assert (data["to"], data["body"]) == ("+12015550123", "Shipped")
    assert OutboundMessage.objects.get(pk=data["id"]).created_by == sender


def test_resend_with_the_same_idempotency_key_queues_one_copy(api):
    original = sent_message("Shipped")
    first = api.post(detail(original.pk, "resend"), HTTP_IDEMPOTENCY_KEY="resend-1")
    again = api.post(detail(original.pk, "resend"), HTTP_IDEMPOTENCY_KEY="resend-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert OutboundMessage.objects.filter(resent_from=original).count() == 1


def test_resend_of_a_text_without_outcome_is_409(api):
    queued = send_message("+12015550123", "Hi")
    response = api.post(detail(queued.pk, "resend"))
    assert response.status_code == 409
    assert "still queued" in response.json()["detail"]
    assert OutboundMessage.objects.count() == 1


def test_cancel_stops_a_queued_text(api, django_capture_on_commit_callbacks):
    queued = send_message("+12015550123", "Hi")
    response = api.post(detail(queued.pk, "cancel"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert deliver(queued.pk) is None
    assert locmem.outbox == []


def test_cancel_of_a_sent_text_is_409_saying_why(api):
    message = sent_message()
    response = api.post(detail(message.pk, "cancel"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Text #{message.pk} is sent; only queued texts can be cancelled."
    }


@pytest.mark.parametrize("action", ["resend", "cancel"])
def test_action_on_unknown_id_is_404(api, action):
    assert api.post(detail(424242, action)).status_code == 404


# --- idempotency


def test_retried_post_with_the_same_key_returns_the_first_answer_and_sends_once(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, TEXT, **{"Idempotency-Key": "order-1001-shipped"})
    with django_capture_on_commit_callbacks(execute=True):
        again = post(api, TEXT, **{"Idempotency-Key": "order-1001-shipped"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert OutboundMessage.objects.count() == 1
    assert len(locmem.outbox) == 1


def test_same_key_compares_normalized_content(api):
    first = post(api, TEXT, **{"Idempotency-Key": "k1"})
    again = post(api, {**TEXT, "to": "(201) 555-0123"}, **{"Idempotency-Key": "k1"})
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


def test_same_key_with_different_content_is_422_and_sends_nothing(api):
    post(api, TEXT, **{"Idempotency-Key": "k1"})
    response = post(api, {**TEXT, "body": "Something else"}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert "different content" in response.json()["detail"]
    assert OutboundMessage.objects.count() == 1


def test_keys_are_per_user(api):
    other = client_for(make_user("other", "send_message"))
    first = post(api, TEXT, **{"Idempotency-Key": "k1"})
    second = post(other, TEXT, **{"Idempotency-Key": "k1"})
    assert first.json()["id"] != second.json()["id"]
    assert OutboundMessage.objects.get(pk=first.json()["id"]).idempotency_key.startswith("api:")


def test_a_rejected_post_does_not_use_up_its_key(api):
    assert post(api, {**TEXT, "to": "12"}, **{"Idempotency-Key": "k1"}).status_code == 400
    assert post(api, TEXT, **{"Idempotency-Key": "k1"}).status_code == 201


@pytest.mark.parametrize("key", ["", "has space", "k" * 201, "naïve", "nul\x00"])
def test_unusable_idempotency_key_is_400(api, key):
    response = api.post(MESSAGES, TEXT, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert OutboundMessage.objects.count() == 0


def test_a_255_character_key_is_400_not_a_database_error(api):
    original = sent_message("Shipped")
    key = "k" * 255  # the column's length; the header takes at most 200
    assert api.post(MESSAGES, TEXT, format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 400
    assert api.post(detail(original.pk, "resend"), HTTP_IDEMPOTENCY_KEY=key).status_code == 400
    assert OutboundMessage.objects.count() == 1


def test_the_longest_key_works_for_send_and_resend(api):
    key = "k" * 200
    first = post(api, TEXT, **{"Idempotency-Key": key})
    assert post(api, TEXT, **{"Idempotency-Key": key}).json()["id"] == first.json()["id"]
    OutboundMessage.objects.filter(pk=first.json()["id"]).update(status=Status.SENT)
    copy = api.post(detail(first.json()["id"], "resend"), HTTP_IDEMPOTENCY_KEY=key)
    again = api.post(detail(first.json()["id"], "resend"), HTTP_IDEMPOTENCY_KEY=key)
    assert (copy.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == copy.json()["id"]
    assert OutboundMessage.objects.count() == 2


def key_request(user_pk: object, key: str) -> SimpleNamespace:
    """What stored_key reads of a request: the header and the user's pk."""
    return SimpleNamespace(headers={"Idempotency-Key": key}, user=SimpleNamespace(pk=user_pk))


def test_ordinary_keys_are_stored_as_given():
    request = key_request(7, "order-1001-shipped")
    assert stored_key(request) == "api:7:order-1001-shipped"
    assert stored_key(request, operation="resend:12") == "api:7:order-1001-shipped resend:12"


def test_a_create_key_never_meets_a_resend_key(api):
    """A client key may contain ':' but never a space, the resend scope's separator."""
    original = sent_message("Shipped")
    text = post(api, TEXT, **{"Idempotency-Key": f"k:resend:{original.pk}"}).json()
    response = api.post(detail(original.pk, "resend"), HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert response.json()["id"] != text["id"]
    assert (response.json()["resentFrom"], response.json()["body"]) == (original.pk, "Shipped")
    assert OutboundMessage.objects.filter(resent_from=original).count() == 1


@pytest.mark.parametrize("user_pk", [7, "u" * 150], ids=["as-given", "hashed"])
def test_stored_create_and_resend_keys_differ_as_given_or_hashed(user_pk):
    key = "k" * 100
    create = stored_key(key_request(user_pk, f"{key}:resend:12"))
    assert create == fitting(f"api:{user_pk}:{key}:resend:12", "api")  # create keys unchanged
    assert create.startswith("api:sha256:") == (user_pk != 7)
    assert stored_key(key_request(user_pk, key), operation="resend:12") != create


@pytest.mark.parametrize(
    "user_pk",
    [uuid.UUID("6f1c2a9e-8d4b-4c3a-9e2f-1a2b3c4d5e6f"), "u" * 150, 2**63 - 1],
    ids=["uuid", "150-char-string", "largest-bigint"],
)
@pytest.mark.parametrize("operation", ["", f"resend:{2**63 - 1}"], ids=["send", "resend"])
def test_stored_keys_always_fit_the_column(user_pk, operation):
    request = key_request(user_pk, "k" * 200)
    key = stored_key(request, operation=operation)
    assert len(key) <= OutboundMessage._meta.get_field("idempotency_key").max_length
    assert stored_key(request, operation=operation) == key  # a retry finds it
    assert stored_key(key_request(user_pk, "k" * 199 + "j"), operation=operation) != key
    # PostgreSQL refuses a longer value with an error; SQLite would store it.
    OutboundMessage.objects.create(to="+12015550123", body="Hi", idempotency_key=key)


def test_a_hashed_key_still_tells_operations_apart():
    request = key_request(uuid.uuid4(), "k" * 200)
    keys = {stored_key(request, operation=f"resend:{pk}") for pk in (10**7, 10**7 + 1)}
    assert len(keys) == 2
    assert all(key.startswith("api:sha256:") for key in keys)


def test_post_without_key_twice_sends_twice(api):
    post(api, TEXT)
    post(api, TEXT)
    assert OutboundMessage.objects.count() == 2


# --- permissions and authentication


ENDPOINTS = [
    ("get", MESSAGES, "view_outboundmessage"),
    ("get", "{detail}", "view_outboundmessage"),
    ("post", MESSAGES, "send_message"),
    ("post", "{detail}resend/", "send_message"),
    ("post", "{detail}cancel/", "send_message"),
]


def call(client: APIClient, method: str, url: str, message: OutboundMessage):
    url = url.format(detail=detail(message.pk))
    return getattr(client, method)(url, TEXT if url == MESSAGES else None, format="json")


@pytest.mark.parametrize(("method", "url", "needed"), ENDPOINTS)
def test_anonymous_is_refused(method, url, needed):
    # 403 with DRF's default SessionAuthentication first; 401 when a token scheme comes first.
    response = call(APIClient(), method, url, sent_message())
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(("method", "url", "needed"), ENDPOINTS)
def test_user_without_the_permission_is_403_naming_it(method, url, needed):
    message = sent_message()
    other = "send_message" if needed == "view_outboundmessage" else "view_outboundmessage"
    client = client_for(make_user("clerk", other))
    response = call(client, method, url, message)
    assert response.status_code == 403
    assert f"django_attentive.{needed}" in response.json()["detail"]


@pytest.mark.parametrize(("method", "url", "needed"), ENDPOINTS)
def test_user_with_only_the_needed_permission_is_let_in(method, url, needed):
    message = send_message("+12015550123", "Hi") if "cancel" in url else sent_message()
    client = client_for(make_user("clerk", needed))
    assert call(client, method, url, message).status_code in (200, 201)


@pytest.mark.parametrize(
    ("method", "url"), [(m, u) for m, u, needed in ENDPOINTS if needed == "send_message"]
)
def test_a_sender_who_may_not_read_is_answered_only_id_and_status(method, url):
    """Reading a text needs view_outboundmessage, also through the answer to an action."""
    message = send_message("+12015550123", "Secret") if "cancel" in url else sent_message("Secret")
    response = call(client_for(make_user("clerk", "send_message")), method, url, message)
    assert response.status_code in (200, 201)
    data = response.json()
    assert set(data) == {"id", "status"}
    stored = OutboundMessage.objects.get(pk=data["id"])
    assert data["status"] == stored.status
    assert "Secret" not in response.content.decode()
    assert "+12015550123" not in response.content.decode()


def test_a_replay_for_a_sender_who_may_not_read_is_answered_only_id_and_status():
    clerk = client_for(make_user("clerk", "send_message"))
    first = post(clerk, TEXT, **{"Idempotency-Key": "k1"})
    again = post(clerk, TEXT, **{"Idempotency-Key": "k1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json() == {"id": again.json()["id"], "status": "queued"}
    assert set(again.json()) == {"id", "status"}


def test_superuser_may_do_everything():
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    assert post(client_for(admin), TEXT).status_code == 201
    assert client_for(admin).get(MESSAGES).status_code == 200


def test_authentication_comes_from_the_projects_drf_settings(settings, sender):
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"]
    }
    assert client_for(sender).get(MESSAGES).status_code == 401  # the session is not accepted
    basic = APIClient()
    basic.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"sender:pw").decode())
    assert basic.get(MESSAGES).status_code == 200


# --- throttling


def test_attentive_throttle_scope_limits_requests(settings, api):
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"attentive": "2/min"}}
    assert [api.get(MESSAGES).status_code for _ in range(3)] == [200, 200, 429]


def test_no_rate_for_the_scope_means_no_throttling(settings, api):
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"other": "1/min"},
    }
    assert {api.get(MESSAGES).status_code for _ in range(5)} == {200}


def test_projects_default_throttles_are_kept_beside_the_scope(settings):
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": [
            "rest_framework.throttling.UserRateThrottle",
            "rest_framework.throttling.ScopedRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {"user": "100/min", "attentive": "10/min"},
    }
    throttles = [type(throttle) for throttle in MessageViewSet().get_throttles()]
    assert throttles == [UserRateThrottle, AttentiveRateThrottle]  # the scope counted once


# --- browsable API, OPTIONS and the schema


def test_browsable_api_renders(api):
    send_message("+12015550123", "Hi")
    assert api.get(MESSAGES, HTTP_ACCEPT="text/html").status_code == 200
    assert (
        api.get(detail(OutboundMessage.objects.get().pk), HTTP_ACCEPT="text/html").status_code
        == 200
    )


def test_options_describes_the_post_fields(api):
    fields = api.options(MESSAGES).json()["actions"]["POST"]
    assert list(fields) == ["to", "body", "messageId", "type", "mediaUrl", "sendAt"]


def run_example_project(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_project_openapi_schema_is_valid_and_the_docs_render():
    pytest.importorskip("drf_spectacular")
    result = run_example_project(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json"
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert set(schema["paths"]) >= {
        "/attentive/api/messages/",
        "/attentive/api/messages/{id}/",
        "/attentive/api/messages/{id}/resend/",
        "/attentive/api/messages/{id}/cancel/",
    }
    create = schema["paths"]["/attentive/api/messages/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert set(create["responses"]) >= {"201", "400", "401", "403", "415", "422", "429"}
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")["schema"]
    assert (key["pattern"], key["maxLength"]) == ("^[\\x21-\\x7e]{1,200}$", 200)
    listing = schema["paths"]["/attentive/api/messages/"]["get"]["parameters"]
    status = next(p for p in listing if p["name"] == "status")
    assert status["schema"]["items"]["enum"] == list(Status.values)
    assert (status["style"], status["explode"]) == ("form", False)
    resend = schema["paths"]["/attentive/api/messages/{id}/resend/"]["post"]
    [pk] = [p for p in resend["parameters"] if p["name"] == "id"]
    assert pk["schema"]["type"] == "integer"
    assert set(resend["responses"]) >= {"201", "400", "401", "403", "404", "409", "429"}
    assert "Retry-After" in resend["responses"]["429"]["headers"]
    pages = run_example_project(
        "shell",
        "-c",
        "from django.test import Client; c = Client(HTTP_HOST='127.0.0.1'); "
        "docs = c.get('/api/docs/'); html = docs.content.decode(); "
        "print(c.get('/api/schema/').status_code, docs.status_code, "
        "'/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js' in html, "
        "'cdn.' in html)",
    )
    # Swagger UI comes from the sidecar's static files, not a CDN (offline machines, CI).
    assert pages.stdout.splitlines()[-1:] == ["200 200 True False"], pages.stderr
