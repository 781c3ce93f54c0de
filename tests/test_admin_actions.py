"""Resend and cancel (actions and buttons), the attention filters, the message page, big tables."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.paginator import EmptyPage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_attentive.admin.messages import OutboundMessageAdmin
from django_attentive.admin.pagination import LargeTablePaginator
from django_attentive.backends import locmem
from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:django_attentive_outboundmessage_changelist"


def _url(view: str, message: OutboundMessage) -> str:
    return reverse(f"admin:django_attentive_outboundmessage_{view}", args=[message.pk])


def _message(status: str = Status.FAILED, to: str = "+12015550123", **fields) -> OutboundMessage:
    return OutboundMessage.objects.create(to=to, body="Your order shipped", status=status, **fields)


def _staff(username: str, *codenames: str) -> Client:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sender_client() -> Client:
    return _staff("sender", "view_outboundmessage", "send_message")


@pytest.fixture
def viewer_client() -> Client:
    return _staff("viewer", "view_outboundmessage")


def _action(client: Client, action: str, messages: list[OutboundMessage], **extra):
    data = {"action": action, "_selected_action": [m.pk for m in messages], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def _token(page) -> str:
    """The token a rendered resend form carries (see admin/form_tokens.py)."""
    found = re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode())
    assert found is not None
    return found.group(1)


def _resend_confirmed(client: Client, messages: list[OutboundMessage]):
    """Open the resend action's confirmation page and press "Yes, resend" on it."""
    token = _token(_action(client, "resend_selected", messages))
    return _action(client, "resend_selected", messages, post="yes", token=token)


def _press_resend(client: Client, message: OutboundMessage, **kwargs):
    """Open a message's page and press its Resend button."""
    token = _token(client.get(_url("change", message)))
    return client.post(_url("resend", message), {"token": token}, **kwargs)


# ----------------------------------------------------------------- resend


def test_resend_action_asks_first_then_resends_each_final_message(sender_client):
    failed = _message(Status.FAILED)
    unconfirmed = _message(Status.UNCONFIRMED, to="+12015550124")
    queued = _message(Status.QUEUED, to="+12015550125")
    sent = _message(Status.SENT, to="+12015550126")
    chosen = [failed, unconfirmed, queued, sent]

    confirmation = _action(sender_client, "resend_selected", chosen)
    assert b"Send 3 texts again" in confirmation.content
    assert b"already delivered" in confirmation.content
    assert OutboundMessage.objects.count() == 4

    done = _action(sender_client, "resend_selected", chosen, post="yes", token=_token(confirmation))
    assert b"Resent 3 texts." in done.content
    assert b"Skipped 1 still queued" in done.content
    copies = OutboundMessage.objects.filter(resent_from__isnull=False)
    assert sorted(c.resent_from_id for c in copies) == sorted([failed.pk, unconfirmed.pk, sent.pk])
    assert {c.to for c in copies} == {failed.to, unconfirmed.to, sent.to}


def test_resend_button_makes_a_linked_copy_and_opens_it(sender_client):
    failed = _message(Status.FAILED, last_error="Subscriber not found")
    response = _press_resend(sender_client, failed)
    copy = OutboundMessage.objects.get(resent_from=failed)
    assert response.status_code == 302
    assert response["Location"] == _url("change", copy)
    assert (copy.to, copy.body, copy.status) == (failed.to, failed.body, Status.QUEUED)
    original_page = sender_client.get(_url("change", failed))
    assert f"#{copy.pk}".encode() in original_page.content  # "Resent as #…"


def test_resend_button_refuses_a_message_still_queued(sender_client):
    queued = _message(Status.QUEUED)
    response = sender_client.post(_url("resend", queued), {"token": "t1"}, follow=True)
    assert b"still queued" in response.content
    assert OutboundMessage.objects.count() == 1


