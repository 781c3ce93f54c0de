"""Recording what a request did: its SendAttempt, the message's new state and the signals,
in one transaction. ``retry.decide`` says what an outcome means; this module writes it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from .. import instruments, retry, signals
from ..backends.base import Payload, SendResult
from ..exceptions import ConfigurationError
from ..models import Hold, OutboundMessage, Outcome, SendAttempt, Status
from ..privacy import mask_phone, mask_phones_in
from . import handoff
from .suppressions import is_recipient_refusal, storable, suppress_refused

logger = logging.getLogger("django_attentive")

RESPONSE_BODY_LIMIT = 4000
# Outcomes that hold a message for the configuration, not for anything about the message.
HOLD_FOR: dict[str, str] = {Outcome.AUTH: Hold.TOKEN, Outcome.ENDPOINT: Hold.ENDPOINT}
CONFIG_HOLDS = frozenset(HOLD_FOR.values())


@dataclass(frozen=True)
class SendReport:
    """What one request did, before it is written down."""

    message: OutboundMessage
    payload: Payload
    started_at: datetime
    duration_ms: int
    outcome: SendResult | BaseException


@dataclass(frozen=True)
class Delivery:
    """One attempt's result: the message as it now stands and the attempt's outcome."""

    message: OutboundMessage
    outcome: str  # an Outcome value, or "" when no request could be made


def record(reports: Sequence[SendReport]) -> list[Delivery]:
    """Write each report's SendAttempt and the message's new state, all in one transaction.

    The worker batches reports from many sending threads here, so a busy worker commits once
    per batch instead of once per message.
    """
    now = timezone.now()
    unsent = [r for r in reports if isinstance(r.outcome, ConfigurationError)]
    written = [r for r in reports if not isinstance(r.outcome, ConfigurationError)]
    pairs = [(r, _decide(r)) for r in written]
    with transaction.atomic():
        SendAttempt.objects.bulk_create([_attempt_row(report, choice) for report, choice in pairs])
        late = _apply(pairs, now)
        suppress_refused(
            [(r.message, r.outcome) for r in written if is_recipient_refusal(r.outcome)]
        )
        for report in unsent:
            _hold_for_token(report.message, str(report.outcome))
    # Committed: from here on nothing may raise, or a caller would record these twice.
    instruments.attempts_recorded([_observed(report, decision) for report, decision in pairs])
    deliveries = {id(report): Delivery(report.message, "") for report in unsent}
    for report, decision in pairs:
        if report.message.pk not in late:
            _announce(report.message, decision, report.outcome)
        deliveries[id(report)] = Delivery(report.message, decision.outcome)
    return [deliveries[id(report)] for report in reports]


def release_holds() -> int:
    """Texts waiting only because the token or the endpoint was refused become due now.

    Called when a new configuration is seen (a worker starts, or a setting changed), so a fixed
    token or BASE_URL sends them at once; unfixed, the first request trips the pause again.
    """
    now = timezone.now()
    return OutboundMessage.objects.filter(
        status=Status.QUEUED, hold__in=CONFIG_HOLDS, next_attempt_at__gt=now
    ).update(next_attempt_at=now, updated_at=now)


def notify(signal: Signal, message: OutboundMessage, **kwargs: object) -> None:
    """Send ``message_sent`` / ``message_failed``; a receiver that raises is logged, and
    neither undoes what was recorded nor stops delivery."""
    for receiver, result in signal.send_robust(sender=OutboundMessage, message=message, **kwargs):
        if isinstance(result, Exception):
            logger.error(
                "A signal receiver (%s) failed for text #%s",
                getattr(receiver, "__qualname__", receiver),
                message.pk,
                exc_info=result,
            )


def notify_failed(message: OutboundMessage, error: BaseException) -> None:
    notify(signals.message_failed, message, error=error)


def _decide(report: SendReport) -> retry.Decision:
    error = None if isinstance(report.outcome, SendResult) else report.outcome
    decision = retry.decide(error, report.message.attempts)
    note = storable(decision.error)
    if is_recipient_refusal(report.outcome):
        note = f"{note}; added to the suppression list"
    return decision if note == decision.error else replace(decision, error=note)


def _observed(report: SendReport, decision: retry.Decision) -> instruments.RecordedAttempt:
    return instruments.RecordedAttempt(
        kind=report.message.kind,
        endpoint=report.message.endpoint,
        outcome=decision.outcome,
        status_code=getattr(report.outcome, "status_code", None),
        duration_ms=report.duration_ms,
        made_request=bool(report.payload),
    )


def _attempt_row(report: SendReport, decision: retry.Decision) -> SendAttempt:
    response_body = storable(getattr(report.outcome, "response_body", "") or "")
    return SendAttempt(
        message=report.message,
        started_at=report.started_at,
        duration_ms=report.duration_ms,
        request=dict(report.payload),
        status_code=getattr(report.outcome, "status_code", None),
        response_body=response_body[:RESPONSE_BODY_LIMIT],
        outcome=decision.outcome,
        error=decision.error,
    )


def _apply(pairs: list[tuple[SendReport, retry.Decision]], now: datetime) -> set[int]:
    """Write the new states with one UPDATE per distinct outcome (one for a batch of 200s).

    Only rows still ``sending`` under this lease change. Returns the pks that were not:
    recorded after their lease ran out, recovery has already settled them (their attempt is
    still written, so the send log shows what really happened).
    """
    groups: dict[tuple[retry.Decision, str], list[OutboundMessage]] = {}
    for report, decision in pairs:
        groups.setdefault((decision, report.message.leased_by), []).append(report.message)
    late: set[int] = set()
    for (decision, lease), messages in groups.items():
        sent_at = now if decision.status == Status.SENT else None
        step = 1 if decision.counts_as_attempt else 0
        changes = {
            "status": decision.status,
            "next_attempt_at": retry.due_at(decision, now),
            "hold": HOLD_FOR.get(decision.outcome, Hold.NONE),
            "last_error": decision.error,
            "updated_at": now,
        }
        updated = OutboundMessage.objects.filter(
            pk__in=[m.pk for m in messages], status=Status.SENDING, leased_by=lease
        ).release_leases(
            attempts=models.F("attempts") + step,
            sent_at=sent_at or models.F("sent_at"),
            **changes,
        )
        if updated < len(messages):
            late |= _late_records(messages, now, decision)
        for message in messages:
            if message.pk in late:
                continue
            for name, value in changes.items():
                setattr(message, name, value)
            message.attempts += step
            message.leased_at, message.leased_by = None, ""
            message.sent_at = sent_at or message.sent_at
    return late


def _late_records(
    messages: list[OutboundMessage], now: datetime, decision: retry.Decision
) -> set[int]:
    """The messages of a group whose row was no longer this lease's (see ``_apply``)."""
    pks = [m.pk for m in messages]
    updated = set(
        OutboundMessage.objects.filter(pk__in=pks, updated_at=now).values_list("pk", flat=True)
    )
    late = set(pks) - updated
    if decision.status == Status.SENT and late:
        late -= _settle_late_sends(late, now)
    for pk in sorted(late):
        logger.warning(
            "Text #%s: an attempt (%s) was recorded after its lease ran out; the send log has "
            "it, and the message keeps the state recovery gave it",
            pk,
            decision.outcome,
        )
    return late


