"""Replay: rebuild everything derived from the events (rule and badge ledger entries, standings, counters).

HR adjustments are ledger entries of their own, not derived from events: they are kept and counted again.
Events are scored again in ``occurred_at`` order by the rulesets in effect when they occurred, so a replay gives
the same result every time. The reset is one transaction; the scoring after it runs batch by batch like
``process``, so a crash midway leaves pending events that the next ``process`` or ``replay`` finishes.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.boards.standings import StandingDeltas
from engine.defaults import REPLAY_BATCH_SIZE
from engine.scoring.rulesets import RuleBook, load_rulebook
from engine.scoring.score import ProcessResult, process_pending
from engine.storage.database import Database

__all__ = ["replay"]


def replay(
    db: Database,
    book: RuleBook | None = None,
    batch_size: int = REPLAY_BATCH_SIZE,
    on_batch: Callable[[ProcessResult], None] | None = None,
) -> ProcessResult:
    book = book if book is not None else load_rulebook(db)
    with db.transaction():
        # Derived from events: rule points and badge bonuses. Badge awards themselves are kept (their public ids
        # are Open Badges URLs someone may have shared); earning one again is a no-op.
        # Integrity take-backs, re-scores and HR's review entries are derived too: scoring reads the review decisions
        # (engine.scoring.review) and writes the same ledger again.
        db.execute(
            'DELETE FROM "ledger_entry" WHERE kind IN (?, ?, ?, ?, ?)',
            ["rule", "badge", "integrity", "review", "rescore"],
        )
        db.execute('DELETE FROM "standing"')
        db.execute('DELETE FROM "counter"')
        db.execute('DELETE FROM "scoring_checkpoint"')
        db.execute(
            'UPDATE "event" SET status = ?, reason = NULL, ruleset_version = NULL '
            "WHERE status IN (?, ?, ?, ?, ?)",
            ["pending", "done", "parked", "held", "late", "duplicate"],
        )
        deltas = StandingDeltas()
        for employee_id, points, occurred_raw in db.query(
            'SELECT employee, points, occurred_at FROM "ledger_entry" ORDER BY id'
        ):
            occurred = db.read_ts(occurred_raw)
            rules = book.for_time(occurred) or book.current
            if rules is not None:
                deltas.add(employee_id, tuple(rules.periods(occurred)), points, db.ts(occurred))
        deltas.write(db)
    return process_pending(db, book, batch_size, on_batch)
