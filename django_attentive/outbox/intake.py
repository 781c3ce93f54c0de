"""Storing new messages: validate, admit, insert once under a key, ask for delivery.

Texts (``send_message``), custom events (``send_custom_event``), resends, cancelling, and
rows that could not even be queued (``record_failed``). Bulk sends are in ``bulk``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import OuterRef, Subquery

from .. import custom_events
from ..backends import forbidden_body_characters
from ..exceptions import AttentiveError, InvalidMessage
from ..keys import MAX_LENGTH as MAX_KEY_LENGTH
from ..models import (
    FINAL_STATUSES,
    Kind,
    MessageType,
    OutboundMessage,
    Source,
    Status,
    Suppression,
)
from ..privacy import mask_phone, mask_phones_in
from ..validation import CleanMessage, validate_message
from . import handoff
from .lookups import existing
from .outcomes import notify_failed
from .screening import Admission, admit, mark_suppressed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("django_attentive")


def send_message(
    to: str,
    body: str,
    *,
    media_url: str | None = None,
    message_id: str | None = None,
    transactional: bool = False,
    idempotency_key: str | None = None,
    send_at: datetime | None = None,
    related: models.Model | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
) -> OutboundMessage:
    """Validate, store as ``queued`` and deliver once the surrounding transaction commits.

    The same ``idempotency_key`` twice returns the first message and sends nothing new.
    Bad input raises ``InvalidMessage`` (per-field messages) and saves nothing.
    """
    try:
        clean = validate_text(to, body, media_url, message_id, transactional)
    except InvalidMessage:
        if idempotency_key and (earlier := existing(idempotency_key)) is not None:
            return earlier
        raise
    check_origin(source, idempotency_key)
    admission = admit(clean.to, transactional, send_at, None)
    message = text_row(
        clean,
        clean.to,
        admission,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,
        **related_fields(related),
    )
    return _store_and_deliver(message, "text", f"to {mask_phone(clean.to)}")


def send_custom_event(
    to: str,
    event_type: str,
    properties: Mapping[str, object] | None = None,
    *,
    occurred_at: datetime | None = None,
    external_event_id: str | None = None,
    transactional: bool = True,
    idempotency_key: str | None = None,
    related: models.Model | None = None,
    source: str = Source.CODE,
    created_by: AbstractBaseUser | None = None,
) -> OutboundMessage:
    """Queue a custom event (``POST /v1/events/custom``) like a text: same outbox, retries, admin.

    Its ``externalEventId`` is ``external_event_id``, else ``idempotency_key``, else a new
    id; the same ``idempotency_key`` twice returns the first event and posts nothing new.
    """
    clean = custom_events.validate_event(to, event_type, properties, occurred_at)
    check_origin(source, idempotency_key)
    status, next_attempt_at, hold, note = admit(clean.to, transactional, None, None)
    message = OutboundMessage(
        to=clean.to,
        message_type=MessageType.TRANSACTIONAL if transactional else MessageType.DEFAULT,
        status=status,
        next_attempt_at=next_attempt_at,
        hold=hold,
        last_error=note,
        idempotency_key=idempotency_key or None,
        source=source,
        created_by=created_by,  # type: ignore[misc]  # AUTH_USER_MODEL may be any user model
        kind=Kind.CUSTOM_EVENT,
        payload={
            "type": clean.type,
            "properties": clean.properties,
            "externalEventId": external_event_id or idempotency_key or uuid.uuid4().hex,
            "occurredAt": clean.occurred_at,
        },
        **related_fields(related),
    )
    return _store_and_deliver(message, "custom event", f"({clean.type}) for {mask_phone(clean.to)}")


def resend(
    message: OutboundMessage,
    *,
    by: AbstractBaseUser | None = None,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """Queue a new message with the same content, linked to the original by ``resent_from``.

    The same ``idempotency_key`` twice returns the first copy and queues nothing new.
    """
    if message.status not in FINAL_STATUSES:
        raise AttentiveError(
            f"Text #{message.pk} is still {message.status}; resend it once it has an outcome, "
            "or cancel it first."
        )
    if message.kind == Kind.CUSTOM_EVENT:
        copy = _resend_event(message, by, idempotency_key)
    else:
        copy = send_message(
            message.to,
            message.body,
            media_url=message.media_url,
            message_id=message.message_id,
            transactional=message.is_transactional,
            idempotency_key=idempotency_key,
            source=message.source,
            created_by=by,
        )
    OutboundMessage.objects.filter(pk=copy.pk).update(
        resent_from=message, content_type=message.content_type, object_id=message.object_id
    )
    copy.resent_from = message
    copy.content_type, copy.object_id = message.content_type, message.object_id
    return copy


@dataclass
class Resends:
    """What ``resend_many`` did: the new copies, and each message it left alone with the error."""

    copies: list[OutboundMessage] = field(default_factory=list)
    refused: list[tuple[OutboundMessage, AttentiveError]] = field(default_factory=list)


def resend_many(
    messages: Iterable[OutboundMessage],
    *,
    by: AbstractBaseUser | None = None,
    key_prefix: str | None = None,
) -> Resends:
    """``resend`` each message in one transaction, handing delivery over in bulk.

    A message ``resend`` refuses (still pending, or no longer valid, e.g. braces on the
    text/send API) is left out and reported; the others are resent. As with ``send_bulk``,
    nothing is sent inside the caller, even under Django's ImmediateBackend. With
    ``key_prefix`` each copy's idempotency key is ``<key_prefix>:<original pk>``: the same call
    again returns the first copies and queues nothing new.
    """
    resends = Resends()
    with transaction.atomic(), handoff.gathered():
        for message in messages:
            key = f"{key_prefix}:{message.pk}" if key_prefix else None
            try:
                resends.copies.append(resend(message, by=by, idempotency_key=key))
            except AttentiveError as exc:  # raised before resend writes anything
                resends.refused.append((message, exc))
    return resends


def cancel(message: OutboundMessage) -> OutboundMessage:
    """Stop a queued message from going out. Anything already sending or done is left alone."""
    updated = OutboundMessage.objects.filter(pk=message.pk, status=Status.QUEUED).release_leases(
        status=Status.CANCELLED, next_attempt_at=None
    )
    message.refresh_from_db()
    if not updated:
        raise AttentiveError(
            f"Text #{message.pk} is {message.status}; only queued texts can be cancelled."
        )
    logger.info("Cancelled text #%s", message.pk)
    return message


def record_failed(
    to: object,
    body: str,
    reason: str,
    *,
    transactional: bool = False,
    related: models.Model | None = None,
    source: str = Source.CODE,
    idempotency_key: str | None = None,
    kind: str = Kind.TEXT,
    payload: dict[str, object] | None = None,
    endpoint: str = "",
) -> OutboundMessage:
    """Store a message that could not even be queued (no usable number, broken template) as
    ``failed``. Nothing is sent; the row keeps the reason so an operator sees it in the admin.

    ``message_failed`` is sent once the surrounding transaction commits.
    """
    if idempotency_key and (earlier := existing(idempotency_key)) is not None:
        return earlier
    max_to = OutboundMessage._meta.get_field("to").max_length
    message = OutboundMessage(
        to=str(to or "")[:max_to],
        body=body,
        message_type=MessageType.TRANSACTIONAL if transactional else MessageType.DEFAULT,
        status=Status.FAILED,
        last_error=reason,
        idempotency_key=idempotency_key or None,
        source=source,
        kind=kind,
        payload=payload or {},
        endpoint=endpoint,
        **related_fields(related),
    )
    stored = insert_once(message)
    if stored is not message:
        return stored
    logger.warning("Text #%s not queued: %s", message.pk, mask_phones_in(reason))
    error = AttentiveError(reason)
    transaction.on_commit(lambda: notify_failed(message, error), robust=True)
    return message


def validate_text(
    to: object, body: object, media_url: object, message_id: object, transactional: bool
) -> CleanMessage:
    """A text's fields checked for the configured transport (``InvalidMessage`` if not)."""
    return validate_message(
        to,
        body,
        media_url=media_url,
        message_id=message_id,
        message_type=MessageType.TRANSACTIONAL if transactional else None,
        forbidden_characters=forbidden_body_characters(),
    )


