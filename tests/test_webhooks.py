"""Attentive's webhooks: signatures, deduplication, replays, and the suppression list."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import responses
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_attentive import purge, send_message, suppress
from django_attentive.backends import get_backend
from django_attentive.checks import check_settings
from django_attentive.models import (
    OutboundMessage,
    Status,
    Suppression,
    SuppressionReason,
    WebhookEvent,
    WebhookOutcome,
)
from django_attentive.outbox.leases import lease_due as claim_batch
from django_attentive.outbox.leases import start
from django_attentive.sending.delivery import attempt
from django_attentive.webhooks import SIGNATURE_HEADER, signature_for, verify_signature

pytestmark = pytest.mark.django_db

SECRET = "test-webhook-secret"  # tests/settings.py
URL = "/attentive/webhooks/"
NUMBER = "+12015550123"


def now_ms(**ago: float) -> int:
    return int((time.time() - timedelta(**ago).total_seconds()) * 1000)


def event(kind: str = "sms.unsubscribed", phone: str = NUMBER, **extra: object) -> dict:
    return {
        "type": kind,
        "timestamp": now_ms(),
        "company": {"display_name": "Shop", "id": "c1"},
        "subscriber": {"phone": phone, "email": "ann@example.com", "external_id": 42},
        **extra,
    }


def post(
    body: dict | bytes | str,
    *,
    secret: str | None = SECRET,
    signature: str | None = None,
    client: Client | None = None,
):
    raw = (
        body
        if isinstance(body, bytes)
        else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    )
    headers = {}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    elif secret is not None:
        headers[SIGNATURE_HEADER] = signature_for(raw, secret)
    return (client or Client()).post(URL, raw, content_type="application/json", headers=headers)


# ----------------------------------------------------------------- signatures


def test_unsubscribed_event_suppresses_the_number():
    queued = send_message(NUMBER, "Sale", send_at=timezone.now() + timedelta(hours=1))
    response = post(event())
    assert response.status_code == 200
    assert response.json() == {"detail": "suppressed"}
    entry = Suppression.objects.get(number=NUMBER)
    assert entry.reason == SuppressionReason.WEBHOOK
    stored = WebhookEvent.objects.get()
    assert entry.source == f"webhook event #{stored.pk} (sms.unsubscribed)"
    assert (stored.type, stored.number, stored.outcome) == (
        "sms.unsubscribed",
        NUMBER,
        WebhookOutcome.SUPPRESSED,
    )
    assert stored.payload["subscriber"]["external_id"] == 42
    queued.refresh_from_db()
    assert queued.status == Status.SUPPRESSED


def test_forged_signature_is_refused_and_nothing_is_stored():
    response = post(event(), secret="not-the-secret")
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_missing_signature_is_refused_and_nothing_is_stored():
    response = post(event(), secret=None)
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_garbage_signature_is_refused():
    assert post(event(), signature="sha256=nope").status_code == 403
    assert post(event(), signature="").status_code == 403
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "signature",
    [
        "é",
        "Ã©",  # the UTF-8 bytes of "é" as WSGI hands them over (ISO-8859-1)
        "\ud800",
        "☃" * 64,
        "f" * 10_000,
        "0" * 1_000_000,
    ],
    ids=["e-acute", "latin-1-mojibake", "lone-surrogate", "64-snowmen", "10k-hex", "1M-hex"],
)
def test_a_non_ascii_or_over_long_signature_is_refused_not_a_500(signature):
    assert post(event(), signature=signature).status_code == 403
    assert not WebhookEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_a_valid_signature_with_a_non_ascii_tail_is_refused():
    raw = json.dumps(event()).encode()
    assert post(raw, signature=signature_for(raw, SECRET) + "é").status_code == 403
    assert not verify_signature(raw, signature_for(raw, SECRET) + "\ud800", SECRET)
    assert not WebhookEvent.objects.exists()


def test_a_valid_signature_on_a_tampered_body_is_refused():
    original = json.dumps(event(phone="+12015550100")).encode()
    tampered = original.replace(b"+12015550100", NUMBER.encode())
    response = post(tampered, signature=signature_for(original, SECRET))
    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_signature_is_accepted_in_upper_case_hex():
    raw = json.dumps(event()).encode()
    assert post(raw, signature=signature_for(raw, SECRET).upper()).status_code == 200


def test_verify_signature_needs_a_secret_and_a_signature():
    assert verify_signature(b"{}", signature_for(b"{}", "s"), "s")
    assert not verify_signature(b"{}", signature_for(b"{}", ""), "")
    assert not verify_signature(b"{}", None, "s")


def test_without_a_secret_every_event_is_refused_and_check_warns(attentive):
    attentive(WEBHOOK_SECRET="")
    response = post(event(), secret="")
    assert response.status_code == 403
    assert "WEBHOOK_SECRET" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()
    assert [m.id for m in check_settings()] == ["django_attentive.W007"]


def test_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


# ----------------------------------------------------------------- deduplication and replays


def test_replayed_event_is_stored_once_and_applied_once():
    unsubscribed = json.dumps(event(timestamp=now_ms(minutes=10))).encode()
    assert post(unsubscribed).json() == {"detail": "suppressed"}
    # The customer texts START later: the suppression is lifted...
    assert post(event("sms.subscribed")).json() == {"detail": "lifted"}
    # ...and a replay of the old, validly signed opt-out changes nothing.
    replay = post(unsubscribed)
    assert replay.status_code == 200
    assert replay.json() == {"detail": "duplicate"}
    assert not Suppression.objects.exists()
    assert WebhookEvent.objects.count() == 2


@pytest.mark.parametrize("extra", [{}, {"id": "evt_9"}], ids=["body hash", "event id"])
def test_a_captured_opt_out_replayed_after_a_purge_does_not_suppress_a_resubscribed_number(extra):
    unsubscribed = json.dumps(event(timestamp=now_ms(minutes=10), **extra)).encode()
    assert post(unsubscribed).json() == {"detail": "suppressed"}
    assert post(event("sms.subscribed")).json() == {"detail": "lifted"}
    # Months later a nightly purge runs; then someone replays the captured, validly signed body.
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=40))
    purge(timezone.now() - timedelta(days=30))
    replay = post(unsubscribed)
    assert replay.json() == {"detail": "duplicate"}
    assert not Suppression.objects.exists()
    assert not WebhookEvent.objects.filter(purged_at__isnull=True).exists()


def test_attentive_retrying_an_event_with_an_id_is_deduplicated():
    first = event(id="evt_1")
    retried = {**event(id="evt_1"), "timestamp": first["timestamp"] + 1}  # other bytes, same id
    assert post(first).status_code == 200
    assert post(retried).json() == {"detail": "duplicate"}
    assert WebhookEvent.objects.count() == 1


def test_a_subscribe_older_than_its_suppression_does_not_lift_it():
    suppress(NUMBER, SuppressionReason.OPTED_OUT)
    response = post(event("sms.subscribed", timestamp=now_ms(hours=1)))
    assert response.json() == {"detail": "ignored"}
    assert Suppression.objects.exists()
    assert "newer than the event" in WebhookEvent.objects.get().detail


def test_a_subscribe_older_than_webhook_max_age_does_not_lift(attentive):
    attentive(WEBHOOK_MAX_AGE=3600)
    entry = suppress(NUMBER, SuppressionReason.WEBHOOK)
    Suppression.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=3))
    response = post(event("sms.subscribed", timestamp=now_ms(hours=2)))
    assert response.json() == {"detail": "ignored"}
    assert Suppression.objects.exists()
    assert "older than" in WebhookEvent.objects.get().detail


def test_a_late_opt_out_is_still_honoured(attentive):
    attentive(WEBHOOK_MAX_AGE=3600)
    assert post(event(timestamp=now_ms(days=2))).json() == {"detail": "suppressed"}
    assert Suppression.objects.filter(number=NUMBER).exists()


def test_subscribe_lifts_a_webhook_or_refusal_suppression_but_not_a_manual_one():
    suppress(NUMBER, SuppressionReason.NOT_FOUND, at=timezone.now() - timedelta(hours=1))
    suppress("+12015550100", SuppressionReason.MANUAL, at=timezone.now() - timedelta(hours=1))
    assert post(event("sms.subscribed")).json() == {"detail": "lifted"}
    kept = post(event("sms.subscribed", phone="+12015550100"))
    assert kept.json() == {"detail": "ignored"}
    assert list(Suppression.objects.values_list("number", flat=True)) == ["+12015550100"]


def listed_minutes_ago(minutes: float, reason: str = SuppressionReason.OPTED_OUT) -> Suppression:
    """An entry made ``minutes`` ago, as a refusal or an event then would have made it."""
    then = timezone.now() - timedelta(minutes=minutes)
    entry = suppress(NUMBER, reason, source="Attentive answered 400 to text #1")
    Suppression.objects.filter(pk=entry.pk).update(created_at=then, last_opted_out_at=then)
    entry.refresh_from_db()
    return entry


def test_a_subscribe_older_than_a_later_unsubscribe_does_not_lift():
    """Opted out (T0), resubscribed (T1, delayed), unsubscribed (T2, arrives first)."""
    listed_minutes_ago(3)
    assert post(event(id="e2", timestamp=now_ms(minutes=1))).json() == {"detail": "suppressed"}
    late = post(event("sms.subscribed", id="e1", timestamp=now_ms(minutes=2)))
    assert late.json() == {"detail": "ignored"}
    assert Suppression.objects.filter(number=NUMBER).exists()
    assert "newer than the event" in WebhookEvent.objects.get(outcome="ignored").detail


def test_a_later_unsubscribe_keeps_the_first_entry_and_moves_its_latest_opt_out():
    entry = listed_minutes_ago(3)
    unsubscribed_at = now_ms(minutes=1)
    post(event(timestamp=unsubscribed_at))
    again = Suppression.objects.get()
    assert (again.pk, again.reason, again.created_at) == (
        entry.pk,
        SuppressionReason.OPTED_OUT,
        entry.created_at,
    )
    assert again.last_opted_out_at.timestamp() * 1000 == pytest.approx(unsubscribed_at, abs=1)
    # An older unsubscribe arriving late does not move it back.
    post(event(timestamp=now_ms(minutes=2)))
    assert Suppression.objects.get().last_opted_out_at == again.last_opted_out_at


@responses.activate
def test_a_subscribe_older_than_a_later_refusal_does_not_lift(http_backend):
    """A text already in flight when the number was listed is refused by Attentive later."""
    responses.post(http_backend, json={"message": "Subscriber is opted-out"}, status=400)
    OutboundMessage.objects.create(to=NUMBER, body="Sale")
    [in_flight] = start(claim_batch(1))
    listed_minutes_ago(3)
    attempt(in_flight, backend=get_backend())  # refused now: the entry knows a later opt-out
    response = post(event("sms.subscribed", timestamp=now_ms(minutes=2)))
    assert response.json() == {"detail": "ignored"}
    assert Suppression.objects.filter(number=NUMBER).exists()


def test_a_subscribe_after_a_late_arriving_unsubscribe_lifts_it():
    """The unsubscribe's own time counts, not when it arrived: the customer's last word wins."""
    assert post(event(timestamp=now_ms(minutes=10))).json() == {"detail": "suppressed"}
    assert post(event("sms.subscribed", timestamp=now_ms(minutes=5))).json() == {"detail": "lifted"}
    assert not Suppression.objects.exists()


def test_a_subscribe_without_a_timestamp_does_not_lift():
    listed_minutes_ago(60, SuppressionReason.WEBHOOK)
    subscribed = event("sms.subscribed")
    del subscribed["timestamp"]
    response = post(subscribed)
    assert (response.status_code, response.json()) == (200, {"detail": "ignored"})
    stored = WebhookEvent.objects.get()
    assert stored.occurred_at is None
    assert '"timestamp"' in stored.detail
    assert Suppression.objects.filter(number=NUMBER).exists()


def test_subscribe_for_a_number_not_on_the_list_is_ignored():
    assert post(event("sms.subscribed")).json() == {"detail": "ignored"}


# ----------------------------------------------------------------- odd but valid events


def test_unknown_event_type_is_stored_and_ignored():
    response = post(event("email.opened"))
    assert response.json() == {"detail": "ignored"}
    assert WebhookEvent.objects.get().outcome == WebhookOutcome.IGNORED
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("phone", ["", "not a number", "+33 6 12 34 56 78"])
def test_an_unusable_phone_is_stored_and_ignored(phone):
    response = post(event(phone=phone))
    assert response.status_code == 200
    assert response.json() == {"detail": "ignored"}
    assert "subscriber.phone" in WebhookEvent.objects.get().detail


def test_a_number_written_nationally_is_normalized():
    post(event(phone="(201) 555-0123"))
    assert Suppression.objects.filter(number=NUMBER).exists()


# ----------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"sms.unsubscribed"',
        b"{}",
        b'{"type": 5}',
        b'{"type": ""}',
        b'{"type": "sms.unsubscribed", "timestamp": "yesterday"}',
        b'{"type": "sms.unsubscribed", "timestamp": 1e300}',
        b'{"type": "sms.unsubscribed", "timestamp": NaN}',
        b'{"type": "sms.unsubscribed", "note": "nul\\u0000"}',
        b'{"type": "sms.unsubscribed", "note": "\\ud800"}',
        b"[" * 100000,
    ],
)
def test_malformed_bodies_answer_400_and_store_nothing(body):
    response = post(body)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=200),
        JSONISH.map(lambda value: json.dumps(value).encode()),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["sms.unsubscribed", "sms.subscribed"]) | st.text(),
                "timestamp": st.integers() | st.floats() | st.text() | st.none(),
                "subscriber": st.fixed_dictionaries({"phone": st.text() | JSONISH}) | JSONISH,
            }
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_any_signed_body_gets_200_or_400_never_500(body):
    response = post(body)
    assert response.status_code in (200, 400), response.content


# ----------------------------------------------------------------- admin


def test_admin_lists_the_events_read_only():
    post(event())
    admin = User.objects.create_superuser("boss", password="pw")
    client = Client()
    client.force_login(admin)
    listing = client.get(reverse("admin:django_attentive_webhookevent_changelist"))
    assert listing.status_code == 200
    assert b"sms.unsubscribed" in listing.content
    stored = WebhookEvent.objects.get()
    page = client.get(reverse("admin:django_attentive_webhookevent_change", args=[stored.pk]))
    assert page.status_code == 200
    assert b"external_id" in page.content
    assert client.get(reverse("admin:django_attentive_webhookevent_add")).status_code == 403


def test_admin_shows_an_emptied_event_without_its_number():
    post(event())
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(days=40))
    purge(timezone.now() - timedelta(days=30))
    client = Client()
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    stored = WebhookEvent.objects.get()
    page = client.get(reverse("admin:django_attentive_webhookevent_change", args=[stored.pk]))
    assert page.status_code == 200
    assert b"Emptied by attentive_purge" in page.content
    assert NUMBER.encode() not in page.content
    assert b"ann@example.com" not in page.content


# ----------------------------------------------------------------- hardening


def test_a_secret_read_from_a_file_with_a_trailing_newline_still_verifies(attentive):
    attentive(WEBHOOK_SECRET=f"  {SECRET}\n")
    response = post(event())
    assert response.status_code == 200
    assert response.json() == {"detail": "suppressed"}


def nested(depth: int) -> dict:
    """A signed-looking event whose ``note`` is ``depth`` levels deep in all."""
    inner: object = "bottom"
    for _ in range(depth - 1):
        inner = {"n": inner}
    return {"type": "sms.unsubscribed", "subscriber": {"phone": NUMBER}, "note": inner}


def test_a_payload_nested_deeper_than_any_real_event_is_refused():
    response = post(nested(900))
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not WebhookEvent.objects.exists()


def test_a_payload_nested_as_deep_as_allowed_is_stored():
    from django_attentive.webhooks import MAX_DEPTH

    assert post(nested(MAX_DEPTH)).status_code == 200
    assert post(nested(MAX_DEPTH + 1)).status_code == 400


def test_admin_shows_a_deep_payload_stored_earlier_without_a_500():
    stored = WebhookEvent.objects.create(
        dedup_key="deep", type="sms.unsubscribed", payload=nested(900), outcome="ignored"
    )
    client = Client()
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    page = client.get(reverse("admin:django_attentive_webhookevent_change", args=[stored.pk]))
    assert page.status_code == 200
    assert b"too deeply nested" in page.content
