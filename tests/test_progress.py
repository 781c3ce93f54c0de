"""attentive_send_queued's progress bar: drawn on a terminal, absent from a pipe or a log."""

from __future__ import annotations

import io
import os
import select
import sys

import pytest
from django.core.management import call_command

from django_attentive.models import OutboundMessage, Status
from django_attentive.sending.progress import progress_bar

pytestmark = pytest.mark.django_db(transaction=True)


def queue(n: int) -> None:
    OutboundMessage.objects.bulk_create(
        OutboundMessage(to=f"+120155501{i:02d}", body="Your order shipped") for i in range(n)
    )


def drain(stdout: io.TextIOBase, monkeypatch, *args: str) -> None:
    monkeypatch.setattr(sys, "stdout", stdout)
    call_command("attentive_send_queued", *args)
    stdout.flush()


def read_all(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal's other end is closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode()


def test_a_terminal_shows_a_bar_with_total_rate_and_eta(monkeypatch):
    queue(12)
    leader, follower = os.openpty()
    terminal = open(follower, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        drain(terminal, monkeypatch)
        output = read_all(leader)
    finally:
        terminal.close()
        os.close(leader)
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 12
    assert "\r[" in output
    assert "0/12" in output  # the first draw, before anything went
    assert "ETA" in output
    assert "[##############################] 12/12 100%" in output
    assert "/s" in output
    assert "done" in output


def test_a_pipe_gets_the_summary_and_no_bar(monkeypatch):
    queue(5)
    read_end, write_end = os.pipe()
    pipe = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        drain(pipe, monkeypatch)
        pipe.close()
        output = read_all(read_end)
    finally:
        os.close(read_end)
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 5
    assert output.startswith("attentive_send_queued: sent 5")
    assert "\r" not in output
    assert "#" not in output
    assert "ETA" not in output


def test_max_messages_caps_the_total(monkeypatch):
    queue(6)
    leader, follower = os.openpty()
    terminal = open(follower, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        drain(terminal, monkeypatch, "--max-messages", "4")
        output = read_all(leader)
    finally:
        terminal.close()
        os.close(leader)
    assert "4/4 100%" in output
    assert "/6" not in output


@pytest.mark.parametrize(
    ("done", "total", "rate", "expected"),
    [
        (0, 100, 0.0, "[" + "." * 30 + "] 0/100   0%  0.0/s  ETA --:--:--"),
        (25, 100, 5.0, "[" + "#" * 7 + "." * 23 + "] 25/100  25%  5.0/s  ETA 0:00:15"),
        (5000, 12000, 1.0, "[" + "#" * 12 + "." * 18 + "] 5,000/12,000  42%  1.0/s  ETA 1:56:40"),
        (100, 100, 50.0, "[" + "#" * 30 + "] 100/100 100%  50.0/s  done"),
        (0, 0, 0.0, "[" + "#" * 30 + "] 0/0 100%  0.0/s  done"),
    ],
)
def test_progress_bar(done, total, rate, expected):
    assert progress_bar(done, total, rate) == expected


def test_metrics_port_serves_the_workers_counters(monkeypatch):
    import socket
    import urllib.request

    queue(2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    read_end, write_end = os.pipe()
    pipe = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        drain(pipe, monkeypatch, "--metrics-port", str(port))
    finally:
        pipe.close()
        os.close(read_end)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
    assert 'attentive_messages_total{kind="text",outcome="sent"}' in body
