"""``GET /v1/leaderboards/{board}``: top N, the asker's own rank even outside the page, and team boards.

The view itself (``engine.boards.view``) is shared with the board page; this controller checks the request
and decides whether the view may be built on the event loop (in-memory boards) or must go to a thread.
"""

from __future__ import annotations

from datetime import datetime

import anyio
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from api.auth import Principal, requires_read
from api.problems import problem
from api.runtime import Runtime
from engine.boards.sql import PERIOD_NAMES, period_key
from engine.boards.view import BoardView, board_view
from engine.defaults import BOARD_POINTS

__all__ = ["LeaderboardController"]


#: The boards there are: points (what rules and badges earn), by day, week, month, quarter and all time.
BOARDS = (BOARD_POINTS,)


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
        if board not in BOARDS:
            raise problem(
                404, f"no board {board!r}", [f"board: expected one of {', '.join(BOARDS)}"]
            )
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
            return board_view(
                runtime.pages,
                runtime.directory,
                rules.ties,
                board,
                key,
                team,
                limit,
                centre,
                viewer,
                by,
            )

        if runtime.pages.is_instant(board, key):
            return view()
        # Redis, or a first ask that loads the period from the standings: off the event loop.
        return await anyio.to_thread.run_sync(view)
