"""Time of the admin dashboard with a big outbox on PostgreSQL.

    DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_dashboard_bench \\
        python benchmarks/dashboard.py --rows 1000000

Fills ``--rows`` texts with one ``INSERT ... SELECT generate_series`` (reused on the next run
when the count matches), all created within the dashboard's default 30-day window (the worst
case: every row is in every figure), plus webhook events and suppressions; then times
the first view with an empty rollup (as after an upgrade), the views that complete the
rollup, then ``dashboard_data()`` and the page itself (Django's test client, a superuser)
``--repeat`` times each, and prints every figure, the median, the spread and the queries per
page.
Use a database of its own: it empties the outbox tables.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from django_attentive.admin.dashboard_data import dashboard_data  # noqa: E402
from django_attentive.models import DailyTextCount, OutboundMessage  # noqa: E402

URL = "/admin/django_attentive/dashboard/"
# Of the last day's texts 1 in 53 is still queued (a backlog: older ones have gone out); 1 in 97
# failed, 1 in 331 unconfirmed, the rest sent; the errors are the shapes the outbox stores.
FILL = """
INSERT INTO django_attentive_outboundmessage
    ("to", body, media_url, message_id, message_type, status, attempts, next_attempt_at,
     last_error, idempotency_key, source, object_id, leased_by, hold, created_at, sent_at,
     updated_at, kind, endpoint, payload)
SELECT '+1201' || lpad((n %% 10000000)::text, 7, '0'), 'Your order shipped', '', '', '',
       s.status, 1, NULL, s.error, NULL, 'code', '', '', '', s.created,
       CASE WHEN s.status = 'sent' THEN s.created + (n %% 90 + 1) * interval '1 second' END,
       s.created, 'text', '', '{}'::jsonb
FROM generate_series(1, %(rows)s) AS n,
LATERAL (SELECT
    now() - (n::float / %(rows)s) * interval '30 days' AS created,
    CASE WHEN n %% 53 = 0 AND n <= %(rows)s / 30 THEN 'queued' WHEN n %% 97 = 0 THEN 'failed'
         WHEN n %% 331 = 0 THEN 'unconfirmed' ELSE 'sent' END AS status,
    CASE WHEN n %% 53 = 0 AND n <= %(rows)s / 30 THEN ''
         WHEN n %% 97 = 0 AND n %% 2 = 0 THEN
            'Attentive will not text this number: Subscriber is opted-out (HTTP 400); added '
            || 'to the suppression list'
         WHEN n %% 97 = 0 THEN 'Gave up after ' || (n %% 4 + 2) || ' attempts: Attentive''s '
            || 'rate limit was reached: Too Many Requests (HTTP 429)'
         WHEN n %% 331 = 0 THEN 'The worker w' || (n %% 7) || ' stopped while sending; '
            || 'Attentive may or may not have received the text.'
         ELSE '' END AS error
) AS s
"""
EVENTS = """
INSERT INTO django_attentive_webhookevent
    (dedup_key, type, number, payload, occurred_at, received_at, outcome, detail)
SELECT md5(n::text), CASE WHEN n %% 3 = 0 THEN 'sms.unsubscribed' ELSE 'sms.subscribed' END,
       '', '{}'::jsonb, NULL, now() - (n::float / %(events)s) * interval '30 days', 'ignored', ''
FROM generate_series(1, %(events)s) AS n
"""
SUPPRESSIONS = """
INSERT INTO django_attentive_suppression (number, reason, source, note, created_at,
    last_opted_out_at)
SELECT '+1301' || lpad(n::text, 7, '0'), 'opted_out', '', '',
       now() - (n::float / %(events)s) * interval '30 days', now()
FROM generate_series(1, %(events)s / 2) AS n
"""


def fill(rows: int, refill: bool = False) -> None:
    if OutboundMessage.objects.count() == rows and not refill:
        print(f"reusing {rows:,} texts")
        return
    started = time.perf_counter()
    events = max(rows // 50, 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE django_attentive_outboundmessage, django_attentive_webhookevent, "
            "django_attentive_suppression, django_attentive_dailytextcount RESTART IDENTITY CASCADE"
        )
        cursor.execute(FILL, {"rows": rows})
        cursor.execute(EVENTS, {"events": events})
        cursor.execute(SUPPRESSIONS, {"events": events})
        cursor.execute("ANALYZE")
    took = time.perf_counter() - started
    print(
        f"filled {rows:,} texts, {events:,} webhook events, {events // 2:,} suppressions "
        f"in {took:.1f} s"
    )


def timed(what: str, run, repeat: int) -> list[float]:
    figures = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        figures.append(time.perf_counter() - started)
    print(
        f"{what:<18} "
        + "  ".join(f"{t * 1000:6.0f}" for t in figures)
        + f"   ms | median {statistics.median(figures) * 1000:.0f} ms, "
        f"spread {min(figures) * 1000:.0f}-{max(figures) * 1000:.0f} ms"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--refill", action="store_true", help="Fill again even if the count matches."
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (see the docstring).")
    call_command("migrate", verbosity=0)
    fill(args.rows, args.refill)
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
    user.is_superuser = user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)

    def page() -> None:
        response = client.get(URL, {"days": args.days})
        assert response.status_code == 200, response.status_code

    DailyTextCount.objects.all().delete()
    started = time.perf_counter()
    page()
    cold = time.perf_counter() - started
    print(f"first view, empty rollup (page): {cold * 1000:.0f} ms")
    fills = []
    while True:
        started = time.perf_counter()
        data = dashboard_data(args.days)
        fills.append(time.perf_counter() - started)
        if not data.counting:
            break
    print(
        f"next views until the rollup is complete ({len(fills)}, dashboard_data()): "
        + "  ".join(f"{t * 1000:.0f}" for t in fills)
        + " ms"
    )
    print(
        f"{args.days} days: {sum(sum(v) for v in data.texts.values()):,} texts in the window, "
        f"{data.latency.sent:,} sent (median {data.latency.median}, p95 {data.latency.p95}), "
        f"queued {data.queue.queued:,}"
    )
    timed("dashboard_data()", lambda: dashboard_data(args.days), args.repeat)

    with CaptureQueriesContext(connection) as queries:
        page()
    print(f"the page runs {len(queries)} queries")
    timed("page (GET)", page, args.repeat)
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
