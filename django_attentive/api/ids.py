"""An id (a text's, a campaign's) in a URL: a whole number the database can hold, or a 404."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound

MAX_ID = 2**63 - 1  # a signed 64-bit primary key, on every database
DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(raw: str, *, what: str = "text") -> int:
    """``raw`` as an id, or NotFound (DRF's JSON 404) for anything no ``what`` can have."""
    if DIGITS.fullmatch(raw) and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise NotFound(f"No {what} has this id; ids are whole numbers from 1.")
