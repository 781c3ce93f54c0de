"""The account-wide rate limit as one process takes part in it: slices, pace, 429s, settings."""

from __future__ import annotations

import threading
import time

import pytest

from django_attentive import conf
from django_attentive.backends.http import HttpBackend
from django_attentive.backends.text_send import TextSendBackend
from django_attentive.exceptions import RateLimited
from django_attentive.models import Kind, OutboundMessage
from django_attentive.sending.ratelimit import AccountLimiter, endpoint_of
from django_attentive.sending.ratestore import DatabaseStore

pytestmark = pytest.mark.django_db(transaction=True)
TEXTS = "/v1/text/send"


class CountingStore(DatabaseStore):
    """The database store, counting its queries."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[float, float]] = []

    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        self.calls.append((seconds, pause))
        return super().reserve(endpoint, seconds, pause)


class NoStore:
    def reserve(self, endpoint: str, seconds: float, pause: float = 0.0) -> float:
        raise AssertionError("the limiter is off: no store may be asked")


def spend(limiter: AccountLimiter, endpoint: str, count: int) -> list[float]:
    """Take ``count`` tokens one after the other; the monotonic time each was spent."""
    spent = []
    for _ in range(count):
        limiter.wait(endpoint)
        spent.append(time.monotonic())
    return spent


def test_a_busy_process_takes_slices_not_a_query_per_request(attentive):
    attentive(RATE_LIMIT=100)
    store = CountingStore()
    limiter = AccountLimiter(store)
    spent = spend(limiter, TEXTS, 100)
    assert len(store.calls) < 100 / 3, len(store.calls)  # about 20 tokens a query once busy
    assert 10 / 100 <= max(seconds for seconds, _ in store.calls) <= 20 / 100 + 1e-9
    assert spent[-1] - spent[0] >= (100 - 10) / 100 * 0.95  # a burst of 10, then 100/s


def test_an_occasional_sender_reserves_one_token_at_a_time(attentive):
    attentive(RATE_LIMIT=150)
    store = CountingStore()
    limiter = AccountLimiter(store)
    assert limiter.wait(TEXTS) == 0  # an idle account: at once
    assert store.calls == [(pytest.approx(1 / 150), 0.0)]


def test_two_processes_share_one_budget(attentive):
    attentive(RATE_LIMIT=40)
    first, second = AccountLimiter(DatabaseStore()), AccountLimiter(DatabaseStore())
    spent: list[float] = []
    lock = threading.Lock()

    def run(limiter: AccountLimiter) -> None:
        times = spend(limiter, TEXTS, 40)
        with lock:
            spent.extend(times)

    threads = [threading.Thread(target=run, args=(limiter,)) for limiter in (first, second)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - start
    # 80 tokens at 40/s for the account: two seconds less the burst, not one.
    assert took >= (80 - 4) / 40 * 0.95, took
    in_any_second = max(sum(1 for t in spent if s <= t < s + 1) for s in spent)
    assert in_any_second <= 40 + 4 + 1


def test_a_429_holds_back_every_process_for_a_second(attentive):
    attentive(RATE_LIMIT=50)
    got_429, other = AccountLimiter(DatabaseStore()), AccountLimiter(DatabaseStore())
    spend(got_429, TEXTS, 1)
    got_429.penalize(TEXTS, RateLimited("429", limit=50, remaining=0))
    assert got_429.reserve(TEXTS) >= 0.9  # carries the pause to the shared row
    start = time.monotonic()
    other.wait(TEXTS)
    assert time.monotonic() - start >= 0.9


def test_a_429_with_budget_remaining_pauses_nobody(attentive):
    attentive(RATE_LIMIT=50)
    store = CountingStore()
    limiter = AccountLimiter(store)
    limiter.penalize(TEXTS, RateLimited("429", limit=50, remaining=12))
    assert limiter.wait(TEXTS) < 0.1
    assert store.calls[-1][1] == 0.0


def test_attentives_lower_published_limits_are_built_in(attentive):
    attentive(RATE_LIMIT=150, RATE_LIMITS={})
    assert conf.rate_limit_for("/v1/text/send") == 150
    assert conf.rate_limit_for("/v1/subscriptions") == 10
    assert conf.rate_limit_for("/v1/subscriptions/unsubscribe") == 5
    assert conf.rate_limit_for("/v1/identity-resolution/user-identifiers") == 10
    attentive(RATE_LIMIT=4)
    assert conf.rate_limit_for("/v1/subscriptions") == 4  # never above the overall limit


def test_rate_limits_override_an_endpoint(attentive):
    attentive(RATE_LIMIT=150, RATE_LIMITS={"/v1/subscriptions": 20, "/v1/events/custom": 0})
    assert conf.rate_limit_for("/v1/subscriptions") == 20
    assert conf.rate_limit_for("/v1/events/custom") == 0  # that endpoint unlimited
    limiter = AccountLimiter(NoStore())
    assert limiter.wait("/v1/events/custom") == 0
    store = CountingStore()
    AccountLimiter(store).wait("/v1/subscriptions")
    assert store.calls == [(pytest.approx(1 / 20), 0.0)]


def test_rate_limit_0_turns_the_limiter_off(attentive):
    attentive(RATE_LIMIT=0, RATE_LIMITS={"/v1/subscriptions": 5})
    limiter = AccountLimiter(NoStore())
    start = time.monotonic()
    for path in (TEXTS, "/v1/subscriptions"):
        for _ in range(1000):
            limiter.wait(path)
    assert time.monotonic() - start < 1


def test_the_endpoint_of_a_text_is_the_transports_and_of_a_request_its_kinds():
    text = OutboundMessage(kind=Kind.TEXT, to="+12015550123", body="Hi")
    assert endpoint_of(text, TextSendBackend()) == "/v1/text/send"
    assert endpoint_of(text, HttpBackend()) == "/v1/messages"
    subscription = OutboundMessage(kind=Kind.SUBSCRIPTION, payload={})
    assert endpoint_of(subscription, TextSendBackend()) == "/v1/subscriptions"
    commerce = OutboundMessage(kind=Kind.COMMERCE, endpoint="/v1/events/ecommerce/purchase")
    assert endpoint_of(commerce, TextSendBackend()) == "/v1/events/ecommerce/purchase"
