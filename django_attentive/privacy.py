"""Keep personal data out of logs: phone numbers are masked wherever they are printed."""

from __future__ import annotations

import re

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def mask_phone(number: str) -> str:
    """'+12015550123' -> '+1201•••0123': enough to tell numbers apart, not to dial one."""
    text = str(number or "")
    if len(text) <= 8:
        return "•" * len(text)
    return f"{text[:5]}•••{text[-4:]}"


def mask_phones_in(text: str) -> str:
    """Mask every phone-like run of digits inside free text (error messages, bodies)."""
    return _PHONE_LIKE.sub(lambda match: mask_phone(re.sub(r"[^\d+]", "", match.group())), text)
