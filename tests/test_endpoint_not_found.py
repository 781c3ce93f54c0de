"""A 404 that is not Attentive's answer about a number (a wrong BASE_URL) holds texts loudly
and never suppresses anyone; fixing the URL sends them at once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from django_attentive import send_message
from django_attentive.checks import check_token_accepted
from django_attentive.models import Hold, OutboundMessage, Outcome, Status, Suppression
from django_attentive.sending.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wrong_base_url_holds_texts_and_suppresses_no_one(fake, attentive, settings, caplog):
    url = settings.ATTENTIVE["BASE_URL"]
    attentive(BASE_URL=url + "/wrong-prefix", TASK_BACKEND="default")
    messages = [send_message(f"+1201555010{n}", "Hi") for n in range(3)]
    Worker(concurrency=2).run()
    rows = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert set(rows.values_list("status", "attempts")) == {(Status.QUEUED, 0)}
    assert Suppression.objects.count() == 0
    # The requests in flight were refused; the pause stopped the worker before the rest.
    refused = rows.filter(send_attempts__outcome=Outcome.ENDPOINT).distinct()
    assert 1 <= refused.count() <= 3  # at most what was in flight: concurrency + one chunk
    assert set(refused.values_list("hold", flat=True)) == {Hold.ENDPOINT}
    assert set(rows.exclude(pk__in=refused).values_list("hold", flat=True)) <= {Hold.NONE}
    assert "BASE_URL" in caplog.text and "paused" in caplog.text
    assert [e.id for e in check_token_accepted(databases=["default"])] == ["django_attentive.E010"]

    attentive(BASE_URL=url)  # fixed: a new worker (or the same one) sends at once
    Worker(concurrency=2).run()
    assert set(rows.values_list("status", "hold")) == {(Status.SENT, Hold.NONE)}
    assert len(fake.records()) == 3


def test_the_admin_says_the_endpoint_was_not_found(fake, attentive, settings, admin_user):
    attentive(BASE_URL=settings.ATTENTIVE["BASE_URL"] + "/nope")
    send_message("+12015550100", "Hi")
    call_command("attentive_send_queued")
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/django_attentive/outboundmessage/").content.decode()
    assert "the API endpoint (HTTP 404)" in page
    assert "ATTENTIVE[&#x27;BASE_URL&#x27;]" in page or "ATTENTIVE['BASE_URL']" in page


def test_attentives_own_404_about_a_number_still_suppresses_it(fake):
    # A number Attentive cannot match (stored before ALLOWED_REGIONS was narrowed, say):
    # the fake answers its own JSON 404, as the Messages API documents.
    message = OutboundMessage.objects.create(to="+3361234", body="Hi")
    call_command("attentive_send_queued")
    message.refresh_from_db()
    assert (message.status, message.hold) == (Status.FAILED, Hold.NONE)
    assert "does not know this number" in message.last_error
    assert Suppression.objects.filter(number="+3361234").exists()
