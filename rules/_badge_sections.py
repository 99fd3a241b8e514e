"""The `badges:` and `awards:` sections of rules.yaml: their structs and their schema walker.

The structs live here rather than in ``rules.spec`` only because the walker methods below build
them and ``rules.spec`` inherits the walker: one module for both avoids an import cycle.
``rules.spec`` re-exports every name, and the engine imports them from there (or from ``rules``).

A badge is earned from events (first, count, threshold, streak) or given when a period closes
(rank); an award names winners of a closed period. Both are validated as strictly as rules:
every problem at its node, all at once, with a "did you mean" for unknown keys.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Final

import msgspec

from rules._fields import EventTypeSpec
from rules._report import Issues, unknown_name
from rules._yaml import YNode
from rules.conditions import Cond, parse_condition

if TYPE_CHECKING:
    from rules.spec import RuleSpec

__all__ = [
    "AWARD_METRICS",
    "AWARD_PERIODS",
    "AWARD_SCOPES",
    "AWARD_TIE_BREAKERS",
    "BADGE_ICONS",
    "BADGE_KINDS",
    "BADGE_SHAPES",
    "BADGE_WINDOWS",
    "AwardSpec",
    "BadgeCriteria",
    "BadgeSections",
    "BadgeSpec",
    "BadgeTier",
]

BADGE_KINDS: Final = ("first", "count", "threshold", "streak", "rank")
BADGE_WINDOWS: Final = ("day", "week", "month", "quarter", "lifetime", "rolling")
BADGE_SHAPES: Final = ("circle", "shield", "hexagon", "star")  # as badges/images.py draws them
BADGE_ICONS: Final = (
    "share",
    "comment",
    "star",
    "flame",
    "trophy",
    "heart",
    "megaphone",
    "book",
    "target",
)
AWARD_METRICS: Final = ("points", "rules")
AWARD_TIE_BREAKERS: Final = ("shoutouts_received", "active_days", "earliest")
AWARD_PERIODS: Final = ("month", "quarter")
AWARD_SCOPES: Final = ("company", "team")


class BadgeTier(msgspec.Struct, frozen=True):
    """One level of a badge; a badge without `tiers:` has one tier named ""."""

    name: str  # "" for a badge without tiers; else e.g. bronze / silver / gold (any id)
    goal: int  # count: events; threshold: points; streak: days or weeks in a row; first: 1; rank: top N
    bonus: int = 0  # points awarded with this tier (a ledger entry)


class BadgeCriteria(msgspec.Struct, frozen=True):
    """What earns a badge; only the fields of its ``kind`` are ever set from the file."""

    kind: str  # one of BADGE_KINDS
    event: str | None = None  # first/count/streak: the event type counted
    when: Cond | None = None  # first/count/streak: an optional condition on that event's fields
    window: str = "lifetime"  # count/threshold: one of BADGE_WINDOWS
    rolling_days: int = 0  # window == "rolling": the last N days (1..366)
    unit: str = "day"  # streak: "day" or "week"
    grace: int = 0  # streak: missed days/weeks allowed without breaking the run (0..7)
    period: str = "month"  # rank: "week", "month" or "quarter" (the closed period's board)


class BadgeSpec(msgspec.Struct, frozen=True):
    """A badge: ``tiers`` have ascending goals (for rank: top 1 before top 3)."""

    id: str  # letters, digits, _ and -: it appears in URLs
    name: str
    description: str
    criteria: BadgeCriteria
    tiers: tuple[BadgeTier, ...]
    # false: earned once ever (per tier); true: again each window (count/threshold with a
    # day..quarter window; streak: each new run; rank: each period)
    again: bool = False
    available_from: date | None = None  # earnable only for events that occurred between
    available_until: date | None = None  # these local dates (inclusive)
    shape: str = "circle"
    colour: str = "#2f6fde"
    icon: str = "star"
    line: int = 0


class AwardSpec(msgspec.Struct, frozen=True):
    """A recognition decided when a period closes, such as employee of the month."""

    id: str  # letters, digits, _ and -, e.g. employee-of-the-month
    name: str  # "Employee of the month"
    period: str = "month"  # "month" or "quarter"
    metric: str = "points"  # points: all points in the period; rules: points from `rules` only
    rules: tuple[str, ...] = ()  # metric == rules: rule ids
    scopes: tuple[str, ...] = ("company",)  # "company" and/or "team" (a winner per team)
    winners: int = 1  # per scope
    min_active_days: int = 0  # eligibility: distinct days with a scored event in the period
    min_events: int = 0  # eligibility: scored events in the period
    cooldown_months: int = 0  # eligibility: not won this award in the last N periods
    tie_breakers: tuple[str, ...] = ("earliest",)  # in order, from AWARD_TIE_BREAKERS
    grace_hours: int = 48  # late events: the period closes this long after it ended
    approval: bool = False  # true: close makes a shortlist; HR approves a winner
    bonus: int = 0  # points for each winner
    badge: str | None = None  # a badge id given to each winner
    line: int = 0


_NAME_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
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
_AWARD_KEYS: Final = {
    "id": True,
    "name": True,
    "period": False,
    "metric": False,
    "rules": False,
    "scopes": False,
    "winners": False,
    "eligibility": False,
    "tie_breakers": False,
    "grace_hours": False,
    "approval": False,
    "reward": False,
}
_ELIGIBILITY_KEYS: Final = {"min_active_days": False, "min_events": False, "cooldown_months": False}
_DAYS_IN: Final = {"month": 31, "quarter": 92}
# A closing period waits for late events; a month of waiting is surely a typo (48 -> 480).
_MAX_GRACE_HOURS: Final = 720


class BadgeSections:
    """Walker methods of `badges:` and `awards:`, mixed into ``rules.spec._Walker``.

    They use the walker's primitives (keys, text, integer, boolean, choice, day, seq, name_id,
    campaign_rules) and report through ``self.issues`` like every other section; each returns
    None after reporting. `badges:` is walked after `rules:` and before `awards:`, which refers
    to both.
    """

    issues: Issues
    event_types: dict[str, EventTypeSpec]
    rules: dict[str, RuleSpec]
    badges: list[BadgeSpec]
    badge_ids_seen: set[str]  # ids of badges, valid or not (for references)
    awards: list[AwardSpec]

    # -- badges ------------------------------------------------------------------------------

    def _section_badges(self, node: YNode) -> None:
        for item in self.seq(node, "badges") or ():
            badge = self.badge(item)
            if badge is not None:
                self.badges.append(badge)

    def badge(self, node: YNode) -> BadgeSpec | None:
        entries = self.keys(node, _BADGE_KEYS, "badge")
        if entries is None:
            return None
        badge_id = self.name_id(entries["id"], "badge id") if "id" in entries else None
        if badge_id is not None:
            if badge_id in self.badge_ids_seen:
                self.issues.at(entries["id"], f'duplicate badge id "{badge_id}"')
                badge_id = None
            else:
                self.badge_ids_seen.add(badge_id)
        label = f"badge {badge_id}" if badge_id else "badge"
        name = self.text(entries["name"], f"{label}: name") if "name" in entries else None
        description = ""
        if "description" in entries:
            description = self.text(entries["description"], f"{label}: description") or ""
        ok = all(k in entries for k, req in _BADGE_KEYS.items() if req) and (
            "description" not in entries or bool(description)
        )
        kind, criteria = None, None
        if "criteria" in entries:
            kind, criteria = self.badge_criteria(entries["criteria"], label)
        goals = self.badge_goals(node, entries, kind, label)
        bonuses = self.badge_bonus(entries["bonus"], goals, label) if "bonus" in entries else {}
        again = self.badge_again(entries["again"], criteria, label) if "again" in entries else False
        available = (
            self.available(entries["available"], label) if "available" in entries else (None, None)
        )
        looks: dict[str, str | None] = {"shape": "circle", "colour": "#2f6fde", "icon": "star"}
        if "shape" in entries:
            looks["shape"] = self.choice(entries["shape"], BADGE_SHAPES, f"{label}: shape")
        if "icon" in entries:
            looks["icon"] = self.choice(entries["icon"], BADGE_ICONS, f"{label}: icon")
        if "colour" in entries:
            looks["colour"] = self.colour(entries["colour"], label)
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

    def badge_criteria(self, node: YNode, label: str) -> tuple[str | None, BadgeCriteria | None]:
        """The criteria, and its kind on its own: goals are checked by kind even when the
        rest of the criteria is wrong."""
        what = f"{label}: criteria"
        entries = self.keys(node, _CRITERIA_KEYS, what)
        if entries is None or "kind" not in entries:
            return None, None
        kind = self.choice(entries["kind"], BADGE_KINDS, f"{what}.kind")
        if kind is None:
            return None, None
        takes = _KIND_KEYS[kind]
        ok = True
        for key, (key_node, _) in node.value.items():
            if key in entries and key != "kind" and key not in takes:
                self.issues.at(
                    key_node,
                    f"{what}: {key} does not apply to kind {kind} (it takes {', '.join(takes)})",
                )
                ok = False
        event, when = None, None
        if "event" in takes:
            if "event" not in entries:
                self.issues.at(
                    node, f'missing key "event" in {what} (kind {kind} needs an event type)'
                )
                ok = False
            else:
                event = self.text(entries["event"], f"{what}.event")
                if event is not None and event not in self.event_types:
                    self.issues.at(
                        entries["event"], unknown_name("event type", event, self.event_types)
                    )
                    event = None
                ok &= event is not None
        if "when" in takes and "when" in entries and event is not None:
            fields = self.event_types[event].fields
            when = parse_condition(entries["when"], fields, event, self.issues)
            ok &= when is not None
        window, rolling_days = self.badge_window(node, entries, takes, what)
        unit, grace, period = "day", 0, "month"
        if "unit" in takes and "unit" in entries:
            unit = self.choice(entries["unit"], _STREAK_UNITS, f"{what}.unit")
        if "grace" in takes and "grace" in entries:
            grace = self.bounded(entries["grace"], 0, _MAX_GRACE, f"{what}.grace")
        if "period" in takes and "period" in entries:
            period = self.choice(entries["period"], _RANK_PERIODS, f"{what}.period")
        if not ok or window is None or rolling_days is None:
            return kind, None
        if unit is None or grace is None or period is None:
            return kind, None
        return kind, BadgeCriteria(kind, event, when, window, rolling_days, unit, grace, period)

    def badge_window(
        self, node: YNode, entries: dict[str, YNode], takes: tuple[str, ...], what: str
    ) -> tuple[str | None, int | None]:
        """`window` and `rolling_days`: the days are required with a rolling window, else wrong."""
        if "window" not in takes:
            return "lifetime", 0
        window = "lifetime"
        if "window" in entries:
            window = self.choice(entries["window"], BADGE_WINDOWS, f"{what}.window")
        if window == "rolling":
            if "rolling_days" not in entries:
                self.issues.at(
                    node,
                    f'missing key "rolling_days" in {what} (how many days a rolling window spans)',
                )
                return window, None
            days = self.bounded(
                entries["rolling_days"], 1, _MAX_ROLLING_DAYS, f"{what}.rolling_days"
            )
            return window, days
        if "rolling_days" in entries and window is not None:
            self.issues.at(
                entries["rolling_days"],
                f"{what}.rolling_days: only with window: rolling (this window is {window})",
            )
            return window, None
        return window, 0

    def badge_goals(
        self, node: YNode, entries: dict[str, YNode], kind: str | None, label: str
    ) -> list[tuple[str, int]] | None:
        """(tier name, goal) pairs: `goal:` gives one tier named "", `tiers:` several."""
        goal_node, tiers_node = entries.get("goal"), entries.get("tiers")
        if kind == "first":
            if tiers_node is not None:
                self.issues.at(
                    tiers_node, f"{label}: tiers: a first badge has one tier (the first event)"
                )
                return None
            if goal_node is not None:
                goal = self.integer(goal_node, f"{label}: goal", positive=True)
                if goal is None:
                    return None
                if goal != 1:
                    self.issues.at(
                        goal_node,
                        f"{label}: goal: a first badge's goal is 1 (or left out), got {goal}",
                    )
                    return None
            return [("", 1)]
        if goal_node is not None and tiers_node is not None:
            self.issues.at(tiers_node, f"{label}: give goal or tiers, not both")
            return None
        if tiers_node is not None:
            return self.tier_goals(tiers_node, kind, label)
        if goal_node is not None:
            goal = self.integer(goal_node, f"{label}: goal", positive=True)
            return [("", goal)] if goal is not None else None
        if kind is not None:  # with an unknown kind, whether a goal is needed is unknown too
            self.issues.at(node, f'missing key "goal" (or "tiers") in {label}')
        return None

    def tier_goals(self, node: YNode, kind: str | None, label: str) -> list[tuple[str, int]] | None:
        what = f"{label}: tiers"
        if node.kind != "map":
            self.wrong(
                node, "a mapping of tier names to goals, such as {bronze: 5, silver: 15}", what
            )
            return None
        if not node.value:
            self.issues.at(node, f"{what}: must not be empty")
            return None
        tiers: list[tuple[str, int]] = []
        ok = True
        for name, (key_node, value) in node.value.items():
            if not _NAME_PATTERN.match(name):
                self.issues.at(
                    key_node,
                    f'{what}: "{name}" is not a valid tier name (letters, digits, _ and -; '
                    "starting with a letter or _)",
                )
                ok = False
                continue
            goal = self.integer(value, f"{what}.{name}", positive=True)
            if goal is None:
                ok = False
                continue
            if tiers and goal <= tiers[-1][1]:
                hint = (
                    " (for rank: the best tier first, top 1 before top 3)" if kind == "rank" else ""
                )
                self.issues.at(
                    value,
                    f"{what}.{name}: goals must go up from tier to tier; {goal} is not above "
                    f"{tiers[-1][0]}'s {tiers[-1][1]}{hint}",
                )
                ok = False
            tiers.append((name, goal))
        return tiers if ok else None

    def badge_bonus(
        self, node: YNode, goals: list[tuple[str, int]] | None, label: str
    ) -> dict[str, int] | None:
        """Bonus points per tier name: one number for every tier, or a mapping naming each."""
        what = f"{label}: bonus"
        if node.kind == "scalar":
            bonus = self.count(node, what)
            if bonus is None or goals is None:
                return None
            return {tier: bonus for tier, _ in goals}
        if node.kind != "map":
            self.wrong(node, "a whole number, or a mapping of tier names to numbers", what)
            return None
        if goals is not None and goals[0][0] == "":
            self.issues.at(node, f"{what}: a bonus per tier needs tiers; give one number")
            return None
        names = [tier for tier, _ in goals or ()]
        bonuses: dict[str, int] = {}
        ok = True
        for name, (key_node, value) in node.value.items():
            if goals is not None and name not in names:
                self.issues.at(key_node, unknown_name("tier", name, names, f"in {what}"))
                ok = False
                continue
            bonus = self.count(value, f"{what}.{name}")
            ok &= bonus is not None
            if bonus is not None:
                bonuses[name] = bonus
        for name in names:
            if name not in node.value:
                self.issues.at(node, f'{what}: missing tier "{name}" (0 for no bonus)')
                ok = False
        return bonuses if ok and goals is not None else None

    def badge_again(self, node: YNode, criteria: BadgeCriteria | None, label: str) -> bool | None:
        """`again: true` needs something that starts over: a period, a new run, a closed board."""
        again = self.boolean(node, f"{label}: again")
        if not again or criteria is None:
            return again
        if criteria.kind == "first":
            self.issues.at(node, f"{label}: again: a first badge is earned once")
            return None
        if criteria.kind in ("count", "threshold") and criteria.window in ("lifetime", "rolling"):
            self.issues.at(
                node,
                f"{label}: again: true needs a day, week, month or quarter window; "
                f"a {criteria.window} window never starts over",
            )
            return None
        return again

    def available(self, node: YNode, label: str) -> tuple[date | None, date | None] | None:
        what = f"{label}: available"
        entries = self.keys(node, {"from": False, "until": False}, what)
        if entries is None:
            return None
        if not entries:
            if not node.value:  # unknown keys are reported already
                self.issues.at(node, f"{what}: expected from and/or until")
            return None
        start = self.day(entries["from"], f"{what}.from") if "from" in entries else None
        until = self.day(entries["until"], f"{what}.until") if "until" in entries else None
        if start and until and until < start:
            self.issues.at(entries["until"], f"{what}: until {until} is before from {start}")
            return None
        if ("from" in entries and start is None) or ("until" in entries and until is None):
            return None
        return start, until

    def colour(self, node: YNode, label: str) -> str | None:
        what = f"{label}: colour"
        if node.kind == "scalar" and node.value is None:
            self.issues.at(
                node,
                f'{what}: expected a colour such as "#2f6fde", got nothing; quote it '
                "(an unquoted # starts a YAML comment)",
            )
            return None
        value = self.text(node, what)
        if value is not None and not _COLOUR_PATTERN.match(value):
            self.issues.at(
                node, f'{what}: expected a colour "#rrggbb" such as "#2f6fde", got "{value}"'
            )
            return None
        return value

    # -- awards ------------------------------------------------------------------------------

    def _section_awards(self, node: YNode) -> None:
        seen: set[str] = set()
        for item in self.seq(node, "awards") or ():
            award = self.award(item, seen)
            if award is not None:
                self.awards.append(award)

    def award(self, node: YNode, seen: set[str]) -> AwardSpec | None:
        entries = self.keys(node, _AWARD_KEYS, "award")
        if entries is None:
            return None
        award_id = self.name_id(entries["id"], "award id") if "id" in entries else None
        if award_id is not None and award_id in seen:
            self.issues.at(entries["id"], f'duplicate award id "{award_id}"')
            award_id = None
        seen.add(award_id or "")
        label = f"award {award_id}" if award_id else "award"
        name = self.text(entries["name"], f"{label}: name") if "name" in entries else None
        get = entries.get
        period = (
            self.choice(get("period"), AWARD_PERIODS, f"{label}: period")
            if get("period")
            else "month"
        )
        metric = (
            self.choice(get("metric"), AWARD_METRICS, f"{label}: metric")
            if get("metric")
            else "points"
        )
        rule_ids: list[str] | None = []
        if "rules" in entries:
            rule_ids = self.campaign_rules(entries["rules"], label)
            if metric == "points":
                self.issues.at(
                    entries["rules"],
                    f"{label}: rules: only with metric: rules (points counts every rule)",
                )
                rule_ids = None
        elif metric == "rules":
            self.issues.at(
                entries["metric"], f'{label}: metric: rules needs the rule ids in "rules:"'
            )
            rule_ids = None
        scopes = (
            self.names(get("scopes"), AWARD_SCOPES, f"{label}: scopes")
            if get("scopes")
            else ("company",)
        )
        winners = (
            self.integer(get("winners"), f"{label}: winners", positive=True)
            if get("winners")
            else 1
        )
        eligibility = (
            self.eligibility(get("eligibility"), period, label) if get("eligibility") else {}
        )
        tie_breakers = (
            self.names(get("tie_breakers"), AWARD_TIE_BREAKERS, f"{label}: tie_breakers")
            if get("tie_breakers")
            else ("earliest",)
        )
        grace_hours = (
            self.bounded(get("grace_hours"), 0, _MAX_GRACE_HOURS, f"{label}: grace_hours")
            if get("grace_hours")
            else 48
        )
        approval = self.boolean(get("approval"), f"{label}: approval") if get("approval") else False
        reward = self.reward(get("reward"), label) if get("reward") else (0, None)
        if award_id is None or name is None or period is None or metric is None:
            return None
        if rule_ids is None or scopes is None or winners is None or eligibility is None:
            return None
        if tie_breakers is None or grace_hours is None or approval is None or reward is None:
            return None
        return AwardSpec(
            id=award_id,
            name=name,
            period=period,
            metric=metric,
            rules=tuple(rule_ids),
            scopes=scopes,
            winners=winners,
            tie_breakers=tie_breakers,
            grace_hours=grace_hours,
            approval=approval,
            bonus=reward[0],
            badge=reward[1],
            line=node.line,
            **eligibility,
        )

    def eligibility(self, node: YNode, period: str | None, label: str) -> dict[str, int] | None:
        what = f"{label}: eligibility"
        entries = self.keys(node, _ELIGIBILITY_KEYS, what)
        if entries is None:
            return None
        values: dict[str, int] = {}
        for key, value_node in entries.items():
            value = self.count(value_node, f"{what}.{key}")
            if value is not None:
                values[key] = value
        days = values.get("min_active_days")
        if days is not None and period is not None and days > _DAYS_IN[period]:
            # Nobody could ever qualify: surely a typo, not a wish.
            self.issues.at(
                entries["min_active_days"],
                f"{what}.min_active_days: a {period} has at most {_DAYS_IN[period]} days, got {days}",
            )
            return None
        return values if len(values) == len(entries) else None

    def reward(self, node: YNode, label: str) -> tuple[int, str | None] | None:
        what = f"{label}: reward"
        entries = self.keys(node, {"bonus": False, "badge": False}, what)
        if entries is None:
            return None
        if not entries:
            if not node.value:
                self.issues.at(node, f"{what}: expected bonus and/or badge")
            return None
        bonus = self.count(entries["bonus"], f"{what}.bonus") if "bonus" in entries else 0
        badge = None
        if "badge" in entries:
            badge = self.text(entries["badge"], f"{what}.badge")
            if badge is not None and badge not in self.badge_ids_seen:
                self.issues.at(entries["badge"], unknown_name("badge", badge, self.badge_ids_seen))
                return None
            if badge is None or badge not in {b.id for b in self.badges}:
                return None  # an invalid badge is reported already
        if bonus is None:
            return None
        return bonus, badge

    # -- primitives of these sections --------------------------------------------------------

    def count(self, node: YNode, what: str) -> int | None:
        """A whole number, 0 or more (bonus points, minimums)."""
        value = self.integer(node, what)
        if value is not None and value < 0:
            self.issues.at(node, f"{what}: must not be negative, got {value}")
            return None
        return value

    def bounded(self, node: YNode, low: int, high: int, what: str) -> int | None:
        value = self.integer(node, what)
        if value is not None and not low <= value <= high:
            self.issues.at(node, f"{what}: expected {low} to {high}, got {value}")
            return None
        return value

    def names(self, node: YNode, options: tuple[str, ...], what: str) -> tuple[str, ...] | None:
        """A non-empty list of distinct names from ``options``, in the order written."""
        items = self.seq(node, what, non_empty=True)
        if items is None:
            return None
        chosen: list[str] = []
        ok = True
        for item in items:
            value = self.choice(item, options, what)
            if value is not None and value in chosen:
                self.issues.at(item, f'{what}: "{value}" is listed twice')
                value = None
            ok &= value is not None
            if value is not None:
                chosen.append(value)
        return tuple(chosen) if ok else None