def _settle_late_sends(pks: set[int], now: datetime) -> set[int]:
    """Recovery guessed "maybe sent"; a late 200 says sent. Unless another worker has taken
    the message up again since, it becomes ``sent``, so no resend is invited. Returns those."""
    recovered = OutboundMessage.objects.filter(
        pk__in=pks, status__in=[Status.UNCONFIRMED, Status.QUEUED], leased_by=""
    )
    settled = set(recovered.values_list("pk", flat=True))
    recovered.filter(pk__in=settled).update(
        status=Status.SENT,
        next_attempt_at=None,
        hold=Hold.NONE,
        last_error="",
        sent_at=now,
        updated_at=now,
    )
    return settled


def _hold_for_token(message: OutboundMessage, reason: str) -> None:
    """Put a leased message back when no request could be made (no token, an unusable one)."""
    logger.error("Text #%s not sent: %s", message.pk, mask_phones_in(reason))
    next_attempt_at = timezone.now() + timedelta(seconds=retry.auth_pause_seconds())
    OutboundMessage.objects.settle(
        message, Status.QUEUED, next_attempt_at=next_attempt_at, hold=Hold.TOKEN, last_error=reason
    )


def _announce(message: OutboundMessage, decision: retry.Decision, outcome: object) -> None:
    if decision.status == Status.SENT:
        # Once per text sent: mask the number only when the line will be logged.
        if logger.isEnabledFor(logging.INFO):
            logger.info("Sent text #%s to %s", message.pk, mask_phone(message.to))
        notify(signals.message_sent, message)
        return
    masked = mask_phone(message.to)
    error = mask_phones_in(decision.error)
    if decision.outcome in HOLD_FOR:
        logger.warning("Text #%s waits for a working configuration: %s", message.pk, error)
    elif decision.status == Status.QUEUED:
        logger.warning(
            "Text #%s to %s will be retried at %s: %s",
            message.pk,
            masked,
            message.next_attempt_at,
            error,
        )
        handoff.request_delivery(message.pk, message.next_attempt_at, retry=True)
    else:
        logger.warning("Text #%s to %s is %s: %s", message.pk, masked, decision.status, error)
        notify(signals.message_failed, message, error=outcome)
