"""Keep personal data out of logs: phone numbers are masked wherever they are printed."""

from __future__ import annotations

import logging
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


class MaskPhonesFilter(logging.Filter):
    """Mask numbers in every record of the ``django_attentive`` logger, whatever the call site.

    The call sites mask already; this catches what they cannot, such as an exception's text
    or traceback. Dates and counts passed as arguments are left alone (only text is masked).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_phones_in(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_phones_in(logging.Formatter().formatException(record.exc_info))
        return True


def _masked(arg: object) -> object:
    if isinstance(arg, str | BaseException):
        return mask_phones_in(str(arg))
    return arg


def install_log_filter(logger_name: str = "django_attentive") -> None:
    """Attach MaskPhonesFilter to the app's logger, once."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, MaskPhonesFilter) for f in logger.filters):
        logger.addFilter(MaskPhonesFilter())
