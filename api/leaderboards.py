"""``GET /v1/leaderboards/{board}``: top N, the asker's own rank even outside the page, and team boards.

Served by ``runtime.pages`` (engine.boards.pages): the in-memory boards of the embedded default or the Redis
sorted sets of the scaled setup (SQL while Redis is down), so top 10 and around-me never cost a SQL COUNT per
request while the boards are up. Visibility is the employee's choice:
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
from engine.boards.pages import BoardPage, team_page
from engine.boards.redis import Row as PageRow
from engine.boards.sql import PERIOD_NAMES, period_key
from engine.people.directory import Directory, Person

__all__ = ["BoardView", "LeaderboardController", "Row", "TeamRow", "board_view"]


class Row(msgspec.Struct):
    #: None: no points in the period yet, so not ranked (the asker's own row, shown all the same).
    rank: int | None
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


def _rows(rows: list[PageRow], directory: Directory, viewer: str | None) -> list[Row]:
    # An id the directory does not know yet (a roster change since it was loaded) is left out until it is.
    return [
        Row(rank, p.external_id, p.name, p.team, points, p.external_id == viewer)
        for employee, points, rank in rows
        if (p := directory.get(employee)) is not None
    ]


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
        if by not in ("employee", "team"):
            raise problem(422, "unknown grouping", ["by: expected employee or team"])
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=rules.timezone)
        key = period_key(rules, period, at)
        directory = runtime.directory
        if team is not None and team not in directory.teams():
            raise problem(404, f"no team {team!r}")
        viewer = principal.employee
        centre = directory.find(around or viewer or "")
        if around is not None and (
            centre is None
            or (not principal.may_see(centre.external_id) and centre.visibility != "public")
        ):
            raise problem(404, f"{around!r} is not on this board")

        def view() -> BoardView:
            return board_view(runtime, board, key, team, limit, centre, viewer, by)

        if runtime.pages.is_instant(board, key):
            return view()
        # Redis, or a first ask that loads the period from the standings: off the event loop.
        return await anyio.to_thread.run_sync(view)


def board_view(
    runtime: Runtime,
    board: str,
    key: str,
    team: str | None,
    limit: int,
    centre: Person | None,
    viewer: str | None,
    by: str = "employee",
) -> BoardView:
    """One board as ``viewer`` sees it (the API's answer and the board page's content); may query: call it off
    the event loop unless ``runtime.pages.is_instant``."""
    rules = runtime.rules
    if by == "team":
        return BoardView(board, key, rules.ties, None, [], teams=_team_rows(runtime, board, key))
    directory = runtime.directory
    page = _page(runtime, board, key, team, limit, centre, viewer)
    me = _rows([page.me], directory, viewer)[0] if page.me else None
    if me is None and centre is not None and (team is None or centre.team == team):
        # Nothing in this period yet: the asker still sees themselves, with 0 points and no rank.
        me = Row(
            None, centre.external_id, centre.name, centre.team, 0, centre.external_id == viewer
        )
    return BoardView(
        board,
        key,
        rules.ties,
        team,
        _rows(page.rows, directory, viewer),
        me=me,
        around=_rows(page.around, directory, viewer),
    )


def _page(
    runtime: Runtime,
    board: str,
    period: str,
    team: str | None,
    limit: int,
    centre: Person | None,
    viewer: str | None,
) -> BoardPage:
    pages = runtime.pages
    if team is None:
        # The company board as others see it: public employees only, ranked among themselves.
        return pages.company(board, period, limit, centre.id if centre else None)
    directory = runtime.directory

    def keep(employee_id: int) -> bool:
        p = directory.get(employee_id)
        return p is not None and (p.visibility != "hidden" or p.external_id == viewer)

    on_team = centre is not None and centre.team == team
    return team_page(
        pages.team(board, period, team), limit, centre.id if on_team and centre else None, keep
    )


def _team_rows(runtime: Runtime, board: str, period: str) -> list[TeamRow]:
    """Points per active member: team sizes differ, so raw sums would crown the biggest team."""
    sizes = runtime.directory.teams()
    totals = dict.fromkeys(sizes, 0) | {
        t: n for t, n in runtime.pages.team_totals(board, period).items() if t in sizes
    }
    ordered = sorted(totals, key=lambda t: (-totals[t] / sizes[t], t))
    out: list[TeamRow] = []
    for i, t in enumerate(ordered):
        per = round(totals[t] / sizes[t], 2)
        rank = out[-1].rank if out and out[-1].per_member == per else i + 1
        out.append(TeamRow(rank, t, sizes[t], totals[t], per))
    return out
