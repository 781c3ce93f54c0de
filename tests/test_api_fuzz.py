"""Property-based fuzzing of the REST API: no input, however odd, gets a 500.

Hypothesis builds JSON-ish payloads (plausible fields mixed with wrong types, NUL bytes, lone
surrogates, absurd dates, unknown keys), raw bytes, odd headers and query strings, and sends
them through Django's test client. An unhandled exception fails the test with its traceback.
Quiet hours are on here, as by default, so a ``sendAt`` on the last day of year 9999 reaches
their computation.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from django_attentive import send_message
from django_attentive.models import OutboundMessage, Status
from django_attentive.sending.delivery import deliver

pytestmark = pytest.mark.django_db

MESSAGES = "/attentive/api/messages/"
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree or CI
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

TRICKY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "😀",
    "\u2028",
    "Ω≈ç√",
    "'; DROP TABLE x; --",
    "%00",
    "../../etc/passwd",
    "x" * 1601,
    "9" * 400,
]
text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(TRICKY_TEXT),
    st.builds(lambda a, b: a + b, st.text(max_size=10), st.sampled_from(TRICKY_TEXT)),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
dates = st.one_of(
    st.sampled_from(
        [
            "2030-01-01T09:00:00Z",
            "2000-01-01",
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T03:00:00Z",
            "9999-12-31T23:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "9999-12-31T23:59:59-14:00",
            "10000-01-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2024-01-01T25:61:00Z",
            "now",
            "",
        ]
    ),
    st.builds(
        lambda moment, zone: moment.isoformat() + zone,
        st.one_of(
            st.datetimes(),
            # The last and first days, where quiet hours' next morning may not exist.
            st.datetimes(min_value=datetime(9999, 12, 30)),
            st.datetimes(max_value=datetime(1, 1, 2)),
        ),
        st.sampled_from(["", "Z", "+14:00", "-14:00", "+99:99"]),
    ),
)
FIELDS = {
    "to": st.sampled_from(
        [
            "+12015550123",
            "(201) 555-0123",
            "+1 416 555 0123",
            "+44 7400 123456",
            "+33 6 12 34 56 78",
            "12345",
            "+1" + "2" * 300,
        ]
    ),
    "body": st.sampled_from(["Your order shipped", "Merci 📦"]),
    "messageId": st.sampled_from(["order-1001", "order-1002", "m" * 256]),
    "type": st.sampled_from(["TRANSACTIONAL", "TRANSACTIONAL", "transactional", ""]),
    "mediaUrl": st.sampled_from(
        [
            "https://shop.example/parcel.png",
            "https://shop.example/parcel.jpg",
            "https://shop.example/parcel.bmp",
            "ftp://shop.example/a.png",
            "https://" + "a" * 3000 + ".png",
        ]
    ),
    "sendAt": dates,
}
messages_payloads = st.builds(
    lambda known, unknown: {**unknown, **known},
    st.fixed_dictionaries(
        {}, optional={name: st.one_of(good, text, json_values) for name, good in FIELDS.items()}
    ),
    st.dictionaries(text, json_values, max_size=2),
)
# Mostly good texts with the odd bad field, so the paths past validation are fuzzed too.
good_payloads = st.fixed_dictionaries(
    {"to": FIELDS["to"], "body": st.one_of(FIELDS["body"], FIELDS["body"], text)},
    optional={name: FIELDS[name] for name in ("messageId", "type", "mediaUrl", "sendAt")},
)
payloads = st.one_of(good_payloads, messages_payloads, json_values)


def encode(payload: object, how: str) -> bytes:
    if how == "ascii":
        return json.dumps(payload).encode()
    # Lone surrogates pass through as bytes that are not valid UTF-8.
    return json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    st.builds(encode, payloads, st.sampled_from(["ascii", "raw"])),
    st.binary(max_size=200),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_IDEMPOTENCY_KEY": st.one_of(st.sampled_from(["k1", "k2", "order-1001"]), text),
        "HTTP_ACCEPT": st.sampled_from(
            [
                *["application/json"] * 6,
                "application/json; indent=4",
                "application/json; indent=abc",
                "text/html",
                "*/*",
                "application/xml",
                "",
            ]
        ),
    },
)
content_types = st.sampled_from(
    [
        *["application/json"] * 6,
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/json; charset=bogus",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)
query_strings = st.lists(
    st.tuples(
        st.sampled_from(
            ["status", "to", "created_after", "created_before", "cursor", "page_size", "format"]
        )
        | text,
        st.one_of(
            text,
            dates,
            st.sampled_from(["queued", "sent,failed", "+12015550123", "html", "json", "-1"]),
        ),
    ),
    max_size=4,
).map(
    lambda pairs: "&".join(
        quote(key.encode("utf-8", "surrogatepass"))
        + "="
        + quote(value.encode("utf-8", "surrogatepass"))
        for key, value in pairs
    )
)


@pytest.fixture(autouse=True)
def _quiet_hours_on(attentive):
    """The default window, which tests/settings.py turns off for the other modules."""
    attentive(QUIET_HOURS=("21:00", "08:00"))


@pytest.fixture
def api() -> APIClient:
    user = get_user_model().objects.create_superuser("fuzz", "fuzz@example.com", "pw")
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def existing() -> list[int]:
    """One queued, one sent and one failed text for the detail endpoints to find."""
    queued = send_message("+12015550123", "queued")
    sent = send_message("+12015550124", "sent")
    deliver(sent.pk)
    failed = send_message("+12015550125", "failed")
    OutboundMessage.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    return [queued.pk, sent.pk, failed.pk]


def assert_answered(response) -> None:
    event(f"HTTP {response.status_code}")  # the spread shows with --hypothesis-show-statistics
    assert response.status_code < 500, response.content[:500]
    if response.status_code == 201:
        message = OutboundMessage.objects.get(pk=response.data["id"])  # any Accept
        assert message.to.startswith("+")
        assert message.status == Status.QUEUED


@FUZZ
@given(body=bodies, content_type=content_types, extra=headers)
def test_fuzzed_post_never_500s_and_stores_only_valid_texts(api, body, content_type, extra):
    before = OutboundMessage.objects.count()
    response = api.generic("POST", MESSAGES, body, content_type=content_type, **extra)
    assert_answered(response)
    if response.status_code not in (200, 201):
        assert OutboundMessage.objects.count() == before


@FUZZ
@given(to=FIELDS["to"], send_at=dates, marketing=st.booleans())
def test_fuzzed_send_at_never_500s_with_quiet_hours_on(api, to, send_at, marketing):
    payload = {"to": to, "body": "Sale", "sendAt": send_at}
    if not marketing:
        payload["type"] = "TRANSACTIONAL"  # never held: skips quiet hours
    assert_answered(api.post(MESSAGES, payload, format="json"))


@FUZZ
@given(query=query_strings, extra=headers)
def test_fuzzed_list_queries_never_500(api, existing, query, extra):
    assert_answered(api.get(f"{MESSAGES}?{query}", **extra))


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    pk=st.one_of(st.integers(min_value=-5, max_value=10**20).map(str), text, st.just("{pk}")),
    action=st.sampled_from(["", "resend/", "cancel/", "nope/"]),
    body=bodies,
    extra=headers,
)
def test_fuzzed_detail_and_actions_never_500(api, existing, method, pk, action, body, extra):
    if pk == "{pk}":
        pk = str(existing[len(action) % len(existing)])
    url = MESSAGES + quote(pk.encode("utf-8", "surrogatepass"), safe="") + "/" + action
    response = api.generic(method, url, body, content_type="application/json", **extra)
    assert_answered(response)


@settings(FUZZ, max_examples=100)
@given(payload=payloads)
def test_fuzzed_post_replayed_with_its_key_gives_the_first_answer(api, payload):
    key = uuid.uuid4()  # fresh per example: hypothesis repeats the values it draws

    def once():
        return api.generic(
            "POST", MESSAGES, json.dumps(payload), "application/json", HTTP_IDEMPOTENCY_KEY=str(key)
        )

    before = OutboundMessage.objects.count()
    first, again = once(), once()
    assert_answered(first)
    assert again.status_code == first.status_code
    if first.status_code == 201:
        assert again.data["id"] == first.data["id"]
        assert OutboundMessage.objects.count() == before + 1
    else:
        assert OutboundMessage.objects.count() == before
