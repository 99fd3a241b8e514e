"""Leaderboards read from the standings: top N of a board and period, for the company or one team.

Visibility is the employee's choice: ``public`` appears everywhere, ``team`` only on the own team's board,
``hidden`` on no board (the employee still earns and sees their own rank). Ranks are standard competition
ranking ("1224"): equal scores share a rank; order among equals is by who reached the score first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import clock
from engine.defaults import BOARD_POINTS
from engine.storage.tables import Standing
from rules import CompiledRules

__all__ = ["PERIOD_NAMES", "BoardRow", "period_key", "top"]

PERIOD_NAMES = ("day", "week", "month", "quarter", "all")


@dataclass(frozen=True)
class BoardRow:
    rank: int
    employee: str
    name: str
    team: str
    score: int
    reached_at: datetime


def period_key(rules: CompiledRules, period: str, at: datetime | None = None) -> str:
    """The key of ``period`` (day, week, month, quarter, all) containing ``at`` in the program's time zone.

    A key itself (``2026-W45``, ``2026-11``) is passed through, so a closed period can be named directly.
    """
    if period == "all":
        return "all"
    if period in PERIOD_NAMES:
        return getattr(rules.periods(at or clock.now()), period)
    return period


async def top(
    period: str,
    team: str | None = None,
    limit: int = 10,
    board: str = BOARD_POINTS,
) -> list[BoardRow]:
    """The first ``limit`` visible employees of a board (the company's, or one team's), ranked."""
    employee = Standing.employee
    where = (
        (Standing.board == board) & (Standing.period == period) & (employee.active == True)  # noqa: E712 - Piccolo builds SQL from the comparison
    )
    if team is None:
        where &= employee.visibility == "public"
    else:
        where &= (employee.team == team) & employee.visibility.is_in(["public", "team"])
    rows = (
        await Standing.select(
            employee.external_id.as_alias("employee"),
            employee.name.as_alias("name"),
            employee.team.as_alias("team"),
            Standing.score,
            Standing.reached_at,
        )
        .where(where)
        .order_by(Standing.score, ascending=False)
        .order_by(Standing.reached_at, employee.external_id)
        .limit(limit)
    )
    out: list[BoardRow] = []
    for i, r in enumerate(rows):
        rank = out[-1].rank if out and out[-1].score == r["score"] else i + 1
        out.append(BoardRow(rank, r["employee"], r["name"], r["team"], r["score"], r["reached_at"]))
    return out
