"""``/v1/outbox``: HR sees the reward messages sent to its HR systems and re-sends the dead ones."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from api.auth import requires_admin
from api.problems import ID_LIMIT, problem
from api.runtime import Runtime
from engine.rewards.outbox import OutboxLine, list_messages, retry_messages

__all__ = ["OutboxController"]

Status = Literal["pending", "sending", "delivered", "dead", "cancelled"]


class OutboxPage(msgspec.Struct):
    messages: list[OutboxLine]
    #: Pass as ``before`` for the next (older) page; None on the last one.
    next_before: int | None


class RetryRequest(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[int] = []
    all_dead: bool = False
    connector: str | None = None


class RetryDone(msgspec.Struct):
    requeued: int
    connectors_enabled: list[str]


class OutboxController(Controller):
    path = "/v1/outbox"
    tags = ["hr"]
    guards = [requires_admin]

    @get("/", sync_to_thread=True)
    def list(
        self,
        state: State,
        status: Status | None = Parameter(default=None, description="only messages in this state"),
        connector: str | None = Parameter(default=None, description="only this connector's"),
        limit: int = Parameter(default=50, ge=1, le=500),
        before: int | None = Parameter(default=None, ge=1, le=ID_LIMIT),
    ) -> OutboxPage:
        """Newest first: each message's state, attempts, last error and next attempt."""
        lines = list_messages(state.runtime.db(), status, connector, limit, before)
        return OutboxPage(lines, lines[-1].id if len(lines) == limit else None)

    @post("/retry", sync_to_thread=True, status_code=200)
    def retry(self, state: State, data: JSONBody[RetryRequest]) -> RetryDone:
        """Send dead messages again (by id, every dead one, or a connector's), with a fresh schedule; a
        disabled connector is enabled again. Delivered messages are never sent twice."""
        if not data.ids and not data.all_dead and data.connector is None:
            raise problem(
                422, "nothing to retry", ["ids: name messages, or set all_dead or connector"]
            )
        runtime: Runtime = state.runtime
        count, enabled = retry_messages(
            runtime.db(),
            data.ids,
            all_dead=data.all_dead,
            connector=data.connector,
        )
        if runtime.outbox is not None:
            runtime.outbox.wake()
        return RetryDone(count, enabled)
