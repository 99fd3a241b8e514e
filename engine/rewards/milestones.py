"""Points milestones: a reward's message when an employee's all-time points cross its ``points`` (from below
it to at or above it), found in the scoring transaction from the batch's standings changes."""

from __future__ import annotations

from engine.boards.standings import StandingDeltas
from engine.defaults import ALL_TIME, BOARD_POINTS
from engine.rewards.outbox import RewardCause, queue_rewards
from engine.storage.database import Database
from rules import CompiledRules

__all__ = ["queue_milestones"]


def queue_milestones(db: Database, rules: CompiledRules, standings: StandingDeltas) -> int:
    """Messages for the all-time milestones this batch's points crossed; after ``standings.write``, in the
    same transaction (the stored total is the new one, so the old one is it minus the batch's delta)."""
    milestones = sorted({r.points for r in rules.rewards if r.trigger == "points_milestone"})
    if not milestones:
        return 0
    gained = {
        employee: delta[0]
        for (board, period, employee), delta in standings.deltas.items()
        if board == BOARD_POINTS and period == ALL_TIME and delta[0] > 0
    }
    if not gained:
        return 0
    totals = db.query_in(
        'SELECT employee, score FROM "standing" WHERE board = ? AND period = ? AND employee IN ({in})',
        sorted(gained),
        [BOARD_POINTS, ALL_TIME],
    )
    causes = [
        RewardCause(int(employee), {"milestone.points": mark, "points": score})
        for employee, score in totals
        for mark in milestones
        if score - gained[int(employee)] < mark <= score
    ]
    return queue_rewards(db, rules, "points_milestone", causes) if causes else 0
