"""The django-oscar adapter, end to end through Oscar's own OrderCreator.

Runs only where django-oscar is installed, with its settings:
``DJANGO_SETTINGS_MODULE=tests.oscar_settings pytest -m oscar tests/test_contrib_oscar.py``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

pytest.importorskip("oscar", reason="django-oscar is not installed")
if "oscar.config.Shop" not in settings.INSTALLED_APPS:
    pytest.skip("needs DJANGO_SETTINGS_MODULE=tests.oscar_settings", allow_module_level=True)

from oscar.apps.checkout.calculators import OrderTotalCalculator  # noqa: E402
from oscar.apps.order.utils import OrderCreator  # noqa: E402
from oscar.apps.shipping.methods import Free  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402
from oscar.test import factories  # noqa: E402

from django_attentive.backends import locmem  # noqa: E402
from django_attentive.contrib.oscar import event_for_status  # noqa: E402
from django_attentive.models import MessageTemplate, OutboundMessage, Source, Status  # noqa: E402

pytestmark = [pytest.mark.oscar, pytest.mark.django_db(transaction=True)]

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")
ShippingAddress = get_model("order", "ShippingAddress")


@pytest.fixture(autouse=True)
def _templates():
    cache.clear()
    MessageTemplate.objects.create(
        key="order_placed",
        body="Hi {{ order.shipping_address.first_name }}, order {{ order.number }} "
        "({{ order.total_incl_tax }} {{ order.currency }}) is confirmed.",
    )
    MessageTemplate.objects.create(
        key="order_being_processed", body="Order {{ order.number }} is being packed."
    )
    yield
    cache.clear()


def place_order(phone: str = "+1 201 555 0123", user=None) -> Order:
    """Check out a one-product basket the way Oscar's checkout does: OrderCreator.place_order."""
    product = factories.create_product(price=Decimal("12.50"), num_in_stock=5)
    basket = factories.create_basket(empty=True)
    basket.add_product(product, quantity=2)
    address = ShippingAddress.objects.create(
        first_name="Siobhán",
        last_name="O'Brien",
        line1="1 Main St",
        line4="Hoboken",
        postcode="07030",
        country=factories.CountryFactory(iso_3166_1_a2="US", printable_name="United States"),
        phone_number=phone,
    )
    shipping = Free()
    charge = shipping.calculate(basket)
    total = OrderTotalCalculator().calculate(basket, charge)
    return OrderCreator().place_order(
        basket=basket,
        total=total,
        shipping_method=shipping,
        shipping_charge=charge,
        shipping_address=address,
        user=user,
    )


def test_placing_an_order_texts_the_shipping_phone_once():
    order = place_order()
    message = OutboundMessage.objects.get()
    assert message.status == Status.SENT
    assert message.to == "+12015550123"
    assert message.body == f"Hi Siobhán, order {order.number} (25.00 GBP) is confirmed."
    assert message.source == Source.ORDER
    assert message.related == order
    assert message.idempotency_key == f"order:order.order:{order.pk}:placed"
    assert [m["body"] for m in locmem.outbox] == [message.body]


def test_a_status_change_texts_the_new_status_template():
    order = place_order()
    order.set_status("Being processed")
    assert [m["body"] for m in locmem.outbox][-1] == f"Order {order.number} is being packed."
    order.set_status("Shipped")  # no order_shipped template: nothing more
    assert len(locmem.outbox) == 2


def test_an_order_placed_in_a_rolled_back_checkout_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        place_order()
        raise RuntimeError("payment failed after the order was written")
    assert not Order.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert locmem.outbox == []


def test_an_invalid_shipping_phone_is_recorded_and_the_order_still_placed():
    order = place_order(phone="+33 6 12 34 56 78")
    assert Order.objects.filter(pk=order.pk).exists()
    message = OutboundMessage.objects.get()
    assert message.status == Status.FAILED
    assert "France" in message.last_error
    assert locmem.outbox == []


def test_an_oscar_order_renders_its_customer_and_lines_but_never_its_user():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    MessageTemplate.objects.filter(key="order_placed").update(
        body="{{ order.customer_name }}: {% for line in order.items %}{{ line.quantity }} x "
        "{{ line.title }} {{ line.price }}{% endfor %}{{ order.user.password }}"
        "{{ order.user.email }}{{ order.guest_email }}"
    )
    place_order(user=user)
    body = OutboundMessage.objects.get().body
    assert body.startswith("Siobhán O'Brien: 2 x ")
    assert body.endswith(" 25.00")
    assert user.password not in body and "ada@example.com" not in body


def test_oscar_statuses_become_event_slugs():
    assert event_for_status("Being processed") == "being_processed"
    assert event_for_status("Complete") == "complete"


# ---------------------------------------------------------------- consent at Oscar's checkout
# The recipe from docs/consent.md ("Oscar"): the forked checkout app's ShippingAddressForm
# gets the two boxes; ShippingAddressView.form_valid records what was ticked.

from oscar.apps.checkout.forms import ShippingAddressForm as OscarShippingAddressForm  # noqa: E402

from django_attentive import record_consent  # noqa: E402
from django_attentive.forms import ConsentField  # noqa: E402
from django_attentive.models import Consent  # noqa: E402


class ShippingAddressForm(OscarShippingAddressForm):
    order_texts = ConsentField("TRANSACTIONAL")
    marketing_texts = ConsentField("MARKETING")


