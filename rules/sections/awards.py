"""The `awards:` section: the winners named when a period closes, such as employee of the month.

Walked after `rules:` and `badges:`: an award may count only some rules, and give a badge.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from rules._report import unknown_name
from rules._walker import ProgramDraft, Walker
from rules._yaml import YNode
from rules.model import AWARD_METRICS, AWARD_PERIODS, AWARD_SCOPES, AWARD_TIE_BREAKERS, AwardSpec
from rules.sections.point_rules import rule_refs

__all__ = ["walk_awards"]

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


def walk_awards(walker: Walker, draft: ProgramDraft, node: YNode) -> None:
    ids_seen: set[str] = set()
    draft.awards.extend(walker.each(node, "awards", partial(_award, walker, draft, ids_seen)))


def _award(walker: Walker, draft: ProgramDraft, seen: set[str], node: YNode) -> AwardSpec | None:
    entries = walker.keys(node, _AWARD_KEYS, "award")
    if entries is None:
        return None
    award_id = walker.unique_id(entries, walker.name_id, seen, "award")
    label = f"award {award_id}" if award_id else "award"
    name = walker.text(entries["name"], f"{label}: name") if "name" in entries else None
    period = (
        walker.choice(entries["period"], AWARD_PERIODS, f"{label}: period")
        if "period" in entries
        else "month"
    )
    metric = (
        walker.choice(entries["metric"], AWARD_METRICS, f"{label}: metric")
        if "metric" in entries
        else "points"
    )
    rule_ids: list[str] | None = []
    if "rules" in entries:
        rule_ids = rule_refs(walker, draft, entries["rules"], label)
        if metric == "points":
            walker.issues.at(
                entries["rules"],
                f"{label}: rules: only with metric: rules (points counts every rule)",
            )
            rule_ids = None
    elif metric == "rules":
        walker.issues.at(
            entries["metric"], f'{label}: metric: rules needs the rule ids in "rules:"'
        )
        rule_ids = None
    scopes = (
        walker.names(entries["scopes"], AWARD_SCOPES, f"{label}: scopes")
        if "scopes" in entries
        else ("company",)
    )
    winners = (
        walker.integer(entries["winners"], f"{label}: winners", positive=True)
        if "winners" in entries
        else 1
    )
    eligibility = (
        _eligibility(walker, entries["eligibility"], period, label)
        if "eligibility" in entries
        else {}
    )
    tie_breakers = (
        walker.names(entries["tie_breakers"], AWARD_TIE_BREAKERS, f"{label}: tie_breakers")
        if "tie_breakers" in entries
        else ("earliest",)
    )
    grace_hours = (
        walker.bounded(entries["grace_hours"], 0, _MAX_GRACE_HOURS, f"{label}: grace_hours")
        if "grace_hours" in entries
        else 48
    )
    approval = (
        walker.boolean(entries["approval"], f"{label}: approval")
        if "approval" in entries
        else False
    )
    reward = _reward(walker, draft, entries["reward"], label) if "reward" in entries else (0, None)
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


def _eligibility(
    walker: Walker, node: YNode, period: str | None, label: str
) -> dict[str, int] | None:
    what = f"{label}: eligibility"
    entries = walker.keys(node, _ELIGIBILITY_KEYS, what)
    if entries is None:
        return None
    values: dict[str, int] = {}
    for key, value_node in entries.items():
        value = walker.count(value_node, f"{what}.{key}")
        if value is not None:
            values[key] = value
    days = values.get("min_active_days")
    if days is not None and period is not None and days > _DAYS_IN[period]:
        # Nobody could ever qualify: surely a typo, not a wish.
        walker.issues.at(
            entries["min_active_days"],
            f"{what}.min_active_days: a {period} has at most {_DAYS_IN[period]} days, got {days}",
        )
        return None
    return values if len(values) == len(entries) else None


def _reward(
    walker: Walker, draft: ProgramDraft, node: YNode, label: str
) -> tuple[int, str | None] | None:
    """The winner's `reward:`: bonus points and/or a badge (an id from `badges:`)."""
    what = f"{label}: reward"
    entries = walker.keys(node, {"bonus": False, "badge": False}, what)
    if entries is None:
        return None
    if not entries:
        if not node.value:
            walker.issues.at(node, f"{what}: expected bonus and/or badge")
        return None
    bonus = walker.count(entries["bonus"], f"{what}.bonus") if "bonus" in entries else 0
    badge = None
    if "badge" in entries:
        badge = walker.text(entries["badge"], f"{what}.badge")
        if badge is not None and badge not in draft.badge_ids_seen:
            walker.issues.at(entries["badge"], unknown_name("badge", badge, draft.badge_ids_seen))
            return None
        if badge is None or badge not in {b.id for b in draft.badges}:
            return None  # an invalid badge is reported already
    if bonus is None:
        return None
    return bonus, badge
