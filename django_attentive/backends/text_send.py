"""Attentive's current API: ``POST {BASE_URL}/v1/text/send`` with a custom app's API key.

The Messages API (http.py) is archived and needs a legacy token new customers cannot get;
this transport is what a shop adopting the app today uses. The docs' *Migrating to
/v1/text/send* page says how to switch.
"""

from __future__ import annotations

from .. import conf
from .base import Outgoing, TextSendPayload
from .http import AttentiveHttpBackend

TEXT_SEND_PATH = "/v1/text/send"
CURRENT_API_URL = "https://api.attentivemobile.com"
TRANSACTIONAL = "TRANSACTIONAL"
MARKETING = "MARKETING"


class TextSendBackend(AttentiveHttpBackend):
    """Sends texts through ``/v1/text/send`` and order events through ``/v1/events/custom``."""

    message_path = TEXT_SEND_PATH
    default_base_url = CURRENT_API_URL
    token_kind = "the API key of an Attentive custom app"
    # Attentive answers success but silently drops a body containing a brace.
    forbidden_body_characters = "{}"
    # Attentive's reports take at most 20 distinct messageName values a day.
    daily_message_names = 20

    def build_message_payload(self, outgoing: Outgoing) -> TextSendPayload:
        """The text in /v1/text/send's fields, with TEXT_SEND's options.

        A campaign's text is named after the campaign, so its webhook events can be told
        apart; otherwise a text's ``message_id`` (the Messages API's tracking id) becomes its
        ``messageName``, overriding TEXT_SEND's; each names the message in Attentive's reports.
        """
        options = conf.text_send_options()
        payload: TextSendPayload = {
            "to": outgoing.to,
            "subscriptionType": TRANSACTIONAL if outgoing.transactional else MARKETING,
            "body": outgoing.body,
        }
        if outgoing.media_url:
            payload["mediaUrl"] = outgoing.media_url
        message_name = outgoing.campaign or outgoing.message_id or options.get("messageName") or ""
        if message_name:
            payload["messageName"] = str(message_name)
        for flag in ("useShortLinks", "skipFatigue"):
            if flag in options:
                payload[flag] = bool(options[flag])  # type: ignore[literal-required,unused-ignore]
        return payload
