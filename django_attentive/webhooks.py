"""Attentive's webhooks: verify the signature, store each event once, keep the suppression list.

Mounted at ``attentive/webhooks/`` (see urls.py). Attentive signs the raw body with
HMAC-SHA256 keyed on the webhook's signing key and sends the hex digest in
``x-attentive-hmac-sha256``; there is no timestamp in the signature, so replays are
caught by storing every event once (its id, or the body's hash, is unique) and by the
event's own ``timestamp`` (see ``WEBHOOK_MAX_AGE``). ``attentive_purge`` empties, rather than
deletes, each event whose replay could still change the list, so its key outlives the purge.

Each event that answers a text (sent, clicked, opted out) is linked to that text and its
campaign when it is stored: by the message's name or id when the payload carries one we
used, else by the subscriber's number and time (``ATTRIBUTION_WINDOW``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import conf, lift_suppression, suppress
from .campaign_progress import ANSWER_EVENTS
from .models import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    OutboundMessage,
    Suppression,
    SuppressionReason,
    WebhookEvent,
    WebhookOutcome,
)
from .privacy import mask_phone
from .validation import normalize_phone

logger = logging.getLogger("django_attentive")

SIGNATURE_HEADER = "x-attentive-hmac-sha256"
MAX_TYPE_LENGTH: int = WebhookEvent._meta.get_field("type").max_length or 100
# Attentive's events nest a few levels; far deeper is an attack on whatever walks the payload
# later (the admin's pretty-printer recursed past Python's limit at ~900 levels).
MAX_DEPTH = 32


class MalformedEvent(ValueError):
    """The body is signed but is not an event we can read (answered with 400)."""


def signature_for(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of a raw body, as Attentive computes it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """True when ``signature`` is the body's HMAC under ``secret`` (constant-time comparison).

    Compared as bytes: ``compare_digest`` raises TypeError on a str with non-ASCII characters,
    and a header may hold any.
    """
    if not secret or not signature:
        return False
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(signature_for(body, secret).encode(), given)


@dataclass(frozen=True)
class Event:
    """The parts of a webhook event this app reads."""

    dedup_key: str
    type: str
    phone: str
    payload: dict[str, Any]
    occurred_at: datetime | None


def parse_event(body: bytes) -> Event:
    """Read a raw body into an Event, or raise MalformedEvent saying what is wrong."""
    try:
        payload = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedEvent("The body is not JSON.") from None
    if not isinstance(payload, dict):
        raise MalformedEvent("The body is not a JSON object.")
    if nesting_depth(payload) > MAX_DEPTH:
        raise MalformedEvent(f"The body is nested more than {MAX_DEPTH} levels deep.")
    _check_storable(payload)
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind or len(kind) > MAX_TYPE_LENGTH:
        raise MalformedEvent('The event has no "type".')
    subscriber = payload.get("subscriber")
    phone = subscriber.get("phone") if isinstance(subscriber, dict) else None
    return Event(
        dedup_key=_dedup_key(payload, body),
        type=kind,
        phone=phone if isinstance(phone, str) else "",
        payload=payload,
        occurred_at=_timestamp(payload.get("timestamp")),
    )


def nesting_depth(value: object, *, stop_after: int = MAX_DEPTH) -> int:
    """How many levels of objects and arrays ``value`` has, counting no further than one past
    ``stop_after``.

    Level by level rather than recursively, so no payload, however deep, can exhaust the stack.
    """
    depth, level = 0, [value]
    while depth <= stop_after:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return depth


def _check_storable(payload: dict[str, Any]) -> None:
    """PostgreSQL stores neither NUL characters nor lone surrogates in text or jsonb."""
    text = json.dumps(payload, ensure_ascii=False)
    if "\\u0000" in text:
        raise MalformedEvent("The body contains NUL characters.")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise MalformedEvent("The body contains invalid Unicode (a lone surrogate).") from None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _dedup_key(payload: dict[str, Any], body: bytes) -> str:
    """The same event retried is the same key: its id when it has one, else the body's hash."""
    event_id = payload.get("id", payload.get("event_id"))
    if isinstance(event_id, str | int) and not isinstance(event_id, bool) and str(event_id):
        return hashlib.sha256(f"id:{event_id}".encode()).hexdigest()
    return hashlib.sha256(body).hexdigest()


