"""Piccolo Admin at /admin/: HR browses and edits the data, behind the HR accounts' login.

HR signs in once at /login (the session cookie for /admin is set there) or on Piccolo Admin's own login page,
with the same ``hr_user`` account. Events, the ledger, badges and awards are read-only here: the ledger is
append-only (a correction is an adjustment with a reason), and badges and awards change through the engine so
that their Open Badges assertions, outbox messages and standings stay consistent.
"""

from __future__ import annotations

import json
import re
from functools import cache

import anyio
from litestar import asgi
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.runtime import Runtime
from engine.storage.audit import EMPLOYEE_EDITED, record
from engine.storage.tables import (
    AuditEntry,
    AwardClosing,
    AwardResult,
    BadgeAward,
    Employee,
    Event,
    HrSession,
    HrUser,
    LedgerEntry,
    OutboxMessage,
    Ruleset,
    Shoutout,
)

__all__ = ["piccolo_admin"]


def _read_only(*_: object, **__: object) -> None:
    raise StarletteHTTPException(status_code=405, detail="read-only here")


def _not_deleted(*_: object, **__: object) -> None:
    raise StarletteHTTPException(
        status_code=405,
        detail="employees are not deleted here: set active to false, or erase one with "
        "'plaudit employees erase' (their data goes, their events stay anonymous)",
    )


#: Employees are edited here (name, team, visibility, active), never deleted: a deleted row would take
#: their ledger with it, where erasure keeps the program's totals and forgets the person.
EMPLOYEES = Validators(delete_single=[_not_deleted], delete_all=[_not_deleted])

READ_ONLY = Validators(
    post_single=[_read_only],
    put_single=[_read_only],
    patch_single=[_read_only],
    delete_single=[_read_only],
    delete_all=[_read_only],
)


@cache
def admin_app() -> ASGIApp:
    """Built on first use: Piccolo Admin reads the tables' engine, set when the database was opened."""
    return create_admin(
        tables=[
            TableConfig(
                Employee,
                visible_columns=[
                    Employee.id,  # type: ignore[attr-defined]  # Piccolo adds `id` when the class is made
                    Employee.external_id,
                    Employee.name,
                    Employee.team,
                    Employee.department,
                    Employee.visibility,
                    Employee.active,
                ],
                menu_group="People",
                validators=EMPLOYEES,
            ),
            TableConfig(Shoutout, menu_group="People", validators=READ_ONLY),
            TableConfig(Event, menu_group="Scoring", validators=READ_ONLY),
            TableConfig(LedgerEntry, menu_group="Scoring", validators=READ_ONLY),
            TableConfig(BadgeAward, menu_group="Badges and awards", validators=READ_ONLY),
            TableConfig(AwardClosing, menu_group="Badges and awards", validators=READ_ONLY),
            TableConfig(AwardResult, menu_group="Badges and awards", validators=READ_ONLY),
            TableConfig(OutboxMessage, menu_group="Program", validators=READ_ONLY),
            TableConfig(Ruleset, menu_group="Program", validators=READ_ONLY),
            TableConfig(AuditEntry, menu_group="Program", validators=READ_ONLY),
        ],
        auth_table=HrUser,
        session_table=HrSession,
        site_name="Plaudit admin",
        sidebar_links={"Plaudit pages": "/board", "Rules editor": "/hr/rules"},
    )


#: Piccolo Admin's API for one employee row (create, change) or all of them.
EMPLOYEE_EDIT = re.compile(rb"^/admin/api/tables/employee/(?:(?P<id>\d+)/)?$")
WRITES = frozenset({"POST", "PUT", "PATCH"})


@asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True})
async def piccolo_admin(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["raw_path"] == b"/admin":
        # Its pages link their assets relatively: /admin must be /admin/.
        moved: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 308,
            "headers": [(b"location", b"/admin/")],
        }
        await send(moved)
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(end)
        return
    writes = scope.get("method") in WRITES
    edit = EMPLOYEE_EDIT.match(scope["raw_path"]) if writes else None
    if edit is None:
        await admin_app()(scope, receive, send)
        return
    # An employee edited here must reach this process's directory and boards, as a SCIM change does, and
    # the audit log: Piccolo writes the row itself, so look at what it was sent and what it answered.
    sent = bytearray()
    status = 0

    async def receiving() -> ReceiveMessage:
        message = await receive()
        if message["type"] == "http.request":
            sent.extend(message.get("body", b""))
        return message

    async def sending(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    runtime = scope["app"].state.runtime  # before Piccolo's Starlette puts itself in the scope
    await admin_app()(scope, receiving, sending)
    if 200 <= status < 300:
        row = int(edit["id"]) if edit["id"] else None
        user = scope.get("user")
        actor = f"hr:{getattr(user, 'username', '')}" if user else "hr (admin)"
        await anyio.to_thread.run_sync(_employee_edited, runtime, row, bytes(sent), actor)


def _employee_edited(runtime: Runtime, employee_id: int | None, sent: bytes, actor: str) -> None:
    try:
        values = json.loads(sent) if sent else {}
    except ValueError:
        values = {}
    fields = ", ".join(sorted(values)) if isinstance(values, dict) else ""
    db = runtime.db()
    subject = ""
    if employee_id is not None:
        found = db.query('SELECT external_id FROM "employee" WHERE id = ?', (employee_id,))
        subject = found[0][0] if found else str(employee_id)
    record(
        db,
        actor,
        EMPLOYEE_EDITED,
        subject,
        f"{'changed' if employee_id else 'created'} in /admin/: {fields or 'no fields'}",
        sent.decode("utf-8", "replace"),
    )
    runtime.employee_changed(employee_id)
