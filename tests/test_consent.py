"""record_consent(): the evidence, one transaction with the subscription, and the opt-out rules."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.utils import timezone

from django_attentive import purge, record_consent, unsubscribe
from django_attentive.admin.consents import csv_cell
from django_attentive.backends import locmem
from django_attentive.disclosure import digest, disclosure
from django_attentive.exceptions import ConfigurationError, InvalidMessage
from django_attentive.models import Consent, Kind, OutboundMessage, Status, Suppression
from django_attentive.webhooks import signature_for

pytestmark = pytest.mark.django_db

PHONE = "+12015550123"
CONSENT = {
    "SHOP_NAME": "Acme",
    "TERMS_URL": "https://acme.test/terms",
    "PRIVACY_URL": "https://acme.test/privacy",
    "SIGN_UP_SOURCE_IDS": {"MARKETING": "357276", "TRANSACTIONAL": "357280"},
}


@pytest.fixture(autouse=True)
def _consent_settings(attentive):
    attentive(CONSENT=CONSENT)


def visitor(**meta: str):
    headers = {
        "HTTP_USER_AGENT": "Mozilla/5.0 Test",
        "HTTP_REFERER": "http://testserver/shop/checkout/",
        "REMOTE_ADDR": "203.0.113.9",
        **meta,
    }
    request = RequestFactory().post("/checkout/", **headers)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return request


def test_consent_keeps_the_words_shown_where_and_from_whom(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consent = record_consent(
            visitor(), phone="(201) 555-0123", source="checkout", email="ada@example.com"
        )
    consent.refresh_from_db()
    shown = disclosure("MARKETING")
    assert consent.disclosure == shown.text
    assert consent.disclosure_sha256 == digest(consent.disclosure) == shown.sha256
    assert (consent.phone, consent.email, consent.subscription_type) == (
        PHONE,
        "ada@example.com",
        "MARKETING",
    )
    assert (consent.ip_address, consent.user_agent, consent.source) == (
        "203.0.113.9",
        "Mozilla/5.0 Test",
        "checkout",
    )
    assert consent.page_url == "http://testserver/shop/checkout/"
    assert consent.sign_up_source_id == "357276"
    request = OutboundMessage.objects.get(kind=Kind.SUBSCRIPTION)
    assert request.related == consent and request.status == Status.SENT
    assert locmem.requests[0][1]["user"] == {"phone": PHONE, "email": "ada@example.com"}


def test_the_disclosure_says_what_the_rules_require():
    text = disclosure("MARKETING").text
    for words in (
        "recurring automated marketing text messages",
        "from Acme",
        "at the number provided",
        "Consent is not a condition of purchase",
        "Msg frequency varies",
        "Msg & data rates may apply",
        "Reply HELP for help and STOP to cancel",
        "https://acme.test/terms",
        "https://acme.test/privacy",
    ):
        assert words in text


def test_a_logged_in_visitor_is_the_consents_user():
    request = visitor()
    request.user = User.objects.create(username="ada")
    consent = record_consent(request, phone=PHONE, source="account")
    assert consent.user == request.user
    assert OutboundMessage.objects.get().payload["externalIdentifiers"] == {
        "clientUserId": str(request.user.pk)
    }


def test_subscribe_false_records_evidence_only():
    consent = record_consent(visitor(), phone=PHONE, source="checkout", subscribe=False)
    assert Consent.objects.get() == consent
    assert not OutboundMessage.objects.exists()


def test_the_same_consent_twice_is_stored_and_subscribed_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = record_consent(visitor(), phone=PHONE, source="checkout")
        again = record_consent(visitor(), phone="+1 201 555 0123", source="checkout")
    assert again.pk == first.pk
    assert Consent.objects.count() == 1
    assert len(locmem.requests) == 1


def test_evidence_and_subscription_are_one_transaction(attentive):
    attentive(CONSENT={**CONSENT, "SIGN_UP_SOURCE_IDS": {}})
    with pytest.raises(InvalidMessage) as raised:
        record_consent(visitor(), phone=PHONE, source="checkout")
    assert "sign_up_source_id" in raised.value.message_dict
    assert not Consent.objects.exists() and not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": ""}, "phone"),
        ({"phone": "+33612345678"}, "phone"),
        ({"phone": PHONE, "email": "nope"}, "email"),
        ({"phone": PHONE, "source": ""}, "source"),
        ({"phone": PHONE, "subscription_type": "SPAM"}, "subscription_type"),
    ],
)
def test_bad_input_stores_nothing(kwargs, field):
    with pytest.raises(InvalidMessage) as raised:
        record_consent(visitor(), **{"source": "checkout", **kwargs})
    assert field in raised.value.message_dict
    assert not Consent.objects.exists()


def test_without_the_shops_name_and_links_no_consent_can_be_recorded(attentive):
    attentive(CONSENT={"SIGN_UP_SOURCE_IDS": {"MARKETING": "1"}})
    with pytest.raises(ConfigurationError, match="SHOP_NAME, TERMS_URL, PRIVACY_URL"):
        record_consent(visitor(), phone=PHONE, source="checkout")


def test_a_consent_is_never_edited_or_deleted():
    consent = record_consent(visitor(), phone=PHONE, source="checkout", subscribe=False)
    consent.source = "somewhere else"
    with pytest.raises(ValueError, match="never edited"):
        consent.save()
    with pytest.raises(ValueError, match="never deleted"):
        consent.delete()
    assert Consent.objects.get().source == "checkout"


def test_purge_keeps_consents(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record_consent(visitor(), phone=PHONE, source="checkout")
    purged = purge(timezone.now() + timedelta(days=1))
    assert purged.messages == 1  # the subscription request is gone ...
    assert Consent.objects.count() == 1  # ... the evidence stays


# ---------------------------------------------------------------- opt-outs and consents


def test_a_new_consent_lifts_an_older_opt_out():
    Suppression.objects.create(
        number=PHONE, reason="opted_out", last_opted_out_at=timezone.now() - timedelta(days=3)
    )
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    assert not Suppression.objects.filter(number=PHONE).exists()


def test_a_consent_never_lifts_a_newer_opt_out():
    # An opt-out stamped after the consent (a clock ahead, an event in flight) wins.
    Suppression.objects.create(
        number=PHONE, reason="webhook", last_opted_out_at=timezone.now() + timedelta(minutes=5)
    )
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    assert Suppression.objects.filter(number=PHONE).exists()


def test_a_consent_never_lifts_a_block_made_by_hand():
    Suppression.objects.create(
        number=PHONE, reason="manual", last_opted_out_at=timezone.now() - timedelta(days=3)
    )
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    assert Suppression.objects.filter(number=PHONE).exists()


def test_unsubscribe_after_a_consent_wins():
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    unsubscribe(PHONE)
    assert Suppression.objects.filter(number=PHONE).exists()


def test_an_unsubscribed_webhook_after_a_consent_wins(client, attentive):
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    body = json.dumps(
        {
            "type": "sms.unsubscribed",
            "timestamp": int(timezone.now().timestamp() * 1000) + 1000,
            "subscriber": {"phone": PHONE},
        }
    ).encode()
    response = client.post(
        "/attentive/webhooks/",
        body,
        content_type="application/json",
        HTTP_X_ATTENTIVE_HMAC_SHA256=signature_for(body, "test-webhook-secret"),
    )
    assert response.status_code == 200, response.content
    assert Suppression.objects.filter(number=PHONE).exists()
    # ... and the same consent submitted again does not undo it.
    record_consent(visitor(), phone=PHONE, source="sign-up form")
    assert Suppression.objects.filter(number=PHONE).exists()


# ---------------------------------------------------------------- the admin


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def test_the_admin_shows_evidence_and_the_request_but_never_edits_or_deletes(
    staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consent = record_consent(visitor(), phone=PHONE, source="checkout")
    page = staff.get(f"/admin/django_attentive/consent/{consent.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Attentive answered 202" in html and "recurring automated marketing" in html
    assert 'name="_save"' not in html
    assert staff.get("/admin/django_attentive/consent/add/").status_code == 403
    deleted = staff.post(f"/admin/django_attentive/consent/{consent.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert Consent.objects.filter(pk=consent.pk).exists()
    listing = staff.get("/admin/django_attentive/consent/").content.decode()
    assert "delete_selected" not in listing and "export_csv" in listing


def test_consents_export_to_csv_without_formulas(staff):
    consent = record_consent(
        visitor(HTTP_USER_AGENT='=HYPERLINK("http://evil")'),
        phone=PHONE,
        source="checkout",
        subscribe=False,
    )
    response = staff.post(
        "/admin/django_attentive/consent/",
        {"action": "export_csv", "_selected_action": [consent.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["phone"] == PHONE
    assert rows[0]["disclosure"] == consent.disclosure
    assert rows[0]["user_agent"].startswith("'=")


def test_csv_cells_keep_numbers_and_defuse_formulas():
    assert csv_cell("+12015550123") == "+12015550123"
    assert csv_cell("+1+1") == "'+1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell(None) == ""
