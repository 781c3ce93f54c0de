"""Campaigns: create or join, progress in two queries, pause, resume, cancel the rest."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from django_attentive import cancel_campaign, pause_campaign, resume_campaign, send_bulk
from django_attentive.backends.base import Outgoing
from django_attentive.backends.text_send import TextSendBackend
from django_attentive.exceptions import AttentiveError, InvalidMessage, TransientError
from django_attentive.models import Campaign, CampaignState, OutboundMessage, Status
from django_attentive.outbox import outcomes
from django_attentive.outbox.leases import lease_due, lease_one, start
from django_attentive.outbox.outcomes import SendReport

pytestmark = pytest.mark.django_db


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+1201555{n:04d}" for n in range(start, start + count)]


def campaign_of(messages: list[OutboundMessage]) -> Campaign:
    return Campaign.objects.get(pk=messages[0].campaign_id)


# ------------------------------------------------------------------ create or join


def test_send_bulk_with_a_name_creates_the_campaign():
    user = User.objects.create_user("owner")
    sent = send_bulk(numbers(3), "Spring sale", campaign="Spring", created_by=user)
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.body, campaign.created_by) == ("Spring", "Spring sale", user)
    assert (campaign.audience_size, campaign.state) == (3, CampaignState.ACTIVE)
    assert {m.campaign_id for m in sent} == {campaign.pk}


def test_the_same_name_joins_and_counts_only_new_texts():
    send_bulk(numbers(3), "Sale", campaign="Sale", idempotency_key="k1")
    send_bulk(numbers(3), "Sale", campaign="Sale", idempotency_key="k1")  # a double click
    send_bulk(numbers(2, start=3), "Sale, part 2", campaign=Campaign.objects.get())
    campaign = Campaign.objects.get()
    assert campaign.audience_size == 5 == campaign.messages.count()
    assert campaign.body == "Sale"


def test_a_cancelled_campaign_cannot_be_joined_and_nothing_is_saved():
    sent = send_bulk(numbers(2), "Sale", campaign="Sale")
    cancel_campaign(campaign_of(sent))
    with pytest.raises(InvalidMessage) as caught:
        send_bulk(numbers(2, start=5), "Sale", campaign="Sale")
    assert "cancelled" in caught.value.message_dict["campaign"][0]
    assert OutboundMessage.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_bad_name_is_refused_with_the_other_errors_and_nothing_saved(name):
    with pytest.raises(InvalidMessage) as caught:
        send_bulk(["not a number"], "Sale", campaign=name)
    assert set(caught.value.message_dict) == {"to", "campaign"}
    assert not Campaign.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_text_send_names_the_message_after_its_campaign():
    payload = TextSendBackend().build_message_payload(
        Outgoing(kind="text", to="+12015550100", body="Hi", message_id="m1", campaign="Spring")
    )
    assert payload["messageName"] == "Spring"


def test_a_leased_text_carries_its_campaign_name_without_a_query_per_text(
    django_assert_num_queries,
):
    send_bulk(numbers(5), "Sale", campaign="Spring")
    leased = lease_due(10)
    with django_assert_num_queries(0):
        assert {m.outgoing().campaign for m in leased} == {"Spring"}


# ------------------------------------------------------------------------ progress


def test_progress_counts_every_status():
    sent = send_bulk(numbers(6), "Sale", campaign="Sale")
    OutboundMessage.objects.filter(pk__in=[m.pk for m in sent[:2]]).update(status=Status.SENT)
    OutboundMessage.objects.filter(pk=sent[2].pk).update(status=Status.FAILED)
    OutboundMessage.objects.filter(pk=sent[3].pk).update(status=Status.SENDING)
    progress = campaign_of(sent).progress()
    assert progress.as_json()["counts"] == {
        "sent": 2,
        "failed": 1,
        "unconfirmed": 0,
        "suppressed": 0,
        "cancelled": 0,
        "sending": 1,
        "queued": 2,
    }
    assert (progress.total, progress.done, progress.pending) == (6, 3, 3)
    assert not progress.finished and progress.finished_at is None
    assert progress.rate == pytest.approx(0.3)  # 3 outcomes within the 10 s window
    assert progress.eta_seconds == pytest.approx(10)


@pytest.mark.parametrize("size", [10, 2000])
def test_progress_takes_two_queries_whatever_the_size(size, django_assert_max_num_queries):
    sent = send_bulk(numbers(size), "Sale", campaign="Sale")
    OutboundMessage.objects.filter(pk__in=[m.pk for m in sent[::2]]).update(status=Status.SENT)
    campaign = Campaign(pk=sent[0].campaign_id)
    with django_assert_max_num_queries(2):
        progress = campaign.progress()
    assert progress.total == size and progress.count(Status.SENT) == (size + 1) // 2


def test_the_poll_endpoint_costs_the_same_for_10_or_2000_texts(client, django_assert_num_queries):
    client.force_login(User.objects.create_superuser("owner"))
    small = campaign_of(send_bulk(numbers(10), "Sale", campaign="Small"))
    big = campaign_of(send_bulk(numbers(2000, start=100), "Sale", campaign="Big"))
    costs = []
    for campaign in (small, big):
        url = reverse("admin:django_attentive_campaign_progress", args=[campaign.pk])
        # The session and the user (as on every admin page), then the campaign's two queries.
        with django_assert_num_queries(4) as captured:
            answer = client.get(url)
        assert answer.status_code == 200
        costs.append(len(captured.captured_queries))
    assert costs == [4, 4]
    assert answer.json()["total"] == 2000


def test_the_poll_endpoint_needs_a_login_and_answers_404_for_no_campaign(client):
    url = reverse("admin:django_attentive_campaign_progress", args=[999])
    assert client.get(url).status_code == 302
    client.force_login(User.objects.create_superuser("owner"))
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- pause


def test_a_paused_campaign_is_not_leased_and_resume_makes_it_due_again():
    sent = send_bulk(numbers(3), "Sale", campaign="Sale")
    other = send_bulk(numbers(1, start=10), "Other")
    campaign = pause_campaign(campaign_of(sent))
    assert campaign.state == CampaignState.PAUSED
    assert [m.pk for m in lease_due(10)] == [other[0].pk]
    assert lease_one(sent[0].pk) is None
    resume_campaign(campaign)
    assert sorted(m.pk for m in lease_due(10)) == sorted(m.pk for m in sent)


def test_pause_drops_leases_and_start_refuses_texts_leased_before_it():
    sent = send_bulk(numbers(3), "Sale", campaign="Sale")
    leased = lease_due(10)
    pause_campaign(campaign_of(sent))
    assert start(leased) == []
    assert set(OutboundMessage.objects.values_list("status", "leased_by")) == {(Status.QUEUED, "")}


def test_start_releases_texts_whose_campaign_was_paused_after_the_lease_was_taken():
    """The race pause cannot see: a lease taken while the pause was committing."""
    sent = send_bulk(numbers(3), "Sale", campaign="Sale")
    leased = lease_due(10)
    Campaign.objects.filter(pk=sent[0].campaign_id).update(state=CampaignState.PAUSED)
    assert start(leased) == []
    assert set(OutboundMessage.objects.values_list("status", "leased_by")) == {(Status.QUEUED, "")}


def test_pausing_twice_says_so():
    campaign = campaign_of(send_bulk(numbers(1), "Sale", campaign="Sale"))
    pause_campaign(campaign)
    with pytest.raises(AttentiveError, match="is paused; it cannot be paused"):
        pause_campaign(campaign)
    with pytest.raises(AttentiveError, match="cannot be resumed"):
        resume_campaign(resume_campaign(campaign))


# ---------------------------------------------------------------------- cancel rest


def test_cancel_the_rest_never_cancels_a_text_already_sending():
    sent = send_bulk(numbers(4), "Sale", campaign="Sale")
    in_flight = start(lease_due(1))
    assert [m.status for m in in_flight] == [Status.SENDING]
    cancelled = cancel_campaign(campaign_of(sent))
    assert cancelled == 3
    assert OutboundMessage.objects.get(pk=in_flight[0].pk).status == Status.SENDING
    # Its answer still counts.
    outcomes.record([SendReport(in_flight[0], {}, in_flight[0].leased_at, 5, _ok())])
    counts = campaign_of(sent).progress().as_json()["counts"]
    assert (counts["sent"], counts["cancelled"], counts["sending"]) == (1, 3, 0)


def test_a_text_sending_at_cancel_that_comes_back_for_a_retry_is_cancelled_then():
    sent = send_bulk(numbers(1), "Sale", campaign="Sale")
    in_flight = start(lease_due(1))[0]
    cancel_campaign(campaign_of(sent))
    error = TransientError("503", status_code=503)
    outcomes.record([SendReport(in_flight, {}, in_flight.leased_at, 5, error)])
    assert OutboundMessage.objects.get().status == Status.QUEUED
    OutboundMessage.objects.update(next_attempt_at=None)
    assert lease_due(10) == []
    assert OutboundMessage.objects.get().status == Status.CANCELLED


def _ok():
    from django_attentive.backends.base import SendResult

    return SendResult(200, "{}")


# ------------------------------------------------------------------ compose warning


def test_compose_warns_when_a_new_name_would_be_the_21st_of_the_day(client, attentive):
    attentive(BACKEND="django_attentive.backends.text_send.TextSendBackend")
    for n in range(20):
        send_bulk(numbers(1, start=n), "Sale", campaign=f"Sale {n}")
    client.force_login(User.objects.create_superuser("owner"))
    url = reverse("admin:django_attentive_outboundmessage_compose")
    form = {"recipients": "+12015550100\n+12015550101", "body": "Sale", "_preview": "1"}
    new = client.post(url, {**form, "campaign": "Sale 20"})
    assert "would be number 21" in new.content.decode()
    again = client.post(url, {**form, "campaign": "Sale 3"})
    assert "would be number" not in again.content.decode()
    assert "Joins the existing campaign" in again.content.decode()
    attentive(BACKEND="django_attentive.backends.locmem.LocmemBackend")
    assert (
        "would be number" not in client.post(url, {**form, "campaign": "Sale 20"}).content.decode()
    )
