"""The `integrity:` section: signals of gaming, each with the effect HR chose (see rules.integrity)."""

from __future__ import annotations

from functools import partial
from typing import Any, Final

from rules._walker import ProgramDraft, Walker
from rules._yaml import YNode
from rules.conditions import parse_condition
from rules.integrity import INTEGRITY_EFFECTS, INTEGRITY_KINDS, INTEGRITY_PERIODS, IntegritySpec
from rules.sections.program import event_type_ref, field_of

__all__ = ["walk_integrity"]

_COMMON: Final = ("id", "kind", "description", "event", "effect")
# kind -> the keys it takes besides the common ones, and which of them it needs.
_KIND_KEYS: Final[dict[str, dict[str, bool]]] = {
    "burst": {"when": False, "per": False, "above": True, "distinct": False, "by": False},
    "share": {"when": True, "per": False, "above": True, "min_events": True},
    "ring": {"giver": False, "within_days": False},
}
# A ring older than a quarter is colleagues who work together, not a ring.
_MAX_RING_DAYS: Final = 92


def walk_integrity(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    seen: set[str] = set()
    draft.integrity.extend(walker.each(node, "integrity", partial(_signal, walker, draft, seen)))


def _signal(
    walker: Walker, draft: ProgramDraft, seen: set[str], node: YNode
) -> IntegritySpec | None:
    allowed = {key: key in ("id", "kind", "event", "effect") for key in _COMMON}
    for keys in _KIND_KEYS.values():
        allowed.update({k: False for k in keys if k not in allowed})
    entries = walker.keys(node, allowed, "integrity signal")
    if entries is None:
        return None
    signal_id = walker.unique_id(entries, walker.name_id, seen, "integrity signal")
    what = f"integrity {signal_id}" if signal_id else "integrity signal"
    kind = (
        walker.choice(entries["kind"], INTEGRITY_KINDS, f"{what}: kind")
        if "kind" in entries
        else None
    )
    effect = (
        walker.choice(entries["effect"], INTEGRITY_EFFECTS, f"{what}: effect")
        if "effect" in entries
        else None
    )
    event = (
        event_type_ref(walker, draft, entries["event"], f"{what}: event")
        if "event" in entries
        else None
    )
    if kind is None or effect is None or event is None or signal_id is None:
        return None
    takes = _KIND_KEYS[kind]
    ok = True
    for key, (key_node, _) in node.value.items():
        if key in entries and key not in _COMMON and key not in takes:
            walker.issues.at(
                key_node,
                f"{what}: {key} does not apply to kind {kind} (it takes {', '.join(takes)})",
            )
            ok = False
    for key, needed in takes.items():
        if needed and key not in entries:
            walker.issues.at(node, f'missing key "{key}" in {what} (kind {kind} needs it)')
            ok = False
    values: dict[str, Any] = {}
    fields = draft.event_types[event].fields
    if "description" in entries:
        values["description"] = walker.text(entries["description"], f"{what}: description")
    if "when" in entries:
        values["when"] = parse_condition(entries["when"], fields, event, walker.issues)
        ok &= values["when"] is not None
    if "per" in entries:
        values["per"] = walker.choice(entries["per"], INTEGRITY_PERIODS, f"{what}: per")
    if "above" in entries:
        if kind == "share":
            share = walker.number(entries["above"], f"{what}: above", positive=True)
            if share is not None and share >= 1:
                walker.issues.at(
                    entries["above"], f"{what}: above is a fraction below 1, got {share}"
                )
                share = None
            values["above"] = share
        else:
            values["above"] = walker.integer(entries["above"], f"{what}: above", positive=True)
    if "min_events" in entries:
        values["min_events"] = walker.integer(
            entries["min_events"], f"{what}: min_events", positive=True
        )
    if "within_days" in entries:
        values["within_days"] = walker.bounded(
            entries["within_days"], 1, _MAX_RING_DAYS, f"{what}: within_days"
        )
    for key in ("distinct", "giver"):
        if key in entries:
            name = walker.text(entries[key], f"{what}: {key}")
            values[key] = (
                name if name and field_of(walker, draft, event, name, entries[key]) else None
            )
    if "by" in entries:
        names = [
            walker.text(item, f"{what}: by")
            for item in walker.seq(entries["by"], f"{what}: by", non_empty=True) or ()
        ]
        ok &= "by" in entries and bool(names)
        for item, name in zip(entries["by"].value, names, strict=False):
            ok &= bool(name and field_of(walker, draft, event, name, item))
        values["by"] = tuple(n for n in names if n)
    if (
        kind == "ring"
        and "giver" not in entries
        and field_of(walker, draft, event, "giver", node) is None
    ):
        ok = False
    if kind == "ring" and effect != "flag":
        walker.issues.at(
            entries["effect"],
            f"{what}: a ring can only be flagged (its last shoutout may be scored before its first, "
            f"so it must not change anyone's points), got {effect}",
        )
        ok = False
    if not ok or any(v is None for v in values.values()):
        return None
    return IntegritySpec(
        id=signal_id, kind=kind, event=event, effect=effect, line=node.line, **values
    )
