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
    "EventTypeSpec",
    "FieldSpec",
    "check_field_value",
    "describe_value",
    "is_number",
]

FIELD_TYPES: Final = ("string", "int", "number", "bool", "datetime")


class FieldSpec(msgspec.Struct, frozen=True):
    """One declared attribute of an event type; ``type`` is one of FIELD_TYPES or "enum"."""

    name: str
    type: str
    enum: tuple[str, ...] = ()
    default: Any = None  # None means "no default": a missing field stays missing
    required: bool = False


class EventTypeSpec(msgspec.Struct, frozen=True):
    """An event type the program knows, with the only fields rules may name."""

    name: str
    fields: dict[str, FieldSpec]


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
    return None if ok else f"expected {kind}, got {describe_value(value)}"


def _is_aware_datetime(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return False
    return isinstance(value, datetime) and value.utcoffset() is not None