def test_pressing_resend_twice_on_the_same_page_sends_once(
    sender_client, django_capture_on_commit_callbacks
):
    failed = _message(Status.FAILED)
    token = _token(sender_client.get(_url("change", failed)))
    with django_capture_on_commit_callbacks(execute=True):
        first = sender_client.post(_url("resend", failed), {"token": token}, follow=True)
        again = sender_client.post(_url("resend", failed), {"token": token}, follow=True)
    copy = OutboundMessage.objects.get(resent_from=failed)
    assert first.redirect_chain[0][0] == again.redirect_chain[0][0] == _url("change", copy)
    [said] = [str(m) for m in again.context["messages"]]
    assert said == (
        f"Text #{failed.pk} was already resent as #{copy.pk} from this page; it was not sent again."
    )
    assert copy.idempotency_key == f"admin-resend:{token}:{failed.pk}"
    assert len(locmem.outbox) == 1


def test_the_resend_button_carries_a_new_token_each_time_the_page_is_shown(sender_client):
    failed = _message(Status.FAILED)
    page = sender_client.get(_url("change", failed))
    assert _token(page) != _token(sender_client.get(_url("change", failed)))
    assert b'class="attentive-tool attentive-resend" data-once' in page.content
    _press_resend(sender_client, failed)
    _press_resend(sender_client, failed)  # pressed again on a reloaded page: a deliberate resend
    assert OutboundMessage.objects.filter(resent_from=failed).count() == 2


@pytest.mark.parametrize("token", [None, "", "x" * 65, "a:b"])
def test_resend_without_a_usable_token_sends_nothing_and_says_why(sender_client, token):
    failed = _message(Status.FAILED)
    data = {} if token is None else {"token": token}
    response = sender_client.post(_url("resend", failed), data, follow=True)
    assert response.redirect_chain[-1][0] == _url("change", failed)
    [said] = [str(m) for m in response.context["messages"]]
    assert (
        said == f"Text #{failed.pk} was not resent: the page was out of date. Press Resend again."
    )
    assert OutboundMessage.objects.count() == 1


def test_confirming_the_resend_action_twice_sends_once(
    sender_client, django_capture_on_commit_callbacks
):
    failed = [_message(Status.FAILED, to=f"+1201555012{n}") for n in range(3)]
    confirmation = _action(sender_client, "resend_selected", failed)
    assert b'value="Yes, resend" data-once' in confirmation.content
    token = _token(confirmation)
    with django_capture_on_commit_callbacks() as scheduled:
        first = _action(sender_client, "resend_selected", failed, post="yes", token=token)
    with django_capture_on_commit_callbacks() as again_scheduled:
        again = _action(sender_client, "resend_selected", failed, post="yes", token=token)
    assert (len(scheduled), again_scheduled) == (1, [])  # one bulk delivery, then none
    assert "Resent 3 texts." in str(list(first.context["messages"])[0])
    assert [str(m) for m in again.context["messages"]] == [
        "All 3 texts were already resent from this page; nothing was sent twice."
    ]
    copies = OutboundMessage.objects.filter(resent_from__isnull=False)
    assert copies.count() == 3
    assert {c.idempotency_key for c in copies} == {f"admin-resend:{token}:{m.pk}" for m in failed}


def test_a_resubmitted_confirmation_with_more_texts_resends_only_the_new_ones(sender_client):
    failed = [_message(Status.FAILED, to=f"+1201555012{n}") for n in range(3)]
    token = _token(_action(sender_client, "resend_selected", failed[:2]))
    _action(sender_client, "resend_selected", failed[:2], post="yes", token=token)
    again = _action(sender_client, "resend_selected", failed, post="yes", token=token)
    said = [str(m) for m in again.context["messages"]]
    assert said[0] == (
        "2 of these texts were already resent from this page; they were not sent again."
    )
    assert said[1].startswith("Resent 1 text.")
    assert OutboundMessage.objects.filter(resent_from__isnull=False).count() == 3


@pytest.mark.parametrize("token", [None, "", "x" * 65])
def test_a_resend_confirmation_without_a_usable_token_is_shown_again(sender_client, token):
    failed = _message(Status.FAILED)
    extra = {"post": "yes"} if token is None else {"post": "yes", "token": token}
    response = _action(sender_client, "resend_selected", [failed], **extra)
    assert b"Send 1 text again" in response.content
    assert _token(response)
    assert OutboundMessage.objects.count() == 1


def test_resend_and_cancel_need_post(sender_client):
    message = _message(Status.FAILED)
    assert sender_client.get(_url("resend", message)).status_code == 405
    assert sender_client.get(_url("cancel", message)).status_code == 405


