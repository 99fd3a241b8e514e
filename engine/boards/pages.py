"""What a leaderboard page shows, from wherever the boards live: in memory (embedded) or Redis (scaled).

The API asks the same three questions in both setups: the company board as others see it (public employees
ranked among themselves, plus the asker's own place even when hidden), one team's board, and points per team.
:class:`MemoryPages` answers from :class:`engine.boards.memory.Boards`, kept in step by the in-process worker;
:class:`RedisPages` answers from the Redis sorted sets the RQ workers write, and from SQL while Redis is down
or a board is absent from it, so a lost Redis makes pages slower, never wrong.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.boards.memory import Board, Boards, Keep
from engine.boards.redis import (
    PUBLIC,
    RedisBoards,
    Row,
    sql_members,
    sql_rank,
    sql_team_totals,
    sql_top,
    team_view,
)
from engine.people.directory import Directory
from engine.storage.database import Database
from engine.storage.redis_circuit import RedisCircuit

__all__ = ["BoardPage", "BoardPages", "MemoryPages", "RedisPages", "team_page"]

Deltas = dict[tuple[str, str, int], list[Any]]


@dataclass(frozen=True)
class BoardPage:
    """Rows are ``(employee_id, points, rank)``."""

    rows: list[Row]
    #: The centre employee's own row, ranked among what the page shows (hidden: the place they would have).
    me: Row | None = None
    #: The centre and their neighbours, when the centre is on the page's board.
    around: list[Row] = field(default_factory=list)


class BoardPages(Protocol):
    """The leaderboard reads and the writes that must reach them, whatever holds the boards."""

    def company(self, board: str, period: str, limit: int, centre: int | None) -> BoardPage:
        """The top ``limit`` of the public view, and the centre's place and neighbours in it."""
        ...

    def team(self, board: str, period: str, team: str) -> Board:
        """One team's active members, every visibility (the caller filters the hidden)."""
        ...

    def team_totals(self, board: str, period: str) -> dict[str, int]:
        """Points per team, active members of every visibility."""
        ...

    def is_instant(self, board: str, period: str) -> bool:
        """True when reading costs microseconds and no I/O (safe on the event loop)."""
        ...

    def writing(self) -> AbstractContextManager[Any]:
        """Hold it from before a commit that changes standings until :meth:`scored` has run."""
        ...

    def scored(self, db: Database, deltas: Deltas) -> None:
        """A batch (or an adjustment) committed: bring the boards up to date."""
        ...

    def keep(self, db: Database, board: str, periods: Iterable[str]) -> None:
        """Have these periods' boards ready before anyone asks and forget other periods' (a no-op where
        reading needs no loading)."""
        ...

    def refresh(self, db: Database, employee: int) -> None:
        """An employee's visibility or team changed."""
        ...


def team_page(board: Board, limit: int, centre: int | None, keep: Keep) -> BoardPage:
    """A team's page: the first ``limit`` kept members, and the centre's rank among the kept ones."""
    rows = [(e.employee, e.score, e.rank) for e in board.top_where(limit, keep)]
    mine = None if centre is None else board.entry_of(centre)
    if mine is None:
        return BoardPage(rows)
    rank = board.rank_where(mine.employee, keep)
    return BoardPage(rows, None if rank is None else (mine.employee, mine.score, rank))


