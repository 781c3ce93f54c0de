"""Prometheus metrics: texts sent through the fake, then /metrics parsed by prometheus-client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from django_attentive import send_custom_event, send_message
from django_attentive.metrics import OUTBOX
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/attentive/metrics/"
METRICS_TOKEN = "scrape-token-1234"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def _token(attentive) -> None:
    attentive(METRICS_TOKEN=METRICS_TOKEN)
    OUTBOX.forget()


def scrape(client: Client | None = None) -> tuple[set[str], Samples]:
    """The families and samples /metrics serves, read with prometheus-client's own parser."""
    client = client or Client(headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    families = list(text_string_to_metric_families(response.content.decode()))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }
    return {family.name for family in families}, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_sends_through_the_fake_show_in_the_exposition(fake):
    fake.configure(opted_out=["+12015550199"])
    _, before = scrape()
    send_message("+12015550123", "Your order shipped")
    send_message("+12015550124", "Your order shipped")
    send_message("+12015550199", "Rejected: opted out")
    fake.fail_next(429)
    send_message("+12015550125", "Rate limited, retried later")
    send_custom_event("+12015550126", "Viewed Product", {"sku": "A1"})
    OUTBOX.forget()  # final counts are cached between scrapes

    names, after = scrape()

    assert {
        "attentive_messages",
        "attentive_request_duration_seconds",
        "attentive_rate_limited",
        "attentive_outbox_messages",
        "attentive_outbox_oldest_due_age_seconds",
        "attentive_auth_paused",
    } <= names

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("attentive_messages_total", kind="text", outcome="sent") == 2
    assert delta("attentive_messages_total", kind="text", outcome="rejected") == 1
    assert delta("attentive_messages_total", kind="text", outcome="retry") == 1
    assert delta("attentive_messages_total", kind="custom_event", outcome="sent") == 1
    assert delta("attentive_rate_limited_total", endpoint="/v1/messages") == 1
    assert delta("attentive_request_duration_seconds_count", endpoint="/v1/messages") == 4
    assert delta("attentive_request_duration_seconds_count", endpoint="/v1/events/custom") == 1
    bucket = "attentive_request_duration_seconds_bucket"
    assert delta(bucket, endpoint="/v1/messages", le="+Inf") == 4
    for status in Status:
        expected = OutboundMessage.objects.filter(status=status).count()
        assert value(after, "attentive_outbox_messages", status=status.value) == expected
    assert value(after, "attentive_outbox_messages", status="sent") == 3
    assert value(after, "attentive_outbox_messages", status="queued") == 1
    assert value(after, "attentive_auth_paused") == 0


def test_text_send_transport_labels_its_own_path(fake, attentive):
    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    _, before = scrape()
    send_message("+12015550123", "Hello")
    _, after = scrape()
    label = {"endpoint": "/v1/text/send"}
    assert (
        value(after, "attentive_request_duration_seconds_count", **label)
        - value(before, "attentive_request_duration_seconds_count", **label)
        == 1
    )


def test_a_refused_token_shows_as_paused(fake):
    fake.fail_next(403)
    send_message("+12015550123", "Hello")
    assert SendAttempt.objects.get().outcome == Outcome.AUTH
    _, samples = scrape()
    assert value(samples, "attentive_auth_paused") == 1


def test_oldest_due_age_counts_from_creation_or_send_time():
    now = timezone.now()
    old = OutboundMessage.objects.create(to="+12015550123", body="waiting")
    OutboundMessage.objects.filter(pk=old.pk).update(created_at=now - timedelta(minutes=10))
    OutboundMessage.objects.create(
        to="+12015550124", body="retry", next_attempt_at=now - timedelta(minutes=30)
    )
    OutboundMessage.objects.create(
        to="+12015550125", body="later", next_attempt_at=now + timedelta(hours=1)
    )
    _, samples = scrape()
    age = value(samples, "attentive_outbox_oldest_due_age_seconds")
    assert 30 * 60 <= age < 31 * 60


def test_nothing_due_is_age_zero():
    OutboundMessage.objects.create(
        to="+12015550125", body="later", next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    _, samples = scrape()
    assert value(samples, "attentive_outbox_oldest_due_age_seconds") == 0
    assert value(samples, "attentive_outbox_messages", status="queued") == 1


def test_final_counts_are_cached_but_queued_is_live():
    scrape()
    OutboundMessage.objects.create(to="+12015550123", body="x", status=Status.SENT)
    OutboundMessage.objects.create(to="+12015550124", body="y")
    _, samples = scrape()
    assert value(samples, "attentive_outbox_messages", status="sent") == 0
    assert value(samples, "attentive_outbox_messages", status="queued") == 1
    OUTBOX.forget()
    _, samples = scrape()
    assert value(samples, "attentive_outbox_messages", status="sent") == 1


def test_staff_session_may_read_metrics():
    staff = User.objects.create_user("ops", password="pw", is_staff=True)
    client = Client()
    client.force_login(staff)
    names, _ = scrape(client)
    assert "attentive_messages" in names


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
    ],
)
def test_anonymous_or_wrong_token_is_refused(headers):
    response = Client(headers=headers).get(URL)
    assert response.status_code == 403
    assert b"attentive_" not in response.content


def test_no_token_configured_refuses_any_bearer(attentive):
    attentive(METRICS_TOKEN="")
    response = Client(headers={"Authorization": "Bearer "}).get(URL)
    assert response.status_code == 403


def test_non_staff_user_is_refused():
    user = User.objects.create_user("shopper", password="pw")
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 403
