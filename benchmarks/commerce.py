"""10,000 product views a minute, recorded by "pages" and drained by one worker at the rate limit.

    python benchmarks/commerce.py                       # SQLite (/tmp/attentive-bench.sqlite3)
    BENCH_DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_bench \\
        python benchmarks/commerce.py --views 10000 --seconds 60 --rate-limit 150

A producer thread records ``--views`` product views evenly over ``--seconds`` with
``django_attentive.commerce.product_viewed`` (each in its own autocommit, as a page would),
while one ``attentive_send_queued`` worker (``--concurrency`` threads, RATE_LIMIT
``--rate-limit``) posts them to the fake Attentive in its own process. Prints what a page
paid per view (queries, INSERTs, time, HTTP calls), the worker's drain rate, the backlog when
the producer stops, the time to empty it, and how long events waited (created -> sent).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.fake_process import FakeProcess  # noqa: E402
from django_attentive import commerce  # noqa: E402
from django_attentive.models import OutboundMessage, SendAttempt, Status  # noqa: E402
from django_attentive.sending.worker import Worker  # noqa: E402

ITEM = {"productId": "mug", "productVariantId": "mug-blue", "name": "Mug", "price": "12.50"}


def produce(views: int, seconds: float, costs: list[float], statements: list[str]) -> None:
    """Record ``views`` product views, evenly paced over ``seconds``, as pages would."""

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql.split(" ", 1)[0])
        return execute(sql, params, many, context)

    start = time.monotonic()
    with connection.execute_wrapper(count):
        for n in range(views):
            due = start + n * seconds / views
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            began = time.perf_counter()
            commerce.product_viewed(ITEM, email=f"shopper{n % 500}@example.com")
            costs.append(time.perf_counter() - began)
    connection.close()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def run(args: argparse.Namespace, fake: FakeProcess) -> None:
    OutboundMessage.objects.all().delete()
    settings.ATTENTIVE = {
        **settings.ATTENTIVE,
        "BASE_URL": fake.url,
        "RATE_LIMIT": args.rate_limit,
    }
    costs: list[float] = []
    statements: list[str] = []
    producer = threading.Thread(
        target=produce, args=(args.views, args.seconds, costs, statements), daemon=True
    )
    worker = Worker(concurrency=args.concurrency, loop=True, interval=0.2)
    runner = threading.Thread(target=worker.run, daemon=True)
    started = time.monotonic()
    producer.start()
    runner.start()
    producer.join()
    produced_at = time.monotonic() - started
    backlog = OutboundMessage.objects.filter(status=Status.QUEUED).count()
    while OutboundMessage.objects.exclude(status=Status.SENT).exists():
        time.sleep(0.2)
        if time.monotonic() - started > args.seconds * 5 + 60:
            break
    drained_at = time.monotonic() - started
    worker.stop()
    runner.join(30)
    sent = OutboundMessage.objects.filter(status=Status.SENT)
    waits = sorted(
        (m.sent_at - m.created_at).total_seconds() for m in sent.only("sent_at", "created_at")
    )
    attempts = SendAttempt.objects.count()
    inserts = statements.count("INSERT")
    print(
        f"pages: {args.views} views in {produced_at:.1f} s "
        f"({args.views / produced_at * 60:,.0f}/min); per view {len(statements) / args.views:.2f} "
        f"queries, {inserts / args.views:.2f} INSERT, 0 HTTP; median "
        f"{statistics.median(costs) * 1000:.2f} ms, p99 {p99(costs) * 1000:.2f} ms"
    )
    print(
        f"worker: sent {sent.count()} of {args.views} ({attempts} attempts) in {drained_at:.1f} s "
        f"= {sent.count() / drained_at:.1f} events/s (RATE_LIMIT {args.rate_limit}); "
        f"backlog when the pages stopped: {backlog}"
    )
    print(
        f"wait created->sent: median {statistics.median(waits):.1f} s, p99 "
        f"{p99(waits):.1f} s, max {waits[-1]:.1f} s "
        f"(Attentive drops journeys after 12 h)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate-limit", type=float, default=150.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05, help="the fake's added latency")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    fake = FakeProcess(args.latency)
    try:
        print(f"database: {connection.vendor}; fake latency {args.latency * 1000:.0f} ms")
        run(args, fake)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
