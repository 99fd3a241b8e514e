"""Source mappings: a tool's webhook payload becomes a canonical event, configured, not coded.

Every advocacy tool and ATS sends its own shape. HR (or whoever connects a tool) writes a mapping
in the `sources:` section instead of a connector; this module holds the validated mapping
structs and the runtime that applies them. Problems name the field as the *sender* knows it
(``data.audience_size (audience): expected int, got str "459"``), because the person reading the
4xx is the one configuring the other tool, not the one who wrote our event types.

Paths are split into tuples of keys once, at load; applying a mapping is a few dict lookups per
attribute (well over 100k payloads a second).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import msgspec

from rules._fields import EventTypeSpec, FieldSpec, check_field_value, describe_value

__all__ = [
    "CANONICAL_KEYS",
    "SOURCE_FORMATS",
    "AttributeValue",
    "ConstValue",
    "EventMapping",
    "MappedEvent",
    "PathValue",
    "PresentValue",
    "SourceMapper",
    "SourceSpec",
    "split_path",
    "valid_path",
]

SOURCE_FORMATS: Final = ("canonical", "envelope")
# What a `format: canonical` body may hold; `source` is ignored (the URL names the source).
CANONICAL_KEYS: Final = ("type", "employee", "occurred_at", "attributes", "id", "source")
_REQUIRED_CANONICAL: Final = ("type", "employee", "occurred_at", "attributes")
# Keys joined by dots; no empty key and no whitespace, which would be invisible mistakes in YAML.
_PATH_PATTERN: Final = re.compile(r"[^.\s]+(?:\.[^.\s]+)*\Z")


class PathValue(msgspec.Struct, frozen=True):
    """The value at ``path``; ``map`` translates a tool's values; ``default`` when none fits.

    ``default`` is used when the path holds nothing, and, with a ``map``, for a value the map
    does not name; without a default an unmapped value passes through unchanged (and is then
    checked against the field like any other).
    """

    path: str
    default: Any = None
    map: dict[str, Any] | None = None


class PresentValue(msgspec.Struct, frozen=True):
    """True when ``path`` holds a non-empty value (a commentary text: "personalized")."""

    path: str


class ConstValue(msgspec.Struct, frozen=True):
    """The same value for every payload (a tool that only ever sends LinkedIn shares)."""

    value: Any


AttributeValue = PathValue | PresentValue | ConstValue


class EventMapping(msgspec.Struct, frozen=True):
    """How one envelope ``type`` becomes a canonical event of event type ``type``."""

    type: str
    attributes: dict[str, AttributeValue]
    occurred_at: str = "timestamp"
    id: str | None = None  # a path to the sender's event id, when the body carries one


class SourceSpec(msgspec.Struct, frozen=True):
    """One configured sender: canonical bodies as they are, or a Standard Webhooks envelope."""

    id: str
    format: str
    employee: tuple[str, ...] = ()
    events: dict[str, EventMapping] = msgspec.field(default_factory=dict)


class MappedEvent(msgspec.Struct):
    """A canonical event made from a payload; attributes are checked, defaults not yet applied."""

    type: str
    employee: str
    occurred_at: datetime
    attributes: dict[str, Any]
    id: str | None = None


Key = str | int
Path = tuple[Key, ...]


def valid_path(text: str) -> bool:
    return bool(_PATH_PATTERN.match(text))


def split_path(text: str) -> Path:
    """``"items.0.id"`` -> ``("items", 0, "id")``: digit keys index lists (and match dict keys)."""
    return tuple(int(k) if k.isascii() and k.isdigit() else k for k in text.split("."))


def resolve(data: Any, keys: Path) -> Any:
    """The value at ``keys``, or None: missing, null, or a key into something not a container."""
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key if key.__class__ is str else str(key))
        elif isinstance(data, list) and key.__class__ is int:
            if key >= len(data):
                return None
            data = data[key]
        else:
            return None
    return data


def _non_empty(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict | list):
        return bool(value)
    return True


def _as_text(value: Any) -> str:
    """A non-string payload value as its JSON text: the keys of a YAML ``map`` are text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_test(spec: FieldSpec) -> Callable[[Any], bool]:
    """A fast yes/no for the hot path; the message comes from check_field_value on a no."""
    kind = spec.type
    if kind == "string":
        return lambda v: v.__class__ is str
    if kind == "int":
        return lambda v: v.__class__ is int
    if kind == "bool":
        return lambda v: v.__class__ is bool
    if kind == "enum":
        members = frozenset(spec.enum)
        return lambda v: v.__class__ is str and v in members
    return lambda v: check_field_value(spec, v) is None


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else describe_value(value)


