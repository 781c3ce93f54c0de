"""What an admin-written template can reach and cost, through the paths a shop really uses:
the order event at checkout, the template admin's save, and its live preview."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from django_attentive.models import MessageTemplate, OutboundMessage, Source, Status
from django_attentive.signals import order_event
from tests.shopapp.models import Address, CustomerOrder, Order, OrderLine

pytestmark = pytest.mark.django_db

PREVIEW_URL = "admin:django_attentive_messagetemplate_preview"
ADD_URL = "admin:django_attentive_messagetemplate_add"
THREE_NESTED_LOOPS = (
    '{% for a in order.number|rjust:"150" %}{% for b in order.number|rjust:"150" %}'
    '{% for c in order.number|rjust:"150" %}x{% endfor %}{% endfor %}{% endfor %}'
)
HUGE_RJUST = 'Order {{ order.number|rjust:"50000000" }}'


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def customer():
    return User.objects.create_user(
        "ada", email="ada@example.com", password="correct horse battery staple"
    )


def make_order(**fields) -> CustomerOrder:
    values = {
        "number": "1001",
        "customer_name": "Ada",
        "phone": "+1 201 555 0123",
        "total": Decimal("49.90"),
        **fields,
    }
    return CustomerOrder.objects.create(**values)


def fire(order, body: str, event: str = "placed") -> OutboundMessage:
    MessageTemplate.objects.update_or_create(key=f"order_{event}", defaults={"body": body})
    cache.clear()
    order_event.send(sender=type(order), order=order, event=event)
    return OutboundMessage.objects.filter(source=Source.ORDER).latest("pk")


def staff_client(*perms: str) -> Client:
    user = User.objects.create_user("junior", password="pw", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- what a template can read


def test_the_password_hash_of_the_orders_user_never_renders(customer):
    message = fire(
        make_order(user=customer),
        "Order {{ order.number }}{{ order.user.password }}{{ order.user.email }}"
        "{{ order.user_id }}{{ order.user }}",
    )
    assert message.body == "Order 1001"
    assert customer.password not in message.body + message.last_error
    assert "ada@example.com" not in message.body


def test_fields_named_like_secrets_never_render():
    order = make_order(api_token="tok-s3cr3t")
    message = fire(order, "Order {{ order.number }}{{ order.api_token }}")
    assert message.body == "Order 1001"


def test_a_related_manager_cannot_walk_other_customers_orders():
    address = Address.objects.create(phone_number="+12015550123")
    make_order(number="OTHER-1", customer_name="Someone Else", shipping_address=address)
    order = make_order(shipping_address=address)
    message = fire(
        order, "Order {{ order.number }}{{ order.shipping_address.customerorder_set.all }}"
    )
    assert message.body == "Order 1001"


def test_a_loop_over_a_manager_is_refused_at_render():
    make_order(number="OTHER-1", customer_name="Someone Else")
    order = make_order()
    message = fire(
        order,
        "{% for o in order.lines.model.objects.all %}{{ o }}{% endfor %}"
        "{% for o in order.user.groups.all %}{{ o }}{% endfor %}Order {{ order.number }}",
    )
    assert message.status == Status.FAILED
    assert "order.items" in message.last_error
    assert "OTHER-1" not in message.body


@pytest.mark.parametrize(
    "body",
    [
        "Order {{ order.number }}{{ settings.SECRET_KEY }}",
        "Order {{ order.number }}{{ request.user.password }}",
        "Order {{ order.number }}{{ order.shipping_address.customerorder_set.model.objects }}",
    ],
)
def test_settings_and_other_globals_render_empty(body, settings):
    settings.SECRET_KEY = "django-insecure-s3cr3t-key-for-this-test"
    message = fire(make_order(), body)
    assert message.body == "Order 1001"


def test_the_debug_tag_is_refused_at_render():
    message = fire(make_order(), "Order {{ order.number }}{% debug %}")
    assert message.status == Status.FAILED
    assert "'debug'" in message.last_error


# ---------------------------------------------------------------- what a template can cost


@pytest.mark.parametrize("body", [THREE_NESTED_LOOPS, HUGE_RJUST])
def test_a_costly_template_written_to_the_database_fails_fast_at_render(body):
    order = make_order()
    started = time.perf_counter()
    message = fire(order, body)
    elapsed = time.perf_counter() - started
    assert message.status == Status.FAILED
    assert "order_placed" in message.last_error
    assert elapsed < 0.5


def test_a_text_over_ten_segments_fails_with_the_segment_count():
    order = make_order(notes="x" * 1550)  # under the 1,600-character body limit, but 11 segments
    message = fire(order, "{{ order.notes }}")
    assert message.status == Status.FAILED
    assert "11 segments" in message.last_error


def test_one_loop_over_the_items_renders():
    order = make_order()
    OrderLine.objects.create(order=order, title="Mug", quantity=2, price=Decimal("9.50"))
    OrderLine.objects.create(order=order, title="Tee", quantity=1, price=Decimal("20.00"))
    message = fire(
        order,
        "Order {{ order.number }}:{% for line in order.items %} {{ line.quantity }} x "
        "{{ line.title }}{% if not forloop.last %},{% endif %}{% endfor %}",
    )
    assert message.body == "Order 1001: 2 x Mug, 1 x Tee"


# ---------------------------------------------------------------- the admin


def add(client: Client, body: str):
    data = {"key": "order_placed", "body": body, "is_active": "on"}
    return client.post(reverse(ADD_URL), data)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (THREE_NESTED_LOOPS, "rjust"),
        (HUGE_RJUST, "rjust"),
        ("{% for a in order.items %}{% for b in order.items %}x{% endfor %}{% endfor %}", "nested"),
        ("{% for o in order.lines.all %}{{ o }}{% endfor %}", "order.items"),
        ("{% load static %}{% static 'x.png' %}", "load"),
        ("{% debug %}", "debug"),
        ("{{ order.number|stringformat:'0100000000d' }}", "stringformat"),
        ('{{ order.total|floatformat:"100000" }}', "floatformat"),
    ],
)
def test_the_admin_refuses_a_costly_or_unsafe_template_naming_the_problem(
    admin_client, body, named
):
    response = add(admin_client, body)
    assert response.status_code == 200
    assert named in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_the_admin_refusal_says_what_is_allowed(admin_client):
    content = add(admin_client, HUGE_RJUST).content.decode()
    assert "Allowed filters:" in content
    assert "truncatechars" in content


def test_preview_of_a_huge_render_is_an_error_not_the_text(admin_client):
    body = "{% for line in order.items %}" + "{{ order.customer_name }}" * 60 + "{% endfor %}"
    result = admin_client.post(reverse(PREVIEW_URL), {"body": body}).json()
    assert result["text"] == ""
    assert "segments" in result["error"]


def test_preview_uses_sample_data_for_staff_who_may_not_view_orders():
    order = Order.objects.create(number="4242", customer_name="Real Customer", phone="+12015550123")
    OutboundMessage.objects.create(
        to="+12015550123", body="x", status=Status.SENT, source=Source.ORDER, related=order
    )
    client = staff_client("django_attentive.add_messagetemplate")
    result = client.post(reverse(PREVIEW_URL), {"body": "{{ order.customer_name }}"}).json()
    assert result["source"] == "sample data"
    assert "Real Customer" not in result["text"]
    page = client.get(reverse(ADD_URL)).content.decode()
    assert "Real Customer" not in page and "4242" not in page


def test_preview_uses_the_real_order_for_staff_who_may_view_orders():
    order = Order.objects.create(number="4242", customer_name="Real Customer", phone="+12015550123")
    OutboundMessage.objects.create(
        to="+12015550123", body="x", status=Status.SENT, source=Source.ORDER, related=order
    )
    client = staff_client("django_attentive.add_messagetemplate", "shopapp.view_order")
    result = client.post(reverse(PREVIEW_URL), {"body": "{{ order.customer_name }}"}).json()
    assert result["text"] == "Real Customer"
    assert "#4242" in result["source"]


@pytest.mark.parametrize(
    ("perms", "shown"),
    [
        ((), "Ada O&#x27;Brien &amp; Sons"),
        (("shopapp.view_order",), "Real Customer"),
    ],
)
def test_the_change_page_preview_shows_a_real_order_only_to_staff_who_may_view_it(perms, shown):
    order = Order.objects.create(number="4242", customer_name="Real Customer", phone="+12015550123")
    OutboundMessage.objects.create(
        to="+12015550123", body="x", status=Status.SENT, source=Source.ORDER, related=order
    )
    template = MessageTemplate.objects.create(key="order_paid", body="{{ order.customer_name }}")
    client = staff_client("django_attentive.change_messagetemplate", *perms)
    url = reverse("admin:django_attentive_messagetemplate_change", args=[template.pk])
    page = client.get(url).content.decode()
    assert shown in page
    if not perms:
        assert "Real Customer" not in page and "4242" not in page
