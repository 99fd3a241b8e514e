"""The `program:` and `event_types:` sections: who the program is, and the events it may score.

Every later section names event types and their fields, so these two are walked first.
"""

from __future__ import annotations

from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules._fields import (
    FIELD_TYPES,
    DedupeSpec,
    EventTypeSpec,
    FieldSpec,
    check_field_value,
    show_number,
)
from rules._report import unknown_name
from rules._walker import ID_PATTERN, ProgramDraft, Walker
from rules._yaml import INVALID, YNode
from rules.conditions import valid_field_name
from rules.model import DEFAULT_MAX_FUTURE_MINUTES
from rules.periods import WEEK_STARTS

__all__ = ["event_type_ref", "field_of", "walk_event_types", "walk_program"]

_PROGRAM_KEYS: Final = {
    "id": True,
    "name": False,
    "version": True,
    "effective": True,
    "timezone": True,
    "week_start": False,
    "max_future_minutes": False,
}


def walk_program(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    entries = walker.keys(node, _PROGRAM_KEYS, "program")
    if entries is None:
        return
    program: dict[str, Any] = {
        "id": walker.ident(entries["id"], "program.id") if "id" in entries else None,
        "name": walker.text(entries["name"], "program.name") if "name" in entries else None,
        "version": (
            walker.text(entries["version"], "program.version", allow_number=True)
            if "version" in entries
            else None
        ),
        "effective": (
            walker.day(entries["effective"], "program.effective")
            if "effective" in entries
            else None
        ),
        "timezone": _timezone(walker, entries["timezone"]) if "timezone" in entries else None,
        "week_start": (
            walker.choice(entries["week_start"], WEEK_STARTS, "program.week_start")
            if "week_start" in entries
            else "monday"
        ),
        "max_future_minutes": (
            _minutes(walker, entries["max_future_minutes"])
            if "max_future_minutes" in entries
            else DEFAULT_MAX_FUTURE_MINUTES
        ),
    }
    program["name"] = program["name"] or program["id"]
    if all(program[k] is not None for k in program):
        draft.program = program


def _minutes(walker: Walker, node: YNode) -> int | None:
    """How far in the future an event may be dated (clocks of tools and servers drift), in whole minutes."""
    minutes = walker.number(node, "program.max_future_minutes", non_negative=True)
    if minutes is not None and minutes != int(minutes):
        walker.issues.at(node, f"program.max_future_minutes: expected whole minutes, got {minutes}")
        return None
    return None if minutes is None else int(minutes)


def _timezone(walker: Walker, node: YNode) -> str | None:
    name = walker.text(node, "program.timezone")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        walker.issues.at(
            node,
            f'program.timezone: unknown time zone "{name}"; use an IANA '
            'name such as "Europe/Amsterdam" or "UTC"',
        )
        return None
    return name


def walk_event_types(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    if node.kind != "map":
        walker.wrong(node, "a mapping of event types", "event_types")
        return
    if not node.value:
        walker.issues.at(node, "event_types: at least one event type is needed")
        return
    for name, (key_node, value) in node.value.items():
        if not ID_PATTERN.match(name):
            walker.issues.at(key_node, f'event type "{name}" is not a valid name')
            continue
        entries = walker.keys(value, {"fields": True, "dedupe": False}, f"event type {name}")
        if entries is None or "fields" not in entries:
            # still register it so rules naming it are not reported twice
            draft.event_types[name] = EventTypeSpec(name, {})
            continue
        fields = _fields(walker, entries["fields"], name)
        dedupe = _dedupe(walker, entries["dedupe"], name, fields) if "dedupe" in entries else None
        draft.event_types[name] = EventTypeSpec(name, fields, dedupe)


def _dedupe(
    walker: Walker, node: YNode, event_type: str, fields: dict[str, FieldSpec]
) -> DedupeSpec | None:
    """``dedupe: {key: [field, ...], within_minutes: N}``: the same employee's events of this type with the same
    values of the key's fields, less than N minutes apart, are one event (intake answers the later ones as
    duplicates). ``key: []``: any two of the employee's events of this type."""
    what = f"{event_type}.dedupe"
    entries = walker.keys(node, {"key": True, "within_minutes": True}, what)
    if entries is None:
        return None
    names: list[str] = []
    items = walker.seq(entries["key"], f"{what}.key") if "key" in entries else None
    ok = items is not None
    for item in items or ():
        name = walker.text(item, f"{what}.key")
        if name is not None and name not in fields:
            walker.issues.at(
                item,
                unknown_name("field", name, fields, f"in {what}.key for event type {event_type}"),
            )
            name = None
        elif name in names:
            walker.issues.at(item, f'{what}.key: "{name}" is listed twice')
            name = None
        ok &= name is not None
        if name is not None:
            names.append(name)
    minutes = (
        walker.integer(entries["within_minutes"], f"{what}.within_minutes", positive=True)
        if "within_minutes" in entries
        else None
    )
    if not ok or minutes is None:
        return None
    return DedupeSpec(tuple(names), minutes)


def _fields(walker: Walker, node: YNode, event_type: str) -> dict[str, FieldSpec]:
    result: dict[str, FieldSpec] = {}
    if node.kind == "scalar" and node.value is None:
        return result  # `fields:` with nothing: an event type without attributes
    if node.kind != "map":
        walker.wrong(node, "a mapping of field names to types", f"{event_type}.fields")
        return result
    for name, (key_node, value) in node.value.items():
        if not valid_field_name(name):
            walker.issues.at(
                key_node,
                f'field name "{name}" is not allowed: use letters, '
                "digits and _ (not a keyword nor all, any, not, expr)",
            )
            continue
        spec = _field_type(walker, value, name, f"{event_type}.{name}")
        if spec is not None:
            result[name] = spec
    return result


def _field_type(walker: Walker, node: YNode, name: str, what: str) -> FieldSpec | None:
    if node.kind == "scalar":
        kind = walker.text(node, what)
        if kind is None:
            return None
        if kind not in FIELD_TYPES:
            walker.issues.at(node, unknown_name("type", kind, FIELD_TYPES, f"for {what}"))
            return None
        return FieldSpec(name, kind)
    if node.kind != "map":
        walker.wrong(node, "a type name or {type: ..., default: ...}", what)
        return None
    is_enum = "enum" in node.value
    allowed = {"enum" if is_enum else "type": True, "default": False, "required": False}
    if not is_enum:
        allowed |= {
            "min": False,
            "max": False,
            "max_length": False,
            "person": False,
            "not_the_employee": False,
        }
    entries = walker.keys(node, allowed, what)
    if entries is None or len(entries) < sum(allowed.values()):
        return None
    if is_enum:
        members = walker.seq(entries["enum"], f"{what}.enum", non_empty=True)
        if members is None:
            return None
        values = [walker.text(m, f"{what}.enum") for m in members]
        if any(v is None for v in values):
            return None
        if len(set(values)) != len(values):
            walker.issues.at(entries["enum"], f"{what}.enum: values must be unique")
        spec = FieldSpec(name, "enum", enum=tuple(v for v in values if v is not None))
    else:
        kind = walker.text(entries["type"], f"{what}.type")
        if kind is None:
            return None
        if kind not in FIELD_TYPES:
            walker.issues.at(
                entries["type"], unknown_name("type", kind, FIELD_TYPES, f"for {what}")
            )
            return None
        spec = _with_limits(walker, entries, FieldSpec(name, kind), what)
    required = False
    if "required" in entries:
        required = bool(walker.boolean(entries["required"], f"{what}.required"))
    default = None
    if "default" in entries:
        default_node = entries["default"]
        if default_node.kind != "scalar":
            walker.wrong(default_node, "a single value", f"{what}.default")
        elif default_node.value is not INVALID:
            problem = check_field_value(spec, default_node.value)
            if problem:
                walker.issues.at(default_node, f"{what}.default: {problem}")
            else:
                default = default_node.value
    return FieldSpec(
        name,
        spec.type,
        spec.enum,
        default,
        required,
        spec.min,
        spec.max,
        spec.max_length,
        spec.person,
        spec.not_the_employee,
    )


def _with_limits(
    walker: Walker, entries: dict[str, YNode], spec: FieldSpec, what: str
) -> FieldSpec:
    """The field with its ``min``/``max`` (int and number fields) and ``max_length`` (string fields): what
    an incoming event must respect, so that a tool's key cannot send a count of -1,000 or a reach of 10^18."""
    numeric = spec.type in ("int", "number")
    low = high = None
    for key in ("min", "max"):
        if key in entries:
            if not numeric:
                walker.issues.at(
                    entries[key], f"{what}.{key}: only an int or number field has a range"
                )
            elif (limit := walker.number(entries[key], f"{what}.{key}")) is not None:
                low, high = (limit, high) if key == "min" else (low, limit)
    if low is not None and high is not None and low > high:
        walker.issues.at(entries["max"], f"{what}.max: must not be below min ({show_number(low)})")
    length = None
    if "max_length" in entries:
        if spec.type != "string":
            walker.issues.at(
                entries["max_length"], f"{what}.max_length: only a string field has a length"
            )
        else:
            length = walker.integer(entries["max_length"], f"{what}.max_length", positive=True)
    person = False
    if "person" in entries:
        if spec.type != "string":
            walker.issues.at(
                entries["person"], f"{what}.person: only a string field names a person"
            )
        else:
            person = bool(walker.boolean(entries["person"], f"{what}.person"))
    not_self = False
    if "not_the_employee" in entries:
        not_self = bool(walker.boolean(entries["not_the_employee"], f"{what}.not_the_employee"))
        if not_self and not person:
            walker.issues.at(
                entries["not_the_employee"],
                f"{what}.not_the_employee: only a field with person: true names someone",
            )
    return FieldSpec(
        spec.name,
        spec.type,
        min=low,
        max=high,
        max_length=length,
        person=person,
        not_the_employee=not_self,
    )


def event_type_ref(walker: Walker, draft: ProgramDraft, node: YNode, what: str) -> str | None:
    """The name of a known event type at ``node``."""
    event = walker.text(node, what)
    if event is not None and event not in draft.event_types:
        walker.issues.at(node, unknown_name("event type", event, draft.event_types))
        return None
    return event


def field_of(
    walker: Walker, draft: ProgramDraft, event: str, name: str, node: YNode
) -> FieldSpec | None:
    """Field ``name`` of known event type ``event``; ``node`` is where the name is written."""
    fields = draft.event_types[event].fields
    spec = fields.get(name)
    if spec is None:
        walker.issues.at(node, unknown_name("field", name, fields, f"for event type {event}"))
    return spec
