"""What every transport shares: the payload shape and the result of a send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:
    from ..models import OutboundMessage


class MessagePayload(TypedDict):
    """The JSON body of ``POST /v1/messages``, in Attentive's field names."""

    to: str
    body: str
    messageId: NotRequired[str]
    type: NotRequired[str]
    mediaUrl: NotRequired[str]


@dataclass(frozen=True)
class SendResult:
    """Attentive accepted the message (HTTP 200)."""

    status_code: int
    response_body: str = ""
    data: dict[str, object] = field(default_factory=dict)


def build_payload(message: OutboundMessage) -> MessagePayload:
    payload: MessagePayload = {"to": message.to, "body": message.body}
    if message.message_id:
        payload["messageId"] = message.message_id
    if message.message_type:
        payload["type"] = message.message_type
    if message.media_url:
        payload["mediaUrl"] = message.media_url
    return payload


class BaseBackend:
    """A transport. Subclasses implement ``send``; errors are raised as exceptions.APIError."""

    def send(self, payload: MessagePayload) -> SendResult:
        raise NotImplementedError
