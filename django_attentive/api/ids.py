"""A text's id as it appears in a URL: a whole number the database can hold, or a JSON 404."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound

MAX_ID = 2**63 - 1  # a signed 64-bit primary key, on every database
DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(raw: str) -> int:
    """``raw`` as an id, or NotFound (DRF's JSON 404) for anything no text can have."""
    if DIGITS.fullmatch(raw) and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise NotFound("No text has this id; ids are whole numbers from 1.")
