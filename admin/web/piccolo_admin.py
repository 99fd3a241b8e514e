"""Piccolo Admin at /admin/: HR browses and edits the data, behind the HR accounts' login.

HR signs in once at /login (the session cookie for /admin is set there) or on Piccolo Admin's own login page,
with the same ``hr_user`` account. Events, the ledger, badges and awards are read-only here: the ledger is
append-only (a correction is an adjustment with a reason), and badges and awards change through the engine so
that their Open Badges assertions, outbox messages and standings stay consistent.
"""

from __future__ import annotations

from functools import cache

from litestar import asgi
from litestar.types import ASGIApp, Receive, Scope, Send
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.tables import (
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
    return create_admin(  # type: ignore[return-value]
        tables=[
            TableConfig(
                Employee,
                visible_columns=[
                    Employee.id,
                    Employee.external_id,
                    Employee.name,
                    Employee.team,
                    Employee.department,
                    Employee.visibility,
                    Employee.active,
                ],
                menu_group="People",
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


@asgi("/admin", is_mount=True, copy_scope=True, opt={"exclude_from_auth": True})
async def piccolo_admin(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["raw_path"] == b"/admin":
        # Its pages link their assets relatively: /admin must be /admin/.
        await send(
            {"type": "http.response.start", "status": 308, "headers": [(b"location", b"/admin/")]}
        )
        await send({"type": "http.response.body", "body": b""})
        return
    await admin_app()(scope, receive, send)
