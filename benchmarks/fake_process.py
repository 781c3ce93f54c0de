"""The standalone fake Attentive in its own process, for benchmarks (no Django needed here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


class FakeProcess:
    """The standalone fake Attentive in its own process, as Attentive would be."""

    def __init__(self, latency: float, rate_limit: float = 0.0) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "attentive_fake_server"]
            + ["--port", str(self.port), "--latency", str(latency)]
            + ["--rate-limit", str(rate_limit)],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/_fake/config", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the fake Attentive did not start")

    def recorded(self) -> int:
        return requests.get(f"{self.url}/_fake/messages?since=0", timeout=30).json()["count"]

    def stats(self) -> dict:
        """API requests answered and how many got a 429 (``rate_limited``)."""
        return requests.get(f"{self.url}/_fake/stats", timeout=30).json()

    def records(self) -> list[dict]:
        return requests.get(f"{self.url}/_fake/records", timeout=60).json()["records"]

    def clear(self) -> None:
        requests.delete(f"{self.url}/_fake/messages", timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
