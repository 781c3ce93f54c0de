"""What every transport shares: the payload shapes, what a transport is given, and a result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, NotRequired, TypedDict

from ..choices import Kind
from ..exceptions import ConfigurationError
from ..validation import forbidden_character_message


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


#: The body of any other endpoint's request, as the outbox stored it (Attentive's names).
RequestPayload = Mapping[str, object]

Payload = MessagePayload | TextSendPayload | CustomEventPayload | RequestPayload

#: Where each kind posts, when the row does not say (a text's path is the transport's own).
KIND_ENDPOINTS = {
    Kind.CUSTOM_EVENT: "/v1/events/custom",
    Kind.SUBSCRIPTION: "/v1/subscriptions",
    Kind.UNSUBSCRIPTION: "/v1/subscriptions/unsubscribe",
    Kind.IDENTITY: "/v1/identity-resolution/user-identifiers",
    Kind.ATTRIBUTES: "/v1/attributes/custom",
}


def path_for(kind: str, endpoint: str = "") -> str:
    """Where a row of ``kind`` posts: its own ``endpoint``, else its kind's ("" for a text)."""
    return endpoint or KIND_ENDPOINTS.get(Kind(kind), "")


@dataclass(frozen=True)
class Outgoing:
    """What a transport is given for one outbox row: plain values, never a model."""

    kind: str  # a choices.Kind value
    to: str
    endpoint: str = ""  # the path a non-text row posts to ("" for a text: the transport's)
    body: str = ""
    media_url: str = ""
    message_id: str = ""
    transactional: bool = False
    payload: Mapping[str, object] = field(default_factory=dict)  # a non-text kind's content
    campaign: str = ""  # the name of the campaign a text belongs to

    @property
    def is_text(self) -> bool:
        return self.kind == Kind.TEXT

    @property
    def path(self) -> str:
        """The endpoint of a non-text row ("" for a text, whose path the transport decides)."""
        return path_for(self.kind, self.endpoint)


@dataclass(frozen=True)
class SendResult:
    """Attentive accepted the request (any 2xx)."""

    status_code: int
    response_body: str = ""
    data: dict[str, object] = field(default_factory=dict)


def build_payload(outgoing: Outgoing) -> MessagePayload:
    """A text as the Messages API takes it (the shape console and locmem keep too)."""
    payload: MessagePayload = {"to": outgoing.to, "body": outgoing.body}
    if outgoing.message_id:
        payload["messageId"] = outgoing.message_id
    if outgoing.transactional:
        payload["type"] = "TRANSACTIONAL"
    if outgoing.media_url:
        payload["mediaUrl"] = outgoing.media_url
    return payload


def build_event_payload(outgoing: Outgoing) -> CustomEventPayload:
    """A custom event as ``/v1/events/custom`` takes it; the phone is the row's ``to``."""
    event = outgoing.payload
    properties = event.get("properties")
    return {
        "type": str(event.get("type", "")),
        "properties": dict(properties) if isinstance(properties, Mapping) else {},
        "externalEventId": str(event.get("externalEventId", "")),
        "occurredAt": str(event.get("occurredAt", "")),
        "user": {"phone": outgoing.to},
    }


class BaseBackend:
    """A transport, as a short template: ``build_payload`` says what goes over the wire,
    ``send`` posts a text and ``send_event`` a custom event; errors are raised as
    ``exceptions.APIError`` subclasses.
    """

    #: Where this transport's API lives when ATTENTIVE has no BASE_URL (None: the app default).
    default_base_url: ClassVar[str | None] = None
    #: Characters a body must not contain on this transport (validation refuses them).
    forbidden_body_characters: ClassVar[str] = ""
    #: How many distinct message names Attentive takes a day on this transport (None: no limit;
    #: the name is the campaign's, or the text's message_id).
    daily_message_names: ClassVar[int | None] = None

    def build_payload(self, outgoing: Outgoing) -> Payload:
        """The request body: a custom event's own payload, else the text.

        A text this transport cannot carry (queued before the shop switched transports)
        raises ValueError, so it ends ``failed`` with the reason instead of being lost.
        """
        if outgoing.kind == Kind.CUSTOM_EVENT:
            return build_event_payload(outgoing)
        if not outgoing.is_text:
            return dict(outgoing.payload)  # stored as Attentive takes it
        found = next((c for c in outgoing.body if c in self.forbidden_body_characters), None)
        if found is not None:
            raise ValueError(forbidden_character_message(found, self.forbidden_body_characters))
        return self.build_message_payload(outgoing)

    def build_message_payload(self, outgoing: Outgoing) -> Payload:
        return build_payload(outgoing)

    def send(self, payload: MessagePayload) -> SendResult:
        raise NotImplementedError

    def send_event(self, payload: CustomEventPayload) -> SendResult:
        raise ConfigurationError(
            f"{type(self).__name__} cannot post custom events; set ATTENTIVE['BACKEND'] to "
            "'django_attentive.backends.text_send.TextSendBackend' or set "
            "ORDER_EVENTS_AS to 'text'."
        )

    def send_request(self, path: str, payload: RequestPayload) -> SendResult:
        """POST any other endpoint's payload (subscriptions, commerce events, identity, …)."""
        raise ConfigurationError(
            f"{type(self).__name__} cannot post to {path}; set ATTENTIVE['BACKEND'] to "
            "'django_attentive.backends.text_send.TextSendBackend' (or console or locmem)."
        )

    def send_payload(self, outgoing: Outgoing, payload: Payload) -> SendResult:
        """Send a payload from ``build_payload`` to the endpoint for the row's kind."""
        if outgoing.is_text:
            return self.send(payload)  # type: ignore[arg-type]
        if outgoing.kind == Kind.CUSTOM_EVENT:
            return self.send_event(payload)  # type: ignore[arg-type]
        return self.send_request(outgoing.path, payload)
