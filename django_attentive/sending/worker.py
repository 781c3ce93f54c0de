"""The delivery worker behind ``attentive_send_queued``: lease due messages, send, repeat.

Several workers, on one machine or many, cooperate through the database alone: each lease is
taken atomically, so a message is in one worker's hands at a time.
"""

from __future__ import annotations

import logging
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import TextIO

from django.db import connections

from .. import conf
from ..backends import BaseBackend, get_backend
from ..exceptions import AuthenticationError, EndpointNotFound, RateLimited
from ..models import OutboundMessage, Outcome, Status
from ..outbox import leases, outcomes
from ..outbox.outcomes import SendReport
from . import db_retry
from .circuit import AuthCircuit
from .db_retry import retry_locked
from .progress import progress_bar
from .ratelimit import endpoint_of, limiter
from .transmit import transmit

logger = logging.getLogger("django_attentive")

SKIPPED = "skipped"
HANDED_OFF = "handed off"
WRITE_BATCH = 200
# How long the writer gathers results after the first one before it writes them: a batch's
# transaction and its two statements cost the same for 5 results or 50, so waiting a moment
# lets a busy worker write far fewer, larger batches. A worker killed within this window
# leaves those texts to recovery (``unconfirmed``), as it does any text whose answer it had.
WRITE_LINGER = 0.05
_tally_lock = threading.Lock()


@dataclass
class Tally:
    """What this worker did, for the progress line and the exit summary."""

    started: float = field(default_factory=time.monotonic)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        with _tally_lock:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def attempted(self) -> int:
        return sum(n for outcome, n in self.counts.items() if outcome != SKIPPED)

    def rate(self) -> float:
        return self.attempted / max(time.monotonic() - self.started, 1e-9)

    def line(self) -> str:
        c = self.counts
        return (
            f"sent {c.get(Outcome.SENT, 0)}  failed {c.get(Outcome.REJECTED, 0)}  "
            f"retrying {c.get(Outcome.RETRY, 0)}  unconfirmed {c.get(Outcome.AMBIGUOUS, 0)}  "
            f"token refused {c.get(Outcome.AUTH, 0)}  no endpoint {c.get(Outcome.ENDPOINT, 0)}  "
            f"{self.rate():.1f}/s"
        )


