"""``/v1/awards``: closed awards (employee of the month), their archived boards, HR approval and the shareable card.

Closing happens in the scheduler or the CLI (``plaudit awards close``); this controller reads what was decided
and lets HR approve a shortlisted candidate. The shortlist and its open review flags are HR's business: other
callers see winners only.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, Parameter

from api.auth import Principal, requires_admin, requires_read
from api.problems import problem
from api.runtime import Runtime
from engine.rewards.awards import (
    AwardResultRow,
    BoardArchiveRow,
    approve_award,
    archived_board,
    award_card,
    award_results,
)

__all__ = ["AwardController"]


class AwardResultView(AwardResultRow, frozen=True, kw_only=True):
    #: The shareable 1200x627 PNG (winners).
    card: str


class ArchivedBoard(msgspec.Struct):
    award: str
    period: str
    rows: list[BoardArchiveRow]


def _view(r: AwardResultRow) -> AwardResultView:
    return AwardResultView(**msgspec.structs.asdict(r), card=f"/v1/awards/{r.id}/card.png")


def _result_id(text: str) -> int:
    """A result id from the path; anything else is an unknown result (404), never a server error."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise problem(404, f"no award result {text!r}")
    return int(text)


class AwardController(Controller):
    path = "/v1/awards"
    tags = ["awards"]
    guards = [requires_read]

    @get("/", sync_to_thread=True)
    def results(
        self,
        request: Request,
        state: State,
        limit: int = Parameter(default=100, ge=1, le=1000),
    ) -> list[AwardResultView]:
        """Award results, newest close first. HR sees shortlists too, and each candidate's integrity flags
        still open in the review queue (``open_flags``); everyone else sees winners, with no flags."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        rows = award_results(runtime.db(), limit=limit)
        if not principal.is_admin:
            rows = [msgspec.structs.replace(r, open_flags=0) for r in rows if r.status == "winner"]
        return [_view(r) for r in rows]

    @get("/{award:str}/{period:str}/board", sync_to_thread=True)
    def board(self, state: State, award: FromPath[str], period: FromPath[str]) -> ArchivedBoard:
        """The period's points board as it stood when the award closed (later events do not change it)."""
        runtime: Runtime = state.runtime
        rows = archived_board(runtime.db(), award, period)
        if rows is None:
            raise problem(404, f"award {award!r} is not closed for {period!r}")
        return ArchivedBoard(award, period, rows)

    @post("/{result:str}/approve", guards=[requires_admin], status_code=200, sync_to_thread=True)
    def approve(
        self, request: Request, state: State, result: FromPath[str]
    ) -> list[AwardResultView]:
        """HR approves a shortlisted candidate: the winner is rewarded, the rest of the shortlist is not
        selected. 409 when the result is decided already."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        result_id = _result_id(result)
        db = runtime.db()
        with runtime.pages.writing():
            outcome = approve_award(db, runtime.rules, result_id, principal.name)
            runtime.pages.scored(db, outcome.deltas)
        return [_view(r) for r in outcome.results]

    @get("/{result:str}/card.png", sync_to_thread=True, media_type="image/png")
    def card(self, state: State, result: FromPath[str]) -> Response[bytes]:
        """The shareable award card: a 1200x627 PNG with the winner, the award, the month and the company."""
        runtime: Runtime = state.runtime
        card = award_card(runtime.db(), runtime.rules, _result_id(result))
        if card is None:
            raise problem(404, f"no award result {result!r}")
        return Response(
            runtime.award_cards.get(card),
            media_type="image/png",
            headers={"cache-control": "private, max-age=3600"},
        )
