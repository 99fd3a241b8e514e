"""``POST /v1/events``: up to 1,000 canonical events per request, a result for each.

One bad event never blocks the good ones: each gets ``accepted``, ``duplicate`` (known source + id, no effect)
or ``rejected`` with its reasons, and the request is answered 202 as long as the batch itself is well formed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIType, Schema

from api.auth import requires_events_write
from api.config import ApiConfig
from api.problems import problem
from api.runtime import Runtime

__all__ = ["BatchResult", "EventResult", "EventsController"]


class EventResult(msgspec.Struct):
    index: int
    id: str | None
    status: str
    errors: list[str] = []


class BatchResult(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult]


#: The body, read raw: ``{"events": [...]}`` or a bare list of 1 to 1,000 canonical events (README, "Events").
#: Items are not constrained here on purpose: each event is checked on its own, and one that is not valid is
#: answered ``rejected`` with its reasons while the rest of the batch is stored (202).
_EVENTS = Schema(
    type=OpenAPIType.ARRAY, items=Schema(), min_items=1, max_items=ApiConfig.max_batch_events
)
EVENT_BATCH = Schema(
    one_of=[
        Schema(type=OpenAPIType.OBJECT, required=["events"], properties={"events": _EVENTS}),
        _EVENTS,
    ]
)


class EventsController(Controller):
    path = "/v1/events"
    tags = ["intake"]
    guards = [requires_events_write]

    @post("/", status_code=202, opt={"request_body": EVENT_BATCH})
    async def batch(self, request: Request, state: State) -> BatchResult:
        """Store a batch of canonical events (``{"events": [...]}`` or a bare list); the worker scores them."""
        runtime: Runtime = state.runtime
        try:
            body: Any = msgspec.json.decode(await request.body())
        except msgspec.DecodeError as exc:
            raise problem(400, f"body is not valid JSON: {exc}") from None
        events = body.get("events") if isinstance(body, dict) else body
        if not isinstance(events, list):
            raise problem(422, 'expected {"events": [...]}', ["events: expected a list of events"])
        limit = runtime.config.max_batch_events
        if not events or len(events) > limit:
            raise problem(
                422, "batch size", [f"events: expected 1 to {limit} events, got {len(events)}"]
            )
        outcomes = await asyncio.wrap_future(runtime.store(events))
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for o in outcomes:
            counts[o.status] += 1
        return BatchResult(
            counts["accepted"],
            counts["duplicate"],
            counts["rejected"],
            [EventResult(o.index, o.id, o.status, list(o.errors)) for o in outcomes],
        )
