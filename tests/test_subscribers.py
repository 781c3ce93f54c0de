"""subscribe() and unsubscribe(): Attentive's request shapes, keys, bad input, the suppression list.

The shapes below are encoded from Attentive's OpenAPI description (``AddSubscriptionsRequestDto``,
``UnsubscribeSubscriptionsRequestDto``, ``UserDto1``, ``NewExternalIdentifierDto``,
``SubscriptionDto``), plus the optional fields its current reference adds to a subscribe
(``singleOptIn``, ``locale``, ``subscriptionType``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from django_attentive import subscribe, unsubscribe
from django_attentive.backends import locmem
from django_attentive.exceptions import InvalidMessage
from django_attentive.models import Kind, OutboundMessage, Status, Suppression

pytestmark = pytest.mark.django_db

PHONE = "+12015550123"
CONSENT = {
    "SHOP_NAME": "Acme",
    "TERMS_URL": "https://acme.test/terms",
    "PRIVACY_URL": "https://acme.test/privacy",
    "SIGN_UP_SOURCE_IDS": {"MARKETING": "357276", "TRANSACTIONAL": "357280"},
}

# ---------------------------------------------------------------- the spec's shapes

USER = {"type": "object", "properties": {"phone": "string", "email": "string"}}
SUBSCRIPTION = {
    "type": "object",
    "properties": {
        "type": ("MARKETING", "TRANSACTIONAL", "CHECKOUT_ABANDONED"),
        "channel": ("TEXT", "EMAIL"),
    },
}
SUBSCRIBE_REQUEST = {
    "type": "object",
    "required": ["user", "signUpSourceId"],
    "properties": {
        "user": USER,
        "signUpSourceId": "string",
        "externalIdentifiers": {
            "type": "object",
            "properties": {
                "clientUserId": "string",
                "shopifyId": "string",
                "klaviyoId": "string",
                "customIdentifiers": "array",
            },
        },
        # Attentive's current reference: optional, beside the OpenAPI file's three.
        "singleOptIn": "boolean",
        "subscriptionType": ("MARKETING", "TRANSACTIONAL"),
        "locale": {
            "type": "object",
            "required": ["language", "country"],
            "properties": {"language": "string", "country": "string"},
        },
    },
}
UNSUBSCRIBE_REQUEST = {
    "type": "object",
    "required": ["user"],
    "properties": {
        "user": USER,
        "subscriptions": {"type": "array", "items": SUBSCRIPTION},
        "notification": {"type": "object", "properties": {"language": "string"}},
    },
}
JSON_TYPES = {"string": str, "boolean": bool, "array": list}


def conforms(value: object, schema: object, where: str = "body") -> list[str]:
    """What in ``value`` breaks ``schema`` (types, enums, required and unknown keys)."""
    if isinstance(schema, tuple):  # an enum of strings
        return [] if value in schema else [f"{where}: {value!r} not in {schema}"]
    if isinstance(schema, str):
        ok = isinstance(value, JSON_TYPES[schema])
        return [] if ok else [f"{where}: not a {schema}"]
    assert isinstance(schema, dict)
    if schema["type"] == "array":
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        return [p for i, item in enumerate(value) for p in conforms(item, schema["items"], where)]
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    problems = [
        f"{where}.{key}: required" for key in schema.get("required", []) if key not in value
    ]
    for key, item in value.items():
        if key not in schema["properties"]:
            problems.append(f"{where}.{key}: not in the spec")
        else:
            problems += conforms(item, schema["properties"][key], f"{where}.{key}")
    return problems


def test_the_shape_checker_catches_what_it_should():
    bad = {"user": {"phone": 1}, "singleOptIn": "no", "extra": 1}
    assert len(conforms(bad, SUBSCRIBE_REQUEST)) == 4  # missing source, phone, flag, extra


@pytest.fixture(autouse=True)
def _consent_settings(attentive):
    attentive(CONSENT=CONSENT)


def test_subscribe_posts_attentives_shape_with_the_configured_sign_up_source(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        row = subscribe("(201) 555-0123", email="ada@example.com")
    ((path, payload),) = locmem.requests
    assert path == "/v1/subscriptions"
    assert payload == {
        "user": {"phone": PHONE, "email": "ada@example.com"},
        "signUpSourceId": "357276",
        "singleOptIn": False,
    }
    assert conforms(payload, SUBSCRIBE_REQUEST) == []
    row.refresh_from_db()
    assert (row.kind, row.to, row.status) == (Kind.SUBSCRIPTION, PHONE, Status.SENT)
    assert row.send_attempts.get().status_code == 202


def test_subscribe_transactional_uses_its_own_sign_up_source():
    row = subscribe(PHONE, subscription_type="TRANSACTIONAL")
    assert row.payload["signUpSourceId"] == "357280"


def test_a_user_becomes_client_user_id_and_a_locale_attentives_object():
    user = User.objects.create(username="ada")
    row = subscribe(PHONE, user=user, locale="fr_CA", single_opt_in=True, sign_up_source_id="9")
    assert row.payload["externalIdentifiers"] == {"clientUserId": str(user.pk)}
    assert row.payload["locale"] == {"language": "fr", "country": "CA"}
    assert row.payload["singleOptIn"] is True
    assert row.payload["signUpSourceId"] == "9"
    assert conforms(row.payload, SUBSCRIBE_REQUEST) == []


def shop_user_id(user: User) -> str:
    return f"shop-{user.username}"


def test_client_user_id_can_come_from_the_shops_function(attentive):
    attentive(CLIENT_USER_ID="tests.test_subscribers.shop_user_id")
    user = User.objects.create(username="ada")
    assert subscribe(PHONE, user=user).payload["externalIdentifiers"] == {
        "clientUserId": "shop-ada"
    }


def test_without_a_sign_up_source_a_locale_and_the_type_pick_the_unit(attentive):
    attentive(CONSENT={**CONSENT, "SIGN_UP_SOURCE_IDS": {}})
    row = subscribe(PHONE, locale="en-US")
    assert row.payload == {
        "user": {"phone": PHONE},
        "singleOptIn": False,
        "subscriptionType": "MARKETING",
        "locale": {"language": "en", "country": "US"},
    }


def test_the_same_key_twice_is_one_request(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = subscribe(PHONE, idempotency_key="signup:1")
        again = subscribe(PHONE, idempotency_key="signup:1")
    assert again.pk == first.pk
    assert len(locmem.requests) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "phone"),
        ({"phone": "+33 6 12 34 56 78"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"phone": PHONE, "email": "ada@"}, "email"),
        ({"email": "x" * 250 + "@a.com"}, "email"),
        ({"email": "ada\x00@example.com"}, "email"),
        ({"phone": PHONE, "subscription_type": "marketing"}, "subscription_type"),
        ({"phone": PHONE, "subscription_type": "PROMO"}, "subscription_type"),
        ({"phone": PHONE, "locale": "english"}, "locale"),
        ({"phone": PHONE, "single_opt_in": "yes"}, "single_opt_in"),
        ({"phone": PHONE, "sign_up_source_id": "x" * 65}, "sign_up_source_id"),
        ({"phone": PHONE, "user": User(username="unsaved")}, "user"),
    ],
)
def test_bad_input_names_the_argument_and_saves_nothing(kwargs, field):
    with pytest.raises(InvalidMessage) as raised:
        subscribe(**kwargs)
    assert field in raised.value.message_dict
    assert not OutboundMessage.objects.exists()


def test_no_sign_up_source_anywhere_says_which_setting(attentive):
    attentive(CONSENT={**CONSENT, "SIGN_UP_SOURCE_IDS": {}})
    with pytest.raises(InvalidMessage) as raised:
        subscribe(PHONE)
    assert "SIGN_UP_SOURCE_IDS" in str(raised.value.message_dict["sign_up_source_id"])
    assert not OutboundMessage.objects.exists()


# ---------------------------------------------------------------- unsubscribe


def test_unsubscribe_suppresses_the_number_before_attentive_is_asked():
    row = unsubscribe("(201) 555-0123")  # its delivery waits for a commit that never comes
    assert Suppression.objects.filter(number=PHONE, reason="opted_out").exists()
    assert row.kind == Kind.UNSUBSCRIPTION and row.status == Status.QUEUED
    assert row.payload == {"user": {"phone": PHONE}}
    assert conforms(row.payload, UNSUBSCRIBE_REQUEST) == []


def test_unsubscribe_stops_queued_texts_to_the_number():
    from django_attentive import send_message

    text = send_message(PHONE, "Sale!")
    unsubscribe(PHONE)
    text.refresh_from_db()
    assert text.status == Status.SUPPRESSED


def test_unsubscribe_from_some_types_names_them_on_the_text_channel(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        unsubscribe(PHONE, subscription_types=["MARKETING", "MARKETING", "CHECKOUT_ABANDONED"])
    ((path, payload),) = locmem.requests
    assert path == "/v1/subscriptions/unsubscribe"
    assert payload["subscriptions"] == [
        {"type": "MARKETING", "channel": "TEXT"},
        {"type": "CHECKOUT_ABANDONED", "channel": "TEXT"},
    ]
    assert conforms(payload, UNSUBSCRIBE_REQUEST) == []


def test_unsubscribe_by_user_alone_uses_their_email():
    user = User.objects.create(username="ada", email="ada@example.com")
    row = unsubscribe(user=user)
    assert row.payload == {"user": {"email": "ada@example.com"}}
    assert row.related == user
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": PHONE, "subscription_types": ["SPAM"]}, "subscription_types"),
        ({"phone": PHONE, "subscription_types": []}, "subscription_types"),
        ({"email": "nope"}, "email"),
    ],
)
def test_unsubscribe_bad_input_saves_nothing_and_suppresses_nobody(kwargs, field):
    with pytest.raises(InvalidMessage) as raised:
        unsubscribe(**kwargs)
    assert field in raised.value.message_dict
    assert not OutboundMessage.objects.exists()
    assert not Suppression.objects.exists()


# ---------------------------------------------------------------- against the fake, over HTTP


def test_the_fake_answers_202_with_attentives_response(fake, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = subscribe(PHONE, user=User.objects.create(username="ada"))
        gone = unsubscribe("+12015550124", subscription_types=["MARKETING"])
    for message in (row, gone):
        message.refresh_from_db()
        attempt = message.send_attempts.get()
        assert (message.status, attempt.status_code) == (Status.SENT, 202)
    answer = row.send_attempts.get().response_body
    assert '"subscriptionCreationStatus": "NEWLY_CREATED"' in answer
    assert [r["endpoint"] for r in fake.records()] == [
        "/v1/subscriptions",
        "/v1/subscriptions/unsubscribe",
    ]


def test_a_refused_subscription_fails_with_attentives_reason(
    fake, django_capture_on_commit_callbacks
):
    fake.fail_next(400, "No sign-up source matches")
    with django_capture_on_commit_callbacks(execute=True):
        row = subscribe(PHONE)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "No sign-up source matches" in row.last_error
    assert not Suppression.objects.exists()  # a refused subscription is not an opt-out


def test_an_old_suppression_is_not_touched_by_subscribe_itself():
    """Only a recorded consent may lift a suppression; subscribe() alone never does."""
    Suppression.objects.create(
        number=PHONE, reason="opted_out", last_opted_out_at=timezone.now() - timedelta(days=1)
    )
    subscribe(PHONE)
    assert Suppression.objects.filter(number=PHONE).exists()
