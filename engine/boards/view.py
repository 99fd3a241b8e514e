"""A leaderboard as one person sees it: the top N, their own row even off the page (or with no points yet),
the rows around them, a team's board, or teams ranked by points per member.

Served by the board pages (``engine.boards.pages``): the in-memory boards of the embedded default or the Redis
sorted sets of the scaled setup (SQL while Redis is down), so top 10 and around-me never cost a SQL COUNT per
request while the boards are up. Visibility is the employee's choice: hidden people are left out of everyone
else's view (and ranks are counted among the visible), team-only people appear on their team's board only;
everyone always sees themselves. The API and the board page both answer with this view.
"""

from __future__ import annotations

import msgspec

from engine.boards.pages import BoardPage, BoardPages, team_page
from engine.boards.redis import Row as PageRow
from engine.people.directory import Directory, Person

__all__ = ["BoardView", "Row", "TeamRow", "board_view"]


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


def board_view(
    pages: BoardPages,
    directory: Directory,
    ties: str,
    board: str,
    key: str,
    team: str | None,
    limit: int,
    centre: Person | None,
    viewer: str | None,
    by: str = "employee",
) -> BoardView:
    """One board as ``viewer`` sees it (the API's answer and the board page's content); may query: call it off
    the event loop unless ``pages.is_instant``."""
    if by == "team":
        return BoardView(board, key, ties, None, [], teams=_team_rows(pages, directory, board, key))
    page = _page(pages, directory, board, key, team, limit, centre, viewer)
    me = _rows([page.me], directory, viewer)[0] if page.me else None
    if me is None and centre is not None and (team is None or centre.team == team):
        # Nothing in this period yet: the asker still sees themselves, with 0 points and no rank.
        me = Row(
            None, centre.external_id, centre.name, centre.team, 0, centre.external_id == viewer
        )
    return BoardView(
        board,
        key,
        ties,
        team,
        _rows(page.rows, directory, viewer),
        me=me,
        around=_rows(page.around, directory, viewer),
    )


def _page(
    pages: BoardPages,
    directory: Directory,
    board: str,
    period: str,
    team: str | None,
    limit: int,
    centre: Person | None,
    viewer: str | None,
) -> BoardPage:
    if team is None:
        # The company board as others see it: public employees only, ranked among themselves.
        return pages.company(board, period, limit, centre.id if centre else None)

    def keep(employee_id: int) -> bool:
        p = directory.get(employee_id)
        return p is not None and (p.visibility != "hidden" or p.external_id == viewer)

    on_team = centre is not None and centre.team == team
    return team_page(
        pages.team(board, period, team), limit, centre.id if on_team and centre else None, keep
    )


def _team_rows(pages: BoardPages, directory: Directory, board: str, period: str) -> list[TeamRow]:
    """Points per active member: team sizes differ, so raw sums would crown the biggest team."""
    sizes = directory.teams()
    totals = dict.fromkeys(sizes, 0) | {
        t: n for t, n in pages.team_totals(board, period).items() if t in sizes
    }
    ordered = sorted(totals, key=lambda t: (-totals[t] / sizes[t], t))
    out: list[TeamRow] = []
    for i, t in enumerate(ordered):
        per = round(totals[t] / sizes[t], 2)
        rank = out[-1].rank if out and out[-1].per_member == per else i + 1
        out.append(TeamRow(rank, t, sizes[t], totals[t], per))
    return out
