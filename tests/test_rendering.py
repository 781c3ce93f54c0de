"""Plain-text rendering of MessageTemplates and the template cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from django_attentive.models import MessageTemplate
from django_attentive.rendering import (
    RenderError,
    active_template,
    compile_body,
    preview,
    render_body,
)
from django_attentive.template_context import SAMPLE_ORDER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    cache.clear()


def test_rendering_is_plain_text_without_html_escaping():
    text = render_body("{{ name }} <3 {{ note }}", {"name": "O'Brien & Sons", "note": '"hi"'})
    assert text == 'O\'Brien & Sons <3 "hi"'


def test_rendering_strips_surrounding_whitespace_and_blank_unknown_variables():
    assert render_body("\n  Hi {{ missing }}!\n", {}) == "Hi !"


def test_a_template_that_does_not_compile_raises_render_error():
    with pytest.raises(RenderError, match="does not compile"):
        compile_body("{% for %}")


def test_an_exception_while_rendering_becomes_render_error():
    class Exploding:
        @property
        def total(self):
            raise ValueError("no total")

    with pytest.raises(RenderError, match="no total"):
        render_body("{{ order.total }}", {"order": Exploding()})


def test_preview_counts_segments_with_the_brand_prefix(attentive):
    attentive(BRAND_PREFIX="Shop: ")
    result = preview("Order {{ order.number }}")
    assert result.text == "Order 1001"
    assert result.segments.characters == len("Shop: Order 1001")
    assert result.source == "sample data"


def test_preview_of_a_broken_template_has_the_error_and_no_segments():
    result = preview("{{ x|nope }}", order=None)
    assert result.error and result.segments is None and result.text == ""


def test_sample_order_reads_like_an_order():
    assert render_body("#{{ order.number }} {{ order.total }}", {"order": SAMPLE_ORDER}) == (
        "#1001 49.90"
    )


def test_inactive_and_missing_templates_are_none():
    MessageTemplate.objects.create(key="order_paid", body="x", is_active=False)
    assert active_template("order_paid") is None
    assert active_template("order_nothing") is None


def test_a_missing_template_created_later_is_found_at_once():
    assert active_template("order_placed") is None
    MessageTemplate.objects.create(key="order_placed", body="Now")
    assert active_template("order_placed").body == "Now"


def test_a_deleted_template_is_forgotten():
    template = MessageTemplate.objects.create(key="order_placed", body="Soon gone")
    assert active_template("order_placed") is not None
    template.delete()
    assert active_template("order_placed") is None


def test_a_deactivated_template_is_forgotten():
    template = MessageTemplate.objects.create(key="order_placed", body="x")
    assert active_template("order_placed") is not None
    template.is_active = False
    template.save()
    assert active_template("order_placed") is None


def test_a_template_cannot_change_the_sample_order_for_the_next_preview():
    preview("{{ order.clear }}{{ order.items.clear }}{{ order.shipping_address.clear }}")
    result = preview(
        "{{ order.number }} {{ order.items|length }} {{ order.shipping_address.first_name }}"
    )
    assert result.text == "1001 2 Ada"
