"""``manage.py attentive_fake_server``: run the fake Attentive in the foreground."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...fake import FakeAttentiveServer, fake


class Command(BaseCommand):
    help = "Serve a local fake of Attentive's POST /v1/messages until Ctrl-C."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
        parser.add_argument("--port", type=int, default=8025, help="Port (0 picks a free one).")
        parser.add_argument("--token", help="Accept only this bearer token (default: any).")
        parser.add_argument(
            "--latency", type=float, default=0.0, help="Seconds to wait before each answer."
        )
        parser.add_argument(
            "--fault-rate", type=float, default=0.0, help="Share of requests that fail, 0..1."
        )
        parser.add_argument(
            "--fault-kinds",
            default="error",
            help="Comma-separated faults to pick from: error, drop, drop_after, slow.",
        )
        parser.add_argument(
            "--slow-seconds", type=float, default=2.0, help="How long a 'slow' fault waits."
        )
        parser.add_argument(
            "--opted-out",
            nargs="+",
            action="extend",
            default=[],
            metavar="NUMBER",
            help="Numbers answered with 'Subscriber is opted-out'.",
        )
        parser.add_argument(
            "--unknown",
            nargs="+",
            action="extend",
            default=[],
            metavar="NUMBER",
            help="Numbers answered with 'Subscriber not found'.",
        )
        parser.add_argument("--seed", type=int, help="Seed for the fault dice.")
        parser.add_argument(
            "--rate-limit",
            type=float,
            default=0.0,
            metavar="R",
            help="Answer 429 above R requests/s per endpoint, as Attentive does (0: no limit).",
        )

    def handle(self, *args: object, **options: object) -> None:
        fake.reset()
        try:
            fake.configure(
                token=options["token"],
                latency=options["latency"],
                fault_rate=options["fault_rate"],
                fault_kinds=options["fault_kinds"],
                slow_seconds=options["slow_seconds"],
                opted_out=options["opted_out"],
                unknown=options["unknown"],
                seed=options["seed"],
                rate_limit=options["rate_limit"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        server = FakeAttentiveServer(str(options["host"]), int(options["port"]), fake)  # type: ignore[call-overload]
        try:
            url = server.start()
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stdout.write(f"Fake Attentive listening on {url}  (Ctrl-C to stop)")
        self.stdout.write(f'Use it with: ATTENTIVE["BASE_URL"] = "{url}"')
        self.stdout.write(f"Received messages: {url}/_fake/messages")
        self.stdout.flush()
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
        stats = fake.stats
        self.stdout.write(
            f"Stopped; {len(fake.messages)} message(s) accepted, "
            f"{stats.rate_limited} of {stats.requests} request(s) answered 429."
        )
