"""Delivery engine benchmarks: bulk throughput, per-message cost and worker memory.

    python benchmarks/delivery.py                       # SQLite (/tmp/attentive-bench.sqlite3)
    BENCH_DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_bench \\
        python benchmarks/delivery.py                   # PostgreSQL
    python benchmarks/delivery.py --only memory --memory-messages 100000

Every figure compares against a plain ``requests.Session`` loop posting the same payloads to
the same fake Attentive (a separate process, ``attentive_fake_server``), measured in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.backends import utils as db_utils  # noqa: E402

from benchmarks.fake_process import FakeProcess  # noqa: E402
from django_attentive.models import OutboundMessage, SendAttempt, Status  # noqa: E402
from django_attentive.sending.worker import Worker  # noqa: E402


class QueryCounter:
    """Counts every SQL statement from every thread (Django's own capture is per connection)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._execute = db_utils.CursorWrapper.execute
        self._executemany = db_utils.CursorWrapper.executemany

    def __enter__(self) -> QueryCounter:
        counter = self

        def execute(cursor, sql, params=None):
            with counter._lock:
                counter.count += 1
            return counter._execute(cursor, sql, params)

        def executemany(cursor, sql, param_list):
            with counter._lock:
                counter.count += 1
            return counter._executemany(cursor, sql, param_list)

        db_utils.CursorWrapper.execute = execute
        db_utils.CursorWrapper.executemany = executemany
        return self

    def __exit__(self, *exc: object) -> None:
        db_utils.CursorWrapper.execute = self._execute
        db_utils.CursorWrapper.executemany = self._executemany


def numbers(count: int) -> list[str]:
    return [f"+1201{2000000 + n:07d}" for n in range(count)]


def queue(count: int) -> None:
    """Queued messages straight into the outbox, as a bulk send leaves them."""
    OutboundMessage.objects.all().delete()
    rows = (
        OutboundMessage(to=to, body="Your order has shipped.", status=Status.QUEUED)
        for to in numbers(count)
    )
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == 2000:
            OutboundMessage.objects.bulk_create(batch)
            batch = []
    OutboundMessage.objects.bulk_create(batch)


def raw_loop(url: str, count: int, threads: int) -> tuple[float, float]:
    """The yardstick: a requests.Session shared by `threads` threads posting `count` payloads.

    Returns (requests/s, CPU milliseconds of this process per request).
    """
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=threads))
    payloads = [{"to": to, "body": "Your order has shipped."} for to in numbers(count)]
    lock = threading.Lock()
    headers = {"Authorization": "Bearer benchmark-token"}

    def post() -> None:
        while True:
            with lock:
                if not payloads:
                    return
                payload = payloads.pop()
            session.post(f"{url}/v1/messages", json=payload, headers=headers, timeout=10)

    start, cpu = time.perf_counter(), time.process_time()
    workers = [threading.Thread(target=post) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return count / elapsed, cpu * 1000 / count


def ours(url: str, count: int, concurrency: int) -> tuple[float, float, float]:
    """The worker engine draining `count` queued messages.

    Returns (messages/s, queries per message, CPU milliseconds of this process per message).
    The worker runs in this process, so its CPU time is this process's (every thread; the
    database server's and the fake's are not counted), as for the raw loop.
    """
    queue(count)
    settings.ATTENTIVE = {**settings.ATTENTIVE, "BASE_URL": url}
    with QueryCounter() as counter:
        start, cpu = time.perf_counter(), time.process_time()
        Worker(concurrency=concurrency, batch_size=100).run()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    sent = OutboundMessage.objects.filter(status=Status.SENT).count()
    assert sent == count, f"only {sent} of {count} sent"
    return count / elapsed, counter.count / count, cpu * 1000 / count


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def bench_throughput(args: argparse.Namespace) -> None:
    fake = FakeProcess(latency=0.05)
    load = load_average()
    try:
        raw, raw_cpu = raw_loop(fake.url, args.messages, 16)
        fake.clear()
        rate, queries, cpu = ours(fake.url, args.messages, 16)
        assert fake.recorded() == args.messages
    finally:
        fake.stop()
    ceiling = 16 / 0.05
    print(f"bulk throughput, {args.messages} messages, 16 threads, fake latency 50 ms:")
    print(f"  load average at start {load}, at end {load_average()}")
    print(
        f"  raw requests loop  {raw:8.1f} msg/s  ({raw / ceiling:.0%} of 16/0.05 = {ceiling:.0f})"
        f"  {raw_cpu:.2f} CPU-ms/request"
    )
    print(f"  attentive_send_queued --concurrency 16  {rate:8.1f} msg/s  = {rate / raw:.2f}x raw")
    print(f"  worker CPU per delivered message: {cpu:.2f} ms  = {cpu / raw_cpu:.2f}x raw's")
    print(f"  queries per delivered message: {queries:.2f}")


def bench_cost(args: argparse.Namespace) -> None:
    fake = FakeProcess(latency=0)
    load = load_average()
    try:
        raw, raw_cpu = raw_loop(fake.url, args.cost_messages, 1)
        fake.clear()
        rate, queries, cpu = ours(fake.url, args.cost_messages, 1)
    finally:
        fake.stop()
    print(f"per-message cost, {args.cost_messages} messages, one thread, no latency:")
    print(f"  load average at start {load}, at end {load_average()}")
    print(f"  raw requests loop  {raw:8.1f} msg/s  {raw_cpu:.2f} CPU-ms/request")
    print(f"  attentive worker   {rate:8.1f} msg/s  = {rate / raw:.2f}x raw  {cpu:.2f} CPU-ms/text")
    print(f"  queries per delivered message: {queries:.2f}  (target <= 4)")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench_memory(args: argparse.Namespace) -> None:
    fake = FakeProcess(latency=0)
    OutboundMessage.objects.all().delete()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_ATTENTIVE": json.dumps({"BASE_URL": fake.url}),
    }
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "attentive_send_queued"]
        + ["--loop", "--concurrency", "16", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        idle = max(rss_kb(worker.pid) for _ in range(5) if time.sleep(0.1) is None)
        queue(args.memory_messages)
        peak, start = idle, time.perf_counter()
        while OutboundMessage.objects.filter(status=Status.SENT).count() < args.memory_messages:
            for _ in range(10):
                peak = max(peak, rss_kb(worker.pid))
                time.sleep(0.1)
            if worker.poll() is not None:
                raise RuntimeError("the worker died")
        elapsed = time.perf_counter() - start
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        fake.stop()
    growth = (peak - idle) / 1024
    print(f"memory, {args.memory_messages} messages, --concurrency 16:")
    print(f"  worker RSS idle {idle / 1024:.1f} MB, peak {peak / 1024:.1f} MB")
    print(f"  growth {growth:.1f} MB (target < 30 MB); {args.memory_messages / elapsed:.0f} msg/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["throughput", "cost", "memory"], action="append")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--cost-messages", type=int, default=2000)
    parser.add_argument("--memory-messages", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    for name in args.only or ["throughput", "cost", "memory"]:
        {"throughput": bench_throughput, "cost": bench_cost, "memory": bench_memory}[name](args)
    SendAttempt.objects.all().delete()
    OutboundMessage.objects.all().delete()


if __name__ == "__main__":
    main()
