"""What every transport shares: the payload shapes and the result of a send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, NotRequired, TypedDict

from ..exceptions import ConfigurationError
from ..validation import forbidden_character_message

if TYPE_CHECKING:
    from ..models import OutboundMessage


class MessagePayload(TypedDict):
    """The JSON body of ``POST /v1/messages``, in Attentive's field names."""

    to: str
    body: str
    messageId: NotRequired[str]
    type: NotRequired[str]
    mediaUrl: NotRequired[str]


class TextSendPayload(TypedDict):
    """The JSON body of ``POST /v1/text/send`` (Attentive's current API)."""

    to: str
    subscriptionType: str  # "TRANSACTIONAL" or "MARKETING"
    body: str
    mediaUrl: NotRequired[str]
    messageName: NotRequired[str]
    useShortLinks: NotRequired[bool]
    skipFatigue: NotRequired[bool]


class EventUser(TypedDict):
    phone: str


class CustomEventPayload(TypedDict):
    """The JSON body of ``POST /v1/events/custom``."""

    type: str
    properties: dict[str, str]
    externalEventId: str
    occurredAt: str
    user: EventUser


Payload = MessagePayload | TextSendPayload | CustomEventPayload


@dataclass(frozen=True)
class SendResult:
    """Attentive accepted the request (any 2xx)."""

    status_code: int
    response_body: str = ""
    data: dict[str, object] = field(default_factory=dict)


def build_payload(message: OutboundMessage) -> MessagePayload:
    """A text as the Messages API takes it (the shape console and locmem keep too)."""
    payload: MessagePayload = {"to": message.to, "body": message.body}
    if message.message_id:
        payload["messageId"] = message.message_id
    if message.message_type:
        payload["type"] = message.message_type
    if message.media_url:
        payload["mediaUrl"] = message.media_url
    return payload


def build_event_payload(message: OutboundMessage) -> CustomEventPayload:
    """A custom-event row as ``/v1/events/custom`` takes it; the phone is the row's ``to``."""
    event = message.event or {}
    return {
        "type": str(event.get("type", "")),
        "properties": dict(event.get("properties") or {}),
        "externalEventId": str(event.get("externalEventId", "")),
        "occurredAt": str(event.get("occurredAt", "")),
        "user": {"phone": message.to},
    }


class BaseBackend:
    """A transport: ``build_payload`` says what goes over the wire, ``send`` sends a text
    and ``send_event`` a custom event; errors are raised as exceptions.APIError.
    """

    #: Where this transport's API lives when ATTENTIVE has no BASE_URL (None: the app default).
    default_base_url: ClassVar[str | None] = None
    #: Characters a body must not contain on this transport (validation refuses them).
    forbidden_body_characters: ClassVar[str] = ""

    def build_payload(self, message: OutboundMessage) -> Payload:
        """The request body for ``message``: its event for a custom event, else its text.

        A text this transport cannot carry (queued before the shop switched transports)
        raises ValueError, so it ends ``failed`` with the reason instead of being lost.
        """
        if message.is_event:
            return build_event_payload(message)
        found = next((c for c in message.body if c in self.forbidden_body_characters), None)
        if found is not None:
            raise ValueError(forbidden_character_message(found, self.forbidden_body_characters))
        return self.build_message_payload(message)

    def build_message_payload(self, message: OutboundMessage) -> Payload:
        return build_payload(message)

    def send(self, payload: MessagePayload) -> SendResult:
        raise NotImplementedError

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        raise ConfigurationError(
            f"{type(self).__name__} cannot post custom events; set ATTENTIVE['BACKEND'] to "
            "'django_attentive.backends.text_send.TextSendBackend' or set "
            "ORDER_EVENTS_AS to 'text'."
        )

    def send_payload(self, message: OutboundMessage, payload: Payload) -> SendResult:
        """Send a payload from ``build_payload`` to the endpoint for the message's kind."""
        if message.is_event:
            return self.send_event(payload)  # type: ignore[arg-type]
        return self.send(payload)  # type: ignore[arg-type]
