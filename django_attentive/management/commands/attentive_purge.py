"""``manage.py attentive_purge --days N``: delete old finished texts, their attempts and webhook
events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ... import purge
from ...outbox.retention import PURGE_BATCH_SIZE


class Command(BaseCommand):
    help = (
        "Delete texts older than --days that have an outcome (sent, failed, unconfirmed, "
        "suppressed, cancelled) with their send attempts, and webhook events received before "
        "then (those a replay could still act on are emptied, not deleted). Queued and "
        "sending texts are kept. Safe while workers run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, required=True, help="Keep this many days; delete what is older."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=PURGE_BATCH_SIZE,
            help="Rows deleted per transaction.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days, batch_size = int(options["days"]), int(options["batch_size"])
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        cutoff = timezone.now() - timedelta(days=days)
        purged = purge(cutoff, batch_size=batch_size)
        self.stdout.write(
            f"Deleted {purged.messages} texts, {purged.attempts} send attempts and "
            f"{purged.webhook_events} webhook events older than {days} days "
            f"(before {cutoff:%Y-%m-%d %H:%M} UTC); emptied {purged.webhook_events_emptied} "
            "webhook events, kept to recognise replays."
        )
