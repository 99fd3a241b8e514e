"""The `tests:` section: HR's own examples, read here and run by ``rules.checks`` once built.

A test names events of known types with valid attributes, and expects points, rules and reasons.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from rules._fields import check_field_value
from rules._report import unknown_name
from rules._walker import ProgramDraft, Walker
from rules._yaml import INVALID, YNode
from rules.model import TestEventSpec, TestSpec
from rules.sections.program import event_type_ref, field_of

__all__ = ["walk_tests"]

# What a test expects: its points, the rules that pay (None: not checked) and words in the reasons.
_Expectation = tuple[int, tuple[str, ...] | None, tuple[str, ...]]


def walk_tests(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    draft.tests.extend(walker.each(node, "tests", partial(_test, walker, draft)))


def _test(walker: Walker, draft: ProgramDraft, node: YNode) -> TestSpec | None:
    entries = walker.keys(node, {"name": True, "events": True, "expect": True}, "test")
    if entries is None:
        return None
    name = walker.text(entries["name"], "test name") if "name" in entries else None
    label = f'test "{name}"' if name else "test"
    events: list[TestEventSpec | None] = []
    for event_node in (
        walker.seq(entries["events"], f"{label}: events", non_empty=True) or ()
        if "events" in entries
        else ()
    ):
        events.append(_test_event(walker, draft, event_node, label))
    expect = _expect(walker, draft, entries["expect"], label) if "expect" in entries else None
    if name is None or not events or any(e is None for e in events) or expect is None:
        return None
    points, rule_ids, reasons = expect
    return TestSpec(
        name,
        tuple(e for e in events if e is not None),
        points,
        rule_ids,
        reasons,
        node.line,
        node.col,
    )


def _test_event(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> TestEventSpec | None:
    entries = walker.keys(
        node, {"type": True, "occurred_at": True, "attributes": False}, f"{label} event"
    )
    if entries is None or "type" not in entries or "occurred_at" not in entries:
        return None
    event = event_type_ref(walker, draft, entries["type"], f"{label}: type")
    occurred_at = None
    raw = walker.text(entries["occurred_at"], f"{label}: occurred_at")
    if raw is not None:
        try:
            occurred_at = datetime.fromisoformat(raw)
        except ValueError:
            occurred_at = None
        if occurred_at is None or occurred_at.utcoffset() is None:
            walker.issues.at(
                entries["occurred_at"],
                f"{label}: occurred_at: expected an ISO "
                f'datetime with offset such as "2026-11-03T09:00:00+01:00", '
                f'got "{raw}"',
            )
            occurred_at = None
    attributes: dict[str, Any] = {}
    ok = True
    attr_node = entries.get("attributes")
    if attr_node is not None and event is not None:
        if attr_node.kind != "map":
            walker.wrong(attr_node, "a mapping of attributes", f"{label}: attributes")
            ok = False
        else:
            for key, (key_node, value) in attr_node.value.items():
                spec = field_of(walker, draft, event, key, key_node)
                if spec is None:
                    ok = False
                elif value.kind != "scalar" or value.value is INVALID:
                    if value.value is not INVALID:
                        walker.wrong(value, "a single value", f"attributes.{key}")
                    ok = False
                elif value.value is not None:
                    problem = check_field_value(spec, value.value)
                    if problem:
                        walker.issues.at(value, f"attributes.{key}: {problem}")
                        ok = False
                    attributes[key] = value.value
            for field in draft.event_types[event].fields.values():
                if field.required and field.name not in attributes:
                    walker.issues.at(attr_node, f"attributes.{field.name}: required field missing")
                    ok = False
    if event is None or occurred_at is None or not ok:
        return None
    return TestEventSpec(event, occurred_at, attributes)


def _expect(walker: Walker, draft: ProgramDraft, node: YNode, label: str) -> _Expectation | None:
    entries = walker.keys(
        node, {"points": True, "rules": False, "reasons": False}, f"{label}: expect"
    )
    if entries is None or "points" not in entries:
        return None
    points = walker.integer(entries["points"], f"{label}: expect.points")
    rule_ids: tuple[str, ...] | None = None
    if "rules" in entries:
        items = walker.seq(entries["rules"], f"{label}: expect.rules")
        ids = [walker.text(i, f"{label}: expect.rules") for i in items or ()]
        for item, rule_id in zip(items or (), ids, strict=True):
            if rule_id is not None and rule_id not in draft.rule_ids_seen:
                walker.issues.at(item, unknown_name("rule", rule_id, draft.rule_ids_seen))
        if items is None or any(i is None for i in ids):
            return None
        rule_ids = tuple(i for i in ids if i is not None)
    reasons: list[str | None] = []
    if "reasons" in entries:
        reasons = [
            walker.text(i, f"{label}: expect.reasons")
            for i in walker.seq(entries["reasons"], f"{label}: expect.reasons") or ()
        ]
    if points is None or any(r is None for r in reasons):
        return None
    return points, rule_ids, tuple(r for r in reasons if r is not None)
