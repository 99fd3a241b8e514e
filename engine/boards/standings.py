"""Standings: each employee's score per board and period, kept in step with the ledger.

A ledger entry counts in five periods: its day, ISO week, month, quarter, and all time. Deltas of a whole
batch are summed in memory and written with one upsert per key, so a busy employee costs one row per period
and batch, not one per event. Scopes (the company, a team) are not stored: a team's board is the company's
scores filtered by team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.defaults import ALL_TIME, BOARD_POINTS
from engine.storage.database import Database

__all__ = ["ALL_TIME", "StandingDeltas"]


@dataclass
class StandingDeltas:
    """Score changes of one batch: ``(board, period, employee) -> [points, latest occurred_at]``.

    Times are kept as the database stores them (``Database.ts``); both forms order like the instants they name.
    """

    deltas: dict[tuple[str, str, int], list[Any]] = field(default_factory=dict)

    def add(
        self,
        employee_id: int,
        period_keys: tuple[str, ...],
        points: int,
        at: Any,
        board: str = BOARD_POINTS,
    ) -> None:
        deltas = self.deltas
        for period in (*period_keys, ALL_TIME):
            key = (board, period, employee_id)
            d = deltas.get(key)
            if d is None:
                deltas[key] = [points, at]
            else:
                d[0] += points
                if at > d[1]:
                    d[1] = at

    def write(self, db: Database) -> None:
        """Upsert every key: only the sum of the deltas and the latest time matter, not the order of batches."""
        db.insert_rows(
            "standing",
            ("board", "period", "employee", "score", "reached_at"),
            [(*key, pts, at) for key, (pts, at) in self.deltas.items()],
            ("board", "period", "employee"),
            'DO UPDATE SET score = "standing".score + excluded.score, '
            f'reached_at = {db.greatest}("standing".reached_at, excluded.reached_at)',
        )
