"""The compose screen: form validation, preview, confirmation, bulk queries, permissions."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_attentive.admin.compose import (
    MAX_RECIPIENTS,
    ComposeForm,
    message_template_model,
    parse_recipients,
)
from django_attentive.models import OutboundMessage, Source, Status
from django_attentive.segments import count_segments

pytestmark = pytest.mark.django_db

COMPOSE = "admin:django_attentive_outboundmessage_compose"


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="django_attentive", codename__in=codenames
        )
    )
    return user


@pytest.fixture
def sender() -> User:
    return _staff("sender", "view_outboundmessage", "send_message")


@pytest.fixture
def sender_client(sender) -> Client:
    client = Client()
    client.force_login(sender)
    return client


@pytest.fixture
def viewer_client() -> Client:
    client = Client()
    client.force_login(_staff("viewer", "view_outboundmessage", "view_sendattempt"))
    return client


def _post(client: Client, button: str = "_send", follow: bool = False, **fields: object):
    data = {"recipients": "+12015550123", "body": "Your order shipped", "token": "t1"}
    data.update(fields)
    data[button] = "1"
    return client.post(reverse(COMPOSE), data, follow=follow)


# ----------------------------------------------------------------- form validation table


def _future() -> str:
    return (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def _past() -> str:
    return (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {}),
        ({"recipients": "+12015550123, (201) 555-0124\n+1 201 555 0123"}, {}),
        ({"recipients": "+12015550123; +442079460958"}, {}),
        ({"recipients": ""}, {"recipients": "required"}),
        ({"recipients": " , ,\n"}, {"recipients": "at least one"}),
        ({"recipients": "+12015550123\nnope"}, {"recipients": "Line 2: 'nope' is not a"}),
        ({"recipients": "+33 6 12 34 56 78"}, {"recipients": "from France"}),
        ({"recipients": "+1 201 555 01"}, {"recipients": "not a valid phone number"}),
        ({"body": ""}, {"body": "cannot be empty"}),
        ({"body": "   "}, {"body": "cannot be empty"}),
        ({"body": "x" * 1601}, {"body": "at most 1600"}),
        ({"media_url": "https://shop.example/sale.png"}, {}),
        ({"media_url": "ftp://shop.example/sale.png"}, {"media_url": "not an http(s) URL"}),
        ({"media_url": "https://shop.example/sale.pdf"}, {"media_url": "GIF, PNG or JPG"}),
        ({"message_id": "m" * 256}, {"message_id": "too long"}),
        ({"transactional": "on", "message_id": "order-1001"}, {}),
        ({"send_at": "tomorrow"}, {"send_at": "valid date/time"}),
        ({"send_at": "PAST"}, {"send_at": "has passed"}),
        ({"send_at": "FUTURE"}, {}),
    ],
)
def test_compose_form_validation(fields, errors):
    data = {"recipients": "+12015550123", "body": "Your order shipped"}
    data.update(fields)
    if data.get("send_at") == "PAST":
        data["send_at"] = _past()
    elif data.get("send_at") == "FUTURE":
        data["send_at"] = _future()
    form = ComposeForm(data)
    assert form.is_valid() is not bool(errors), form.errors
    for field, fragment in errors.items():
        assert any(fragment in message for message in form.errors[field]), form.errors[field]


def test_every_bad_number_is_listed_with_its_line_and_none_dropped():
    text = "+12015550123\nbanana\n+12015550124, 12\n+33 6 12 34 56 78\n+12015550123"
    form = ComposeForm({"recipients": text, "body": "Hi"})
    assert not form.is_valid()
    problems = [error["message"] for error in form.errors.get_json_data()["recipients"]]
    assert problems[0].startswith("3 numbers can't be texted")
    assert [p.split(":")[0] for p in problems[1:]] == ["Line 2", "Line 3", "Line 4"]
    assert form.recipients_parsed.numbers == ["+12015550123", "+12015550124"]
    assert form.recipients_parsed.duplicates == 1


def test_duplicates_collapse_after_normalising():
    parsed = parse_recipients("+1 201 555 0123\n(201) 555-0123, 201.555.0123;+12015550124")
    assert parsed.numbers == ["+12015550123", "+12015550124"]
    assert parsed.duplicates == 2
    assert parsed.problems == []


def test_more_than_ten_thousand_numbers_are_refused():
    numbers = "\n".join(f"+1201{n:07d}" for n in range(5550000, 5550000 + MAX_RECIPIENTS + 1))
    form = ComposeForm({"recipients": numbers, "body": "Hi"})
    assert not form.is_valid()
    assert "at most 10,000" in form.errors["recipients"][0]


def test_body_line_endings_are_normalised_so_the_counter_agrees():
    form = ComposeForm({"recipients": "+12015550123", "body": "a\r\nb"})
    assert form.is_valid()
    assert form.cleaned_data["body"] == "a\nb"
    assert form.segments == count_segments("a\nb")


# ----------------------------------------------------------------- pages and flow


def test_changelist_links_compose_for_senders(sender_client):
    page = sender_client.get(reverse("admin:django_attentive_outboundmessage_changelist"))
    assert reverse(COMPOSE).encode() in page.content


def test_compose_page_passes_the_counter_its_alphabet_and_brand_prefix(sender_client, attentive):
    attentive(BRAND_PREFIX="Acme: ")
    page = sender_client.get(reverse(COMPOSE), {"to": "+12015550123"})
    assert page.status_code == 200
    config = json.loads(
        re.search(
            r'<script id="attentive-counter-config" type="application/json">(.*?)</script>',
            page.content.decode(),
            re.S,
        ).group(1)
    )
    assert config["brand_prefix"] == "Acme: "
    assert config["gsm7_single"] == 160 and config["ucs2_single"] == 70
    assert "€" in config["gsm7_extended"]
    assert "django_attentive/compose.js" in page.content.decode()
    assert page.context["form"].initial["recipients"] == "+12015550123"


def test_one_recipient_sends_straight_away(
    sender_client, sender, django_capture_on_commit_callbacks
):
    from django_attentive.backends import locmem

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(sender_client)
    message = OutboundMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:django_attentive_outboundmessage_change", args=[message.pk]
    )
    assert (message.to, message.source, message.created_by) == ("+12015550123", "admin", sender)
    assert message.status == Status.SENT
    assert [m["to"] for m in locmem.outbox] == ["+12015550123"]


def test_double_submitting_one_text_sends_it_once(
    sender_client, django_capture_on_commit_callbacks
):
    from django_attentive.backends import locmem

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(sender_client, token="same")
    with django_capture_on_commit_callbacks(execute=True) as again_scheduled:
        again = _post(sender_client, token="same")
    assert again_scheduled == []
    assert again["Location"] == first["Location"]
    assert OutboundMessage.objects.get().status == Status.SENT
    assert [m["to"] for m in locmem.outbox] == ["+12015550123"]


def test_preview_shows_the_servers_count_and_escapes_the_text(sender_client, attentive):
    attentive(BRAND_PREFIX="Acme: ")
    body = "<script>alert(1)</script> Sale 😀"
    response = _post(
        sender_client,
        "_preview",
        recipients="+12015550123\n+12015550124\n+12015550124",
        body=body,
        media_url="https://shop.example/sale.png",
    )
    assert response.status_code == 200
    expected = count_segments(body, brand_prefix="Acme: ")
    assert response.context["segments"] == expected
    assert expected.encoding == "UCS-2" and expected.ucs2_character == "😀"
    assert response.context["count"] == 2
    assert response.context["total_segments"] == expected.segments * 2
    assert response.context["duplicates"] == 1
    content = response.content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "because of “😀”" in content
    assert "MMS" in content
    assert OutboundMessage.objects.count() == 0


def test_many_recipients_need_the_confirmation_page(sender_client):
    response = _post(sender_client, recipients="+12015550123, +12015550124")
    assert response.status_code == 200
    assert b"Send 2 texts" in response.content
    assert OutboundMessage.objects.count() == 0


def test_edit_goes_back_to_the_form_with_what_was_typed(sender_client):
    response = _post(sender_client, "_edit", recipients="+12015550123, +12015550124")
    assert response.status_code == 200
    assert response.templates[0].name.endswith("compose.html")
    assert response.context["form"]["recipients"].value() == "+12015550123, +12015550124"


def test_invalid_numbers_are_shown_escaped_and_nothing_is_sent(sender_client):
    response = _post(sender_client, recipients="+12015550123\n<b>555</b>")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Line 2: &#x27;&lt;b&gt;555&lt;/b&gt;&#x27;" in content
    assert OutboundMessage.objects.count() == 0


def test_confirming_queues_every_text_and_links_to_them(sender_client, sender):
    recipients = "\n".join(f"+1201555{n:04d}" for n in range(5))
    response = _post(sender_client, "_confirm", recipients=recipients, transactional="on")
    assert response.status_code == 302
    created = OutboundMessage.objects.order_by("pk")
    assert [m.to for m in created] == [f"+1201555{n:04d}" for n in range(5)]
    assert {(m.status, m.source, m.message_type, m.created_by_id) for m in created} == {
        (Status.QUEUED, Source.ADMIN, "TRANSACTIONAL", sender.pk)
    }
    listing = sender_client.get(response["Location"])
    assert listing.status_code == 200
    assert all(m.to.encode() in listing.content for m in created)
    assert b"Queued 5 texts" in listing.content


def test_confirming_the_same_page_twice_sends_each_text_once(
    sender_client, django_capture_on_commit_callbacks
):
    recipients = "\n".join(f"+1201555{n:04d}" for n in range(5))
    first = _post(sender_client, "_confirm", recipients=recipients, token="page-1")
    sender_client.get(first["Location"])  # shows (and clears) "Queued 5 texts"
    with django_capture_on_commit_callbacks() as scheduled:
        again = _post(sender_client, "_confirm", recipients=recipients, token="page-1")
    assert OutboundMessage.objects.count() == 5
    assert scheduled == []  # nothing queued for delivery a second time
    assert again.status_code == 302
    assert again["Location"] == first["Location"]  # the same five texts
    listing = sender_client.get(again["Location"])
    assert b"Queued 5 texts" not in listing.content
    assert b"All 5 texts were already queued from this page" in listing.content


def test_adding_numbers_to_a_sent_page_sends_only_to_the_new_ones(sender_client):
    _post(sender_client, "_confirm", recipients="+12015550100\n+12015550101", token="page-1")
    more = "+12015550100\n+12015550101\n+12015550102"
    response = _post(sender_client, "_confirm", recipients=more, token="page-1", follow=True)
    assert OutboundMessage.objects.count() == 3
    content = response.content.decode()
    assert "Queued 1 text." in content
    assert "2 of these texts were already queued from this page" in content


def test_a_changed_text_from_the_same_page_is_a_new_send(sender_client):
    recipients = "+12015550100\n+12015550101"
    _post(sender_client, "_confirm", recipients=recipients, token="page-1")
    _post(sender_client, "_confirm", recipients=recipients, token="page-1", body="Sale ends")
    _post(sender_client, "_confirm", recipients=recipients, token="page-2", body="Sale ends")
    assert sorted(OutboundMessage.objects.values_list("body", flat=True)) == [
        "Sale ends",
        "Sale ends",
        "Sale ends",
        "Sale ends",
        "Your order shipped",
        "Your order shipped",
    ]


@pytest.mark.parametrize("token", ["", "x" * 65, "a:b"])
def test_a_confirmation_without_a_usable_token_is_shown_again_with_one(sender_client, token):
    recipients = "+12015550100\n+12015550101"
    response = _post(sender_client, "_confirm", recipients=recipients, token=token)
    assert response.status_code == 200
    assert response.templates[0].name.endswith("compose_confirm.html")
    assert _post(sender_client, recipients="+12015550100", token=token).status_code == 200
    assert OutboundMessage.objects.count() == 0
    token = re.search(r'name="token" value="([0-9a-f]{32})"', response.content.decode())
    assert token is not None
    _post(sender_client, "_confirm", recipients=recipients, token=token.group(1))
    _post(sender_client, "_confirm", recipients=recipients, token=token.group(1))
    assert OutboundMessage.objects.count() == 2


def test_the_confirmation_page_carries_the_forms_token(sender_client):
    response = _post(sender_client, "_preview", recipients="+12015550100\n+12015550101")
    assert 'name="token" value="t1"' in response.content.decode()


def test_a_resubmitted_single_text_says_it_was_already_sent(sender_client):
    first = _post(sender_client, token="same")
    again = _post(sender_client, token="same", follow=True)
    assert again.redirect_chain[0][0] == first["Location"]
    assert "was already queued from this page" in again.content.decode()
    _post(sender_client, token="same", body="Your order shipped today")
    assert OutboundMessage.objects.count() == 2


def test_scheduled_text_keeps_its_time(sender_client):
    _post(sender_client, send_at=_future())
    message = OutboundMessage.objects.get()
    assert message.next_attempt_at > timezone.now()
    assert message.status == Status.QUEUED


def test_bulk_compose_of_1000_recipients_takes_at_most_20_queries(
    sender_client, django_assert_max_num_queries
):
    recipients = "\n".join(f"+1201555{n:04d}" for n in range(1000))
    with django_assert_max_num_queries(20):
        response = _post(sender_client, "_confirm", recipients=recipients)
    assert response.status_code == 302
    assert OutboundMessage.objects.count() == 1000


# ----------------------------------------------------------------- permissions and CSRF


def test_staff_without_send_permission_can_look_but_not_compose(viewer_client):
    changelist = viewer_client.get(reverse("admin:django_attentive_outboundmessage_changelist"))
    assert changelist.status_code == 200
    assert reverse(COMPOSE).encode() not in changelist.content
    assert viewer_client.get(reverse(COMPOSE)).status_code == 403
    assert _post(viewer_client).status_code == 403
    confirm = _post(viewer_client, "_confirm", recipients="+12015550123, +12015550124")
    assert confirm.status_code == 403
    assert OutboundMessage.objects.count() == 0


def test_compose_requires_staff_login(client):
    response = client.get(reverse(COMPOSE))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_compose_is_csrf_protected(sender):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sender)
    response = _post(client)
    assert response.status_code == 403
    assert OutboundMessage.objects.count() == 0


# ----------------------------------------------------------------- templates (issue #4's model)

needs_templates = pytest.mark.skipif(
    message_template_model() is None, reason="MessageTemplate is not installed in this branch"
)


@needs_templates
def test_compose_starts_from_a_template(sender_client):
    model = message_template_model()
    model._default_manager.create(
        key="shipped",
        body="Your order shipped",
        media_url="https://shop.example/box.png",
        transactional=True,
        is_active=True,
    )
    model._default_manager.create(key="old", body="Old", is_active=False)
    page = sender_client.get(reverse(COMPOSE))
    assert list(page.context["counter_config"]["templates"]) == ["shipped"]
    response = _post(sender_client, body="", template="shipped")
    assert response.status_code == 302
    message = OutboundMessage.objects.get()
    assert (message.body, message.media_url, message.message_type) == (
        "Your order shipped",
        "https://shop.example/box.png",
        "TRANSACTIONAL",
    )


def test_without_template_model_the_form_has_no_template_field():
    form = ComposeForm()
    assert ("template" in form.fields) is (message_template_model() is not None)
