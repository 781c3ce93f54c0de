import pytest
from django.urls import reverse

from django_attentive.models import OutboundMessage, Outcome, SendAttempt, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_message():
    message = OutboundMessage.objects.create(
        to="+12015550123", body="Your <b>order</b> shipped", status=Status.SENT
    )
    SendAttempt.objects.create(
        message=message,
        started_at=message.created_at,
        duration_ms=41,
        request={"to": "+12015550123", "body": "Your <b>order</b> shipped"},
        status_code=200,
        response_body='{"to": "+12015550123"}',
        outcome=Outcome.SENT,
    )
    return message


def test_changelist_lists_messages_and_filters_by_status(admin_client, sent_message):
    OutboundMessage.objects.create(to="+12015550199", body="Other", status=Status.FAILED)
    url = reverse("admin:django_attentive_outboundmessage_changelist")
    page = admin_client.get(url, {"status__exact": "sent"})
    assert page.status_code == 200
    assert b"+12015550123" in page.content
    assert b"+12015550199" not in page.content


def test_changelist_searches_by_number_and_body(admin_client, sent_message):
    url = reverse("admin:django_attentive_outboundmessage_changelist")
    assert b"+12015550123" in admin_client.get(url, {"q": "+12015550123"}).content
    assert b"+12015550123" in admin_client.get(url, {"q": "shipped"}).content
    assert b"+12015550123" not in admin_client.get(url, {"q": "refund"}).content


def test_message_page_shows_its_attempts_read_only(admin_client, sent_message):
    url = reverse("admin:django_attentive_outboundmessage_change", args=[sent_message.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "41" in content and "200" in content
    assert "&lt;b&gt;order&lt;/b&gt;" in content  # user text is escaped
    assert 'name="_save"' not in content  # records are not edited by hand


def test_changelist_links_the_fake_inbox_when_mounted(admin_client):
    page = admin_client.get(reverse("admin:django_attentive_outboundmessage_changelist"))
    assert reverse("attentive_fake:inbox").encode() in page.content


def test_send_attempt_changelist_renders(admin_client, sent_message):
    page = admin_client.get(reverse("admin:django_attentive_sendattempt_changelist"))
    assert page.status_code == 200
    assert b"sent" in page.content.lower()


def test_message_page_reads_its_message_once(admin_client, sent_message):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:django_attentive_outboundmessage_change", args=[sent_message.pk])
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(url).status_code == 200
    table = OutboundMessage._meta.db_table
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}" WHERE "{table}"."id" =' in q["sql"]
    ]
    assert len(reads) == 1, reads
