"""identify() and set_attributes(): Attentive's identity and custom-attribute endpoints, and
identifying customers when they log in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from django_attentive import identify, set_attributes
from django_attentive.backends import locmem
from django_attentive.exceptions import ConfigurationError, InvalidMessage
from django_attentive.identities import client_user_id
from django_attentive.models import Kind, OutboundMessage, Status
from django_attentive.sending.worker import Worker
from tests.attentive_schemas import validate

IDENTIFY = "/v1/identity-resolution/user-identifiers"
ATTRIBUTES = "/v1/attributes/custom"


def loyalty_id(user) -> str:
    return f"L-{user.pk}"


@pytest.fixture
def ada(db):
    return get_user_model().objects.create_user("ada", "ada@example.com", "pw")


def test_identify_links_the_users_id_to_their_email(ada):
    row = identify(ada, phone="201-555-0123")
    assert row.kind == Kind.IDENTITY and row.status == Status.QUEUED
    assert row.payload == {
        "clientUserId": str(ada.pk),
        "phone": "+12015550123",
        "email": "ada@example.com",
    }
    validate(IDENTIFY, row.payload)
    assert identify(ada, phone="+12015550123").pk == row.pk  # nothing new to tell
    assert identify(ada, email="ada@work.example").pk != row.pk


def test_client_user_id_follows_the_setting(ada, attentive):
    attentive(CLIENT_USER_ID="tests.test_identity.loyalty_id")
    assert client_user_id(ada) == f"L-{ada.pk}"
    assert identify(ada).payload["clientUserId"] == f"L-{ada.pk}"
    attentive(CLIENT_USER_ID="tests.nowhere")
    with pytest.raises(ConfigurationError, match="CLIENT_USER_ID"):
        client_user_id(ada)


@pytest.mark.django_db
def test_identify_needs_a_user_and_a_phone_or_email():
    anonymous = get_user_model()(username="x")
    with pytest.raises(InvalidMessage) as caught:
        identify(anonymous, email="a@b.co")
    assert "user" in caught.value.message_dict
    nobody = get_user_model().objects.create_user("nomail")
    with pytest.raises(InvalidMessage, match="phone or an email"):
        identify(nobody)
    assert not OutboundMessage.objects.exists()


def test_attributes_are_flat_values_about_one_person(ada):
    row = set_attributes(
        {"tier": "gold", "points": Decimal("10.50"), "vip": True, "since": date(2024, 1, 2)},
        user=ada,
    )
    assert row.payload == {
        "properties": {"tier": "gold", "points": 10.5, "vip": True, "since": "2024-01-02"},
        "user": {"email": "ada@example.com", "externalIdentifiers": {"clientUserId": str(ada.pk)}},
    }
    validate(ATTRIBUTES, row.payload)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [["M", "L"], {"size": "M"}, ("a",)])
def test_a_list_or_dict_attribute_is_refused(value):
    with pytest.raises(InvalidMessage) as caught:
        set_attributes({"sizes": value}, phone="+12015550123")
    assert "flat values only" in caught.value.message_dict["properties"][0]
    with pytest.raises(InvalidMessage, match="phone or an email"):
        set_attributes({"tier": "gold"})
    assert not OutboundMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_identity_and_attributes_reach_the_fake(fake):
    ada = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    identify(ada)
    set_attributes({"tier": "gold"}, user=ada)
    assert Worker(concurrency=1).run().counts["sent"] == 2
    assert [r["clientUserId"] for r in fake.records(IDENTIFY)] == [str(ada.pk)]
    assert [r["properties"] for r in fake.records(ATTRIBUTES)] == [{"tier": "gold"}]


def test_logging_in_identifies_only_when_turned_on(ada, client, attentive):
    client.login(username="ada", password="pw")
    assert not OutboundMessage.objects.exists()
    attentive(IDENTIFY_ON_LOGIN=True)
    client.login(username="ada", password="pw")
    assert OutboundMessage.objects.get().payload["clientUserId"] == str(ada.pk)
    assert locmem.requests == []  # never posted inside the login


def test_a_changed_email_is_identified(ada, attentive):
    attentive(IDENTIFY_ON_LOGIN=True)
    ada.first_name = "Ada"
    ada.save()
    assert not OutboundMessage.objects.exists()
    user = get_user_model().objects.get(pk=ada.pk)
    user.email = "ada@work.example"
    user.save()
    assert OutboundMessage.objects.get().payload["email"] == "ada@work.example"
