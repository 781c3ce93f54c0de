"""Query count and time of the admin's text-message pages with a big outbox.

    python benchmarks/admin_changelist.py                  # SQLite file in $TMPDIR
    DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_admin_bench \\
        python benchmarks/admin_changelist.py --rows 100000

Creates ``--rows`` messages in bulk (reused on the next run when the count matches), then
requests each page ``--repeat`` times through Django's test client as a superuser and prints
the queries per view, the median time and the part of it spent in SQL. Use a database of
its own: it refuses to touch an outbox holding other messages unless given ``--reset``.
Exits 1 if a changelist view needs more than ``--max-queries`` queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{Path(tempfile.gettempdir()) / 'attentive-admin-bench.sqlite3'}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from django_attentive.models import OutboundMessage, Source, Status  # noqa: E402

CHUNK = 5000
# A realistic mix: mostly sent, a few problems to find.
STATUS_EVERY = {Status.FAILED: 97, Status.UNCONFIRMED: 331, Status.QUEUED: 53}
SPREAD_MINUTES = {
    "sqlite": "UPDATE {table} SET created_at = datetime('now', '-' || (%s - id) || ' minutes')",
    "postgresql": "UPDATE {table} SET created_at = now() - (%s - id) * interval '1 minute'",
}


def _status(n: int) -> str:
    for status, every in STATUS_EVERY.items():
        if n % every == 0:
            return status
    return Status.SENT


def fill(rows: int, *, reset: bool) -> None:
    """Create ``rows`` messages in bulk, one minute apart, unless exactly that many exist."""
    existing = OutboundMessage.objects.count()
    if existing == rows:
        print(f"reusing {rows:,} messages")
        return
    if existing and not reset:
        raise SystemExit(
            f"The database already holds {existing:,} messages. Point DATABASE_URL at a "
            "database of its own, or pass --reset to delete them."
        )
    OutboundMessage.objects.all().delete()
    started = time.monotonic()
    sources = [Source.CODE, Source.ORDER, Source.ADMIN, Source.API]
    for start in range(0, rows, CHUNK):
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                to=f"+1201{5550000 + n % 10000:07d}",
                body=f"Your order #{n} has shipped. Track it at shop.example/t/{n}",
                status=_status(n),
                attempts=1,
                source=sources[n % len(sources)],
            )
            for n in range(start, min(rows, start + CHUNK))
        )
    last = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(OutboundMessage._meta.db_table)
        cursor.execute(SPREAD_MINUTES[connection.vendor].format(table=table), [last])
        cursor.execute(f"ANALYZE {table}")
    assert OutboundMessage.objects.count() == rows
    print(f"created {rows:,} messages in {time.monotonic() - started:.1f}s")


def measure(client: Client, url: str, repeat: int) -> tuple[int, float, float, int]:
    """Queries, median total and SQL milliseconds, and HTTP status of ``repeat`` GETs."""
    times, sql_times, queries, status = [], [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        sql_times.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        queries, status = len(captured), response.status_code
    return queries, statistics.median(times), statistics.median(sql_times), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-queries", type=int, default=6)
    parser.add_argument("--reset", action="store_true", help="delete existing messages first")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    fill(args.rows, reset=args.reset)
    user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
        "bench", "bench@shop.example", "bench"
    )
    client = Client()
    client.force_login(user)
    changelist = reverse("admin:django_attentive_outboundmessage_changelist")
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    week = urlencode({"created_at__gte": str(today - timedelta(days=7))})
    some = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True)[10]
    views = [
        ("changelist", changelist),
        ("changelist page 2", f"{changelist}?p=2"),
        ("changelist page 500", f"{changelist}?p=500"),
        ("needs attention: failed or unconfirmed", f"{changelist}?attention=problems"),
        ("status = failed", f"{changelist}?status__exact=failed"),
        ("source = admin", f"{changelist}?source__exact=admin"),
        ("created in the last 7 days", f"{changelist}?{week}"),
        ("search a number", f"{changelist}?q=%2B12015550123"),
        ("message page", reverse("admin:django_attentive_outboundmessage_change", args=[some])),
        ("send log changelist", reverse("admin:django_attentive_sendattempt_changelist")),
    ]
    print(
        f"\n{connection.vendor}, Django {django.get_version()}, "
        f"{OutboundMessage.objects.count():,} messages, median of {args.repeat}\n"
    )
    print(f"{'view':<42} {'queries':>7} {'total ms':>9} {'SQL ms':>8}  status")
    worst = 0
    for name, url in views:
        queries, ms, sql_ms, status = measure(client, url, args.repeat)
        print(f"{name:<42} {queries:>7} {ms:>9.1f} {sql_ms:>8.1f}  {status}")
        if url.startswith(changelist) and status == 200:
            worst = max(worst, queries)
        if status != 200:
            worst = max(worst, 10**6)
    if worst > args.max_queries:
        print(f"\nFAIL: a changelist view needed {worst} queries (max {args.max_queries})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