def parse_instant(value: Any, name: str) -> datetime | str:
    """An aware datetime from ISO 8601 text, or the problem naming ``name``."""
    if value is None:
        return f"{name}: missing"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.utcoffset() is not None:
            return parsed
    return f"{name}: expected an ISO 8601 date-time with offset, got {_shown(value)}"


def _identity(value: Any, name: str, what: str) -> tuple[str | None, str | None]:
    """(text id, problem): employees and event ids are strings or whole numbers (external ids).

    Nothing, or blank text, is (None, None): the caller decides whether that is a problem.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, str):
        return value, None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    return None, f"{name}: expected {what} (a string or whole number), got {describe_value(value)}"


def _common_prefix(paths: tuple[str, ...]) -> str:
    """``data.user.email, data.user.id`` -> ``data.user``: where the employee should have been."""
    split = [p.split(".") for p in paths]
    if len(split) == 1:
        return paths[0]
    prefix: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return ".".join(prefix) or "body"


# One attribute step: field, kind, keys, default, map table, path as written, spec, type test.
_CONST, _PRESENT, _PATH = 0, 1, 2
_Step = tuple[str, int, Path, Any, dict[str, Any] | None, str, FieldSpec, Callable[[Any], bool]]


class _EnvelopeEvent:
    """One compiled EventMapping: paths split, field checks chosen, ready for the hot path."""

    __slots__ = ("event_type", "id_keys", "id_path", "steps", "time_keys", "time_path")

    def __init__(self, mapping: EventMapping, event_type: EventTypeSpec) -> None:
        self.event_type = mapping.type
        self.time_path = mapping.occurred_at
        self.time_keys = split_path(mapping.occurred_at)
        self.id_path = mapping.id or ""
        self.id_keys = split_path(mapping.id) if mapping.id else None
        steps: list[_Step] = []
        for name, value in mapping.attributes.items():
            spec = event_type.fields[name]
            test = _type_test(spec)
            if isinstance(value, ConstValue):
                steps.append((name, _CONST, (), value.value, None, "", spec, test))
            elif isinstance(value, PresentValue):
                steps.append((name, _PRESENT, split_path(value.path), None, None, "", spec, test))
            else:
                keys = split_path(value.path)
                steps.append((name, _PATH, keys, value.default, value.map, value.path, spec, test))
        self.steps = tuple(steps)

    def attributes(self, payload: dict[str, Any], problems: list[str]) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        for name, kind, keys, default, table, path, spec, test in self.steps:
            if kind == _CONST:
                attributes[name] = default
                continue
            value = resolve(payload, keys)
            if kind == _PRESENT:
                attributes[name] = _non_empty(value)
                continue
            if table is not None and value is not None:
                mapped = table.get(value if value.__class__ is str else _as_text(value), table)
                if mapped is not table:  # the map's targets were checked at load
                    attributes[name] = mapped
                    continue
                if default is not None:
                    attributes[name] = default
                    continue
            if value is None:
                if default is not None:
                    attributes[name] = default
                elif spec.required:
                    problems.append(f"{path} ({name}): required field missing")
                continue
            if not test(value):
                problems.append(f"{path} ({name}): {check_field_value(spec, value)}")
                continue
            attributes[name] = value
        return attributes


# events by envelope type, employee (path, keys) in order, "no employee" problem, mapped types.
_Envelope = tuple[dict[str, _EnvelopeEvent], tuple[tuple[str, Path], ...], str, str]


class SourceMapper:
    """Applies the `sources:` of one program; built once per CompiledRules."""

    def __init__(
        self,
        sources: dict[str, SourceSpec],
        event_types: dict[str, EventTypeSpec],
        validate: Callable[[str, dict[str, Any]], list[str]],
    ) -> None:
        self.sources = sources
        self.event_types = event_types
        self._validate = validate
        self._envelopes: dict[str, _Envelope] = {}
        for source in sources.values():
            if source.format != "envelope":
                continue
            events = {
                name: _EnvelopeEvent(mapping, event_types[mapping.type])
                for name, mapping in source.events.items()
            }
            employee = tuple((p, split_path(p)) for p in source.employee)
            looked = f"{_common_prefix(source.employee)}: no employee (looked at "
            looked += ", ".join(source.employee) + ")"
            self._envelopes[source.id] = (events, employee, looked, ", ".join(sorted(events)))

    def map_payload(self, source: str, payload: Any) -> MappedEvent | list[str]:
        """The canonical event of ``payload`` sent by ``source``, or every problem found."""
        envelope = self._envelopes.get(source)
        if envelope is not None:
            return self._map_envelope(source, envelope, payload)
        spec = self.sources.get(source)
        if spec is None:
            return [f'unknown source "{source}"']
        return self._map_canonical(payload)

    def _map_envelope(
        self,
        source: str,
        envelope: _Envelope,
        payload: Any,
    ) -> MappedEvent | list[str]:
        events, employee_paths, no_employee, mapped_types = envelope
        if not isinstance(payload, dict):
            return [
                "body: expected a JSON object {type, timestamp, data}, got "
                + describe_value(payload)
            ]
        kind = payload.get("type")
        event = events.get(kind) if kind.__class__ is str else None
        if event is None:
            if kind is None:
                return [f"type: missing; mapped for source {source}: {mapped_types}"]
            if kind.__class__ is not str:
                return [f"type: expected a string, got {describe_value(kind)}"]
            return [f'type: "{kind}" is not mapped for source {source}; mapped: {mapped_types}']
        problems: list[str] = []
        employee: str | None = None
        for path, keys in employee_paths:
            employee, problem = _identity(resolve(payload, keys), path, "an employee")
            if problem is not None:
                problems.append(problem)
                break
            if employee is not None:
                break
        else:
            problems.append(no_employee)
        occurred_at = parse_instant(resolve(payload, event.time_keys), event.time_path)
        if isinstance(occurred_at, str):
            problems.append(occurred_at)
        attributes = event.attributes(payload, problems)
        event_id = None
        if event.id_keys is not None:
            event_id, problem = _identity(resolve(payload, event.id_keys), event.id_path, "an id")
            if problem is not None:
                problems.append(problem)
        if problems or employee is None or isinstance(occurred_at, str):
            return problems
        return MappedEvent(event.event_type, employee, occurred_at, attributes, event_id)

    def _map_canonical(self, payload: Any) -> MappedEvent | list[str]:
        """A body that already is a canonical event: the same checks, named by its own keys."""
        if not isinstance(payload, dict):
            return [
                "body: expected a JSON object with type, employee, occurred_at, attributes, got "
                + describe_value(payload)
            ]
        problems = [
            f"{key}: unknown key; expected one of: {', '.join(CANONICAL_KEYS)}"
            for key in payload
            if key not in CANONICAL_KEYS
        ]
        problems += [f"{key}: missing" for key in _REQUIRED_CANONICAL if payload.get(key) is None]
        kind = payload.get("type")
        if kind is not None and not (isinstance(kind, str) and kind in self.event_types):
            if isinstance(kind, str):
                known = ", ".join(sorted(self.event_types))
                problems.append(f'type: unknown event type "{kind}"; expected one of: {known}')
            else:
                problems.append(f"type: expected a string, got {describe_value(kind)}")
            kind = None
        employee, problem = _identity(payload.get("employee"), "employee", "an employee")
        if problem is not None:
            problems.append(problem)
        elif employee is None and payload.get("employee") is not None:
            problems.append("employee: must not be empty")
        occurred_at: datetime | str | None = None
        if payload.get("occurred_at") is not None:
            occurred_at = parse_instant(payload["occurred_at"], "occurred_at")
            if isinstance(occurred_at, str):
                problems.append(occurred_at)
        attributes = payload.get("attributes")
        if attributes is not None and not isinstance(attributes, dict):
            problems.append(f"attributes: expected an object, got {describe_value(attributes)}")
        elif attributes is not None and kind is not None:
            problems += self._validate(kind, attributes)
        event_id, problem = _identity(payload.get("id"), "id", "an id")
        if problem is not None:
            problems.append(problem)
        # Missing attributes are in ``problems`` already; the isinstance is for the type checker.
        if (
            problems
            or kind is None
            or employee is None
            or not isinstance(occurred_at, datetime)
            or not isinstance(attributes, dict)
        ):
            return problems
        return MappedEvent(kind, employee, occurred_at, dict(attributes), event_id)
