"""The `caps:`, `rules:` and `campaigns:` sections: what an event earns, its limits and boosts.

These three decide an event's points (a rule's version is a hash over its rule, cap and campaigns).
``rule_refs`` also serves `awards:`, which names rules the same way campaigns do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

from rules._fields import FieldSpec
from rules._report import unknown_name
from rules._walker import ID_PATTERN, ProgramDraft, Walker
from rules._yaml import YNode
from rules.conditions import AllOf, Cmp, Cond, Ref, parse_condition, render
from rules.model import (
    CAP_PERIODS,
    ONCE_PERIODS,
    AfterSpec,
    CampaignSpec,
    CapSpec,
    FixedPoints,
    MultiplierSpec,
    OnceSpec,
    Points,
    PointsByValue,
    PointsFromField,
    RepeatSpec,
    RuleSpec,
    WeightSpec,
)
from rules.sections.program import event_type_ref, field_of

__all__ = ["rule_refs", "walk_campaigns", "walk_caps", "walk_rules"]

_RULE_KEYS: Final = {
    "id": True,
    "description": False,
    "event": True,
    "when": False,
    "points": True,
    "weight": False,
    "multipliers": False,
    "repeat": False,
    "once": False,
    "cap": False,
    "after": False,
}
_AFTER_KEYS: Final = {"event": False, "when": False, "same": False, "unless": False}
_CAMPAIGN_KEYS: Final = {
    "id": True,
    "name": False,
    "from": True,
    "until": True,
    "rules": True,
    "when": False,
    "multiplier": True,
}
_POINTS_FORMS: Final = "a number, {by: field, values: ...} or {field: ..., times: ...}"

# -- caps ------------------------------------------------------------------------------------


def walk_caps(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    if node.kind != "map":
        walker.wrong(node, "a mapping of cap ids to {per, max}", "caps")
        return
    for cap_id, (key_node, value) in node.value.items():
        if not ID_PATTERN.match(cap_id):
            walker.issues.at(key_node, f'cap id "{cap_id}" is not a valid id')
            continue
        entries = walker.keys(
            value, {"per": True, "max": True, "description": False}, f"cap {cap_id}"
        )
        if entries is None or "per" not in entries or "max" not in entries:
            continue
        per = walker.choice(entries["per"], CAP_PERIODS, f"caps.{cap_id}.per")
        maximum = walker.integer(entries["max"], f"caps.{cap_id}.max", positive=True)
        description = ""
        if "description" in entries:
            description = walker.text(entries["description"], f"caps.{cap_id}.description") or ""
        if per is not None and maximum is not None:
            draft.caps[cap_id] = CapSpec(cap_id, per, maximum, description)


# -- rules -----------------------------------------------------------------------------------


def walk_rules(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    for rule in walker.each(node, "rules", partial(_rule, walker, draft), non_empty=True):
        draft.rules[rule.id] = rule


def _rule(walker: Walker, draft: ProgramDraft, node: YNode) -> RuleSpec | None:
    entries = walker.keys(node, _RULE_KEYS, "rule")
    if entries is None:
        return None
    ok = all(k in entries for k, req in _RULE_KEYS.items() if req)
    rule_id = walker.unique_id(entries, walker.ident, draft.rule_ids_seen, "rule")
    label = f"rule {rule_id}" if rule_id else "rule"
    event = None
    if "event" in entries:
        event = event_type_ref(walker, draft, entries["event"], f"{label}: event")
    fields = draft.event_types[event].fields if event else {}

    def condition(cond_node: YNode) -> Cond | None:
        if event is None:
            return None
        return parse_condition(cond_node, fields, event, walker.issues)

    description = rule_id or ""
    if "description" in entries:
        description = walker.text(entries["description"], f"{label}: description") or ""
    when = condition(entries["when"]) if "when" in entries else None
    ok &= "when" not in entries or when is not None
    points = (
        _points(walker, draft, entries["points"], event, label) if "points" in entries else None
    )
    weight = (
        _weight(walker, draft, entries["weight"], event, label) if "weight" in entries else None
    )
    ok &= "weight" not in entries or weight is not None
    multipliers: list[MultiplierSpec] = []
    for mult_node in (
        walker.seq(entries["multipliers"], f"{label}: multipliers") or ()
        if "multipliers" in entries
        else ()
    ):
        mult = _multiplier(walker, mult_node, label, condition)
        ok &= mult is not None
        if mult is not None:
            multipliers.append(mult)
    repeat = (
        _repeat(walker, draft, entries["repeat"], event, label) if "repeat" in entries else None
    )
    ok &= "repeat" not in entries or repeat is not None
    once = _once(walker, draft, entries["once"], event, label) if "once" in entries else None
    ok &= "once" not in entries or once is not None
    cap = None
    if "cap" in entries:
        cap = walker.text(entries["cap"], f"{label}: cap")
        if cap is not None and cap not in draft.caps:
            walker.issues.at(entries["cap"], unknown_name("cap", cap, draft.caps))
            cap = None
        ok &= cap is not None
    after = _after(walker, draft, entries["after"], event, label) if "after" in entries else None
    ok &= "after" not in entries or after is not None
    if not ok or rule_id is None or event is None or points is None:
        return None
    return RuleSpec(
        id=rule_id,
        description=description,
        event=event,
        points=points,
        when=when,
        weight=weight,
        multipliers=tuple(multipliers),
        repeat=repeat,
        once=once,
        cap=cap,
        line=node.line,
        after=after,
    )


def _value_table(
    walker: Walker, node: YNode, spec: FieldSpec, what: str
) -> dict[str, float] | None:
    if node.kind != "map":
        walker.wrong(node, "a mapping of values to numbers", what)
        return None
    table: dict[str, float] = {}
    for key, (key_node, value) in node.value.items():
        if spec.type == "enum" and key not in spec.enum:
            walker.issues.at(
                key_node,
                f'{what}: "{key}" is not a value of {spec.name}; '
                f"expected one of: {', '.join(spec.enum)}",
            )
            continue
        number = walker.number(value, f"{what}.{key}")
        if number is not None:
            table[key] = number
    return table if len(table) == len(node.value) else None


def _points(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str | None, label: str
) -> Points | None:
    what = f"{label}: points"
    if node.kind == "scalar":
        value = walker.number(node, what)
        return FixedPoints(value) if value is not None else None
    if node.kind != "map":
        walker.wrong(node, _POINTS_FORMS, what)
        return None
    if "by" in node.value:
        entries = walker.keys(node, {"by": True, "values": True, "default": False}, what)
        if entries is None or "values" not in entries:
            return None
        spec = _field_ref(walker, draft, entries["by"], event, f"{what}.by", ("enum", "string"))
        default = (
            walker.number(entries["default"], f"{what}.default") if "default" in entries else 0.0
        )
        table = _value_table(walker, entries["values"], spec, f"{what}.values") if spec else None
        if spec is None or table is None or default is None:
            return None
        return PointsByValue(spec.name, table, default)
    if "field" in node.value:
        entries = walker.keys(node, {"field": True, "times": False}, what)
        if entries is None:
            return None
        spec = _field_ref(
            walker, draft, entries["field"], event, f"{what}.field", ("int", "number")
        )
        times = walker.number(entries["times"], f"{what}.times") if "times" in entries else 1.0
        if spec is None or times is None:
            return None
        return PointsFromField(spec.name, times)
    walker.issues.at(node, f"{what}: expected {_POINTS_FORMS}")
    return None


def _weight(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str | None, label: str
) -> WeightSpec | None:
    what = f"{label}: weight"
    entries = walker.keys(node, {"by": True, "values": True, "default": False}, what)
    if entries is None or "by" not in entries or "values" not in entries:
        return None
    spec = _field_ref(walker, draft, entries["by"], event, f"{what}.by", ("enum", "string"))
    default = (
        walker.number(entries["default"], f"{what}.default", non_negative=True)
        if "default" in entries
        else 1.0
    )
    table = _value_table(walker, entries["values"], spec, f"{what}.values") if spec else None
    if spec is None or table is None or default is None:
        return None
    return WeightSpec(spec.name, table, default)


def _multiplier(
    walker: Walker, node: YNode, label: str, condition: Callable[[YNode], Cond | None]
) -> MultiplierSpec | None:
    what = f"{label}: multiplier"
    entries = walker.keys(node, {"when": True, "factor": True, "reason": False}, what)
    if entries is None or "when" not in entries or "factor" not in entries:
        return None
    when = condition(entries["when"])
    factor = walker.number(entries["factor"], f"{what} factor", non_negative=True)
    reason = walker.text(entries["reason"], f"{what} reason") if "reason" in entries else ""
    if when is None or factor is None or reason is None:
        return None
    return MultiplierSpec(when, factor, reason or render(when))


def _repeat(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str | None, label: str
) -> RepeatSpec | None:
    what = f"{label}: repeat"
    entries = walker.keys(node, {"key": True, "factors": True}, what)
    if entries is None or "key" not in entries or "factors" not in entries:
        return None
    key = _key_fields(walker, draft, entries["key"], event, f"{what}.key")
    factor_nodes = walker.seq(entries["factors"], f"{what}.factors", non_empty=True)
    factors = [walker.number(f, f"{what}.factors", non_negative=True) for f in factor_nodes or ()]
    if key is None or factor_nodes is None or any(f is None for f in factors):
        return None
    return RepeatSpec(key, tuple(f for f in factors if f is not None))


def _once(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str | None, label: str
) -> OnceSpec | None:
    what = f"{label}: once"
    entries = walker.keys(node, {"key": True, "per": False}, what)
    if entries is None or "key" not in entries:
        return None
    key = _key_fields(walker, draft, entries["key"], event, f"{what}.key")
    per = walker.choice(entries["per"], ONCE_PERIODS, f"{what}.per") if "per" in entries else "ever"
    if key is None or per is None:
        return None
    return OnceSpec(key, per)


def _after(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str | None, label: str
) -> AfterSpec | None:
    """``after: {event, when, same, unless}``: the rule counts only after such an earlier event."""
    what = f"{label}: after"
    entries = walker.keys(node, _AFTER_KEYS, what)
    if entries is None or event is None:
        return None
    target: str | None = event  # by default an earlier event of the rule's own type
    if "event" in entries:
        target = event_type_ref(walker, draft, entries["event"], f"{what}.event")
    when = unless = None
    ok = target is not None
    if "when" in entries and target is not None:
        fields = draft.event_types[target].fields
        when = parse_condition(entries["when"], fields, target, walker.issues)
        ok &= when is not None
    if "unless" in entries:
        fields = draft.event_types[event].fields
        unless = parse_condition(entries["unless"], fields, event, walker.issues)
        ok &= unless is not None
    same: tuple[str, ...] | None = ()
    if "same" in entries and target is not None:
        same = _same_fields(walker, draft, entries["same"], event, target, f"{what}.same")
        ok &= same is not None
    if not ok or target is None or same is None:
        return None
    return AfterSpec(target, same, when, unless, _after_reason(target, when, same))


def _same_fields(
    walker: Walker, draft: ProgramDraft, node: YNode, event: str, target: str, what: str
) -> tuple[str, ...] | None:
    """Fields both event types have, with one type, whose values must be equal on the two events."""
    items = walker.seq(node, what, non_empty=True)
    if items is None:
        return None
    names: list[str] = []
    ok = True
    for item in items:
        name = walker.text(item, what)
        if name is None:
            ok = False
            continue
        mine = field_of(walker, draft, event, name, item)
        theirs = field_of(walker, draft, target, name, item) if target != event else mine
        if mine is None or theirs is None:
            ok = False
        elif name in names:
            walker.issues.at(item, f'{what}: "{name}" is listed twice')
            ok = False
        elif mine.type != theirs.type:
            walker.issues.at(
                item,
                f"{what}: {name} is {mine.type} in {event} but {theirs.type} in "
                f"{target}; a field both events share needs one type",
            )
            ok = False
        elif mine.person != theirs.person:
            walker.issues.at(
                item,
                f"{what}: {name} names a person (person: true) in "
                f"{event if mine.person else target} only; mark it in both or in neither",
            )
            ok = False
        else:
            names.append(name)
    return tuple(names) if ok else None


def _after_reason(target: str, when: Cond | None, same: tuple[str, ...]) -> str:
    """'needs an earlier referral (stage submitted) for the same candidate_id'."""
    reason = f"needs an earlier {target}"
    if when is not None:
        reason += f" ({_plain(when)})"
    if same:
        fields = same[0] if len(same) == 1 else f"{', '.join(same[:-1])} and {same[-1]}"
        reason += f" for the same {fields}"
    return reason


def _plain(cond: Cond) -> str:
    """A condition as a reason says it: "stage submitted" for stage == "submitted", else rendered."""
    if isinstance(cond, Cmp) and cond.op == "eq" and not isinstance(cond.value, Ref):
        if isinstance(cond.value, bool):
            return cond.field if cond.value else f"not {cond.field}"
        return f"{cond.field} {cond.value}"
    if isinstance(cond, AllOf) and all(
        isinstance(c, Cmp) and c.op == "eq" and not isinstance(c.value, Ref) for c in cond.items
    ):
        return ", ".join(_plain(c) for c in cond.items)
    return render(cond)


def _field_ref(
    walker: Walker,
    draft: ProgramDraft,
    node: YNode,
    event_type: str | None,
    what: str,
    types: tuple[str, ...] | None = None,
) -> FieldSpec | None:
    """A field name of ``event_type``, optionally restricted to some field types."""
    name = walker.text(node, what)
    if name is None or event_type is None:
        return None
    spec = field_of(walker, draft, event_type, name, node)
    if spec is None:
        return None
    if types is not None and spec.type not in types:
        walker.issues.at(
            node, f"{what}: {name} is {spec.type}; expected a {' or '.join(types)} field"
        )
        return None
    return spec


def _key_fields(
    walker: Walker, draft: ProgramDraft, node: YNode, event_type: str | None, what: str
) -> tuple[str, ...] | None:
    items = walker.seq(node, what, non_empty=True)
    if items is None:
        return None
    names = [_field_ref(walker, draft, item, event_type, what) for item in items]
    if any(n is None for n in names):
        return None
    return tuple(n.name for n in names if n is not None)


# -- campaigns -------------------------------------------------------------------------------


def walk_campaigns(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    seen: set[str] = set()
    for item in walker.seq(node, "campaigns") or ():
        entries = walker.keys(item, _CAMPAIGN_KEYS, "campaign")
        if entries is None:
            continue
        campaign_id = walker.unique_id(entries, walker.ident, seen, "campaign")
        label = f"campaign {campaign_id}" if campaign_id else "campaign"
        name = walker.text(entries["name"], f"{label}: name") if "name" in entries else campaign_id
        start = walker.day(entries["from"], f"{label}: from") if "from" in entries else None
        until = walker.day(entries["until"], f"{label}: until") if "until" in entries else None
        if start and until and until < start:
            walker.issues.at(entries["until"], f"{label}: until {until} is before from {start}")
            until = None
        multiplier = (
            walker.number(entries["multiplier"], f"{label}: multiplier", positive=True)
            if "multiplier" in entries
            else None
        )
        rule_ids = rule_refs(walker, draft, entries.get("rules"), label)
        when = None
        when_ok = True
        if "when" in entries and rule_ids:
            # The condition must make sense for every event type the campaign touches.
            for event in dict.fromkeys(draft.rules[r].event for r in rule_ids):
                parsed = parse_condition(
                    entries["when"], draft.event_types[event].fields, event, walker.issues
                )
                when_ok &= parsed is not None
                when = when or parsed
        if campaign_id and name and start and until and multiplier and rule_ids and when_ok:
            draft.campaigns.append(
                CampaignSpec(campaign_id, name, start, until, tuple(rule_ids), multiplier, when)
            )


def rule_refs(
    walker: Walker, draft: ProgramDraft, node: YNode | None, label: str
) -> list[str] | None:
    """The ids of valid rules in a list at ``node``; None if any is not one (or no list)."""
    if node is None:
        return None
    items = walker.seq(node, f"{label}: rules", non_empty=True)
    if items is None:
        return None
    ids: list[str] = []
    ok = True
    for item in items:
        rule_id = walker.text(item, f"{label}: rules")
        if rule_id is None:
            ok = False
        elif rule_id not in draft.rules:
            if rule_id not in draft.rule_ids_seen:  # an invalid rule is reported already
                walker.issues.at(item, unknown_name("rule", rule_id, draft.rule_ids_seen))
            ok = False
        else:
            ids.append(rule_id)
    return ids if ok else None
