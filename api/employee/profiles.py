"""``/v1/employees/{id}``: own points, ranks, recent ledger entries with reasons, caps; visibility.

Employees see their own data; HR and API keys with ``read`` see everyone's. ``id`` is the external id or email.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, patch
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from api.auth import Principal, requires_read
from api.problems import ID_LIMIT, problem
from api.runtime import Runtime
from engine.defaults import BOARD_POINTS
from engine.people.directory import VISIBILITIES, Person, set_visibility
from engine.people.profile import LedgerLine, caps_reached, ledger_page, period_scores

__all__ = ["EmployeeController", "LedgerItem", "Profile", "ledger_item", "person_for", "profile_of"]


class LedgerItem(msgspec.Struct):
    id: int
    points: int
    kind: str
    rule: str | None
    ruleset_version: str | None
    reasons: list[str]
    occurred_at: datetime
    event: str | None


class PeriodPoints(msgspec.Struct):
    period: str
    points: int
    rank: int | None


class CapView(msgspec.Struct):
    cap: str
    description: str
    period: str
    used: float
    max: int
    reached: bool


class Profile(msgspec.Struct):
    employee: str
    name: str
    team: str
    visibility: str
    points: dict[str, PeriodPoints]
    recent: list[LedgerItem]
    caps: list[CapView]


class LedgerPage(msgspec.Struct):
    entries: list[LedgerItem]
    next_cursor: int | None


class VisibilityChange(msgspec.Struct, forbid_unknown_fields=True):
    visibility: str


def ledger_item(line: LedgerLine) -> LedgerItem:
    event = f"{line.event_source}:{line.event_id}" if line.event_source else None
    return LedgerItem(
        line.id,
        line.points,
        line.kind,
        line.rule_id,
        line.ruleset_version,
        line.reasons,
        line.occurred_at,
        event,
    )


def person_for(runtime: Runtime, principal: Principal, ref: str) -> Person:
    person = runtime.directory.find(ref)
    if person is None:
        raise problem(404, f"no employee {ref!r}")
    if not principal.may_see(person.external_id):
        raise problem(403, "employees see their own profile; HR sees everyone's")
    return person


def profile_of(runtime: Runtime, person: Person) -> Profile:
    db, rules = runtime.db(), runtime.rules
    points: dict[str, PeriodPoints] = {}
    for kind, item in period_scores(db, rules, person.id).items():
        me = runtime.pages.company(BOARD_POINTS, item["period"], 0, person.id).me
        points[kind] = PeriodPoints(item["period"], item["points"], me[2] if me else None)
    caps = [
        CapView(c.cap, c.description, c.period, c.used, c.max, c.reached)
        for c in caps_reached(db, rules, person.id)
    ]
    recent = [ledger_item(line) for line in ledger_page(db, person.id, limit=10)]
    return Profile(
        person.external_id, person.name, person.team, person.visibility, points, recent, caps
    )


class EmployeeController(Controller):
    path = "/v1/employees"
    tags = ["employees"]
    guards = [requires_read]

    @get("/{ref:str}", sync_to_thread=True)
    def profile(self, request: Request, state: State, ref: FromPath[str]) -> Profile:
        """Points and ranks per period, the last ledger entries with their reasons, caps in the current period."""
        runtime: Runtime = state.runtime
        return profile_of(runtime, person_for(runtime, request.user, ref))

    @get("/{ref:str}/ledger", sync_to_thread=True)
    def ledger(
        self,
        request: Request,
        state: State,
        ref: FromPath[str],
        cursor: int | None = Parameter(
            default=None, ge=1, le=ID_LIMIT, description="next_cursor of the previous page"
        ),
        limit: int = Parameter(default=50, ge=1, le=500),
    ) -> LedgerPage:
        """Every ledger entry of an employee, newest first, with the reasons ("why did I get these points?")."""
        runtime: Runtime = state.runtime
        person = person_for(runtime, request.user, ref)
        lines = ledger_page(runtime.db(), person.id, before=cursor, limit=limit)
        return LedgerPage(
            [ledger_item(line) for line in lines], lines[-1].id if len(lines) == limit else None
        )

    @patch("/{ref:str}", sync_to_thread=True)
    def change(
        self, request: Request, state: State, ref: FromPath[str], data: JSONBody[VisibilityChange]
    ) -> Profile:
        """Change visibility on public boards: public, team (own team's board only) or hidden."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        person = person_for(runtime, principal, ref)
        if principal.kind == "key" and not principal.is_admin:
            raise problem(403, "an API key with read scope cannot change an employee's choices")
        if data.visibility not in VISIBILITIES:
            raise problem(
                422,
                "unknown visibility",
                [f"visibility: expected one of {', '.join(VISIBILITIES)}"],
            )
        set_visibility(runtime.db(), person.id, data.visibility)
        runtime.directory.load(runtime.db())
        runtime.pages.refresh(runtime.db(), person.id)
        return profile_of(runtime, runtime.directory.by_id[person.id])