class MemoryPages:
    """Pages from the process's in-memory boards (the embedded default)."""

    def __init__(self, boards: Boards, db: Callable[[], Database], directory: Directory) -> None:
        self.boards = boards
        self._db = db
        self._directory = directory

    def _views(self, board: str, period: str) -> tuple[Board, Board, dict[str, Board]]:
        return self.boards.views(self._db, board, period)

    def company(self, board: str, period: str, limit: int, centre: int | None) -> BoardPage:
        full, shown, _ = self._views(board, period)
        rows = [(e.employee, e.score, e.rank) for e in shown.top(limit)]
        mine = None if centre is None else full.entry_of(centre)
        if mine is None:
            return BoardPage(rows)
        rank = shown.rank_of(mine.employee)
        if rank is None:
            rank = shown.rank_if(mine.score, mine.reached_at, mine.employee)
        around = [(e.employee, e.score, e.rank) for e in shown.around(mine.employee)]
        return BoardPage(rows, (mine.employee, mine.score, rank), around)

    def team(self, board: str, period: str, team: str) -> Board:
        return self._views(board, period)[2].get(team) or Board(self.boards.ties)

    def team_totals(self, board: str, period: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        by_id = self._directory.by_id
        for entry in self._views(board, period)[0]:
            p = by_id.get(entry.employee)
            if p is not None and p.active and p.team:
                totals[p.team] = totals.get(p.team, 0) + entry.score
        return totals

    def is_instant(self, board: str, period: str) -> bool:
        return self.boards.get(board, period) is not None

    def writing(self) -> AbstractContextManager[Any]:
        return self.boards.writing

    def scored(self, db: Database, deltas: Deltas) -> None:
        self.boards.apply(deltas)

    def keep(self, db: Database, board: str, periods: Iterable[str]) -> None:
        self.boards.keep(db, periods, board)

    def refresh(self, db: Database, employee: int) -> None:
        self.boards.refresh(employee)


class RedisPages:
    """Pages from the Redis sorted sets of the scaled setup, and from SQL while Redis is down."""

    def __init__(
        self, boards: RedisBoards, db: Callable[[], Database], circuit: RedisCircuit
    ) -> None:
        self.redis = boards
        self.ties = boards.ties
        self._db = db
        self._circuit = circuit

    def _ask(self, read: Callable[[], Any]) -> Any:
        """``read()`` from Redis; None when Redis is down or recently was (the caller asks SQL)."""
        return self._circuit.call(read, "leaderboards read from SQL for now")

    def company(self, board: str, period: str, limit: int, centre: int | None) -> BoardPage:
        got = self._ask(lambda: self.redis.page(board, period, centre, limit, view=PUBLIC))
        if got is not None:
            rows, mine, around = got
            me = None if mine is None or centre is None else (centre, mine[1], mine[0])
            return BoardPage(rows, me, around)
        # SQL: the same rows and ranks; the neighbours are left out (an OFFSET scan per request).
        db = self._db()
        rows = sql_top(db, board, period, limit, self.ties, public=True)
        placed = (
            None if centre is None else sql_rank(db, board, period, centre, self.ties, public=True)
        )
        if centre is None or placed is None:
            return BoardPage(rows)
        return BoardPage(rows, (centre, placed[1], placed[0]))

    def team(self, board: str, period: str, team: str) -> Board:
        members = self._ask(lambda: self.redis.members(board, period, team_view(team)))
        if members is None:
            members = sql_members(self._db(), board, period, team)
        return Board.from_rows(members, self.ties)

    def team_totals(self, board: str, period: str) -> dict[str, int]:
        # One GROUP BY in the database rather than reading every team's ZSET out of Redis.
        return sql_team_totals(self._db(), board, period)

    def is_instant(self, board: str, period: str) -> bool:
        return False

    def writing(self) -> AbstractContextManager[Any]:
        # Redis gets the absolute scores read back after the commit: no count twice to guard against.
        return contextlib.nullcontext()

    def scored(self, db: Database, deltas: Deltas) -> None:
        self._circuit.call(
            lambda: self.redis.publish(db, deltas), "boards not updated; reconcile will repair them"
        )

    def keep(self, db: Database, board: str, periods: Iterable[str]) -> None:
        pass

    def refresh(self, db: Database, employee: int) -> None:
        self._circuit.call(
            lambda: self.redis.refresh(db, employee),
            f"views of employee {employee} not updated; reconcile will repair them",
        )
