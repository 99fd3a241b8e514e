"""The `leaderboards:` and `shoutouts:` sections: how colleagues rank, and how they thank each other."""

from __future__ import annotations

from typing import Final

from rules._walker import ProgramDraft, Walker
from rules._yaml import YNode
from rules.model import ALLOWANCE_PERIODS, TIE_POLICIES, LeaderboardSpec, ShoutoutSpec, ValueSpec
from rules.sections.program import event_type_ref

__all__ = ["walk_leaderboards", "walk_shoutouts"]

_SHOUTOUT_KEYS: Final = {
    "allowance": True,
    "max_recipients": False,
    "max_message": False,
    "event": True,
    "values": True,
}
# Without these keys in the file, a shoutout may name 5 people in 500 characters.
_SHOUTOUT_DEFAULTS: Final = {"max_recipients": 5, "max_message": 500}


def walk_leaderboards(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    entries = walker.keys(node, {"ties": False, "team_boards": False}, "leaderboards")
    if entries is None:
        return
    ties = (
        walker.choice(entries["ties"], TIE_POLICIES, "leaderboards.ties")
        if "ties" in entries
        else "shared"
    )
    team_boards = (
        walker.boolean(entries["team_boards"], "leaderboards.team_boards")
        if "team_boards" in entries
        else True
    )
    if ties is not None and team_boards is not None:
        draft.leaderboards = LeaderboardSpec(ties, team_boards)


def walk_shoutouts(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    entries = walker.keys(node, _SHOUTOUT_KEYS, "shoutouts")
    if entries is None:
        return
    allowance = _allowance(walker, entries["allowance"]) if "allowance" in entries else None
    limits: dict[str, int | None] = dict(_SHOUTOUT_DEFAULTS)
    for key in limits:
        if key in entries:
            limits[key] = walker.integer(entries[key], f"shoutouts.{key}", positive=True)
    values = _company_values(walker, entries["values"]) if "values" in entries else None
    event = _shoutout_event(walker, draft, entries["event"], values) if "event" in entries else None
    recipients, message = limits["max_recipients"], limits["max_message"]
    if allowance and recipients and message and event and values:
        draft.shoutouts = ShoutoutSpec(
            allowance[0], allowance[1], recipients, message, event, tuple(values)
        )


def _allowance(walker: Walker, node: YNode) -> tuple[str, int] | None:
    entries = walker.keys(node, {"per": True, "max": True}, "shoutouts.allowance")
    if entries is None or "per" not in entries or "max" not in entries:
        return None
    per = walker.choice(entries["per"], ALLOWANCE_PERIODS, "shoutouts.allowance.per")
    maximum = walker.integer(entries["max"], "shoutouts.allowance.max", positive=True)
    if per is None or maximum is None:
        return None
    return per, maximum


def _company_values(walker: Walker, node: YNode) -> list[ValueSpec] | None:
    items = walker.seq(node, "shoutouts.values", non_empty=True)
    if items is None:
        return None
    values: list[ValueSpec] = []
    seen: set[str] = set()
    ok = True
    for item in items:
        entries = walker.keys(item, {"id": True, "name": False, "description": False}, "value")
        if entries is None or "id" not in entries:
            ok = False
            continue
        value_id = walker.name_id(entries["id"], "shoutouts.values: id")
        if value_id is not None and value_id in seen:
            walker.issues.at(entries["id"], f'duplicate value id "{value_id}"')
            value_id = None
        label = f"shoutouts.values.{value_id}" if value_id else "shoutouts.values"
        name = walker.text(entries["name"], f"{label}.name") if "name" in entries else value_id
        description = ""
        if "description" in entries:
            description = walker.text(entries["description"], f"{label}.description") or ""
            ok &= bool(description)
        if value_id is None or name is None:
            ok = False
            continue
        seen.add(value_id)
        values.append(ValueSpec(value_id, name, description))
    return values if ok else None


def _shoutout_event(
    walker: Walker, draft: ProgramDraft, node: YNode, values: list[ValueSpec] | None
) -> str | None:
    """The recipient's event type: it must carry who gave (`giver`) and which `value`."""
    event = event_type_ref(walker, draft, node, "shoutouts.event")
    if event is None:
        return None
    fields = draft.event_types[event].fields
    ok = True
    for name in ("giver", "value"):
        spec = fields.get(name)
        if spec is None:
            walker.issues.at(
                node, f'shoutouts.event: event type {event} needs a string field "{name}"'
            )
            ok = False
        elif spec.type == "enum" and name == "value" and values is not None:
            # An enum works too, as long as every company value is one of its members.
            missing = [v.id for v in values if v.id not in spec.enum]
            if missing:
                walker.issues.at(
                    node,
                    f"shoutouts.event: {event}.value is an enum without "
                    f"{', '.join(missing)}; add them or make it a string field",
                )
                ok = False
        elif spec.type != "string":
            walker.issues.at(
                node,
                f"shoutouts.event: {event}.{name} is {spec.type}; expected a string field",
            )
            ok = False
    return event if ok else None
