"""The points a reward gives (a badge tier's bonus, an award's): a ledger entry dated now, not in the closed
period whose board is frozen, and its standings change."""

from __future__ import annotations

from datetime import datetime

import msgspec

from engine.boards.standings import StandingDeltas
from engine.storage.database import Database
from rules import CompiledRules

__all__ = ["give_bonus"]


def give_bonus(
    db: Database,
    rules: CompiledRules,
    employee: int,
    points: int,
    kind_and_rule: tuple[str, str],
    reason: str,
    now: datetime,
    deltas: StandingDeltas,
    actor: str | None = None,
    why: str | None = None,
) -> None:
    """A reward's points: a ledger entry dated ``now`` (not in the closed period, whose board is frozen) and
    its standings change."""
    kind, rule_id = kind_and_rule
    at = db.ts(now)
    db.execute(
        'INSERT INTO "ledger_entry" (employee, points, kind, event, rule_id, rule_version, ruleset_version, '
        "reasons, actor, why, occurred_at, created_at) VALUES (?, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?)",
        (
            employee,
            points,
            kind,
            rule_id,
            rules.version,
            msgspec.json.encode([reason]).decode(),
            actor,
            why,
            at,
            at,
        ),
    )
    deltas.add(employee, tuple(rules.periods(now)), points, at)
