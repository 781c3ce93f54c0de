"""``manage.py attentive_send <to> <body>``: send one text now and print what happened."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from ... import send_message
from ...exceptions import InvalidMessage
from ...models import OutboundMessage, Source, Status
from ...privacy import mask_phone
from ...sending.delivery import deliver


class Command(BaseCommand):
    help = "Send one text message through Attentive and print its outcome."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("to", help="Recipient, e.g. +12015550123 (US numbers may omit +1).")
        parser.add_argument("body", help="The text to send.")
        parser.add_argument("--media-url", help="A .gif, .png or .jpg URL (makes it an MMS).")
        parser.add_argument("--message-id", help="Attentive's messageId for tracking.")
        parser.add_argument(
            "--transactional", action="store_true", help='Send with type "TRANSACTIONAL".'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # argparse hands back untyped values; each is pinned to its add_argument type here.
        media_url: str | None = options["media_url"]
        message_id: str | None = options["message_id"]
        try:
            with transaction.atomic():
                message = send_message(
                    str(options["to"]),
                    str(options["body"]),
                    media_url=media_url,
                    message_id=message_id,
                    transactional=bool(options["transactional"]),
                    source=Source.CLI,
                )
        except InvalidMessage as exc:
            raise CommandError(str(exc)) from exc
        message.refresh_from_db()
        if message.status == Status.QUEUED and message.next_attempt_at is None:
            # The task backend queues elsewhere (e.g. a database worker): make the attempt here.
            message = deliver(message.pk) or message
            message.refresh_from_db()
        self._report(message)

    def _report(self, message: OutboundMessage) -> None:
        line = f"Text #{message.pk} to {mask_phone(message.to)}: {message.status}"
        if message.last_error:
            line += f" — {message.last_error}"
        if message.next_attempt_at and message.status == Status.QUEUED:
            line += f" (next attempt at {message.next_attempt_at:%Y-%m-%d %H:%M:%S %Z})"
        style = self.style.SUCCESS if message.status == Status.SENT else self.style.WARNING
        self.stdout.write(style(line))
        if message.status in (Status.FAILED, Status.UNCONFIRMED):
            raise CommandError(f"Text #{message.pk} was not sent.", returncode=1)
