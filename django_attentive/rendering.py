"""Find MessageTemplates (cached) and render them as plain text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

from django.core.cache import cache
from django.db import models, transaction
from django.template import Context, Engine, Template, TemplateSyntaxError

from .models import MessageTemplate
from .segments import SegmentCount, count_segments

#: Other processes see an edited template after at most this long (a shared cache: at once).
CACHE_SECONDS = 60
_CACHE_PREFIX = "django_attentive:template:"
_MISSING = "-"


class RenderError(Exception):
    """A template does not compile or fails while rendering; the message says which and why."""


@functools.cache
def _engine() -> Engine:
    # Texts are not HTML: "O'Brien & Sons" must arrive exactly so.
    return Engine(autoescape=False, string_if_invalid="")


@functools.lru_cache(maxsize=256)
def compile_body(body: str) -> Template:
    """Compile a template body, raising RenderError with the line Django complains about."""
    try:
        return _engine().from_string(body)
    except TemplateSyntaxError as exc:
        raise RenderError(f"The template does not compile: {exc}") from exc


def render_body(body: str, context: dict[str, object]) -> str:
    """Render ``body`` with ``context``, autoescape off, surrounding whitespace stripped."""
    template = compile_body(body)
    try:
        return template.render(Context(context, autoescape=False)).strip()
    except Exception as exc:  # noqa: BLE001 - a shop's model may raise anything from a property
        raise RenderError(f"The template failed while rendering: {exc!r}") from exc


def _cache_key(key: str) -> str:
    return _CACHE_PREFIX + key


def active_template(key: str) -> MessageTemplate | None:
    """The active template with ``key``, or None; from the cache when it can be."""
    cached = cache.get(_cache_key(key))
    if cached == _MISSING:
        return None
    if isinstance(cached, MessageTemplate):
        return cached
    template = MessageTemplate.objects.filter(key=key, is_active=True).first()
    cache.set(_cache_key(key), template or _MISSING, CACHE_SECONDS)
    return template


def forget_template(sender: type[MessageTemplate], instance: MessageTemplate, **kwargs) -> None:
    """Drop a saved or deleted template from the cache, now and again once it commits."""
    keys = [_cache_key(instance.key)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_renamed_template(
    sender: type[MessageTemplate], instance: MessageTemplate, **kwargs
) -> None:
    """Before a save, drop the key the template had in the database, in case it is renamed."""
    if instance.pk is None or kwargs.get("raw"):
        return
    old_key = MessageTemplate.objects.filter(pk=instance.pk).values_list("key", flat=True).first()
    if old_key and old_key != instance.key:
        cache.delete(_cache_key(old_key))


SAMPLE_ORDER = SimpleNamespace(
    pk=1001,
    number="1001",
    status="placed",
    customer_name="Ada O'Brien & Sons",
    phone="+12015550123",
    total=Decimal("49.90"),
    total_incl_tax=Decimal("49.90"),
    currency="USD",
)


@dataclass(frozen=True)
class Preview:
    text: str
    error: str
    segments: SegmentCount | None
    source: str  # what the preview was rendered against

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "error": self.error,
            "segments": self.segments.as_dict() if self.segments else None,
            "source": self.source,
        }


def preview(body: str, *, order: models.Model | None = None, event: str = "placed") -> Preview:
    """Render ``body`` against a real order (or sample data) and count its segments."""
    source = f"{order} ({order._meta.label})" if order is not None else "sample data"
    try:
        text = render_body(body, {"order": order or SAMPLE_ORDER, "event": event})
    except RenderError as exc:
        return Preview("", str(exc), None, source)
    return Preview(text, "", count_segments(text), source)
