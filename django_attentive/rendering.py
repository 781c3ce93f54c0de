"""Find MessageTemplates (cached) and render them as plain text.

Templates see plain values only (``template_context``) and may use only a small, bounded
language (``template_language``); a text over ten segments is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.core.cache import cache
from django.db import models, transaction
from django.template import Context

from . import conf
from .models import MessageTemplate
from .segments import GSM7_PART, SegmentCount, SegmentCountDict, count_segments
from .template_context import ContextError, order_context, sample_order
from .template_language import RenderError as RenderError  # re-exported for callers
from .template_language import TextTemplate, compile_text

#: Other processes see an edited template after at most this long (a shared cache: at once).
CACHE_SECONDS = 60
#: A rendered text longer than this many segments is an error, not a text.
MAX_SEGMENTS = 10
_CACHE_PREFIX = "django_attentive:template:"
_MISSING = "-"


def compile_body(body: str) -> TextTemplate:
    """Compile and check a template body, raising RenderError that names what is wrong."""
    return compile_text(body)


def render_body(body: str, context: dict[str, object]) -> str:
    """Render ``body`` with ``context``, autoescape off, surrounding whitespace stripped.

    A text over MAX_SEGMENTS segments (BRAND_PREFIX included) raises RenderError.
    """
    template = compile_body(body)
    try:
        text = template.template.render(Context(context, autoescape=False)).strip()
    except Exception as exc:  # noqa: BLE001 - a filter may raise on an odd value
        raise RenderError(f"The template failed while rendering: {exc!r}") from exc
    _refuse_too_long(text)
    return text


def render_order(body: str, order: models.Model, event: str) -> str:
    """Render ``body`` for ``order``: checked first, then against the order's plain values."""
    template = compile_body(body)
    wanted = None if template.reads_whole_order else template.order_names
    try:
        context = order_context(order, event, wanted=wanted)
    except ContextError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - ORDER_CONTEXT and the order's fields are shop code
        raise RenderError(f"The template failed while rendering: {exc!r}") from exc
    return render_body(body, context)


def _refuse_too_long(text: str) -> None:
    # Counting is per character: a huge render is refused on its length alone.
    characters = len(conf.brand_prefix()) + len(text)
    if characters > 4 * MAX_SEGMENTS * GSM7_PART:
        raise RenderError(
            f"The text is {characters:,} characters, more than {MAX_SEGMENTS} segments; "
            "shorten the template or what it prints."
        )
    count = count_segments(text)
    if count.segments > MAX_SEGMENTS:
        raise RenderError(
            f"The text is {count.segments} segments ({count.encoding}, {count.characters:,} "
            f"characters); a text may have at most {MAX_SEGMENTS}. Shorten the template."
        )


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


def forget_template(
    sender: type[MessageTemplate], instance: MessageTemplate, **kwargs: object
) -> None:
    """Drop a saved or deleted template from the cache, now and again once it commits."""
    keys = [_cache_key(instance.key)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_renamed_template(
    sender: type[MessageTemplate], instance: MessageTemplate, **kwargs: object
) -> None:
    """Before a save, drop the key the template had in the database, in case it is renamed."""
    if instance.pk is None or kwargs.get("raw"):
        return
    old_key = MessageTemplate.objects.filter(pk=instance.pk).values_list("key", flat=True).first()
    if old_key and old_key != instance.key:
        cache.delete(_cache_key(old_key))


class PreviewDict(TypedDict):
    """A Preview as JSON, for the template admin's live preview."""

    text: str
    error: str
    segments: SegmentCountDict | None
    source: str


@dataclass(frozen=True)
class Preview:
    text: str
    error: str
    segments: SegmentCount | None
    source: str  # what the preview was rendered against

    def as_dict(self) -> PreviewDict:
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
        if order is None:
            text = render_body(body, {"order": sample_order(), "event": event})
        else:
            text = render_order(body, order, event)
    except RenderError as exc:
        return Preview("", str(exc), None, source)
    return Preview(text, "", count_segments(text), source)