def text_row(
    clean: CleanMessage, to: str, admission: Admission, **origin: object
) -> OutboundMessage:
    """An unsaved text row: the validated content and its admission."""
    status, next_attempt_at, hold, note = admission
    return OutboundMessage(
        to=to,
        body=clean.body,
        media_url=clean.media_url,
        message_id=clean.message_id,
        message_type=clean.message_type,
        status=status,
        next_attempt_at=next_attempt_at,
        hold=hold,
        last_error=note,
        **origin,
    )


def check_origin(source: str, idempotency_key: str | None = None) -> None:
    """``source`` must be a known one, and a key must fit its column."""
    errors = {}
    if source not in Source.values:
        errors["source"] = [f"Use one of {', '.join(Source.values)}."]
    if idempotency_key and len(idempotency_key) > MAX_KEY_LENGTH:
        errors["idempotency_key"] = [
            f"Use at most {MAX_KEY_LENGTH} characters (a hash of a longer key works)."
        ]
    if errors:
        raise InvalidMessage(errors)


def related_fields(related: models.Model | None) -> dict[str, object]:
    """The generic relation's columns for ``related`` (e.g. the order a text is about)."""
    if related is None:
        return {}
    if related.pk is None:
        raise InvalidMessage({"related": ["Save the related object before texting about it."]})
    return {
        "content_type": ContentType.objects.get_for_model(related),
        "object_id": str(related.pk),
    }