def test_resend_of_a_missing_message_is_404(sender_client):
    url = reverse("admin:django_attentive_outboundmessage_resend", args=[999999])
    assert sender_client.post(url).status_code == 404


# ----------------------------------------------------------------- cancel


def test_cancel_button_stops_a_queued_message(sender_client):
    queued = _message(Status.QUEUED)
    response = sender_client.post(_url("cancel", queued), follow=True)
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED
    assert b"will not be sent" in response.content


def test_cancel_button_leaves_a_sent_message_alone(sender_client):
    sent = _message(Status.SENT)
    response = sender_client.post(_url("cancel", sent), follow=True)
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert b"only queued texts can be cancelled" in response.content


def test_cancel_action_cancels_queued_and_reports_the_rest(sender_client):
    queued = [_message(Status.QUEUED, to=f"+1201555012{n}") for n in range(3)]
    sent = _message(Status.SENT, to="+12015550129")
    response = _action(sender_client, "cancel_selected", [*queued, sent])
    assert b"Cancelled 3 texts." in response.content
    assert b"Left 1 alone" in response.content
    assert OutboundMessage.objects.filter(status=Status.CANCELLED).count() == 3


# ----------------------------------------------------------------- permissions


def test_viewer_sees_messages_but_no_buttons_or_actions(viewer_client):
    failed = _message(Status.FAILED)
    queued = _message(Status.QUEUED, to="+12015550124")
    listing = viewer_client.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    assert b"resend_selected" not in listing.content
    assert b"cancel_selected" not in listing.content
    for message in (failed, queued):
        page = viewer_client.get(_url("change", message))
        assert page.status_code == 200
        assert _url("resend", message).encode() not in page.content
        assert _url("cancel", message).encode() not in page.content


def test_viewer_gets_403_from_resend_and_cancel(viewer_client):
    failed = _message(Status.FAILED)
    queued = _message(Status.QUEUED, to="+12015550124")
    assert viewer_client.post(_url("resend", failed)).status_code == 403
    assert viewer_client.post(_url("cancel", queued)).status_code == 403
    _action(viewer_client, "resend_selected", [failed], post="yes")
    _action(viewer_client, "cancel_selected", [queued])
    assert OutboundMessage.objects.count() == 2
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED


def test_sender_sees_the_buttons_that_apply(sender_client):
    failed = _message(Status.FAILED)
    queued = _message(Status.QUEUED, to="+12015550124")
    failed_page = sender_client.get(_url("change", failed)).content
    queued_page = sender_client.get(_url("change", queued)).content
    assert _url("resend", failed).encode() in failed_page
    assert _url("cancel", failed).encode() not in failed_page
    assert _url("cancel", queued).encode() in queued_page
    assert _url("resend", queued).encode() not in queued_page