class Worker:
    """Drain due messages once (cron) or forever (``loop=True``) with ``concurrency`` threads."""

    def __init__(
        self,
        *,
        concurrency: int = 1,
        batch_size: int = 100,
        max_messages: int | None = None,
        loop: bool = False,
        interval: float = 1.0,
        progress: TextIO | None = None,
        backend: BaseBackend | None = None,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.batch_size = max(1, batch_size)
        self.max_messages = max_messages
        self.loop = loop
        self.interval = interval
        self.progress = progress
        self.backend = backend or get_backend()
        self.limiter = limiter()
        self.circuit = AuthCircuit()
        self.holder = leases.holder_id()
        self.tally = Tally()
        self.stopping = threading.Event()
        self._leased = 0
        self._unsent: list[OutboundMessage] = []
        self._unsent_lock = threading.Lock()
        self._reports: queue.Queue[SendReport | None] = queue.Queue(self.concurrency * 8)
        self._last_recovery = 0.0
        self._last_progress = 0.0
        self._total: int | None = None  # what a drain (no --loop) set out to send: the bar's end
        self._gave_up: db_retry.DatabaseStillLocked | None = None

    def stop(self, *_: object) -> None:
        """Finish the sends in flight, hand back the rest, and exit (SIGTERM / SIGINT)."""
        if not self.stopping.is_set():
            logger.info("Stopping: finishing sends in flight, releasing the rest")
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def run(self) -> Tally:
        """Lease batches, start a few messages at a time, and keep every thread busy.

        Messages are started (marked ``sending``) in small chunks by this thread, so a sending
        thread's only work is the request; at most one chunk waits started-but-unsent, which
        is what a kill -9 can leave ``unconfirmed`` beyond the requests really in flight.
        """
        inflight: set[Future[str]] = set()
        leased: deque[OutboundMessage] = deque()
        chunk = max(1, self.concurrency // 4)
        if self.progress is not None and not self.loop:
            self._total = _due_total(self.max_messages)
        # A (re)started worker may carry a fixed token: what the old one refused goes now.
        retry_locked(outcomes.release_holds, what="release held texts")
        writer = threading.Thread(target=self._write_reports, name="attentive-writer")
        writer.start()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="attentive-send") as pool:
            try:
                while not self.stopping.is_set():
                    self._recover_expired_leases()
                    if len(inflight) >= self.concurrency + chunk:
                        inflight = self._collect(inflight)
                        continue
                    if self.circuit.config_changed():
                        retry_locked(outcomes.release_holds, what="release held texts")
                    pause = self.circuit.remaining()
                    if pause and leased:
                        retry_locked(partial(leases.release, leased), what="release leases")
                        leased.clear()
                    if not leased and not pause and not self._limit_reached():
                        leased.extend(self._lease())
                    if leased:
                        batch = self._take_in_turn(leased, chunk)
                        # One transaction on SQLite: a lock error undoes every lease's update.
                        started = retry_locked(
                            partial(leases.start, batch), what="start texts", atomic=True
                        )
                        inflight |= {pool.submit(self._send_one, message) for message in started}
                    elif inflight:
                        inflight = self._collect(inflight)
                    elif self.loop and not self._limit_reached():
                        self.stopping.wait(min(pause, self.interval) if pause else self.interval)
                    else:
                        break
                    self._show_progress()
            finally:
                try:
                    self._tally(inflight)
                    retry_locked(partial(leases.release, leased), what="release leases")
                finally:
                    # Even when the database is gone, the writer must stop, or this process
                    # would never exit and its supervisor never restart it.
                    self._reports.put(None)
                    writer.join()
        connections.close_all()
        self._show_progress(final=True)
        if self._gave_up is not None:
            raise self._gave_up
        return self.tally

    def _take_in_turn(self, leased: deque[OutboundMessage], chunk: int) -> list[OutboundMessage]:
        """Up to ``chunk`` leased texts, each once the rate limit lets it go.

        The wait happens here, before ``start``: a text is ``sending`` only while its request
        is about to be made, so no queue for the limit can make it outlive its lease.
        """
        batch: list[OutboundMessage] = []
        while leased and len(batch) < chunk and not self.stopping.is_set():
            self.limiter.wait(endpoint_of(leased[0], self.backend), self.stopping)
            if not self.stopping.is_set():
                batch.append(leased.popleft())
        return batch

    def _limit_reached(self) -> bool:
        return self.max_messages is not None and self._leased >= self.max_messages

    def _lease(self) -> list[OutboundMessage]:
        limit = self.batch_size
        if self.max_messages is not None:
            limit = min(limit, self.max_messages - self._leased)
        # One transaction on SQLite: the lease and the screening's writes go or fail together.
        batch = retry_locked(
            partial(leases.lease_due, limit, holder=self.holder), what="lease texts", atomic=True
        )
        self._leased += len(batch)
        return batch

    def _collect(self, inflight: set[Future[str]]) -> set[Future[str]]:
        done, pending = wait(inflight, timeout=self.interval, return_when=FIRST_COMPLETED)
        self._tally(done)
        return pending

    def _tally(self, done: Iterable[Future[str]]) -> None:
        for future in done:
            try:
                outcome = future.result()
            except Exception:  # a bug in a sending thread: its lease expires, recovery decides
                logger.exception("A sending thread failed")
                continue
            if outcome != HANDED_OFF:
                self.tally.add(outcome)
        with self._unsent_lock:
            unsent, self._unsent = self._unsent, []
        retry_locked(partial(leases.unstart, unsent), what="hand back unsent texts")

    def _send_one(self, message: OutboundMessage) -> str:
        """Runs in a pool thread: one request, unless we are stopping or sending is paused.

        The result goes to the writer thread, so this thread moves on to its next request
        instead of waiting for a commit.
        """
        if self.stopping.is_set() or self.circuit.remaining():
            with self._unsent_lock:
                self._unsent.append(message)
            return SKIPPED
        report = transmit(message, backend=self.backend)
        if isinstance(report.outcome, AuthenticationError | EndpointNotFound):
            self.circuit.trip(str(report.outcome))
        elif isinstance(report.outcome, RateLimited):
            self.limiter.penalize(endpoint_of(message, self.backend), report.outcome)
        self._reports.put(report)
        return HANDED_OFF

    def _write_reports(self) -> None:
        """The writer thread: record reports in batches, one transaction per batch.

        After the first result it gathers more for up to ``WRITE_LINGER`` seconds, or until
        ``WRITE_BATCH`` of them or the end of the run; the stop signal writes at once.
        """
        done = False
        while not done:
            batch = [self._reports.get()]
            deadline = time.monotonic() + WRITE_LINGER
            while len(batch) < WRITE_BATCH and batch[-1] is not None:
                try:
                    batch.append(self._reports.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            done = None in batch
            reports = [report for report in batch if report is not None]
            if reports:
                self._record(reports)
        connections.close_all()

    def _record(self, reports: list[SendReport]) -> None:
        if self._gave_up is not None:
            return  # their leases expire and recovery marks them unconfirmed
        try:
            deliveries = self._record_waiting(reports)
        except db_retry.DatabaseStillLocked as error:
            self._give_up(error)
            return
        except Exception:
            # One bad report (or a dropped connection) must not cost the batch its results:
            # record each on its own, on a fresh connection.
            logger.exception("Could not record %s attempts together; one by one", len(reports))
            connections.close_all()
            deliveries = []
            for report in reports:
                try:
                    deliveries += self._record_waiting([report])
                except db_retry.DatabaseStillLocked as error:
                    self._give_up(error)
                    return
                except Exception:
                    # Its lease expires and recovery marks it unconfirmed: never resent blindly.
                    logger.exception("Could not record the attempt for text #%s", report.message.pk)
                    connections.close_all()
        for delivery in deliveries:
            self.tally.add(delivery.outcome or SKIPPED)
            if delivery.outcome == Outcome.SENT:
                self.circuit.reset()

    def _record_waiting(self, reports: list[SendReport]) -> list[outcomes.Delivery]:
        """``outcomes.record``, tried again while SQLite says the database is locked.

        Safe to repeat: ``record`` writes in one transaction and nothing after its commit can
        raise, so a lock error means nothing was written. SQLite reports the lock at BEGIN, at
        a statement, or at COMMIT, and a COMMIT refused as locked has not committed; Django
        then rolls it back. The message objects are put back as they were, so the next try
        (or the one-by-one fallback) starts from what the rows still say.
        """

        def record() -> list[outcomes.Delivery]:
            with db_retry.unchanged_on_error(report.message for report in reports):
                return outcomes.record(reports)

        return retry_locked(record, what="record results")

    def _give_up(self, error: db_retry.DatabaseStillLocked) -> None:
        """Stop the worker: results that cannot be written leave their texts to recovery."""
        logger.error("%s Stopping; texts being sent become unconfirmed when leases end.", error)
        self._gave_up = error
        self.stop()

    def _recover_expired_leases(self) -> None:
        now = time.monotonic()
        if now - self._last_recovery < min(conf.lease_seconds() / 2, 60):
            return
        self._last_recovery = now
        # Not one transaction: each row is recovered in its own, and a recovered row (whose
        # signal went out) is skipped when this runs again.
        recovered = retry_locked(leases.recover_expired, what="recover expired leases")
        if recovered:
            logger.warning("Recovered %s texts whose worker died mid-send", recovered)

    def _show_progress(self, *, final: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not final and now - self._last_progress < 1:
            return
        self._last_progress = now
        end = "\n" if final else ""
        if self._total is not None:
            line = progress_bar(self.tally.attempted, self._total, self.tally.rate())
        else:
            line = f"{self.tally.line()}  queued {_queued_count()}"
        self.progress.write(f"\r{line}\x1b[K{end}")
        self.progress.flush()


def _due_total(max_messages: int | None) -> int:
    due = OutboundMessage.objects.due().count()
    return due if max_messages is None else min(due, max_messages)


def _queued_count() -> int:
    return OutboundMessage.objects.filter(status=Status.QUEUED).count()


def progress_stream(enabled: bool | None) -> TextIO | None:
    """The terminal, when there is one (or when asked for explicitly)."""
    if enabled is None:
        enabled = sys.stdout.isatty()
    return sys.stdout if enabled else None
