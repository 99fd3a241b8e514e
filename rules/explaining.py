"""explain(): why each rule of the program did or did not give points to one event.

The slow, human path next to the compiled one: conditions are interpreted here so the answer can
name the failing part ("when: suspected_bot is true, wanted not suspected_bot"), and the award
itself comes from the compiled rule so the two can never disagree on points.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from rules.conditions import why_not
from rules.results import RuleExplanation

if TYPE_CHECKING:
    from rules.compiling import CompiledRules
    from rules.model import CampaignSpec, RuleSpec
    from rules.results import Award

__all__ = ["explain"]


def explain(
    compiled: CompiledRules,
    event_type: str,
    attributes: dict[str, Any],
    occurred_at: datetime,
    counters: dict[str, float] | None = None,
) -> list[RuleExplanation]:
    """One explanation per rule, in program order; ``counters`` is copied, never changed."""
    attrs = compiled.normalize(event_type, attributes)
    work = dict(counters or {})  # rules of one event share caps: score them in order on a copy
    result = []
    for rule in compiled.rules:
        if rule.event != event_type:
            why = f"event type is {event_type}, rule wants {rule.event}"
            result.append(RuleExplanation(rule.id, False, why))
            continue
        failed = why_not(rule.when, attrs) if rule.when is not None else None
        if failed is not None:
            result.append(RuleExplanation(rule.id, False, f"when: {failed}"))
            continue
        missing = _missing_key_field(rule, attrs)
        if missing is not None:
            result.append(RuleExplanation(rule.id, False, missing))
            continue
        award = compiled.score_rule(rule.id, attrs, occurred_at, work)
        notes = ["matched", *_campaign_notes(compiled, rule, attrs, occurred_at)]
        if award is not None and _prerequisite_missing(rule, award):
            assert rule.after is not None
            notes.append(f"after: {rule.after.reason}, none before this event: 0 points")
        result.append(RuleExplanation(rule.id, True, "; ".join(notes), award))
    return result


def _prerequisite_missing(rule: RuleSpec, award: Award) -> bool:
    """The compiled rule gave 0 because its `after:` found no earlier event (its last reason says so)."""
    after = rule.after
    return (
        after is not None
        and award.points == 0
        and bool(award.reasons)
        and award.reasons[-1] == after.reason
    )


def _missing_key_field(rule: RuleSpec, attrs: dict[str, Any]) -> str | None:
    for kind, spec in (("repeat", rule.repeat), ("once", rule.once)):
        if spec is None:
            continue
        for name in spec.key:
            if attrs.get(name) is None:
                return f"{name} is missing; the {kind} key needs it"
    return None


def _campaign_notes(
    compiled: CompiledRules, rule: RuleSpec, attrs: dict[str, Any], occurred_at: datetime
) -> list[str]:
    notes = []
    for campaign in compiled.campaigns:
        if rule.id not in campaign.rules:
            continue
        if not _in_window(compiled, campaign, occurred_at):
            notes.append(
                f"campaign {campaign.name}: outside campaign window "
                f"({campaign.start} to {campaign.until})"
            )
            continue
        failed = why_not(campaign.when, attrs) if campaign.when is not None else None
        if failed is not None:
            notes.append(f"campaign {campaign.name}: when: {failed}")
        else:
            notes.append(f"campaign {campaign.name}: applied")
    return notes


def _in_window(compiled: CompiledRules, campaign: CampaignSpec, occurred_at: datetime) -> bool:
    tz = compiled.timezone
    start = datetime.combine(campaign.start, time(0), tz)
    end = datetime.combine(campaign.until + timedelta(days=1), time(0), tz)
    return start <= occurred_at < end
