"""Event fields: their declared types and how an incoming value is checked against them.

Shared by the schema (defaults, test events, condition constants) and by the runtime check of
incoming events, so "is this an int?" has one answer everywhere.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final, TypeGuard

import msgspec

__all__ = [
    "FIELD_TYPES",
    "DedupeSpec",
    "EventTypeSpec",
    "FieldSpec",
    "check_field_value",
    "describe_value",
    "is_number",
    "person_ref",
    "show_number",
]

FIELD_TYPES: Final = ("string", "int", "number", "bool", "datetime")


class FieldSpec(msgspec.Struct, frozen=True):
    """One declared attribute of an event type; ``type`` is one of FIELD_TYPES or "enum"."""

    name: str
    type: str
    enum: tuple[str, ...] = ()
    default: Any = None  # None means "no default": a missing field stays missing
    required: bool = False
    #: The range of an int or number field, inclusive (None: unbounded on that side).
    min: float | None = None
    max: float | None = None
    #: The longest a string field may be, in characters.
    max_length: int | None = None
    #: A string field that names a person (a candidate, a giver): compared and counted trimmed, an email
    #: case-folded, so that " S@ACME.com" and "s@acme.com" are one person (``person_ref``).
    person: bool = False
    #: A person field that may not name the employee the event is about (a self-referral, a shoutout to
    #: oneself): intake refuses such an event.
    not_the_employee: bool = False


class DedupeSpec(msgspec.Struct, frozen=True):
    """Near-duplicates of an event type (``dedupe:``): an event with the same employee and the same values of
    ``key`` as one already stored, less than ``within_minutes`` apart, is a duplicate at intake, answered as a
    repeated event id is (the same share re-sent under new ids earns once)."""

    key: tuple[str, ...]
    within_minutes: int


class EventTypeSpec(msgspec.Struct, frozen=True):
    """An event type the program knows, with the only fields rules may name."""

    name: str
    fields: dict[str, FieldSpec]
    #: None: only a repeated event id is a duplicate.
    dedupe: DedupeSpec | None = None


def is_number(value: Any) -> TypeGuard[int | float]:
    """int or float but not bool (bool is an int subclass in Python), and finite."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def describe_value(value: Any) -> str:
    """How a wrong value is shown in a message: 'str "12"', 'float 1.5', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'str "{value}"'
    if isinstance(value, bool):
        return f"bool {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{type(value).__name__} {value}"
    return type(value).__name__


def check_field_value(spec: FieldSpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` ('expected int, got str "12"'), or None if it does."""
    kind = spec.type
    if kind == "enum":
        if isinstance(value, str) and value in spec.enum:
            return None
        shown = f'"{value}"' if isinstance(value, str) else describe_value(value)
        return f"expected one of {', '.join(spec.enum)}, got {shown}"
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = is_number(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    else:  # datetime: an aware datetime or ISO 8601 text with an offset
        ok = _is_aware_datetime(value)
        if not ok:
            return f"expected an ISO datetime with offset, got {describe_value(value)}"
    if not ok:
        return f"expected {kind}, got {describe_value(value)}"
    return _out_of_range(spec, value)


def person_ref(value: str) -> str:
    """How a person's id or email is compared: trimmed, and an email (it has an @) case-folded."""
    value = value.strip()
    return value.casefold() if "@" in value else value


def _out_of_range(spec: FieldSpec, value: Any) -> str | None:
    """Why a value of the right type is outside the field's declared range or length, or None."""
    if spec.min is not None and value < spec.min:
        return f"expected at least {show_number(spec.min)}, got {describe_value(value)}"
    if spec.max is not None and value > spec.max:
        return f"expected at most {show_number(spec.max)}, got {describe_value(value)}"
    if spec.max_length is not None and len(value) > spec.max_length:
        return f"expected at most {spec.max_length} characters, got {len(value)}"
    return None


def show_number(limit: float) -> str:
    """A limit as HR wrote it: 0, not 0.0."""
    return str(int(limit)) if limit == int(limit) else str(limit)


def _is_aware_datetime(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return False
    return isinstance(value, datetime) and value.utcoffset() is not None
