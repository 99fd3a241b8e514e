"""HR adjustments: points given or taken by a person, with a reason, as a ledger entry of their own.

The ledger is append-only, so a correction never edits an entry: it adds one naming who made it and why.
Replay keeps adjustments (they are not derived from events).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from engine import clock
from engine.boards.standings import StandingDeltas
from engine.errors import PlauditError
from engine.scoring.rulesets import RuleBook
from engine.storage.database import Database

__all__ = ["MAX_ADJUSTMENT", "Adjustment", "AdjustmentError", "adjust"]

MAX_ADJUSTMENT = 1_000_000


class AdjustmentError(PlauditError):
    """An adjustment that cannot be made, naming the field."""


@dataclass(frozen=True)
class Adjustment:
    entry_id: int
    employee: str
    points: int
    occurred_at: datetime
    deltas: dict


def adjust(
    db: Database,
    book: RuleBook,
    employee: str,
    points: int,
    why: str,
    actor: str,
    at: datetime | None = None,
) -> Adjustment:
    """Add ``points`` (negative takes away) to an employee's standings in the period of ``at`` (default now)."""
    if (
        not isinstance(points, int)
        or isinstance(points, bool)
        or points == 0
        or abs(points) > MAX_ADJUSTMENT
    ):
        raise AdjustmentError("points", f"expected a non-zero whole number up to ±{MAX_ADJUSTMENT}")
    if not why.strip():
        raise AdjustmentError("why", "say why, for the employee and the audit trail")
    at = (at or clock.now()).astimezone(UTC)
    rules = book.for_time(at) or book.current
    if rules is None:
        raise AdjustmentError(
            "at", "no ruleset is published, so there are no periods to count the points in"
        )
    with db.transaction():
        rows = db.query(
            'SELECT id FROM "employee" WHERE external_id = ? OR email = ?',
            [employee, employee.lower()],
        )
        if not rows:
            raise AdjustmentError("employee", f"no employee {employee!r}", "not_found")
        employee_id = rows[0][0]
        reasons = [f"adjusted by {actor}: {why.strip()}"]
        cur = db.execute(
            'INSERT INTO "ledger_entry" (employee, points, kind, reasons, actor, why, occurred_at, created_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                employee_id,
                points,
                "adjustment",
                msgspec.json.encode(reasons).decode(),
                actor,
                why.strip(),
                db.ts(at),
                db.ts(clock.now()),
            ],
        )
        entry_id = cur.lastrowid if db.dialect == "sqlite" else db.query("SELECT lastval()")[0][0]
        deltas = StandingDeltas()
        deltas.add(employee_id, tuple(rules.periods(at)), points, db.ts(at))
        deltas.write(db)
    return Adjustment(entry_id, employee, points, at, deltas.deltas)