def _timestamp(value: object) -> datetime | None:
    """Attentive's ``timestamp`` is milliseconds since the epoch."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedEvent('"timestamp" must be milliseconds since the epoch.')
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedEvent('"timestamp" is out of range.') from None


@csrf_exempt
@require_POST
def webhook_view(request: HttpRequest) -> JsonResponse:
    """Receive one Attentive event: 403 unless signed, 400 if unreadable, else 200 at once."""
    # Stripped like API_TOKEN: a key read from a file or a secret store often ends in a newline.
    secret = conf.webhook_secret().strip()
    if not secret:
        logger.error("Refused a webhook: ATTENTIVE['WEBHOOK_SECRET'] is not set")
        return _answer(403, "Webhooks are off: ATTENTIVE['WEBHOOK_SECRET'] is not set.")
    body = request.body
    if not verify_signature(body, request.headers.get(SIGNATURE_HEADER), secret):
        logger.warning("Refused a webhook with a missing or wrong %s header", SIGNATURE_HEADER)
        return _answer(403, f"Missing or wrong {SIGNATURE_HEADER} signature.")
    try:
        event = parse_event(body)
    except MalformedEvent as exc:
        return _answer(400, str(exc))
    stored = record_event(event)
    if stored is None:
        return _answer(200, "duplicate")
    return _answer(200, stored.outcome)


def _answer(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def record_event(event: Event) -> WebhookEvent | None:
    """Store and apply an event once; None when it was received before (a retry or replay)."""
    row = WebhookEvent(
        dedup_key=event.dedup_key,
        type=event.type,
        payload=event.payload,
        occurred_at=event.occurred_at,
        outcome=WebhookOutcome.IGNORED,
    )
    try:
        with transaction.atomic():
            row.save()
            row.number, row.outcome, row.detail = apply_event(event, row.pk)
            link_event(row, event)
            row.save(update_fields=["number", "outcome", "detail", "message", "campaign"])
    except IntegrityError:
        logger.info("Webhook event %s received again; already handled", event.type)
        return None
    logger.info("Webhook event %s: %s", event.type, row.outcome)
    return row


def link_event(row: WebhookEvent, event: Event) -> None:
    """Fill the event's number, and for an answer to a text, the text and its campaign."""
    if not row.number:
        try:
            row.number = normalize_phone(event.phone) if event.phone else ""
        except ValueError:
            return
    if event.type not in ANSWER_EVENTS or not row.number:
        return
    message = answered_message(row.number, event)
    if message is not None:
        row.message, row.campaign_id = message, message.campaign_id


def answered_message(number: str, event: Event) -> OutboundMessage | None:
    """The text an event answers: among recent texts to the number, the one carrying the
    message name or id the event gives, else the latest one."""
    candidates = OutboundMessage.objects.answered_by(number, event.occurred_at or timezone.now())
    names = message_names(event.payload)
    if names:
        named = models.Q(campaign__name__in=names) | models.Q(message_id__in=names)
        if (found := candidates.filter(named).first()) is not None:
            return found
    return candidates.first()


def message_names(payload: dict[str, object]) -> list[str]:
    """The names and ids Attentive gives for the message (``message.name``, ``message.id``)."""
    message = payload.get("message")
    if not isinstance(message, dict):
        return []
    values = (message.get("name"), message.get("id"))
    return [str(v) for v in values if isinstance(v, str | int) and not isinstance(v, bool) and v]


def apply_event(event: Event, event_pk: int) -> tuple[str, str, str]:
    """Do what the event asks; returns the number it concerns, the outcome and why."""
    if event.type not in (UNSUBSCRIBED, SUBSCRIBED):
        return "", WebhookOutcome.IGNORED, f"{event.type} events do not change the list."
    try:
        number = normalize_phone(event.phone)
    except ValueError as exc:
        return "", WebhookOutcome.IGNORED, f"No usable subscriber.phone: {exc}"
    if event.type == UNSUBSCRIBED:
        # An opt-out is honoured however late it arrives.
        suppress(
            number,
            SuppressionReason.WEBHOOK,
            source=f"webhook event #{event_pk} ({event.type})",
            at=event.occurred_at,
        )
        return number, WebhookOutcome.SUPPRESSED, "The number is on the suppression list."
    return (number, *_lift(number, event))


def _lift(number: str, event: Event) -> tuple[str, str]:
    """Lift a suppression for sms.subscribed, unless the event is older than what it would undo.

    It is compared with the latest opt-out seen for the number (a later unsubscribe or refusal
    included), not with when the entry was made: an old opt-in must not undo a newer opt-out.
    """
    suppression = Suppression.objects.filter(number=number).first()
    if suppression is None:
        return WebhookOutcome.IGNORED, "The number was not suppressed."
    if suppression.reason == SuppressionReason.MANUAL:
        return WebhookOutcome.IGNORED, "Kept: the number was suppressed by hand."
    if event.occurred_at is None:
        return (
            WebhookOutcome.IGNORED,
            'Kept: the event has no "timestamp", so it cannot be shown to be newer than the '
            "opt-out.",
        )
    max_age = timedelta(seconds=conf.webhook_max_age())
    if event.occurred_at < timezone.now() - max_age:
        return WebhookOutcome.IGNORED, f"Kept: the event is older than {max_age} (a replay?)."
    latest = suppression.last_opted_out_at
    if event.occurred_at <= latest:
        return (
            WebhookOutcome.IGNORED,
            "Kept: the suppression is newer than the event (latest opt-out "
            f"{latest.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC).",
        )
    if not lift_suppression(number, resubscribed_at=event.occurred_at):
        return (
            WebhookOutcome.IGNORED,
            "Not lifted: the entry changed meanwhile (a newer opt-out, or removed by hand).",
        )
    logger.info("Webhook resubscribed %s", mask_phone(number))
    return WebhookOutcome.LIFTED, f"Lifted a suppression ({suppression.reason})."
