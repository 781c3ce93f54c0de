"""The account-wide rate limit under load: N worker processes against a fake Attentive that
enforces R requests/s per endpoint, as Attentive does. Prints throughput (start-up excluded:
from the fake's first accepted request to its last), 429s, and whether each text went once.

    BENCH_DATABASE_URL=postgres://attentive:attentive@127.0.0.1:5432/attentive_bench \\
        python benchmarks/account_limit.py --processes 1 3 6 --runs 5

``--code ROOT`` runs the workers from another checkout (e.g. an export of an older commit,
for a before/after comparison); the fake and the database always come from this one.

``--engine rq`` sends the same texts through Django Tasks on RQ instead: ``--processes``
``rqworker --with-scheduler`` processes on the Redis at ``REDIS_URL`` (``bash
scripts/redis.sh`` starts one), the texts queued with ``send_bulk`` (one RQ job per chunk of
200), the limit shared through the database as with the workers.

    REDIS_URL=redis://127.0.0.1:6379/0 BENCH_DATABASE_URL=postgres://… \
        python benchmarks/account_limit.py --engine rq --processes 3 --runs 5
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
# The engine decides the settings (TASKS on RQ or not), so it is read before Django starts.
_engine = argparse.ArgumentParser(add_help=False)
_engine.add_argument("--engine", default="worker")
if _engine.parse_known_args()[0].engine == "rq":
    os.environ["BENCH_REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["BENCH_RQ_QUEUE"] = f"attentive-bench-{os.getpid()}"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks.fake_process import FakeProcess  # noqa: E402
from django_attentive import send_bulk  # noqa: E402
from django_attentive.models import OutboundMessage, SendAttempt, Status  # noqa: E402

LOGS = Path("/tmp") / f"attentive-bench-{os.getpid()}"


def queue(count: int) -> None:
    OutboundMessage.objects.all().delete()
    for start in range(0, count, 2000):
        OutboundMessage.objects.bulk_create(
            OutboundMessage(to=f"+1201{2000000 + n:07d}", body="Sale", status=Status.QUEUED)
            for n in range(start, min(count, start + 2000))
        )


def worker_env(code: Path, url: str, args: argparse.Namespace) -> dict[str, str]:
    settings = (
        f'{{"BASE_URL": "{url}", "RATE_LIMIT": {args.rate}, "TIMEOUT": [3, 10],'
        f' "RETRY_BACKOFF": {args.retry_backoff}}}'
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_ATTENTIVE": settings,
        "PYTHONPATH": str(code),
    }


def start_workers(code: Path, url: str, args: argparse.Namespace) -> list[subprocess.Popen]:
    env = worker_env(code, url, args)
    command = [sys.executable, "-m", "django", "attentive_send_queued", "--loop"]
    command += ["--concurrency", str(args.concurrency), "--interval", "0.5"]
    return [
        subprocess.Popen(
            command, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(args.processes_now)
    ]


def rq_queue():  # noqa: ANN201 (django_rq's Queue; imported only with --engine rq)
    import django_rq

    return django_rq.get_queue(os.environ["BENCH_RQ_QUEUE"])


def forget_rq_jobs() -> None:
    """Empty this run's RQ queue and its registries (other runs' queues are left alone)."""
    queue = rq_queue()
    registries = [
        queue.scheduled_job_registry,
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
    ]
    for registry in registries:
        for job_id in registry.get_job_ids():
            queue.connection.delete(f"rq:job:{job_id}")
        queue.connection.delete(registry.key)
    queue.empty()


def start_rqworkers(code: Path, url: str, args: argparse.Namespace) -> list[subprocess.Popen]:
    """``rqworker --with-scheduler`` processes on this run's queue, once RQ lists them all."""
    from rq import Worker

    queue = rq_queue()
    command = [sys.executable, "-m", "django", "rqworker", queue.name, "--with-scheduler"]
    command += ["--job-class", "django_tasks_rq.Job"]
    LOGS.mkdir(exist_ok=True)
    workers = []
    for n in range(args.processes_now):
        with (LOGS / f"rqworker-{n}.log").open("ab") as log:
            workers.append(
                subprocess.Popen(
                    command,
                    cwd=code,
                    env=worker_env(code, url, args),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + 60
    while not {w.pid for w in workers} <= {w.pid for w in Worker.all(queue=queue)}:
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError(f"the rqworkers did not start: see {LOGS}")
        time.sleep(0.1)
    return workers


def database_counters() -> dict[str, int]:
    """PostgreSQL's own counts: commits, and rows written to the rate-limit table."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        commits = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(n_tup_upd + n_tup_ins), 0) FROM pg_stat_user_tables "
            "WHERE relname = 'django_attentive_ratelimitstate'"
        )
        limiter = cursor.fetchone()[0]
    return {"commits": commits, "limiter": int(limiter)}


def one_run(code: Path, args: argparse.Namespace) -> dict:
    load = os.getloadavg()
    if args.engine == "rq":
        OutboundMessage.objects.all().delete()
        forget_rq_jobs()
    else:
        queue(args.messages)
    time.sleep(1.5)  # let PostgreSQL publish its counters
    before = database_counters()
    fake = FakeProcess(latency=args.latency, rate_limit=args.rate)
    if args.engine == "rq":
        workers = start_rqworkers(code, fake.url, args)
        started = time.monotonic()
        # Stored in one transaction; on commit, one RQ job per chunk of 200.
        send_bulk([f"+1201{2000000 + n:07d}" for n in range(args.messages)], "Sale")
    else:
        started = time.monotonic()
        workers = start_workers(code, fake.url, args)
    try:
        deadline = started + args.timeout
        # Until every text is sent, or has failed for good (the old code's 429s exhaust
        # MAX_ATTEMPTS).
        done = (Status.SENT, Status.FAILED, Status.UNCONFIRMED)
        while OutboundMessage.objects.filter(status__in=done).count() < args.messages:
            if time.monotonic() > deadline:
                raise RuntimeError("timed out")
            time.sleep(0.5)
        wall = time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
        if args.engine == "rq":
            forget_rq_jobs()
    time.sleep(1.5)
    after = database_counters()
    stats = fake.stats()
    records = fake.records()
    fake.stop()
    times = sorted(datetime.fromisoformat(r["received_at"]).timestamp() for r in records)
    numbers = [r["to"] for r in records]
    return {
        "throughput": (len(times) - 1) / (times[-1] - times[0]),
        "wall": wall,
        "requests": stats["requests"],
        "rate_limited": stats["rate_limited"],
        "share_429": stats["rate_limited"] / max(1, stats["requests"]),
        "sent_once": float(len(numbers) == len(set(numbers)) == args.messages),
        "attempts": SendAttempt.objects.count(),
        "failed": OutboundMessage.objects.exclude(status=Status.SENT).count(),
        "load": load,
        "load_end": os.getloadavg(),
        "commits_per_text": (after.get("commits", 0) - before.get("commits", 0)) / args.messages,
        "limiter_per_text": (after.get("limiter", 0) - before.get("limiter", 0)) / args.messages,
    }


def report(processes: int, n: int, run: dict, args: argparse.Namespace) -> None:
    """One run's line, printed as soon as it is measured."""
    print(
        f"  {processes} process(es) run {n}: {run['throughput']:6.1f}/s "
        f"({run['throughput'] / (args.rate or float('inf')):.1%} of {args.rate:g}), "
        f"wall {run['wall']:5.1f} s, 429s {run['rate_limited']:.0f} of "
        f"{run['requests']:.0f} requests ({run['share_429']:.2%}), "
        f"each sent once: {bool(run['sent_once'])}, "
        f"not sent {run['failed']:.0f}, "
        f"commits/text {run['commits_per_text']:.2f}, "
        f"rate-limit queries/text {run['limiter_per_text']:.3f}, "
        f"load (1/5/15 min) at start {loads(run['load'])}, at end {loads(run['load_end'])}",
        flush=True,
    )


def loads(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{average:.2f}" for average in averages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 3, 6])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=150)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--retry-backoff", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--code", type=Path, default=ROOT, help="Run the workers from here.")
    parser.add_argument(
        "--engine",
        choices=["worker", "rq"],
        default="worker",
        help="attentive_send_queued processes, or rqworker processes (Django Tasks on RQ).",
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(
        f"{connection.vendor}, {args.messages} texts, fake at {args.rate:g}/s per endpoint and "
        f"{args.latency * 1000:.0f} ms, "
        + (
            f"rqworker (Django Tasks on RQ, queue {os.environ['BENCH_RQ_QUEUE']})"
            if args.engine == "rq"
            else f"attentive_send_queued --concurrency {args.concurrency}"
        )
        + f", workers from {args.code}"
    )
    for processes in args.processes:
        args.processes_now = processes
        runs = []
        for _ in range(args.runs):
            runs.append(one_run(args.code, args))
            report(processes, len(runs), runs[-1], args)
        if len(runs) > 1:
            rates = [run["throughput"] for run in runs]
            shares = [run["share_429"] for run in runs]
            print(
                f"  {processes} process(es): throughput mean {mean(rates):.1f}/s, "
                f"min {min(rates):.1f}, max {max(rates):.1f}; "
                f"429s {min(shares):.2%}..{max(shares):.2%}"
            )


if __name__ == "__main__":
    main()
