"""The `sources:` section: how each tool's webhook payload maps onto our event types.

The structs and the runtime that applies a mapping live in ``rules.sources``; this module only reads
and checks the mapping, against the event types of `event_types:`.
"""

from __future__ import annotations

from typing import Any, Final

from rules._fields import FieldSpec, check_field_value
from rules._walker import NAME_PATTERN, ProgramDraft, Walker
from rules._yaml import INVALID, YNode
from rules.sections.program import event_type_ref, field_of
from rules.sources import (
    SOURCE_FORMATS,
    AttributeValue,
    ConstValue,
    EventMapping,
    PathValue,
    PresentValue,
    SourceSpec,
    valid_path,
)

__all__ = ["walk_sources"]

_ENVELOPE_KEYS: Final = {"format": True, "employee": True, "events": True}
_EVENT_MAPPING_KEYS: Final = {"type": True, "occurred_at": False, "attributes": False, "id": False}
_ATTRIBUTE_FORMS: Final = (
    "a path such as data.post.id, {path: ..., default: ..., map: {...}}, {present: path} or "
    "{const: value}"
)


def walk_sources(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    if node.kind != "map":
        walker.wrong(node, "a mapping of source ids to mappings", "sources")
        return
    for source_id, (key_node, value) in node.value.items():
        if not NAME_PATTERN.match(source_id):
            walker.issues.at(
                key_node,
                f'source id "{source_id}" is not a valid id (letters, digits, _ and -; '
                "starting with a letter or _)",
            )
            continue
        source = _source(walker, draft, source_id, value)
        if source is not None:
            draft.sources[source_id] = source


def _source(walker: Walker, draft: ProgramDraft, source_id: str, node: YNode) -> SourceSpec | None:
    label = f"source {source_id}"
    fmt: str | None = None
    if node.kind == "map" and "format" in node.value:
        fmt = walker.choice(node.value["format"][1], SOURCE_FORMATS, f"{label}: format")
    # A canonical body maps itself: employee and events would be silently ignored. With a
    # bad format, only unknown keys are worth a word: what is required depends on the format.
    allowed = {"format": True} if fmt == "canonical" else _ENVELOPE_KEYS
    if fmt is None:
        allowed = {key: key == "format" for key in _ENVELOPE_KEYS}
    entries = walker.keys(node, allowed, label)
    if entries is None or fmt is None:
        return None
    if fmt == "canonical":
        return SourceSpec(source_id, fmt)
    employee = (
        _employee_paths(walker, entries["employee"], label) if "employee" in entries else None
    )
    events = (
        _source_events(walker, draft, entries["events"], label) if "events" in entries else None
    )
    if employee is None or events is None:
        return None
    return SourceSpec(source_id, fmt, employee, events)


def _path(walker: Walker, node: YNode, what: str) -> str | None:
    value = walker.text(node, what)
    if value is not None and not valid_path(value):
        walker.issues.at(
            node,
            f'{what}: "{value}" is not a path; expected keys joined by dots, '
            "such as data.user.email (list positions as numbers: items.0.id)",
        )
        return None
    return value


def _employee_paths(walker: Walker, node: YNode, label: str) -> tuple[str, ...] | None:
    what = f"{label}: employee"
    if node.kind != "seq":
        walker.wrong(node, "a list of paths, first with a value wins", what)
        return None
    items = walker.seq(node, what, non_empty=True)
    if items is None:
        return None
    paths = [_path(walker, item, what) for item in items]
    if any(p is None for p in paths):
        return None
    return tuple(p for p in paths if p is not None)


def _source_events(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> dict[str, EventMapping] | None:
    what = f"{label}: events"
    if node.kind != "map":
        walker.wrong(node, "a mapping of the sender's event types to mappings", what)
        return None
    if not node.value:
        walker.issues.at(node, f"{what}: must not be empty")
        return None
    events: dict[str, EventMapping] = {}
    ok = True
    for name, (key_node, value) in node.value.items():
        if not name.strip():
            walker.issues.at(key_node, f"{what}: an event type must not be empty")
            ok = False
            continue
        mapping = _event_mapping(walker, draft, value, f"{label}, event {name}")
        if mapping is None:
            ok = False
        else:
            events[name] = mapping
    return events if ok else None


def _event_mapping(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> EventMapping | None:
    entries = walker.keys(node, _EVENT_MAPPING_KEYS, label)
    if entries is None or "type" not in entries:
        return None
    event = event_type_ref(walker, draft, entries["type"], f"{label}: type")
    occurred_at = (
        _path(walker, entries["occurred_at"], f"{label}: occurred_at")
        if "occurred_at" in entries
        else "timestamp"
    )
    event_id = _path(walker, entries["id"], f"{label}: id") if "id" in entries else None
    ok = occurred_at is not None and ("id" not in entries or event_id is not None)
    attributes: dict[str, AttributeValue] = {}
    attr_node = entries.get("attributes")
    if event is not None:
        if attr_node is not None and attr_node.kind != "map":
            walker.wrong(attr_node, "a mapping of field names to paths", f"{label}: attributes")
            ok = False
        elif attr_node is not None:
            for name, (key_node, value) in attr_node.value.items():
                spec = field_of(walker, draft, event, name, key_node)
                if spec is None:
                    ok = False
                    continue
                mapped = _attribute_value(walker, value, spec, f"{label}: attributes.{name}")
                if mapped is None:
                    ok = False
                else:
                    attributes[name] = mapped
        for spec in draft.event_types[event].fields.values():
            if spec.required and spec.default is None and spec.name not in attributes and ok:
                walker.issues.at(
                    attr_node or node,
                    f"{label}: attributes: required field {spec.name} of event type "
                    f"{event} is not mapped",
                )
                ok = False
    if event is None or not ok or occurred_at is None:
        return None
    return EventMapping(event, attributes, occurred_at, event_id)


def _attribute_value(
    walker: Walker, node: YNode, spec: FieldSpec, what: str
) -> AttributeValue | None:
    if node.kind == "scalar" and isinstance(node.value, str):
        path = _path(walker, node, what)
        return PathValue(path) if path is not None else None
    if node.kind != "map":
        walker.wrong(node, _ATTRIBUTE_FORMS, what)
        return None
    if "const" in node.value:
        entries = walker.keys(node, {"const": True}, what)
        if entries is None:
            return None
        value = _field_value(walker, entries["const"], spec, f"{what}.const")
        return ConstValue(value) if value is not None else None
    if "present" in node.value:
        entries = walker.keys(node, {"present": True}, what)
        if entries is None:
            return None
        path = _path(walker, entries["present"], f"{what}.present")
        if spec.type != "bool":
            walker.issues.at(
                entries["present"],
                f"{what}: present gives true or false, but {spec.name} is {spec.type}",
            )
            return None
        return PresentValue(path) if path is not None else None
    if "path" not in node.value:
        walker.issues.at(node, f"{what}: expected {_ATTRIBUTE_FORMS}")
        return None
    entries = walker.keys(node, {"path": True, "default": False, "map": False}, what)
    if entries is None:
        return None
    path = _path(walker, entries["path"], f"{what}.path")
    default = (
        _field_value(walker, entries["default"], spec, f"{what}.default")
        if "default" in entries
        else None
    )
    ok = path is not None and ("default" not in entries or default is not None)
    table: dict[str, Any] | None = None
    if "map" in entries:
        table = _value_map(walker, entries["map"], spec, f"{what}.map")
        ok &= table is not None
    if not ok or path is None:
        return None
    return PathValue(path, default, table)


def _value_map(walker: Walker, node: YNode, spec: FieldSpec, what: str) -> dict[str, Any] | None:
    """The sender's values (keys, as text) to ours; each target must fit the field."""
    if node.kind != "map" or not node.value:
        if node.kind == "map":
            walker.issues.at(node, f"{what}: must not be empty")
        else:
            walker.wrong(node, "a mapping of the sender's values to ours", what)
        return None
    table: dict[str, Any] = {}
    for key, (_, value) in node.value.items():
        target = _field_value(walker, value, spec, f"{what}.{key}")
        if target is not None:
            table[key] = target
    return table if len(table) == len(node.value) else None


def _field_value(walker: Walker, node: YNode, spec: FieldSpec, what: str) -> Any:
    """A constant for field ``spec`` (None after reporting why it does not fit)."""
    if node.kind != "scalar":
        walker.wrong(node, "a single value", what)
        return None
    if node.value is INVALID:
        return None
    problem = check_field_value(spec, node.value)
    if problem:
        walker.issues.at(node, f"{what}: {problem}")
        return None
    return node.value
