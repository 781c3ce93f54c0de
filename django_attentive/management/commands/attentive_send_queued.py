"""``manage.py attentive_send_queued``: send every due text, once (cron) or forever (--loop)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...sending.worker import Worker, progress_stream


class Command(BaseCommand):
    help = (
        "Send queued texts that are due. Without --loop it drains what is due and exits (for "
        "cron); with --loop it runs as a worker. Any number can run at once, on any hosts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running, polling for work.")
        parser.add_argument(
            "--concurrency", type=int, default=1, help="Sending threads (one HTTP session)."
        )
        parser.add_argument(
            "--batch-size", type=int, default=100, help="Messages leased per database round trip."
        )
        parser.add_argument(
            "--max-messages", type=int, default=None, help="Exit after claiming this many."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls when idle."
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="Show the progress line even when not on a terminal.",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="Serve this worker's Prometheus metrics on http://0.0.0.0:PORT/ "
            "(needs django-attentive[metrics]).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # argparse hands back untyped values; each is pinned to its add_argument type here.
        max_messages: int | None = options["max_messages"]
        show_progress: bool | None = options["progress"]
        if int(options["verbosity"]) >= 2:
            logging.getLogger("django_attentive").setLevel(logging.INFO)
        if options["metrics_port"] is not None:
            _serve_metrics(int(options["metrics_port"]))
        worker = Worker(
            concurrency=int(options["concurrency"]),
            batch_size=int(options["batch_size"]),
            max_messages=max_messages,
            loop=bool(options["loop"]),
            interval=float(options["interval"]),
            progress=progress_stream(show_progress),
        )
        worker.install_signal_handlers()
        tally = worker.run()
        self.stdout.write(f"attentive_send_queued: {tally.line()}")


def _serve_metrics(port: int) -> None:
    try:
        from prometheus_client import start_http_server

        from ... import metrics  # noqa: F401 - registers the collectors
    except ImportError as exc:
        raise CommandError(
            "--metrics-port needs prometheus-client: pip install django-attentive[metrics]"
        ) from exc
    start_http_server(port)
