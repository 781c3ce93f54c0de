"""Keep personal data out of logs: phone numbers are masked wherever they are printed.

What counts as a phone number in free text (a rule, not a guess at every run of digits, so
dates, times, ids, order numbers and durations stay readable):

- international: ``+`` and 8 to 15 digits, grouped by spaces, dots, dashes or parentheses
  (``+12015550123``, ``+1 (201) 555-0123``, ``+44 20 7946 0000``);
- North American: a 10-digit number whose area code and exchange start with 2-9, optionally
  after a ``1``, bare or grouped (``2015550123``, ``(201) 555-0123``, ``1-201-555-0123``);
- UK national: a trunk ``0`` and 10 or 11 digits in all (``020 7946 0000``, ``07700900123``).

Numbers are matched after normalising, one character for one: any decimal digit (Arabic-Indic,
fullwidth, …) counts as its ASCII digit, any space (no-break, thin, …) as a space, any dash as
``-``, and fullwidth ``＋ ( ) .`` as their ASCII forms; ``phonenumbers`` reads all of these, so
a customer may type them. The masked form is always ASCII: ``+1201•••0123``.

It must stand alone: not glued to letters or digits (a UUID, a hash), and not continuing a
run of digits joined by dots, dashes, slashes or colons (a date, a time, a version, an IP
address). A 10-digit id shaped like a North American number is masked too: in free text
nothing tells them apart.
"""

from __future__ import annotations

import logging
import re
import unicodedata

BULLETS = "•••"
SHOWN_DIGITS = 4
_SEP = r"[ .-]"
_START = r"(?<!\w)(?<!\d[.:/-])"
_END = r"(?!\w)(?![.:/-]\d)"
_PHONE = re.compile(
    rf"""
    (?P<international>\+[1-9](?:[ .()-]{{0,2}}\d){{7,14}}(?!\d)(?![.:/-]\d))
    | {_START}(?:
        (?P<north_american>
            (?:1{_SEP}?)?(?:\([2-9]\d\d\)\ ?|[2-9]\d\d{_SEP}?)[2-9]\d\d{_SEP}?\d{{4}}
        )
        | (?P<uk>(?:\(0\d{{1,4}}\)\ ?|0\d{{1,4}}{_SEP}?)\d(?:{_SEP}?\d){{4,8}})
    ){_END}
    """,
    re.VERBOSE,
)
_UK_DIGITS = (10, 11)
_FULLWIDTH = {"\uff0b": "+", "\uff08": "(", "\uff09": ")", "\uff0e": ".", "\u2212": "-"}


class _AsciiLookalikes(dict[int, str]):
    """A ``str.translate`` table, filled as characters are met: each maps to one character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            found = str(digit)
        elif char in _FULLWIDTH:
            found = _FULLWIDTH[char]
        elif unicodedata.category(char) == "Zs":
            found = " "
        elif unicodedata.category(char) == "Pd":
            found = "-"
        else:
            found = char
        self[code] = found
        return found


_LOOKALIKES = _AsciiLookalikes()


def ascii_lookalikes(text: str) -> str:
    """``text`` with Unicode digits, spaces and dashes as their ASCII forms, character for
    character (so positions in the result are positions in ``text``)."""
    if text.isascii():
        return text
    return text.translate(_LOOKALIKES)


def mask_phone(number: str) -> str:
    """'+12015550123' -> '+1201•••0123': enough to tell numbers apart, not to dial.

    A number written without its ``+country`` keeps only its last four digits: '•••0123'.
    """
    text = ascii_lookalikes(str(number or "")).strip()
    if not text:
        return ""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) <= SHOWN_DIGITS * 2:
        return BULLETS
    if text.startswith("+"):
        return f"+{digits[:SHOWN_DIGITS]}{BULLETS}{digits[-SHOWN_DIGITS:]}"
    return f"{BULLETS}{digits[-SHOWN_DIGITS:]}"


def mask_phones_in(text: str) -> str:
    """Mask every phone number inside free text (error messages, exception text)."""
    normalised = ascii_lookalikes(text)
    if normalised is text:
        return _PHONE.sub(_mask_match, text)
    # Found in the normalised text; everything but the numbers is kept as written.
    pieces, last = [], 0
    for match in _PHONE.finditer(normalised):
        pieces += [text[last : match.start()], _mask_match(match)]
        last = match.end()
    return "".join([*pieces, text[last:]])


def _mask_match(match: re.Match[str]) -> str:
    found = match.group()
    if match.group("uk") and len(re.sub(r"\D", "", found)) not in _UK_DIGITS:
        return found
    return mask_phone(found)


class MaskPhonesFilter(logging.Filter):
    """Mask numbers in every record of the ``django_attentive`` logger, whatever the call site.

    The call sites mask already; this catches what they cannot, such as an exception's text
    or traceback. Arguments that are not text (dates, counts) are left alone, and so are the
    dates, times and ids inside text (see the rule at the top of this module).
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