def insert_once(message: OutboundMessage, *, screened: bool = False) -> OutboundMessage:
    """Save a new row; if its idempotency key is taken, return the row that holds it instead.

    A keyed row is inserted with ON CONFLICT DO NOTHING and read back, so no savepoint is
    needed inside the caller's transaction. With ``screened`` the read-back also looks the
    number up on the suppression list, and a listed number's new row becomes ``suppressed``:
    an order event costs 2 queries, 3 with its template not yet cached.
    """
    if message.idempotency_key:
        OutboundMessage.objects.bulk_create([message], ignore_conflicts=True)
        rows = OutboundMessage.objects.filter(idempotency_key=message.idempotency_key)
        if screened:
            listed = Suppression.objects.filter(number=OuterRef("to")).values("pk")[:1]
            rows = rows.annotate(listed=Subquery(listed))
        stored = rows.get()
        if stored.created_at != message.created_at or stored.body != message.body:
            return stored  # the key was used before
        message.pk = stored.pk
        message._state.adding = False
        suppression_pk = getattr(stored, "listed", None)
    else:
        message.save()
        suppression_pk = (
            Suppression.objects.filter(number=message.to).values_list("pk", flat=True).first()
            if screened
            else None
        )
    if suppression_pk is not None and message.status == Status.QUEUED:
        mark_suppressed(message, Suppression.objects.get(pk=suppression_pk))
    return message


def _store_and_deliver(message: OutboundMessage, label: str, detail: str) -> OutboundMessage:
    """Insert a screened new row once; ask for its delivery unless it was stored before."""
    stored = insert_once(message, screened=True)
    if stored is not message or message.status == Status.SUPPRESSED:
        return stored
    logger.info("Queued %s #%s %s", label, message.pk, detail)
    handoff.request_delivery(message.pk, message.next_attempt_at)
    return message


def _resend_event(
    message: OutboundMessage, by: AbstractBaseUser | None, idempotency_key: str | None = None
) -> OutboundMessage:
    """A deliberate resend is a new event: Attentive would drop a repeated externalEventId."""
    event = message.payload or {}
    original_id = str(event.get("externalEventId") or f"message:{message.pk}")
    properties = event.get("properties")
    return send_custom_event(
        message.to,
        str(event.get("type") or ""),
        dict(properties) if isinstance(properties, dict) else {},
        external_event_id=f"{original_id}:resend:{uuid.uuid4().hex[:8]}",
        transactional=message.is_transactional,
        idempotency_key=idempotency_key,
        source=message.source,
        created_by=by,
    )