def record_checkout_consents(request, form) -> list:
    """What the forked ShippingAddressView.form_valid adds before calling super()."""
    phone = form.cleaned_data.get("phone_number")
    return [
        record_consent(request, phone=str(phone), subscription_type=kind, source="oscar checkout")
        for field, kind in (("order_texts", "TRANSACTIONAL"), ("marketing_texts", "MARKETING"))
        if phone and form.cleaned_data[field]
    ]


@pytest.fixture
def consent_settings(settings):
    settings.ATTENTIVE = {
        **settings.ATTENTIVE,
        "CONSENT": {
            "SHOP_NAME": "Oscar shop",
            "TERMS_URL": "https://oscar.test/terms",
            "PRIVACY_URL": "https://oscar.test/privacy",
            "SIGN_UP_SOURCE_IDS": {"MARKETING": "11", "TRANSACTIONAL": "22"},
        },
    }


def address_data(**extra: str) -> dict:
    country = factories.CountryFactory(
        iso_3166_1_a2="US", printable_name="United States", is_shipping_country=True
    )
    return {
        "first_name": "Siobhán",
        "last_name": "O'Brien",
        "line1": "1 Main St",
        "line4": "Hoboken",
        "postcode": "07030",
        "country": country.pk,
        "phone_number": "+1 201 555 0123",
        **extra,
    }


def test_oscars_address_form_shows_both_boxes_unticked(consent_settings):
    html = str(ShippingAddressForm())
    assert html.count('type="checkbox"') == 2 and "checked" not in html
    assert "Oscar shop" in html and "https://oscar.test/terms" in html


def test_ticked_boxes_at_oscars_checkout_are_recorded_and_subscribed(consent_settings, rf):
    from django.contrib.auth.models import AnonymousUser

    ticked = ShippingAddressForm().fields["order_texts"].disclosure.sha256
    form = ShippingAddressForm(data=address_data(order_texts=ticked))
    assert form.is_valid(), form.errors
    request = rf.post("/checkout/shipping-address/", REMOTE_ADDR="203.0.113.9")
    request.user = AnonymousUser()
    (consent,) = record_checkout_consents(request, form)
    assert (consent.phone, consent.subscription_type) == ("+12015550123", "TRANSACTIONAL")
    assert OutboundMessage.objects.get(kind="subscription").payload["signUpSourceId"] == "22"


def test_unticked_boxes_at_oscars_checkout_record_nothing(consent_settings, rf):
    form = ShippingAddressForm(data=address_data())
    assert form.is_valid(), form.errors
    assert record_checkout_consents(rf.post("/"), form) == []
    assert not Consent.objects.exists()


# ---------------------------------------------------------------- COMMERCE_EVENTS


def test_a_product_page_a_basket_add_and_an_order_reach_the_fake_as_three_events(
    fake, client, attentive
):
    from django.contrib.auth import get_user_model

    from django_attentive.commerce_items import PATHS
    from django_attentive.sending.worker import Worker
    from tests.attentive_schemas import validate

    attentive(COMMERCE_EVENTS=True)
    user = get_user_model().objects.create_user("ada", "ada@example.com", "pw")
    client.force_login(user)
    parent = factories.ProductFactory(structure="parent", stockrecords=[])
    child = factories.create_product(
        parent=parent, title="Mug, blue", price=Decimal("12.50"), num_in_stock=5
    )
    page = client.get(child.get_absolute_url())
    assert page.status_code == 200
    added = client.post(f"/basket/add/{child.pk}/", {"quantity": 2})
    assert added.status_code == 302
    order = place_order(user=user)
    # The text went out on commit; the three events wait for the worker (never sent inline).
    assert Worker(concurrency=1).run().counts["sent"] == 3

    [view] = fake.records(PATHS["product-view"])
    [cart] = fake.records(PATHS["add-to-cart"])
    [purchase] = fake.records(PATHS["purchase"])
    for path, event in [(PATHS["product-view"], view), (PATHS["add-to-cart"], cart)]:
        body = {k: event[k] for k in ("items", "user", "occurredAt")}
        validate(path, body)
    assert view["items"][0]["productId"] == str(parent.pk)
    assert view["items"][0]["productVariantId"] == str(child.pk)
    assert view["items"][0]["price"] == [{"value": 12.5, "currency": "GBP"}]
    assert view["items"][0]["productUrl"].endswith(child.get_absolute_url())
    assert cart["items"][0]["quantity"] == 2
    assert view["user"] == {
        "email": "ada@example.com",
        "externalIdentifiers": {"clientUserId": str(user.pk)},
    }
    assert purchase["items"][0]["quantity"] == 2
    assert purchase["items"][0]["price"] == [{"value": 12.5, "currency": "GBP"}]
    assert purchase["user"]["phone"] == "+12015550123"
    assert (
        OutboundMessage.objects.get(idempotency_key__startswith="commerce:purchase").related
        == order
    )
    # the order's text went out as before
    assert [m["body"] for m in fake.texts][-1].startswith("Hi Siobhán, order")


def test_an_anonymous_visitor_records_nothing(client, attentive):
    attentive(COMMERCE_EVENTS=True)
    product = factories.create_product(price=Decimal("5.00"), num_in_stock=1)
    assert client.get(product.get_absolute_url()).status_code == 200
    assert not OutboundMessage.objects.exists()
