"""The fake's webhooks: for texts it accepted, post signed events the way Attentive would.

Attentive signs each body with HMAC-SHA256 keyed on the webhook's signing key and sends the
hex digest in ``x-attentive-hmac-sha256``; this module computes that itself (the fake imports
nothing of the app). Each accepted text gets an ``sms.sent`` event; a share of them, chosen
by a seeded draw, also an ``sms.message_link_click`` and a smaller share an
``sms.unsubscribed``. Configure it with ``POST /_fake/webhooks`` or
``FakeWebhooks.configure``; ``emit()`` posts what is new, and with ``auto`` a background
thread does so every ``interval`` seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "x-attentive-hmac-sha256"
SENT, CLICKED, UNSUBSCRIBED = "sms.sent", "sms.message_link_click", "sms.unsubscribed"
COMPANY = {"display_name": "Fake Shop", "company_id": "MDc6RmFrZVNob3A"}


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of the raw body under the signing key, as Attentive sends it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookConfig:
    """Where events go and which ones; replaced as a whole, like the fake's other knobs."""

    url: str = ""
    secret: str = ""
    click_rate: float = 0.3
    opt_out_rate: float = 0.05
    auto: bool = False
    interval: float = 1.0
    seed: int | None = None

    def as_json(self) -> dict[str, object]:
        """The settings, without the signing key."""
        return {**dataclasses.asdict(self), "secret": "set" if self.secret else ""}


def _clean(knobs: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(WebhookConfig)}
    unknown = set(knobs) - names
    if unknown:
        raise ValueError(
            f"Unknown webhook settings {sorted(unknown)}; choose from {sorted(names)}."
        )
    cleaned = dict(knobs)
    for name in ("click_rate", "opt_out_rate"):
        if name in cleaned:
            value = float(cleaned[name])
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {cleaned[name]!r}.")
            cleaned[name] = value
    if "interval" in cleaned:
        cleaned["interval"] = max(0.1, float(cleaned["interval"]))
    if "url" in cleaned and cleaned["url"] and not str(cleaned["url"]).startswith("http"):
        raise ValueError(f"url must be an http(s) URL, not {cleaned['url']!r}.")
    return cleaned


class FakeWebhooks:
    """Posts signed events for what a ``FakeAttentive`` accepted on its text endpoints."""

    def __init__(self, fake: Any, text_paths: tuple[str, ...]) -> None:
        self.fake = fake
        self.text_paths = text_paths
        self._config = WebhookConfig()
        self._lock = threading.Lock()
        self._emit_lock = threading.Lock()
        self._cursor = 0  # the last record's seq already answered with events
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.posted: list[tuple[str, int]] = []  # (event type, HTTP status) of each post

    @property
    def settings(self) -> WebhookConfig:
        with self._lock:
            return self._config

    def configure(self, **knobs: Any) -> WebhookConfig:
        """Change any settings at once; ``auto=True`` starts the background thread."""
        cleaned = _clean(knobs)
        with self._lock:
            self._config = dataclasses.replace(self._config, **cleaned)
            config = self._config
        if config.auto:
            self._start()
        return config

    def reset(self) -> None:
        """Stop the thread, forget the settings and start answering from the next text."""
        with self._lock:
            self._config = WebhookConfig()
            self.posted = []
            self._cursor = max((r["seq"] for r in self.fake.records()), default=0)
        self._wake.set()

    def events_for(self, record: Mapping[str, Any], draw: random.Random) -> list[dict[str, Any]]:
        """The events Attentive would post for one accepted text, in order."""
        config = self.settings
        sent_at = _millis(record.get("received_at"))
        message = {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"fake:{record['seq']}").hex,
            "name": str(record.get("messageName") or record.get("messageId") or ""),
            "type": str(record.get("subscriptionType") or record.get("type") or "MARKETING"),
            "text": str(record.get("body", "")),
            "channel": "TEXT",
        }
        subscriber = {"phone": str(record.get("to", "")), "external_id": record["seq"]}
        base = {"company": COMPANY, "subscriber": subscriber}
        events = [{"type": SENT, "timestamp": sent_at + 500, **base, "message": message}]
        if draw.random() < config.click_rate:
            events.append(
                {"type": CLICKED, "timestamp": sent_at + 2000, **base, "message": message}
            )
        if draw.random() < config.opt_out_rate:
            events.append({"type": UNSUBSCRIBED, "timestamp": sent_at + 4000, **base})
        return events

    def emit(self) -> int:
        """Post the events for every text accepted since the last call; returns how many."""
        with self._emit_lock:
            config = self.settings
            if not config.url or not config.secret:
                raise ValueError("Set the webhook's url and secret first.")
            records = self.fake.records(self.text_paths, since=self._cursor)
            posted = 0
            for record in records:
                seed = f"{config.seed}:{record['seq']}" if config.seed is not None else None
                draw = random.Random(seed)
                for event in self.events_for(record, draw):
                    self._post(config, event)
                    posted += 1
                self._cursor = max(self._cursor, record["seq"])
            return posted

    def _post(self, config: WebhookConfig, event: Mapping[str, Any]) -> None:
        body = json.dumps(event).encode()
        request = urllib.request.Request(
            config.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, config.secret),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - configured
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self._lock:
            self.posted.append((str(event["type"]), status))

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._wake.clear()
            self._thread = threading.Thread(target=self._run, name="fake-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            config = self.settings
            if not config.auto:
                return
            if config.url and config.secret:
                try:
                    self.emit()
                except Exception:  # noqa: BLE001 - a demo aid must not die on one bad post
                    time.sleep(config.interval)
            self._wake.wait(config.interval)
            self._wake.clear()

    def control(self, method: str, body: bytes) -> tuple[int, dict[str, object]]:
        """``GET /_fake/webhooks``: the settings; ``POST``: change them (JSON), then emit."""
        if method == "GET":
            return 200, {**self.settings.as_json(), "posted": len(self.posted)}
        options = json.loads(body or b"{}")
        if not isinstance(options, dict):
            raise ValueError("Send a JSON object.")
        emit_now = bool(options.pop("emit", True))
        config = self.configure(**options)
        posted = self.emit() if emit_now and config.url and config.secret else 0
        return 200, {**config.as_json(), "emitted": posted}


def _millis(iso: object) -> int:
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(str(iso)).timestamp() * 1000)
    except ValueError:
        return int(time.time() * 1000)
