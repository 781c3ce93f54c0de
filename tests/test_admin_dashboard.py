"""The admin dashboard: its figures, its permission, and a query count independent of size."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from django_attentive.admin.dashboard_data import (
    ROLLUP_DAYS_PER_VIEW,
    dashboard_data,
    reason_category,
)
from django_attentive.campaign_progress import CLICK_EVENTS
from django_attentive.models import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    Campaign,
    DailyTextCount,
    Kind,
    OutboundMessage,
    Status,
    Suppression,
    WebhookEvent,
)

pytestmark = pytest.mark.django_db

URL = "/admin/django_attentive/dashboard/"
# The session, the user and its permissions, and the dashboard's thirteen queries (SQLite;
# PostgreSQL needs two fewer: its percentiles are one query).
MAX_QUERIES = 18
ERRORS = [
    "Attentive will not text this number: Subscriber is opted-out (HTTP 400); added to the "
    "suppression list",
    "Gave up after 5 attempts: Attentive's rate limit was reached: Too Many Requests (HTTP 429)",
    "Gave up after 3 attempts: Attentive's rate limit was reached: Too Many Requests (HTTP 429)",
    "The worker w1 stopped while sending; Attentive may or may not have received the text.",
]


def fill(n: int) -> None:
    """``n`` texts over the last ten days in every status, plus webhook events and suppressions."""
    now = timezone.now()
    statuses = itertools.cycle(list(Status))
    rows, created = [], []
    for i in range(n):
        status = next(statuses)
        created.append(now - timedelta(days=i % 10, minutes=i % 50))
        rows.append(
            OutboundMessage(
                to=f"+1201555{i % 10000:04d}",
                body="x",
                status=status,
                last_error=ERRORS[i % len(ERRORS)] if status != Status.SENT else "",
            )
        )
    OutboundMessage.objects.bulk_create(rows)
    # auto_now_add stamped every row "now": put the days (and send times) in afterwards.
    stored = list(OutboundMessage.objects.order_by("pk"))
    for i, (message, at) in enumerate(zip(stored, created, strict=True)):
        message.created_at = at
        if message.status == Status.SENT:
            message.sent_at = at + timedelta(seconds=1 + i % 7)
    OutboundMessage.objects.bulk_update(stored, ["created_at", "sent_at"], batch_size=500)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            dedup_key=f"k{i}",
            type=SUBSCRIBED if i % 3 else UNSUBSCRIBED,
            received_at=now - timedelta(days=i % 10),
            outcome="ignored",
        )
        for i in range(max(n // 10, 1))
    )
    Suppression.objects.bulk_create(
        Suppression(number=f"+1201666{i:04d}", reason="opted_out") for i in range(max(n // 20, 1))
    )
    campaigns = [Campaign.objects.create(name=f"Sale {c}", body="x") for c in range(3)]
    OutboundMessage.objects.filter(pk__in=[m.pk for m in stored[::2]]).update(campaign=campaigns[0])


@pytest.fixture
def staff_client() -> Client:
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_outboundmessage"))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("size", [20, 2000])
def test_query_count_does_not_grow_with_the_outbox(
    size, staff_client, django_assert_max_num_queries
):
    fill(size)
    for _ in range(2):  # the first render fills the rollup, the second reads it
        with django_assert_max_num_queries(MAX_QUERIES):
            response = staff_client.get(URL)
        assert response.status_code == 200
        assert response.context["data"].latency.sent > 0


def test_settled_days_are_rolled_up_and_read_back_unchanged():
    fill(200)
    first = dashboard_data(30)
    settled = timezone.localdate() - timedelta(days=2)
    rolled = set(DailyTextCount.objects.filter(status="").values_list("day", flat=True))
    unsettled = {
        timezone.localtime(m.created_at).date()
        for m in OutboundMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING])
    }
    assert rolled == {day for day in first.days if day < settled} - unsettled - set(first.counting)
    assert rolled  # some days settled, or this test proves nothing
    again = dashboard_data(30)
    assert again.texts == first.texts


def _sent_long_ago(days_ago: list[int]) -> None:
    """One sent text on each of those days (settled days, so the rollup takes them)."""
    now = timezone.now()
    for n in days_ago:
        message = OutboundMessage.objects.create(to="+12015550123", body="x", status=Status.SENT)
        OutboundMessage.objects.filter(pk=message.pk).update(created_at=now - timedelta(days=n))


def test_a_view_counts_only_a_few_settled_days_live_and_says_the_rest_are_being_counted():
    """After an upgrade (an empty rollup) no view counts the whole window live."""
    _sent_long_ago(list(range(3, 20)))
    today = timezone.localdate()

    first = dashboard_data(30)

    # Days 3 to 29 ago are settled: 27, of which this view counts the newest few.
    assert len(first.counting) == 27 - ROLLUP_DAYS_PER_VIEW
    newest = {today - timedelta(days=n) for n in range(3, 3 + ROLLUP_DAYS_PER_VIEW)}
    assert not newest & set(first.counting)  # the newest settled days come first
    assert set(
        DailyTextCount.objects.filter(status="", day__lt=today - timedelta(days=2)).values_list(
            "day", flat=True
        )
    ) == {today - timedelta(days=n) for n in range(3, 28)} - set(first.counting)
    for day in first.counting:
        assert all(counts[first.days.index(day)] == 0 for counts in first.texts.values())


def test_later_views_finish_the_rollup_and_then_every_day_has_its_count():
    _sent_long_ago(list(range(3, 20)))
    views = 1
    while dashboard_data(30).counting:
        views += 1
        assert views <= 30 // ROLLUP_DAYS_PER_VIEW + 1
    data = dashboard_data(30)
    assert not data.counting
    assert sum(data.texts[Status.SENT]) == 17
    assert DailyTextCount.objects.filter(status="").count() == 27


def test_the_page_says_which_days_are_being_counted(staff_client):
    _sent_long_ago(list(range(3, 20)))

    html = staff_client.get(URL).content.decode()

    assert 'id="days-being-counted"' in html
    assert html.count("being counted</td>") == 27 - ROLLUP_DAYS_PER_VIEW


def test_a_rolled_up_day_is_read_from_the_rollup():
    message = OutboundMessage.objects.create(to="+12015550123", body="x", status=Status.SENT)
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=5)
    )
    dashboard_data(30)
    day = timezone.localdate() - timedelta(days=5)
    DailyTextCount.objects.filter(day=day, status=Status.SENT).update(count=12345)
    data = dashboard_data(30)
    assert data.texts[Status.SENT][data.days.index(day)] == 12345


def test_a_day_with_queued_texts_is_not_rolled_up():
    message = OutboundMessage.objects.create(to="+12015550123", body="x")
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=6)
    )
    dashboard_data(30)
    day = timezone.localdate() - timedelta(days=6)
    assert not DailyTextCount.objects.filter(day=day).exists()
    OutboundMessage.objects.filter(pk=message.pk).update(status=Status.SENT)
    data = dashboard_data(30)
    assert DailyTextCount.objects.get(day=day, status=Status.SENT).count == 1
    assert data.texts[Status.SENT][data.days.index(day)] == 1


def test_recent_days_are_never_rolled_up():
    OutboundMessage.objects.create(to="+12015550123", body="x", status=Status.SENT)
    while dashboard_data(30).counting:
        pass
    recent = timezone.localdate() - timedelta(days=2)
    assert not DailyTextCount.objects.filter(day__gte=recent).exists()
    assert DailyTextCount.objects.filter(day__lt=recent, status="").count() == 27


def test_figures_match_the_rows():
    fill(70)
    data = dashboard_data(30)
    assert sum(1 for i in range(30) if any(c[i] for c in data.texts.values())) == 10
    per_status = {status: sum(counts) for status, counts in data.texts.items()}
    for status in Status:
        assert per_status[status.value] == OutboundMessage.objects.filter(status=status).count()
    assert sum(data.audience["subscribed"]) == WebhookEvent.objects.filter(type=SUBSCRIBED).count()
    assert sum(data.audience["unsubscribed"]) == 3  # events 0, 3 and 6 of 7
    assert sum(data.audience["suppressed"]) == 3
    assert data.queue.queued == OutboundMessage.objects.filter(status=Status.QUEUED).count()
    assert data.queue.sending == 10
    # 429s that gave up after 3 and after 5 attempts are one reason.
    reasons = dict(data.reasons)
    assert reasons["Attentive's rate limit was reached: Too Many Requests (HTTP 429)"] == sum(
        1
        for m in OutboundMessage.objects.filter(status__in=[Status.FAILED, Status.UNCONFIRMED])
        if "429" in m.last_error
    )
    sent_in_sale_0 = OutboundMessage.objects.filter(campaign__name="Sale 0", status=Status.SENT)
    assert [(c.name, c.sent, c.clicked) for c in data.campaigns] == [
        ("Sale 2", 0, 0),
        ("Sale 1", 0, 0),
        ("Sale 0", sent_in_sale_0.count(), 0),
    ]


def test_latency_median_and_p95_are_the_sent_texts_own():
    now = timezone.now()
    delays = list(range(1, 21))  # 1..20 seconds
    for seconds in delays:
        message = OutboundMessage.objects.create(to="+12015550123", body="x", status=Status.SENT)
        OutboundMessage.objects.filter(pk=message.pk).update(
            created_at=now - timedelta(minutes=5),
            sent_at=now - timedelta(minutes=5, seconds=-seconds),
        )
    latency = dashboard_data(7).latency
    assert latency.sent == 20
    assert latency.median == timedelta(seconds=10)
    assert latency.p95 == timedelta(seconds=19)


def test_events_other_than_texts_are_left_out():
    OutboundMessage.objects.create(to="+12015550123", body="", kind=Kind.CUSTOM_EVENT)
    assert sum(dashboard_data(7).texts[Status.QUEUED]) == 0


def test_old_rows_fall_outside_the_window():
    message = OutboundMessage.objects.create(to="+12015550123", body="x")
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    assert sum(dashboard_data(30).texts[Status.QUEUED]) == 0
    assert sum(dashboard_data(90).texts[Status.QUEUED]) == 1


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (ERRORS[1], "Attentive's rate limit was reached: Too Many Requests (HTTP 429)"),
        (ERRORS[0], "Attentive will not text this number: Subscriber is opted-out (HTTP 400)"),
        ("", "(no reason recorded)"),
        ("x" * 200, "x" * 80),
    ],
)
def test_reason_category(error, category):
    assert reason_category(error) == category


def test_dashboard_is_linked_from_the_app_index(staff_client):
    response = staff_client.get("/admin/django_attentive/")
    assert response.status_code == 200
    assert URL.encode() in response.content


def test_dashboard_needs_view_outboundmessage():
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert URL.encode() not in client.get("/admin/").content


def test_the_numbers_are_in_tables(staff_client):
    fill(30)
    response = staff_client.get(URL + "?days=7")
    html = response.content.decode()
    assert "<svg" in html and "<table>" in html and "<caption>" in html
    assert 'id="campaign-click-through"' in html
    assert response.context["days"] == 7


@pytest.mark.parametrize("days", ["abc", "-3", "100000"])
def test_bad_days_parameter_is_clamped(staff_client, days):
    response = staff_client.get(URL, {"days": days})
    assert response.status_code == 200
    assert 1 <= response.context["days"] <= 90


def test_click_through_counts_sent_texts_and_distinct_clicked_ones_per_campaign(staff_client):
    spring, autumn = (Campaign.objects.create(name=n, body="x") for n in ("Spring", "Autumn"))
    texts = [
        OutboundMessage.objects.create(
            to=f"+120155501{i:02d}",
            body="x",
            campaign=spring,
            status=Status.SENT if i < 4 else Status.FAILED,
        )
        for i in range(5)
    ]
    for n, text in enumerate([texts[0], texts[0], texts[1]]):  # two clicks on one text
        WebhookEvent.objects.create(
            dedup_key=f"c{n}",
            type=CLICK_EVENTS[0],
            outcome="ignored",
            message=text,
            campaign=spring,
        )
    rows = {row.name: row for row in dashboard_data().campaigns}
    assert (rows["Spring"].sent, rows["Spring"].clicked, rows["Spring"].rate) == (4, 2, 0.5)
    assert (rows["Autumn"].sent, rows["Autumn"].clicked, rows["Autumn"].rate) == (0, 0, 0.0)
    html = staff_client.get(URL).content.decode()
    assert "Spring" in html and "50 %" in html