def test_resend_button_is_csrf_protected():
    user = User.objects.create_superuser("boss", password="pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    failed = _message(Status.FAILED)
    assert client.post(_url("resend", failed)).status_code == 403
    assert OutboundMessage.objects.count() == 1


# ----------------------------------------------------------------- filters and message page


@pytest.mark.parametrize(
    ("attention", "expected"),
    [
        ("problems", {"+12015550101", "+12015550102"}),
        ("failed", {"+12015550101"}),
        ("unconfirmed", {"+12015550102"}),
        ("retrying", {"+12015550104"}),
    ],
)
def test_attention_filter_finds_failed_and_unconfirmed(admin_client, attention, expected):
    _message(Status.FAILED, to="+12015550101")
    _message(Status.UNCONFIRMED, to="+12015550102")
    _message(Status.SENT, to="+12015550103")
    _message(Status.QUEUED, to="+12015550104", attempts=1)
    _message(Status.QUEUED, to="+12015550105")
    page = admin_client.get(reverse(CHANGELIST), {"attention": attention})
    shown = {m.to for m in page.context["cl"].result_list}
    assert shown == expected


def test_searching_a_number_however_written_uses_the_to_column(admin_client):
    _message(Status.SENT, to="+12015550123")
    _message(Status.SENT, to="+12015550124")
    for term in ["(201) 555-0123", "+1 201 555 0123", "+12015550123"]:
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(reverse(CHANGELIST), {"q": term})
        assert [m.to for m in page.context["cl"].result_list] == ["+12015550123"], term
        assert not any("LIKE" in q["sql"].upper() for q in queries.captured_queries)
    by_body = admin_client.get(reverse(CHANGELIST), {"q": "order shipped"})
    assert len(by_body.context["cl"].result_list) == 2


def test_message_page_shows_each_attempt_readably(admin_client):
    message = _message(Status.SENT, to="+12015550123")
    SendAttempt.objects.create(
        message=message,
        started_at=message.created_at,
        duration_ms=5012,
        request={"to": "+12015550123", "body": "<b>hi</b>"},
        status_code=None,
        outcome=Outcome.RETRY,
        error="Connection refused",
    )
    SendAttempt.objects.create(
        message=message,
        started_at=message.created_at,
        duration_ms=87,
        request={"to": "+12015550123", "body": "<b>hi</b>"},
        status_code=200,
        response_body='{"to":"+12015550123","body":"<b>hi</b>"}',
        outcome=Outcome.SENT,
    )
    content = admin_client.get(_url("change", message)).content.decode()
    history = content[content.index('id="attentive-history"') :]
    assert history.count('class="attentive-attempt"') == 2
    assert "5012 ms" in history and "87 ms" in history
    assert "no answer" in history and ">200<" in history
    assert "Connection refused" in history
    assert "&quot;body&quot;: &quot;&lt;b&gt;hi&lt;/b&gt;&quot;" in history  # pretty and escaped
    assert "<b>hi</b>" not in content


def test_new_text_link_keeps_a_uk_numbers_plus(sender_client):
    message = _message(Status.SENT, to="+447911123456")
    page = sender_client.get(_url("change", message))
    link = page.context["compose_again_url"]
    assert link.encode() in page.content
    compose = sender_client.get(link)
    assert compose.context["form"].initial["recipients"] == "+447911123456"
    assert link.endswith("?to=%2B447911123456")


def test_status_banner_explains_a_failure(admin_client):
    message = _message(Status.FAILED, last_error="Subscriber <x> opted out")
    content = admin_client.get(_url("change", message)).content.decode()
    assert 'data-status="failed"' in content
    assert "Subscriber &lt;x&gt; opted out" in content


# ----------------------------------------------------------------- big tables


def _changelist_queries(client: Client, **params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_changelist_query_count_does_not_grow_with_rows(admin_client):
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201555{n:04d}", body="x", status=Status.SENT) for n in range(20)
    )
    few = _changelist_queries(admin_client)
    original = OutboundMessage.objects.first()
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201556{n:04d}", body="x", status=Status.FAILED, resent_from=original)
        for n in range(400)
    )
    many = _changelist_queries(admin_client)
    filtered = _changelist_queries(admin_client, attention="problems", p="2")
    # session, user, the refused-token banner's last attempt, (PostgreSQL: table estimate),
    # capped count, one page of rows
    assert len(few) == len(many) <= 6
    assert len(filtered) <= 6
    counts = [sql for sql in many if "COUNT(" in sql.upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)  # never a full COUNT(*)


def test_paginator_caps_its_count():
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201555{n:04d}", body="x") for n in range(30)
    )
    paginator = LargeTablePaginator(OutboundMessage.objects.filter(status=Status.QUEUED), 10)
    paginator.cap = 25
    assert paginator.count == 26
    assert paginator.capped and paginator.describe_count() == "more than 25"
    assert len(paginator.page(3).object_list) == 10  # all real rows, not 26 - 20
    assert len(paginator.page(4).object_list) == 0  # past the end: empty, not an error
    exact = LargeTablePaginator(OutboundMessage.objects.filter(status=Status.QUEUED), 10)
    assert exact.count == 30 and exact.describe_count() == "30"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_class estimates")
def test_paginator_trusts_postgresql_estimate_for_the_whole_table():
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201555{n:04d}", body="x") for n in range(60)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {OutboundMessage._meta.db_table}")
    paginator = LargeTablePaginator(OutboundMessage.objects.all(), 10)
    paginator.cap = 25
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    assert paginator.estimated and count > 25
    assert "pg_class" in queries.captured_queries[0]["sql"]
    assert paginator.describe_count().startswith("about ")


