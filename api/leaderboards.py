"""``GET /v1/leaderboards/{board}``: top N, the asker's own rank even outside the page, and team boards.

Served from the in-memory boards (loaded from the standings on first use, kept in step by the worker), so
top 10 and around-me cost microseconds, not a SQL COUNT per request. Visibility is the employee's choice:
hidden people are left out of everyone else's view (and ranks are counted among the visible), team-only people
appear on their team's board only; everyone always sees themselves.
"""

from __future__ import annotations

from datetime import datetime

import anyio
import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from api.auth import Principal, requires_read
from api.problems import problem
from api.runtime import Runtime
from engine.boards import Board, Entry
from engine.employees import Directory, Person
from engine.leaderboard import PERIOD_NAMES, period_key

__all__ = ["BoardView", "LeaderboardController", "Row", "TeamRow"]


class Row(msgspec.Struct):
    rank: int
    employee: str
    name: str
    team: str
    points: int
    me: bool = False


class TeamRow(msgspec.Struct):
    rank: int
    team: str
    members: int
    points: int
    per_member: float


class BoardView(msgspec.Struct):
    board: str
    period: str
    ties: str
    team: str | None
    rows: list[Row]
    me: Row | None = None
    around: list[Row] = []
    teams: list[TeamRow] = []


def _rows(entries: list[Entry], directory: Directory, viewer: str | None) -> list[Row]:
    # An id the directory does not know yet (a roster change since it was loaded) is left out until it is.
    return [_row(e, p, viewer) for e in entries if (p := directory.get(e.employee)) is not None]


def _row(entry: Entry, person: Person, viewer: str | None) -> Row:
    return Row(
        entry.rank,
        person.external_id,
        person.name,
        person.team,
        entry.score,
        person.external_id == viewer,
    )


class LeaderboardController(Controller):
    path = "/v1/leaderboards"
    tags = ["leaderboards"]
    guards = [requires_read]

    @get("/{board:str}")
    async def board(
        self,
        request: Request,
        state: State,
        board: FromPath[str],
        period: str = Parameter(
            default="month", description=f"{', '.join(PERIOD_NAMES)} or a key like 2026-W45"
        ),
        at: datetime | None = Parameter(
            default=None, description="a moment inside the period (default now)"
        ),
        team: str | None = Parameter(default=None, description="one team's board"),
        limit: int = Parameter(default=10, ge=1, le=100),
        around: str | None = Parameter(
            default=None, description="an employee to centre 'around' on (default: me)"
        ),
        by: str = Parameter(
            default="employee", description="employee, or team for points per active member"
        ),
    ) -> BoardView:
        """A leaderboard for a period, for the company or one team."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        rules = runtime.rules
        if period not in PERIOD_NAMES and not period[:4].isdigit():
            raise problem(
                422,
                "unknown period",
                [f"period: expected one of {', '.join(PERIOD_NAMES)} or a key like 2026-W45"],
            )
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=rules.timezone)
        key = period_key(rules, period, at)
        boards = runtime.boards
        full = boards.get(board, key)
        if full is None:
            # The first ask for this period loads it from the standings, off the event loop.
            full = await anyio.to_thread.run_sync(lambda: boards.ensure(runtime.db(), board, key))
        if by == "team":
            return BoardView(board, key, rules.ties, None, [], teams=_team_rows(full, runtime))
        if by != "employee":
            raise problem(422, "unknown grouping", ["by: expected employee or team"])
        directory = runtime.directory
        viewer = principal.employee
        if team is None:
            # The company board as others see it: public employees only, ranked among themselves.
            shown = boards.public(board, key) or full
            keep = None
        else:
            if team not in directory.teams():
                raise problem(404, f"no team {team!r}")
            shown = boards.team(board, key, team) or Board(rules.ties)

            def keep(employee_id: int) -> bool:
                p = directory.get(employee_id)
                return p is not None and (p.visibility != "hidden" or p.external_id == viewer)

        entries = shown.top(limit) if keep is None else shown.top_where(limit, keep)
        view = BoardView(
            board,
            key,
            rules.ties,
            team,
            _rows(entries, directory, viewer),
        )
        centre = directory.find(around or viewer or "")
        if around is not None and (
            centre is None
            or (not principal.may_see(centre.external_id) and centre.visibility != "public")
        ):
            raise problem(404, f"{around!r} is not on this board")
        if centre is None or (team is not None and centre.team != team):
            return view
        mine = full.entry_of(centre.id)
        if mine is None:
            return view  # no points in this period yet
        if keep is None:
            placed = runtime.company_rank(board, key, centre.id)
            if placed is not None:
                view.me = _row(
                    Entry(centre.id, mine.score, mine.reached_at, placed[0]), centre, viewer
                )
            if centre.id in shown:
                view.around = _rows(shown.around(centre.id), directory, viewer)
        else:
            rank = shown.rank_where(centre.id, keep)
            if rank is not None:
                view.me = _row(Entry(centre.id, mine.score, mine.reached_at, rank), centre, viewer)
        return view


def _team_rows(live: Board, runtime: Runtime) -> list[TeamRow]:
    """Points per active member: team sizes differ, so raw sums would crown the biggest team."""
    sizes = runtime.directory.teams()
    totals: dict[str, int] = dict.fromkeys(sizes, 0)
    directory = runtime.directory.by_id
    for entry in live:
        p = directory.get(entry.employee)
        if p is not None and p.active and p.team in totals:
            totals[p.team] += entry.score
    ordered = sorted(totals, key=lambda t: (-totals[t] / sizes[t], t))
    out: list[TeamRow] = []
    for i, t in enumerate(ordered):
        per = round(totals[t] / sizes[t], 2)
        rank = out[-1].rank if out and out[-1].per_member == per else i + 1
        out.append(TeamRow(rank, t, sizes[t], totals[t], per))
    return out
