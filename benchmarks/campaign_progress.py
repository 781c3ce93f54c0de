"""Time and queries of one campaign progress poll (``Campaign.progress``) for a big campaign.

    DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_campaign_bench \\
        python benchmarks/campaign_progress.py --texts 100000

Creates a campaign of ``--texts`` texts (mostly sent, some sending, queued, failed) beside
another campaign of the same size, reused on the next run, then polls ``--repeat`` times and
prints the queries per poll and the median, fastest and slowest poll. Use a database of its
own: it deletes every campaign and text in it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "DATABASE_URL",
    f"sqlite:///{Path(tempfile.gettempdir()) / 'attentive-campaign-bench.sqlite3'}",
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from django_attentive.models import Campaign, OutboundMessage, Status  # noqa: E402

CHUNK = 5000
STATUS_EVERY = {Status.FAILED: 97, Status.SENDING: 331, Status.QUEUED: 7}


def _status(n: int) -> str:
    return next((s for s, every in STATUS_EVERY.items() if n % every == 0), Status.SENT)


def fill(texts: int) -> Campaign:
    """Two campaigns of ``texts`` texts each; the first is measured, the second is noise."""
    name = f"bench-{texts}"
    campaign = Campaign.objects.filter(name=name).first()
    if campaign is not None and campaign.messages.count() == texts:
        print(f"reusing {texts:,} texts (+{texts:,} in another campaign)")
        return campaign
    OutboundMessage.objects.all().delete()
    Campaign.objects.all().delete()
    started = time.monotonic()
    for label in (name, f"{name}-other"):
        owner = Campaign.objects.create(name=label, body="Sale", audience_size=texts)
        for start in range(0, texts, CHUNK):
            OutboundMessage.objects.bulk_create(
                OutboundMessage(
                    to=f"+1201{5550000 + n:07d}", body="Sale", status=_status(n), campaign=owner
                )
                for n in range(start, min(start + CHUNK, texts))
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE django_attentive_outboundmessage")
    print(f"created {2 * texts:,} texts in {time.monotonic() - started:.1f} s")
    return Campaign.objects.get(name=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    campaign = fill(args.texts)
    campaign.progress()  # warm the cache
    timings, queries = [], set()
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            progress = campaign.progress()
            timings.append((time.perf_counter() - started) * 1000)
        queries.add(len(captured.captured_queries))
    assert progress.total == args.texts
    print(
        f"{connection.vendor}: {args.texts:,} texts, queries per poll {sorted(queries)}, "
        f"median {statistics.median(timings):.1f} ms, min {min(timings):.1f} ms, "
        f"max {max(timings):.1f} ms over {args.repeat} polls"
    )


if __name__ == "__main__":
    main()
