"""``/v1/review``: the cases HR decides on, late events for closed months and integrity signals, with their
evidence; approving or rejecting one is audited (engine.scoring.review)."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from api.auth import Principal, requires_admin
from api.problems import ID_LIMIT
from api.runtime import Runtime
from engine.scoring.review import ReviewLine, decide, review_items

__all__ = ["ReviewController"]


class Decision(msgspec.Struct, forbid_unknown_fields=True):
    note: str = msgspec.field(default="")


class ReviewController(Controller):
    path = "/v1/review"
    tags = ["hr"]
    guards = [requires_admin]

    @get("/", sync_to_thread=True)
    def list_cases(
        self,
        state: State,
        status: Literal["open", "approved", "rejected", "noted", "all"] = Parameter(
            default="open", description="the cases in this state (all: every case)"
        ),
        after: int = Parameter(default=0, ge=0, le=ID_LIMIT, description="cases after this id"),
        limit: int = Parameter(default=100, ge=1, le=500),
    ) -> list[ReviewLine]:
        """The review queue, oldest first: late events and what the integrity signals caught."""
        runtime: Runtime = state.runtime
        return review_items(runtime.db(), None if status == "all" else status, limit, after)

    @post("/{item_id:int}/approve", sync_to_thread=True, status_code=200)
    def approve(
        self,
        request: Request,
        state: State,
        item_id: int = Parameter(ge=1, le=ID_LIMIT),
        data: JSONBody[Decision | None] = None,
    ) -> ReviewLine:
        """Approve a case: a late event is scored into its closed month, held points count."""
        return self._decide(request, state, item_id, True, data)

    @post("/{item_id:int}/reject", sync_to_thread=True, status_code=200)
    def reject(
        self,
        request: Request,
        state: State,
        item_id: int = Parameter(ge=1, le=ID_LIMIT),
        data: JSONBody[Decision | None] = None,
    ) -> ReviewLine:
        """Reject a case: a late event is dropped, held points never count, flagged points are taken back."""
        return self._decide(request, state, item_id, False, data)

    def _decide(
        self, request: Request, state: State, item_id: int, approve: bool, data: Decision | None
    ) -> ReviewLine:
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        with runtime.pages.writing():
            decided = decide(
                runtime.db(),
                runtime.book,
                item_id,
                approve,
                principal.name,
                data.note if data else "",
            )
            runtime.pages.scored(runtime.db(), decided.deltas)
        if runtime.config.run_worker:
            runtime.worker.wake()  # an approved late event is pending again (scaled: the sweep queues it)
        return decided.item