@pytest.mark.parametrize("page", ["10000000000000000000000", str(2**62)])
def test_a_page_number_past_any_possible_offset_redirects_like_django(
    admin_client, monkeypatch, page
):
    monkeypatch.setattr(LargeTablePaginator, "cap", 5)
    monkeypatch.setattr(OutboundMessageAdmin, "list_per_page", 2)
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201555{n:04d}", body="x", status=Status.SENT) for n in range(10)
    )
    response = admin_client.get(reverse(CHANGELIST), {"p": page})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")  # what Django's admin does for an invalid page
    assert admin_client.get(response["Location"]).status_code == 200
    past_the_cap = admin_client.get(reverse(CHANGELIST), {"p": "1000"})
    assert past_the_cap.status_code == 200  # still an empty page, not an error
    assert list(past_the_cap.context["cl"].result_list) == []


def test_paginator_refuses_a_page_no_database_can_offset_to():
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+1201555{n:04d}", body="x") for n in range(30)
    )
    paginator = LargeTablePaginator(OutboundMessage.objects.filter(status=Status.QUEUED), 10)
    paginator.cap = 25
    with pytest.raises(EmptyPage):
        paginator.page(10**22)
    assert len(paginator.page(10**6).object_list) == 0


# ----------------------------------------------------------------- resend: refusals and the queue

TEXT_SEND = "django_attentive.backends.text_send.TextSendBackend"


def test_resend_action_resends_the_rest_and_names_each_text_it_could_not(sender_client, attentive):
    attentive(BACKEND=TEXT_SEND)
    good = _message(Status.FAILED, to="+12015550121")
    braces = _message(Status.FAILED, to="+12015550122")
    OutboundMessage.objects.filter(pk=braces.pk).update(body="Hi {name}, your order shipped")
    also_good = _message(Status.SENT, to="+12015550123")

    done = _resend_confirmed(sender_client, [good, braces, also_good])
    assert done.status_code == 200
    content = done.content.decode()
    assert "Resent 2 texts." in content
    assert f"Not resent: #{braces.pk}. The body contains &#x27;{{&#x27;" in content
    copies = OutboundMessage.objects.filter(resent_from__isnull=False)
    assert sorted(c.resent_from_id for c in copies) == [good.pk, also_good.pk]


def test_resend_action_lists_many_refusals_briefly(sender_client):
    broken = [_message(Status.FAILED, to=f"bad number {n}") for n in range(12)]
    done = _resend_confirmed(sender_client, broken)
    shown = [str(m) for m in done.context["messages"]]
    assert len(shown) == 11  # ten reasons, then the rest by id
    assert shown[0].startswith(f"Not resent: #{broken[0].pk}. 'bad number 0' is not")
    assert shown[-1] == (
        f"Not resent, for other reasons: #{broken[10].pk}, #{broken[11].pk}. "
        "Resend one from its page to see why."
    )
    assert OutboundMessage.objects.count() == 12


def test_resend_button_shows_why_a_text_can_no_longer_be_sent(sender_client, attentive):
    attentive(BACKEND=TEXT_SEND)
    braces = _message(Status.FAILED)
    OutboundMessage.objects.filter(pk=braces.pk).update(body="Hi {name}")
    response = _press_resend(sender_client, braces, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _url("change", braces)
    [message] = response.context["messages"]
    assert str(message).startswith(f"Text #{braces.pk} was not resent: The body contains '{{'")
    assert OutboundMessage.objects.count() == 1


def test_resend_action_hands_delivery_to_the_queue_in_one_bulk(
    sender_client, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    failed = [_message(Status.FAILED, to=f"+1201555012{n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        _resend_confirmed(sender_client, failed)
    assert locmem.outbox == []  # the ImmediateBackend did not send them inside the request
    copies = OutboundMessage.objects.filter(resent_from__isnull=False)
    assert {c.status for c in copies} == {Status.QUEUED}

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        _resend_confirmed(sender_client, failed)  # a new confirmation: a second resend
    assert DBTaskResult.objects.count() == 1  # one bulk delivery for the three copies
