"""How close the standalone fake Attentive gets to its theoretical ceiling, concurrency ÷ latency.

    python benchmarks/fake_ceiling.py                               # fake in its own process
    python benchmarks/fake_ceiling.py --in-process                  # fake in this process
    python benchmarks/fake_ceiling.py --url http://127.0.0.1:8025   # a running fake

The default runs the fake as the sender benchmarks do, in its own process (Attentive is not
in the sender's process either). ``--in-process`` shares one GIL between client and fake, so
it reads a few per cent lower.

Exits 1 when throughput is under 90 % of the ceiling: the fake would then be the bottleneck
of any sender benchmark run against it.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fake_process import FakeProcess  # noqa: E402
from django_attentive.fake import FakeAttentive, FakeAttentiveServer  # noqa: E402

PAYLOAD = {"to": "+12015550123", "body": "Your order has shipped."}
HEADERS = {"Authorization": "Bearer benchmark"}


def measure(url: str, concurrency: int, seconds: float) -> tuple[int, float, list[float]]:
    """Post from ``concurrency`` threads sharing one pooled session.

    Returns the number of requests, the elapsed seconds and the sorted latencies.
    """
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=concurrency))
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = session.post(f"{url}/v1/messages", json=PAYLOAD, headers=HEADERS, timeout=5)
            latencies.append(time.monotonic() - started)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    session.close()
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return len(latencies), elapsed, sorted(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Base URL of a running fake (default: start one).")
    parser.add_argument(
        "--in-process", action="store_true", help="Run the fake in this process's threads."
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    server = process = None
    url = args.url
    if url is None and args.in_process:
        server = FakeAttentiveServer(fake=FakeAttentive())
        url = server.start()
    elif url is None:
        process = FakeProcess(latency=args.latency)
        url = process.url
    requests.post(f"{url}/_fake/reset", timeout=5).raise_for_status()
    requests.post(f"{url}/_fake/config", json={"latency": args.latency}, timeout=5)
    try:
        count, elapsed, latencies = measure(url, args.concurrency, args.seconds)
    finally:
        requests.post(f"{url}/_fake/reset", timeout=5)
        if server is not None:
            server.stop()
        if process is not None:
            process.stop()

    ceiling = args.concurrency / args.latency
    rate = count / elapsed
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(
        f"{count} requests in {elapsed:.2f} s: {rate:.1f} req/s = {rate / ceiling:.0%} of the "
        f"{ceiling:.0f} req/s ceiling ({args.concurrency} threads, {args.latency * 1000:.0f} ms "
        f"latency, fake {'in this process' if server else 'in its own process'}); "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    return 0 if rate >= 0.9 * ceiling else 1


if __name__ == "__main__":
    sys.exit(main())
