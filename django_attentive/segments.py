"""Count SMS segments the way carriers do: GSM-7 when every character fits, else UCS-2."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

from . import conf

# GSM 03.38 basic character set.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape character plus itself.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SegmentCountDict(TypedDict):
    """A SegmentCount as JSON: what the template preview sends to the page."""

    encoding: str
    characters: int
    units: int
    segments: int
    ucs2_character: str | None


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # characters as the user sees them, brand prefix included
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    ucs2_character: str | None  # the first character that forced UCS-2

    def as_dict(self) -> SegmentCountDict:
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "units": self.units,
            "segments": self.segments,
            "ucs2_character": self.ucs2_character,
        }


def first_non_gsm_character(text: str) -> str | None:
    for char in text:
        if char not in GSM7_BASIC and char not in GSM7_EXTENDED:
            return char
    return None


def count_segments(body: str, *, brand_prefix: str | None = None) -> SegmentCount:
    """Count the segments of ``body`` as Attentive sends it, with BRAND_PREFIX in front."""
    prefix = conf.brand_prefix() if brand_prefix is None else brand_prefix
    text = prefix + body
    ucs2_character = first_non_gsm_character(text)
    if ucs2_character is None:
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        single, part, encoding = GSM7_SINGLE, GSM7_PART, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    segments = 0 if units == 0 else 1 if units <= single else math.ceil(units / part)
    return SegmentCount(encoding, len(text), units, segments, ucs2_character)
