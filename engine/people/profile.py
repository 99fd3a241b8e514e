"""What an employee sees of themselves: points and ranks per period, points per week, the ledger entries with
their reasons, and the caps they have reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from engine import clock
from engine.defaults import ALL_TIME, BOARD_POINTS
from engine.storage.database import Database
from rules import CompiledRules

__all__ = ["CapUse", "LedgerLine", "caps_reached", "ledger_page", "period_scores", "weekly_points"]


@dataclass(frozen=True)
class LedgerLine:
    id: int
    points: int
    kind: str
    rule_id: str | None
    ruleset_version: str | None
    reasons: list[str]
    occurred_at: datetime
    event_source: str | None
    event_id: str | None


@dataclass(frozen=True)
class CapUse:
    cap: str
    description: str
    period: str
    used: float
    max: int

    @property
    def reached(self) -> bool:
        return self.used >= self.max


def period_scores(
    db: Database, rules: CompiledRules, employee_id: int, at: datetime | None = None
) -> dict[str, Any]:
    """Points in the current day, week, month, quarter and all time: ``{kind: {"period": key, "points": n}}``."""
    keys = rules.periods(at or clock.now())
    wanted = {
        "day": keys.day,
        "week": keys.week,
        "month": keys.month,
        "quarter": keys.quarter,
        "all": ALL_TIME,
    }
    rows = dict(
        db.query_in(
            'SELECT period, score FROM "standing" WHERE board = ? AND employee = ? AND period IN ({in})',
            list(wanted.values()),
            [BOARD_POINTS, employee_id],
        )
    )
    return {kind: {"period": key, "points": rows.get(key, 0)} for kind, key in wanted.items()}


def weekly_points(
    db: Database,
    rules: CompiledRules,
    employee_id: int,
    weeks: int = 12,
    at: datetime | None = None,
) -> list[tuple[str, int]]:
    """(week key, points) for the last ``weeks`` weeks, oldest first, zeros included: the profile's chart."""
    now = at or clock.now()
    keys = [rules.periods(now - timedelta(weeks=i)).week for i in range(weeks - 1, -1, -1)]
    rows = dict(
        db.query_in(
            'SELECT period, score FROM "standing" WHERE board = ? AND employee = ? AND period IN ({in})',
            keys,
            [BOARD_POINTS, employee_id],
        )
    )
    return [(key, rows.get(key, 0)) for key in keys]


def ledger_page(
    db: Database, employee_id: int, before: int | None = None, limit: int = 50
) -> list[LedgerLine]:
    """Newest entries first; ``before`` is the cursor (the id of the last entry already shown)."""
    rows = db.query(
        "SELECT l.id, l.points, l.kind, l.rule_id, l.ruleset_version, l.reasons, l.occurred_at, v.source, v.external_id "
        'FROM "ledger_entry" l LEFT JOIN "event" v ON v.id = l.event WHERE l.employee = ? AND l.id < ? '
        "ORDER BY l.id DESC LIMIT ?",
        [employee_id, before if before is not None else 2**62, limit],
    )
    decode = msgspec.json.decode
    return [
        LedgerLine(
            lid,
            points,
            kind,
            rule,
            version,
            decode(reasons) if isinstance(reasons, str | bytes) else reasons,
            db.read_ts(at),
            source,
            ext,
        )
        for lid, points, kind, rule, version, reasons, at, source, ext in rows
    ]


def caps_reached(
    db: Database, rules: CompiledRules, employee_id: int, at: datetime | None = None
) -> list[CapUse]:
    """Each cap's use in its current period (``cap:<id>:<period>`` counters written by scoring)."""
    keys = rules.periods(at or clock.now())
    wanted = {f"cap:{cap.id}:{keys.of(cap.per)}|{employee_id}": cap for cap in rules.caps.values()}
    used = dict(db.query_in('SELECT key, value FROM "counter" WHERE key IN ({in})', list(wanted)))
    return [
        CapUse(cap.id, cap.description or cap.id, keys.of(cap.per), used.get(key, 0.0), cap.max)
        for key, cap in wanted.items()
    ]
