"""The leaderboard page: period tabs, company or my team, my rank even off the top, around me, badges."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from admin.pages._page import PageController, render, runtime_of, viewer_of
from engine.boards.sql import period_key
from engine.boards.view import BoardView, board_view
from engine.defaults import BOARD_POINTS
from engine.rewards.badges import badges_of

__all__ = ["BoardPage"]

#: The tabs, in order; the API knows ``day`` too, too short to compete in.
PERIOD_TABS = ("week", "month", "quarter", "all")
#: Rows above and below me when I am off the top.
TOP = 10


class BoardPage(PageController):
    @get("/")
    async def home(self) -> Redirect:
        return Redirect("/board")

    @get("/board", sync_to_thread=True)
    def board(
        self,
        request: Request,
        period: FromQuery[str] = "month",
        whose: Annotated[str, QueryParameter(name="scope")] = "company",
    ) -> Template:
        runtime = runtime_of(request)
        viewer = viewer_of(request)
        if period not in PERIOD_TABS:
            raise HTTPException(status_code=404, detail=f"no period {period!r}")
        directory = runtime.directory
        person = directory.find(viewer.employee) if viewer and viewer.employee else None
        team = person.team if person and whose == "team" and person.team else None
        key = period_key(runtime.rules, period)
        view: BoardView = board_view(
            runtime.pages,
            directory,
            runtime.rules.ties,
            BOARD_POINTS,
            key,
            team,
            TOP,
            person,
            person.external_id if person else None,
        )
        shown = [*view.rows, *view.around, *([view.me] if view.me else [])]
        found = {
            row.employee: p for row in shown if (p := directory.find(row.employee)) is not None
        }
        held = badges_of(runtime.db(), [p.id for p in found.values()]) if found else {}
        names = {b.id: b.name for b in runtime.rules.badges}
        chips = {
            employee: [(names.get(badge, badge), tier) for badge, tier in held.get(p.id, [])[:3]]
            for employee, p in found.items()
        }
        top_ids = {row.employee for row in view.rows}
        around = [row for row in view.around if row.employee not in top_ids]
        listed = top_ids | {row.employee for row in around}
        # Hidden from others, or on a team tab without around-me rows: my own rank still shows.
        alone = view.me if view.me and view.me.employee not in listed else None
        return render(
            request,
            "board.html",
            view=view,
            period=period,
            periods=PERIOD_TABS,
            scope="team" if team else "company",
            team=team,
            around=around,
            alone=alone,
            chips=chips,
            hidden=person is not None and person.visibility == "hidden",
        )
