"""``POST /v1/events``: up to 1,000 canonical events per request, a result for each.

One bad event never blocks the good ones: each gets ``accepted``, ``duplicate`` (known source + id, no effect)
or ``rejected`` with its reasons, and the request is answered 202 as long as the batch itself is well formed.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import State

from api.auth import requires_events_write
from api.problems import problem
from api.runtime import Runtime
from engine.intake import accept_events

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


class EventsController(Controller):
    path = "/v1/events"
    tags = ["intake"]
    guards = [requires_events_write]

    @post("/", status_code=202)
    async def batch(self, request: Request, state: State) -> BatchResult:
        """Store a batch of canonical events (``{"events": [...]}`` or a bare list); the worker scores them."""
        return await anyio.to_thread.run_sync(_batch, state.runtime, await request.body())


def _batch(runtime: Runtime, data: bytes) -> BatchResult:
    try:
        body: Any = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise problem(400, f"body is not valid JSON: {exc}") from None
    events = body.get("events") if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise problem(422, 'expected {"events": [...]}', ["events: expected a list of events"])
    if not events or len(events) > runtime.config.max_batch_events:
        raise problem(
            422,
            "batch size",
            [f"events: expected 1 to {runtime.config.max_batch_events} events, got {len(events)}"],
        )
    outcomes = accept_events(runtime.db(), events, runtime.rules)
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for o in outcomes:
        counts[o.status] += 1
    for status, n in counts.items():
        if n:
            runtime.intake.count(status, "batch", n)
    if counts["accepted"]:
        runtime.worker.wake()
    return BatchResult(
        counts["accepted"],
        counts["duplicate"],
        counts["rejected"],
        [EventResult(o.index, o.id, o.status, list(o.errors)) for o in outcomes],
    )
