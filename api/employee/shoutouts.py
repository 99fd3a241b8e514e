"""``/v1/shoutouts``: give a colleague recognition for a company value; read the feed.

The giver is the signed-in employee (HR may give on someone's behalf with ``giver``). Recipients earn points
through the rules as a ``shoutout_received`` event, scored by the worker like any other activity.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from api.auth import Principal, requires_read
from api.problems import ID_LIMIT, problem
from api.runtime import Runtime
from engine.people.shoutouts import ShoutoutView, allowance, feed, give_shoutout

__all__ = ["NewShoutout", "ShoutoutController", "ShoutoutItem"]


class NewShoutout(msgspec.Struct, forbid_unknown_fields=True):
    recipients: list[str]
    value: str
    message: str
    giver: str | None = None


class Recipient(msgspec.Struct):
    employee: str
    name: str


class ShoutoutItem(msgspec.Struct):
    id: int
    giver: str
    giver_name: str
    recipients: list[Recipient]
    value: str
    message: str
    created_at: datetime


class Feed(msgspec.Struct):
    shoutouts: list[ShoutoutItem]
    next_cursor: int | None


class Given(msgspec.Struct):
    shoutout: ShoutoutItem
    allowance_left: int
    period: str


def _item(view: ShoutoutView) -> ShoutoutItem:
    return ShoutoutItem(
        view.id,
        view.giver,
        view.giver_name,
        [Recipient(**r) for r in view.recipients],
        view.value,
        view.message,
        view.created_at,
    )


class ShoutoutController(Controller):
    path = "/v1/shoutouts"
    tags = ["shoutouts"]
    guards = [requires_read]

    @post("/", sync_to_thread=True, status_code=201)
    def give(self, request: Request, state: State, data: JSONBody[NewShoutout]) -> Given:
        """Give a shoutout (allowance per month, no self-shoutouts, a company value from rules.yaml)."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        if data.giver is not None and data.giver != principal.employee and not principal.is_admin:
            raise problem(403, "only HR gives a shoutout on someone else's behalf")
        giver = data.giver or principal.employee
        if giver is None:
            raise problem(
                422, "who gives it?", ["giver: an API key or HR token must name the giver"]
            )
        db, rules = runtime.db(), runtime.rules
        view = give_shoutout(db, rules, giver, data.recipients, data.value, data.message)
        runtime.worker.wake()
        person = runtime.directory.find(giver)
        left = allowance(db, rules, person.id) if person else None
        return Given(_item(view), left.left if left else 0, left.period if left else "")

    @get("/", sync_to_thread=True)
    def list(
        self,
        state: State,
        team: str | None = Parameter(
            default=None, description="shoutouts given or received by a team"
        ),
        cursor: int | None = Parameter(
            default=None, ge=1, le=ID_LIMIT, description="next_cursor of the previous page"
        ),
        limit: int = Parameter(default=20, ge=1, le=100),
    ) -> Feed:
        """The recognition feed, newest first."""
        runtime: Runtime = state.runtime
        views = feed(runtime.db(), team=team, before=cursor, limit=limit)
        return Feed([_item(v) for v in views], views[-1].id if len(views) == limit else None)
