"""Custom attributes for ``POST /v1/attributes/custom``: flat values only (pure checks)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from .commerce_items import json_number
from .custom_events import rfc3339

#: What Attentive keeps as one attribute value (it refuses lists and objects).
Flat = str | int | float | bool

MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 1000


def flat_value(value: object) -> Flat:
    """``value`` as a JSON scalar, or ValueError: a list or a mapping is not an attribute."""
    if isinstance(value, bool | str | int):
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"is over {MAX_VALUE_LENGTH} characters.")
        return value
    if isinstance(value, Decimal | float):
        return json_number(value) if value >= 0 else -json_number(-value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        raise ValueError(
            f"is a {type(value).__name__}; Attentive takes flat values only (a string, number "
            "or boolean): send each part as its own attribute."
        )
    raise ValueError(f"is a {type(value).__name__}; give a string, number or boolean.")


def clean_attributes(properties: object) -> dict[str, Flat]:
    """Every attribute checked, or ValueError naming each bad one; None values are left out."""
    if not isinstance(properties, Mapping):
        raise ValueError("Give the attributes as a dict of names to values.")
    problems: list[str] = []
    clean: dict[str, Flat] = {}
    for name, value in properties.items():
        label = str(name).strip()
        if not label or len(label) > MAX_NAME_LENGTH:
            problems.append(f"{name!r}: a name needs 1 to {MAX_NAME_LENGTH} characters.")
            continue
        if value is None:
            continue
        try:
            clean[label] = flat_value(value)
        except ValueError as exc:
            problems.append(f"{label!r} {exc}")
    if problems:
        raise ValueError(" ".join(problems))
    if not clean:
        raise ValueError("Give at least one attribute with a value.")
    return clean
