"""The `badges:` section: what earns each badge, its tiers and bonuses, and how it looks.

A badge is earned from events (first, count, threshold, streak) or given when a period closes
(rank). It is checked as strictly as a rule: every problem at its node, all at once, with a "did
you mean" for unknown keys. `badges:` is walked after `rules:` and before `awards:` and `rewards:`,
which name badges.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Final

from rules._report import unknown_name
from rules._walker import NAME_PATTERN, ProgramDraft, Walker
from rules._yaml import YNode
from rules.conditions import Cond, parse_condition
from rules.model import (
    BADGE_ICONS,
    BADGE_KINDS,
    BADGE_SHAPES,
    BADGE_WINDOWS,
    BadgeCriteria,
    BadgeSpec,
    BadgeTier,
)
from rules.sections.program import event_type_ref

__all__ = ["walk_badges"]

_COLOUR_PATTERN: Final = re.compile(r"#[0-9A-Fa-f]{6}\Z")
_BADGE_KEYS: Final = {
    "id": True,
    "name": True,
    "description": False,
    "criteria": True,
    "goal": False,
    "tiers": False,
    "bonus": False,
    "again": False,
    "available": False,
    "shape": False,
    "colour": False,
    "icon": False,
}
_CRITERIA_KEYS: Final = {
    "kind": True,
    "event": False,
    "when": False,
    "window": False,
    "rolling_days": False,
    "unit": False,
    "grace": False,
    "period": False,
}
# The criteria keys each kind takes besides `kind`: any other is a mistake, not a no-op, since
# HR would otherwise believe e.g. a threshold badge counts only shares.
_KIND_KEYS: Final = {
    "first": ("event", "when"),
    "count": ("event", "when", "window", "rolling_days"),
    "threshold": ("window", "rolling_days"),
    "streak": ("event", "when", "unit", "grace"),
    "rank": ("period",),
}
_STREAK_UNITS: Final = ("day", "week")
_RANK_PERIODS: Final = ("week", "month", "quarter")
_MAX_GRACE: Final = 7
_MAX_ROLLING_DAYS: Final = 366


def walk_badges(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    draft.badges.extend(walker.each(node, "badges", partial(_badge, walker, draft)))


def _badge(walker: Walker, draft: ProgramDraft, node: YNode) -> BadgeSpec | None:
    entries = walker.keys(node, _BADGE_KEYS, "badge")
    if entries is None:
        return None
    badge_id = walker.unique_id(entries, walker.name_id, draft.badge_ids_seen, "badge")
    label = f"badge {badge_id}" if badge_id else "badge"
    name = walker.text(entries["name"], f"{label}: name") if "name" in entries else None
    description = ""
    if "description" in entries:
        description = walker.text(entries["description"], f"{label}: description") or ""
    ok = all(k in entries for k, req in _BADGE_KEYS.items() if req) and (
        "description" not in entries or bool(description)
    )
    kind, criteria = None, None
    if "criteria" in entries:
        kind, criteria = _criteria(walker, draft, entries["criteria"], label)
    goals = _goals(walker, node, entries, kind, label)
    bonuses = _bonus(walker, entries["bonus"], goals, label) if "bonus" in entries else {}
    again = _again(walker, entries["again"], criteria, label) if "again" in entries else False
    available = (
        _available(walker, entries["available"], label) if "available" in entries else (None, None)
    )
    looks: dict[str, str | None] = {"shape": "circle", "colour": "#2f6fde", "icon": "star"}
    if "shape" in entries:
        looks["shape"] = walker.choice(entries["shape"], BADGE_SHAPES, f"{label}: shape")
    if "icon" in entries:
        looks["icon"] = walker.choice(entries["icon"], BADGE_ICONS, f"{label}: icon")
    if "colour" in entries:
        looks["colour"] = _colour(walker, entries["colour"], label)
    shape, colour, icon = looks["shape"], looks["colour"], looks["icon"]
    if not ok or badge_id is None or name is None or criteria is None or goals is None:
        return None
    if bonuses is None or again is None or available is None:
        return None
    if shape is None or colour is None or icon is None:
        return None
    tiers = tuple(BadgeTier(tier, goal, bonuses.get(tier, 0)) for tier, goal in goals)
    return BadgeSpec(
        id=badge_id,
        name=name,
        description=description,
        criteria=criteria,
        tiers=tiers,
        again=again,
        available_from=available[0],
        available_until=available[1],
        shape=shape,
        colour=colour,
        icon=icon,
        line=node.line,
    )


def _criteria(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> tuple[str | None, BadgeCriteria | None]:
    """The criteria, and its kind on its own: goals are checked by kind even when the rest of
    the criteria is wrong."""
    what = f"{label}: criteria"
    entries = walker.keys(node, _CRITERIA_KEYS, what)
    if entries is None or "kind" not in entries:
        return None, None
    kind = walker.choice(entries["kind"], BADGE_KINDS, f"{what}.kind")
    if kind is None:
        return None, None
    takes = _KIND_KEYS[kind]
    ok = True
    for key, (key_node, _) in node.value.items():
        if key in entries and key != "kind" and key not in takes:
            walker.issues.at(
                key_node,
                f"{what}: {key} does not apply to kind {kind} (it takes {', '.join(takes)})",
            )
            ok = False
    event: str | None = None
    when: Cond | None = None
    if "event" in takes:
        if "event" not in entries:
            walker.issues.at(
                node, f'missing key "event" in {what} (kind {kind} needs an event type)'
            )
            ok = False
        else:
            event = event_type_ref(walker, draft, entries["event"], f"{what}.event")
            ok &= event is not None
    if "when" in takes and "when" in entries and event is not None:
        fields = draft.event_types[event].fields
        when = parse_condition(entries["when"], fields, event, walker.issues)
        ok &= when is not None
    window, rolling_days = _window(walker, node, entries, takes, what)
    unit: str | None = "day"
    grace: int | None = 0
    period: str | None = "month"
    if "unit" in takes and "unit" in entries:
        unit = walker.choice(entries["unit"], _STREAK_UNITS, f"{what}.unit")
    if "grace" in takes and "grace" in entries:
        grace = walker.bounded(entries["grace"], 0, _MAX_GRACE, f"{what}.grace")
    if "period" in takes and "period" in entries:
        period = walker.choice(entries["period"], _RANK_PERIODS, f"{what}.period")
    if not ok or window is None or rolling_days is None:
        return kind, None
    if unit is None or grace is None or period is None:
        return kind, None
    return kind, BadgeCriteria(kind, event, when, window, rolling_days, unit, grace, period)


def _window(
    walker: Walker, node: YNode, entries: dict[str, YNode], takes: tuple[str, ...], what: str
) -> tuple[str | None, int | None]:
    """`window` and `rolling_days`: the days are required with a rolling window, else wrong."""
    if "window" not in takes:
        return "lifetime", 0
    window: str | None = "lifetime"
    if "window" in entries:
        window = walker.choice(entries["window"], BADGE_WINDOWS, f"{what}.window")
    if window == "rolling":
        if "rolling_days" not in entries:
            walker.issues.at(
                node,
                f'missing key "rolling_days" in {what} (how many days a rolling window spans)',
            )
            return window, None
        days = walker.bounded(entries["rolling_days"], 1, _MAX_ROLLING_DAYS, f"{what}.rolling_days")
        return window, days
    if "rolling_days" in entries and window is not None:
        walker.issues.at(
            entries["rolling_days"],
            f"{what}.rolling_days: only with window: rolling (this window is {window})",
        )
        return window, None
    return window, 0


def _goals(
    walker: Walker, node: YNode, entries: dict[str, YNode], kind: str | None, label: str
) -> list[tuple[str, int]] | None:
    """(tier name, goal) pairs: `goal:` gives one tier named "", `tiers:` several."""
    goal_node, tiers_node = entries.get("goal"), entries.get("tiers")
    if kind == "first":
        if tiers_node is not None:
            walker.issues.at(
                tiers_node, f"{label}: tiers: a first badge has one tier (the first event)"
            )
            return None
        if goal_node is not None:
            goal = walker.integer(goal_node, f"{label}: goal", positive=True)
            if goal is None:
                return None
            if goal != 1:
                walker.issues.at(
                    goal_node,
                    f"{label}: goal: a first badge's goal is 1 (or left out), got {goal}",
                )
                return None
        return [("", 1)]
    if goal_node is not None and tiers_node is not None:
        walker.issues.at(tiers_node, f"{label}: give goal or tiers, not both")
        return None
    if tiers_node is not None:
        return _tier_goals(walker, tiers_node, kind, label)
    if goal_node is not None:
        goal = walker.integer(goal_node, f"{label}: goal", positive=True)
        return [("", goal)] if goal is not None else None
    if kind is not None:  # with an unknown kind, whether a goal is needed is unknown too
        walker.issues.at(node, f'missing key "goal" (or "tiers") in {label}')
    return None


def _tier_goals(
    walker: Walker, node: YNode, kind: str | None, label: str
) -> list[tuple[str, int]] | None:
    what = f"{label}: tiers"
    if node.kind != "map":
        walker.wrong(
            node, "a mapping of tier names to goals, such as {bronze: 5, silver: 15}", what
        )
        return None
    if not node.value:
        walker.issues.at(node, f"{what}: must not be empty")
        return None
    tiers: list[tuple[str, int]] = []
    ok = True
    for name, (key_node, value) in node.value.items():
        if not NAME_PATTERN.match(name):
            walker.issues.at(
                key_node,
                f'{what}: "{name}" is not a valid tier name (letters, digits, _ and -; '
                "starting with a letter or _)",
            )
            ok = False
            continue
        goal = walker.integer(value, f"{what}.{name}", positive=True)
        if goal is None:
            ok = False
            continue
        if tiers and goal <= tiers[-1][1]:
            hint = " (for rank: the best tier first, top 1 before top 3)" if kind == "rank" else ""
            walker.issues.at(
                value,
                f"{what}.{name}: goals must go up from tier to tier; {goal} is not above "
                f"{tiers[-1][0]}'s {tiers[-1][1]}{hint}",
            )
            ok = False
        tiers.append((name, goal))
    return tiers if ok else None


def _bonus(
    walker: Walker, node: YNode, goals: list[tuple[str, int]] | None, label: str
) -> dict[str, int] | None:
    """Bonus points per tier name: one number for every tier, or a mapping naming each."""
    what = f"{label}: bonus"
    if node.kind == "scalar":
        bonus = walker.count(node, what)
        if bonus is None or goals is None:
            return None
        return {tier: bonus for tier, _ in goals}
    if node.kind != "map":
        walker.wrong(node, "a whole number, or a mapping of tier names to numbers", what)
        return None
    if goals is not None and goals[0][0] == "":
        walker.issues.at(node, f"{what}: a bonus per tier needs tiers; give one number")
        return None
    names = [tier for tier, _ in goals or ()]
    bonuses: dict[str, int] = {}
    ok = True
    for name, (key_node, value) in node.value.items():
        if goals is not None and name not in names:
            walker.issues.at(key_node, unknown_name("tier", name, names, f"in {what}"))
            ok = False
            continue
        bonus = walker.count(value, f"{what}.{name}")
        ok &= bonus is not None
        if bonus is not None:
            bonuses[name] = bonus
    for name in names:
        if name not in node.value:
            walker.issues.at(node, f'{what}: missing tier "{name}" (0 for no bonus)')
            ok = False
    return bonuses if ok and goals is not None else None


def _again(walker: Walker, node: YNode, criteria: BadgeCriteria | None, label: str) -> bool | None:
    """`again: true` needs something that starts over: a period, a new run, a closed board."""
    again = walker.boolean(node, f"{label}: again")
    if not again or criteria is None:
        return again
    if criteria.kind == "first":
        walker.issues.at(node, f"{label}: again: a first badge is earned once")
        return None
    if criteria.kind in ("count", "threshold") and criteria.window in ("lifetime", "rolling"):
        walker.issues.at(
            node,
            f"{label}: again: true needs a day, week, month or quarter window; "
            f"a {criteria.window} window never starts over",
        )
        return None
    return again


def _available(walker: Walker, node: YNode, label: str) -> tuple[date | None, date | None] | None:
    what = f"{label}: available"
    entries = walker.keys(node, {"from": False, "until": False}, what)
    if entries is None:
        return None
    if not entries:
        if not node.value:  # unknown keys are reported already
            walker.issues.at(node, f"{what}: expected from and/or until")
        return None
    start = walker.day(entries["from"], f"{what}.from") if "from" in entries else None
    until = walker.day(entries["until"], f"{what}.until") if "until" in entries else None
    if start and until and until < start:
        walker.issues.at(entries["until"], f"{what}: until {until} is before from {start}")
        return None
    if ("from" in entries and start is None) or ("until" in entries and until is None):
        return None
    return start, until


def _colour(walker: Walker, node: YNode, label: str) -> str | None:
    what = f"{label}: colour"
    if node.kind == "scalar" and node.value is None:
        walker.issues.at(
            node,
            f'{what}: expected a colour such as "#2f6fde", got nothing; quote it '
            "(an unquoted # starts a YAML comment)",
        )
        return None
    value = walker.text(node, what)
    if value is not None and not _COLOUR_PATTERN.match(value):
        walker.issues.at(
            node, f'{what}: expected a colour "#rrggbb" such as "#2f6fde", got "{value}"'
        )
        return None
    return value
