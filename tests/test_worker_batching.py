"""The worker's per-text costs: results are written in batches, not one transaction each."""

from __future__ import annotations

import threading
import time

import pytest

from django_attentive.sending import worker as worker_module
from django_attentive.sending.worker import Worker


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.django_db
def test_results_arriving_while_the_writer_gathers_are_written_together(monkeypatch):
    """A result that arrives after the writer took the first one joins the same batch."""
    monkeypatch.setattr(worker_module, "WRITE_LINGER", 30.0)
    worker = Worker(concurrency=2)
    batches: list[list[object]] = []
    monkeypatch.setattr(worker, "_record", batches.append)
    writer = threading.Thread(target=worker._write_reports)
    worker._reports.put("first")  # type: ignore[arg-type]
    writer.start()
    wait_until(worker._reports.empty)
    time.sleep(0.2)  # long enough for a writer that does not wait to have written "first"
    worker._reports.put("second")  # type: ignore[arg-type]
    worker._reports.put(None)
    writer.join(10)
    assert not writer.is_alive()
    assert batches == [["first", "second"]]


@pytest.mark.django_db
def test_the_end_of_the_run_is_written_at_once(monkeypatch):
    """The stop marker ends the gathering: a stopping worker does not wait out the linger."""
    monkeypatch.setattr(worker_module, "WRITE_LINGER", 30.0)
    worker = Worker(concurrency=2)
    batches: list[list[object]] = []
    monkeypatch.setattr(worker, "_record", batches.append)
    writer = threading.Thread(target=worker._write_reports)
    writer.start()
    worker._reports.put("only")  # type: ignore[arg-type]
    worker._reports.put(None)
    writer.join(10)
    assert not writer.is_alive(), "the writer waited out its linger after the stop marker"
    assert batches == [["only"]]
