"""The MessageTemplate admin: validation on save and the live preview."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from django_attentive.models import MessageTemplate, OutboundMessage, Source, Status
from tests.shopapp.models import Order

pytestmark = pytest.mark.django_db

PREVIEW_URL = "admin:django_attentive_messagetemplate_preview"


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    cache.clear()


def add(admin_client, **fields):
    data = {"key": "order_placed", "body": "Order {{ order.number }}", "is_active": "on", **fields}
    return admin_client.post(reverse("admin:django_attentive_messagetemplate_add"), data)


def test_a_valid_template_is_saved(admin_client):
    response = add(admin_client, transactional="on")
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    assert (template.key, template.transactional, template.is_active) == (
        "order_placed",
        True,
        True,
    )


def test_a_template_that_does_not_compile_is_refused_with_the_reason(admin_client):
    response = add(admin_client, body="{% if %}")
    assert response.status_code == 200
    assert "does not compile" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_a_media_url_that_is_not_an_image_is_refused(admin_client):
    response = add(admin_client, media_url="https://cdn.example/file.pdf")
    assert response.status_code == 200
    assert "not a GIF, PNG or JPG" in response.content.decode()


def test_preview_renders_against_sample_data_without_orders(admin_client):
    response = admin_client.post(reverse(PREVIEW_URL), {"body": "Hi {{ order.customer_name }}"})
    result = response.json()
    assert result["text"] == "Hi Ada O'Brien & Sons"
    assert result["source"] == "sample data"
    assert result["segments"]["segments"] == 1
    assert "1 segment (GSM-7" in result["meta"]


def test_preview_renders_against_the_last_order_texted_about(admin_client):
    order = Order.objects.create(number="4242", phone="+12015550123")
    OutboundMessage.objects.create(
        to="+12015550123", body="x", status=Status.SENT, source=Source.ORDER, related=order
    )
    result = admin_client.post(reverse(PREVIEW_URL), {"body": "Order {{ order.number }} ✓"}).json()
    assert result["text"] == "Order 4242 ✓"
    assert result["segments"]["encoding"] == "UCS-2"
    assert "#4242" in result["source"]


def test_preview_reports_template_errors(admin_client):
    result = admin_client.post(reverse(PREVIEW_URL), {"body": "{{ x|nope }}"}).json()
    assert result["text"] == ""
    assert "does not compile" in result["error"]


def test_preview_needs_a_staff_user(client):
    response = client.post(reverse(PREVIEW_URL), {"body": "Hi"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_preview_refuses_get(admin_client):
    assert admin_client.get(reverse(PREVIEW_URL)).status_code == 405


def test_change_page_shows_the_rendered_preview(admin_client):
    template = MessageTemplate.objects.create(key="order_paid", body="Paid: {{ order.number }}")
    page = admin_client.get(
        reverse("admin:django_attentive_messagetemplate_change", args=[template.pk])
    )
    content = page.content.decode()
    assert "Paid: 1001" in content
    assert 'id="attentive-preview"' in content
    assert reverse(PREVIEW_URL) in content


def test_failed_order_texts_show_their_reason_in_the_message_admin(admin_client):
    from django_attentive.outbox.intake import record_failed

    order = Order.objects.create(number="9", phone="")
    message = record_failed(
        "", "Order 9", "The order has no phone number to text.", related=order, source="order"
    )
    page = admin_client.get(
        reverse("admin:django_attentive_outboundmessage_change", args=[message.pk])
    )
    assert "The order has no phone number to text." in page.content.decode()
