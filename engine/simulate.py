"""Simulation: what a draft program would have given on past events, beside what the published one gives.

Both sides are scored in memory from the same events in ``occurred_at`` order with fresh counters, so the
comparison is like for like and nothing is written. HR sees per-rule totals, the employees whose points change
most, how the top 10 moves and how often caps bite.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from engine.database import Database
from engine.rulebook import RuleBook
from rules import CompiledRules

__all__ = ["PastEvent", "SideTotals", "Simulation", "events_from_db", "simulate"]


@dataclass(frozen=True, slots=True)
class PastEvent:
    employee: str
    type: str
    occurred_at: datetime
    attributes: dict[str, Any]


@dataclass
class SideTotals:
    """Totals of one side (published or draft)."""

    points: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    awards_by_rule: Counter[str] = field(default_factory=Counter)
    cap_hits: Counter[str] = field(default_factory=Counter)
    by_employee: Counter[str] = field(default_factory=Counter)
    not_scored: Counter[str] = field(default_factory=Counter)

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        return sorted(self.by_employee.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass
class Simulation:
    events: int
    published: SideTotals
    draft: SideTotals

    def biggest_changes(self, n: int = 10) -> list[tuple[str, int, int]]:
        """(employee, published points, draft points), largest absolute change first."""
        people = set(self.published.by_employee) | set(self.draft.by_employee)
        rows = [(p, self.published.by_employee[p], self.draft.by_employee[p]) for p in people]
        rows = [r for r in rows if r[1] != r[2]]
        return sorted(rows, key=lambda r: (-abs(r[2] - r[1]), r[0]))[:n]


def events_from_db(db: Database) -> list[PastEvent]:
    """Every event that was or will be scored, employees named by external id where the roster knows them."""
    rows = db.query(
        "SELECT COALESCE(e.external_id, m.external_id, v.employee_ref), v.type, v.occurred_at, v.attributes "
        'FROM "event" v LEFT JOIN "employee" e ON e.external_id = v.employee_ref '
        'LEFT JOIN "employee" m ON m.email = v.employee_ref WHERE v.status IN (?, ?, ?) '
        "ORDER BY v.occurred_at, v.source, v.external_id",
        ["done", "pending", "parked"],
    )
    decode = msgspec.json.decode
    return [
        PastEvent(
            emp, etype, db.read_ts(at), decode(attrs) if isinstance(attrs, str | bytes) else attrs
        )
        for emp, etype, at, attrs in rows
    ]


def _score_side(events: list[PastEvent], pick: Any) -> SideTotals:
    totals = SideTotals()
    state: dict[str, dict[str, float]] = defaultdict(dict)
    for ev in events:
        rules: CompiledRules | None = pick(ev.occurred_at)
        if rules is None:
            totals.not_scored["no ruleset in effect"] += 1
            continue
        problems = rules.validate_event(ev.type, ev.attributes)
        if problems:
            totals.not_scored[problems[0]] += 1
            continue
        attrs = rules.normalize(ev.type, ev.attributes)
        for award in rules.score(ev.type, attrs, ev.occurred_at, state[ev.employee]):
            totals.awards_by_rule[award.rule_id] += 1
            if award.capped:
                totals.cap_hits[award.rule_id] += 1
            if award.points:
                totals.points += award.points
                totals.by_rule[award.rule_id] += award.points
                totals.by_employee[ev.employee] += award.points
    return totals


def simulate(draft: CompiledRules, events: Iterable[PastEvent], published: RuleBook) -> Simulation:
    """Score ``events`` with the published rulesets and with ``draft``; nothing is written anywhere."""
    ordered = sorted(events, key=lambda e: e.occurred_at)
    return Simulation(
        events=len(ordered),
        published=_score_side(ordered, published.for_time),
        draft=_score_side(ordered, lambda _at: draft),
    )
