"""The fake's knobs: ``FakeConfig``, and the cleaning every knob's value goes through.

Numbers are kept in E.164, and only those Attentive could text (US, CA or GB).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

import phonenumbers

from .ratelimit import clean_rate

SUPPORTED_REGIONS = frozenset({"US", "CA", "GB"})
DEFAULT_REGION = "US"
FaultKind = Literal["error", "drop", "drop_after", "slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "drop", "drop_after", "slow")


@dataclass(frozen=True)
class FakeConfig:
    """The knobs; replaced as a whole under the lock, so readers always see a consistent set."""

    token: str | None = None
    opted_out: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()
    latency: float = 0.0
    fault_rate: float = 0.0
    fault_kinds: tuple[FaultKind, ...] = ("error",)
    slow_seconds: float = 2.0
    seed: int | None = None
    rate_limit: float = 0.0  # requests/s per endpoint (0: unlimited), as Attentive enforces

    def as_json(self) -> dict[str, object]:
        """Return the knobs as JSON-friendly values (sets become sorted lists)."""
        return {
            "token": self.token,
            "opted_out": sorted(self.opted_out),
            "unknown": sorted(self.unknown),
            "latency": self.latency,
            "fault_rate": self.fault_rate,
            "fault_kinds": list(self.fault_kinds),
            "slow_seconds": self.slow_seconds,
            "seed": self.seed,
            "rate_limit": self.rate_limit,
        }


KNOBS = tuple(f.name for f in dataclasses.fields(FakeConfig))


def to_e164(number: str) -> str | None:
    """Return ``number`` in E.164 if Attentive could text it (US, CA or GB), else None.

    Uses ``is_possible_number``, not ``is_valid_number``: the API's own example,
    555-555-5555, is possible but not valid, and Attentive accepts it.
    """
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if region is None and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    if region not in SUPPORTED_REGIONS:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _number_set(numbers: Iterable[str]) -> frozenset[str]:
    if isinstance(numbers, str):
        numbers = [numbers]
    normalised = set()
    for number in numbers:
        e164 = to_e164(str(number))
        if e164 is None:
            raise ValueError(f"{number!r} is not a US, CA or GB phone number.")
        normalised.add(e164)
    return frozenset(normalised)


def _fraction(name: str, value: float | str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}.")
    return number


def _seconds(name: str, value: float | str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{name} must be zero or more seconds, not {value!r}.")
    return number


def _fault_kinds(value: Iterable[str] | str) -> tuple[FaultKind, ...]:
    kinds = [k.strip() for k in value.split(",")] if isinstance(value, str) else list(value)
    kinds = [k for k in kinds if k]
    unknown = [k for k in kinds if not _is_fault_kind(k)]
    if unknown:
        raise ValueError(f"Unknown fault kinds {unknown}; choose from {list(FAULT_KINDS)}.")
    return tuple(k for k in kinds if _is_fault_kind(k))


def _is_fault_kind(kind: str) -> TypeGuard[FaultKind]:
    return kind in FAULT_KINDS


def clean_knobs(knobs: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise ValueError(f"Unknown settings {sorted(unknown)}; choose from {list(KNOBS)}.")
    # Knob values arrive untyped (JSON, keyword arguments); each cleaner checks its own.
    cleaners: dict[str, Callable[[Any], object]] = {
        "token": lambda v: None if v in (None, "") else str(v),
        "opted_out": _number_set,
        "unknown": _number_set,
        "latency": lambda v: _seconds("latency", v),
        "fault_rate": lambda v: _fraction("fault_rate", v),
        "fault_kinds": _fault_kinds,
        "slow_seconds": lambda v: _seconds("slow_seconds", v),
        "seed": lambda v: None if v is None else int(v),
        "rate_limit": clean_rate,
    }
    return {name: cleaners[name](value) for name, value in knobs.items()}
