"""``POST /v1/adjustments``: HR gives or takes points with a reason, a ledger entry naming who did it."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.auth import Principal, requires_admin
from api.openapi import problem_answer
from api.runtime import Runtime
from engine.scoring.adjustments import adjust

__all__ = ["AdjustmentController"]


class NewAdjustment(msgspec.Struct, forbid_unknown_fields=True):
    employee: str
    points: int
    why: str
    at: datetime | None = None


class AdjustmentMade(msgspec.Struct):
    entry: int
    employee: str
    points: int
    occurred_at: datetime
    actor: str


class AdjustmentController(Controller):
    path = "/v1/adjustments"
    tags = ["hr"]
    guards = [requires_admin]

    @post(
        "/",
        sync_to_thread=True,
        status_code=201,
        responses={404: problem_answer("No such employee")},
    )
    def create(
        self, request: Request, state: State, data: JSONBody[NewAdjustment]
    ) -> AdjustmentMade:
        """Give or take points with a reason: a ledger entry naming who did it and why."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        at = (
            data.at.replace(tzinfo=runtime.rules.timezone)
            if data.at and data.at.tzinfo is None
            else data.at
        )
        with runtime.pages.writing():
            made = adjust(
                runtime.db(),
                runtime.book,
                data.employee,
                data.points,
                data.why,
                principal.name,
                at,
            )
            runtime.pages.scored(runtime.db(), made.deltas)
        return AdjustmentMade(
            made.entry_id, made.employee, made.points, made.occurred_at, principal.name
        )
