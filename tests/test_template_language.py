"""The text template language: which tags and filters exist, one loop, bounded arguments."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from django_attentive.rendering import render_body
from django_attentive.template_context import MAX_ITEMS, MAX_VALUE_LENGTH, Values
from django_attentive.template_language import (
    ALLOWED_FILTERS,
    MAX_TEMPLATE_LENGTH,
    RenderError,
    compile_text,
)


def order(**values) -> dict:
    plain = {"number": "1001", "total": Decimal("49.90"), "items": [], **values}
    return {"order": Values(plain, text=plain["number"]), "event": "placed"}


@pytest.mark.parametrize(
    "body",
    [
        "{% if order.total > 40 %}Big{% elif order.total %}Small{% else %}None{% endif %}",
        "{% for line in order.items %}{{ forloop.counter }}{% empty %}-{% endfor %}",
        '{% for line in order.items|slice:":3" reversed %}{{ line.title }}{% endfor %}',
        "{% with n=order.number %}{{ n }}{% endwith %}",
        '{% firstof order.nickname order.number "you" %}',
        '{% now "Y" %}',
        "{% comment %}note{% endcomment %}{# note #}",
        '{{ order.total|floatformat:"2" }} {{ order.total|floatformat:"-2g" }}',
        '{{ order.number|default:"?"|upper|truncatechars:5 }}',
        "{{ order.items|length }} item{{ order.items|length|pluralize }}",
    ],
)
def test_what_a_text_needs_compiles(body):
    compile_text(body)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{% load static %}", "'load'"),
        ('{% include "admin/base.html" %}', "'include'"),
        ("{% debug %}", "'debug'"),
        ("{% lorem 100000 w %}", "'lorem'"),
        ("{% widthratio 1 1 100000000 %}", "'widthratio'"),
        ("{% cycle 'a' 'b' %}", "'cycle'"),
        ("{% filter rjust:'9' %}x{% endfilter %}", "'filter'"),
        ('{{ order.number|rjust:"50000000" }}', "'rjust'"),
        ('{{ order.number|ljust:"50000000" }}', "'ljust'"),
        ('{{ order.number|center:"50000000" }}', "'center'"),
        ("{{ order.number|stringformat:'0100000000d' }}", "'stringformat'"),
        ("{{ order.items|add:order.items }}", "'add'"),
        ("{{ order.number|make_list }}", "'make_list'"),
        ('{% if order.number|rjust:"9999999" %}x{% endif %}', "'rjust'"),
        ('{% with x=order.number|rjust:"9999999" %}{{ x }}{% endwith %}', "'rjust'"),
    ],
)
def test_tags_and_filters_outside_the_whitelist_are_named_in_the_refusal(body, named):
    with pytest.raises(RenderError, match=named) as refused:
        compile_text(body)
    assert "Allowed filters:" in str(refused.value)


def test_an_unknown_filter_does_not_compile():
    with pytest.raises(RenderError, match="does not compile: there is no filter 'nope'"):
        compile_text("{{ order.number|nope }}")


def test_nested_loops_are_refused():
    body = "{% for a in order.items %}{% if a %}{% for b in order.items %}x{% endfor %}{% endif %}"
    with pytest.raises(RenderError, match="cannot be nested"):
        compile_text(body + "{% endfor %}")


@pytest.mark.parametrize(
    "sequence",
    ["order.number", "order.lines.all", "order.items|dictsort:'title'", "items", '"abc"'],
)
def test_a_loop_may_only_walk_the_order_items(sequence):
    with pytest.raises(RenderError):
        compile_text(f"{{% for x in {sequence} %}}x{{% endfor %}}")


def test_a_loop_over_an_alias_of_something_else_is_refused():
    with pytest.raises(RenderError, match="order.items"):
        compile_text("{% with x=order.number %}{% for c in x %}{{ c }}{% endfor %}{% endwith %}")


@pytest.mark.parametrize("places", ['"7"', '"100000"', '"-100000"', "order.total", '"2.5"'])
def test_floatformat_precision_is_bounded(places):
    with pytest.raises(RenderError, match="floatformat"):
        compile_text(f"{{{{ order.total|floatformat:{places} }}}}")


def test_a_template_longer_than_the_limit_is_refused():
    with pytest.raises(RenderError, match="characters; keep it under"):
        compile_text("x" * (MAX_TEMPLATE_LENGTH + 1))


def test_underscore_lookups_do_not_compile():
    with pytest.raises(RenderError, match="does not compile"):
        compile_text("{{ order.__class__ }}")


def test_the_template_notes_which_order_values_it_reads():
    checked = compile_text(
        "{{ order.number }}{% if order.status == 'paid' %}{{ order.shipping_address.city }}"
        "{% endif %}{% for l in order.items %}{{ l.title|default:order.currency }}{% endfor %}"
    )
    assert checked.order_names == {"number", "status", "shipping_address", "items", "currency"}
    assert not checked.reads_whole_order
    assert compile_text("{% with o=order %}{{ o.number }}{% endwith %}").reads_whole_order


@pytest.mark.parametrize("name", ALLOWED_FILTERS)
def test_every_allowed_filter_compiles(name):
    needs_one = {
        "cut",
        "default",
        "default_if_none",
        "join",
        "slice",
        "truncatechars",
        "truncatewords",
    }
    argument = ':"2"' if name in needs_one else ""
    compile_text(f"{{{{ order.number|{name}{argument} }}}}")


def test_the_costliest_allowed_template_is_refused_quickly():
    # One loop over the longest item list, printing the longest value as often as the
    # longest template allows: bounded work, then refused for its length.
    unit = "{{ order.notes }}"
    body = "{% for l in order.items %}" + unit * ((MAX_TEMPLATE_LENGTH - 60) // len(unit))
    body += "{% endfor %}"
    context = order(notes="x" * MAX_VALUE_LENGTH, items=[{"title": "t"}] * MAX_ITEMS)
    started = time.perf_counter()
    with pytest.raises(RenderError, match="more than 10 segments"):
        render_body(body, context)
    assert time.perf_counter() - started < 0.5
