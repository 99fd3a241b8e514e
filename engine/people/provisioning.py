"""The employee store as an identity provider (Okta, Entra ID) sees it: create, find, change, deactivate, delete.

No HTTP and no SCIM JSON here: ``api/scim/routes.py`` speaks the protocol and calls these, one transaction each.

Why the rules below:

* The employee's ``external_id`` is what advocacy tools call them (with their email), so it should be the HR id:
  the enterprise ``employeeNumber`` when the provider sends one, else its ``externalId``, else ``userName``.
  Once set it only changes when an ``employeeNumber`` is sent: events already in the inbox name people by it.
* Deleting a user deprovisions them: they are deactivated (stop earning from now, leave the boards) and marked
  ``deprovisioned``, so the provider sees them gone while their ledger, badges and awards stay. Creating the
  same ``userName`` again revives that row, history and all.
* Employees imported from the roster CSV (no ``user_name`` yet) are visible too, under their email as user
  name: a provider that looks for them before creating (Okta and Entra both do) finds and links them instead of
  failing on a duplicate.
* User names are compared without case (SCIM ``userName`` is not case-exact); SQL's ``LOWER`` folds ASCII only,
  so non-ASCII user names compare exactly.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine import clock
from engine.errors import PlauditError
from engine.people.directory import set_active
from engine.people.roster import unpark_events
from engine.storage.database import Database

__all__ = [
    "ERROR_KINDS",
    "EmailAddress",
    "ProvisionedUser",
    "ProvisioningError",
    "UserFields",
    "UserPage",
    "choose_email",
    "create_user",
    "delete_user",
    "find_users",
    "get_user",
    "replace_user",
    "set_user_active",
    "update_user",
]

ERROR_KINDS = ("conflict", "not_found", "invalid")

#: The fields ``update_user`` accepts (those of ``UserFields``).
CHANGEABLE = (
    "user_name",
    "scim_external_id",
    "employee_number",
    "given_name",
    "family_name",
    "name",
    "emails",
    "active",
    "team",
    "department",
    "manager",
    "locale",
)

#: Column sizes of ``engine.storage.tables.Employee``: PostgreSQL refuses longer values, SQLite would keep them.
_MAX_LENGTH = {
    "external_id": 128,
    "email": 320,
    "name": 255,
    "team": 128,
    "department": 128,
    "manager": 128,
    "locale": 64,
    "user_name": 320,
    "scim_external_id": 255,
    "given_name": 255,
    "family_name": 255,
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A well-formed BCP 47 language tag (RFC 5646's syntax: a language, then subtags of 1-8 letters or digits):
#: ``de``, ``pt-BR``, ``sr-Latn-RS-u-nu-latn``, ``en-US-x-twain``; Okta's ``en_US`` too (an underscore for a dash).
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$")


class ProvisioningError(PlauditError):
    """A user the identity provider sent that cannot be stored; ``kind`` is ``conflict``, ``not_found`` or
    ``invalid``."""


@dataclass(frozen=True)
class EmailAddress:
    value: str
    type: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class UserFields:
    """What the provider says about a person when it creates or replaces them.

    ``team`` None leaves the team alone (it is the program's, usually from the roster); ``employee_number``
    None keeps the external id (see the module's docstring). ``name`` None: given and family name, else the user
    name.
    """

    user_name: str
    scim_external_id: str | None = None
    employee_number: str | None = None
    given_name: str = ""
    family_name: str = ""
    name: str | None = None
    emails: tuple[EmailAddress, ...] = ()
    active: bool = True
    team: str | None = None
    department: str | None = None
    manager: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class ProvisionedUser:
    """An employee as the provider sees them. ``user_name`` is the email for roster-only employees;
    ``manager_id`` is the id of the employee ``manager_external_id`` names, when known."""

    id: int
    external_id: str
    user_name: str
    scim_external_id: str | None
    given_name: str
    family_name: str
    name: str
    email: str | None
    active: bool
    team: str
    department: str
    manager_external_id: str | None
    locale: str
    created_at: datetime
    updated_at: datetime
    manager_id: int | None = None


@dataclass(frozen=True)
class UserPage:
    users: list[ProvisionedUser]
    #: All matches, whatever the page.
    total: int


def choose_email(emails: Sequence[EmailAddress], user_name: str | None) -> str | None:
    """The address tools will name the person by: the primary one, else the work one, else the first; else the
    user name when it is an email. Lowercase, as the roster stores it."""
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if (e.type or "").lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    if chosen is not None and chosen.value:
        return chosen.value.strip().lower()
    if user_name and _EMAIL.match(user_name.strip()):
        return user_name.strip().lower()
    return None


# -- reading ----------------------------------------------------------------------------------------------

#: Rows the provider may see: not deprovisioned, and with a user name or an email (an erased employee has
#: neither).
_VISIBLE = "e.deprovisioned = ? AND (e.user_name IS NOT NULL OR e.email IS NOT NULL)"
_SELECT = (
    "SELECT e.id, e.external_id, e.user_name, e.scim_external_id, e.given_name, e.family_name, e.name, "
    "e.email, e.active, e.team, e.department, e.manager_external_id, e.locale, e.created_at, e.updated_at, "
    'm.id FROM "employee" e LEFT JOIN "employee" m '
    "ON m.external_id = e.manager_external_id AND m.deprovisioned = ?"
)


def _user(db: Database, row: Sequence[Any]) -> ProvisionedUser:
    eid, ext, user_name, scim_ext, given, family, name, email, active, team, department = row[:11]
    manager, locale, created, updated, manager_id = row[11:]
    return ProvisionedUser(
        id=int(eid),
        external_id=ext,
        user_name=user_name or email or ext,
        scim_external_id=scim_ext,
        given_name=given or "",
        family_name=family or "",
        name=name or "",
        email=email,
        active=bool(active),
        team=team or "",
        department=department or "",
        manager_external_id=manager,
        locale=locale or "",
        created_at=db.read_ts(created),
        updated_at=db.read_ts(updated),
        manager_id=int(manager_id) if manager_id is not None else None,
    )


def find_users(
    db: Database,
    *,
    employee_id: int | None = None,
    user_name: str | None = None,
    scim_external_id: str | None = None,
    external_id: str | None = None,
    email: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> UserPage:
    """Users matching every given equality (none: everyone), ordered by id, ``limit`` from ``offset``."""
    where = [_VISIBLE]
    params: list[Any] = [False]
    if employee_id is not None:
        where.append("e.id = ?")
        params.append(employee_id)
    if user_name is not None:
        where.append("(LOWER(e.user_name) = ? OR (e.user_name IS NULL AND e.email = ?))")
        params += [user_name.strip().lower()] * 2
    if scim_external_id is not None:
        where.append("e.scim_external_id = ?")
        params.append(scim_external_id)
    if external_id is not None:
        where.append("e.external_id = ?")
        params.append(external_id)
    if email is not None:
        where.append("e.email = ?")
        params.append(email.strip().lower())
    condition = " AND ".join(where)
    total = db.query(f'SELECT COUNT(*) FROM "employee" e WHERE {condition}', params)[0][0]
    rows = (
        db.query(
            f"{_SELECT} WHERE {condition} ORDER BY e.id LIMIT ? OFFSET ?",
            [False, *params, max(limit, 0), max(offset, 0)],
        )
        if limit > 0 and offset < total
        else []
    )
    return UserPage([_user(db, r) for r in rows], int(total))


def get_user(db: Database, employee_id: int) -> ProvisionedUser:
    """The user; a deprovisioned (or unknown) one is not found."""
    page = find_users(db, employee_id=employee_id, limit=1)
    if not page.users:
        raise ProvisioningError("id", f"no user {employee_id}", "not_found")
    return page.users[0]


# -- writing ----------------------------------------------------------------------------------------------


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProvisioningError(field, f"expected a string, got {type(value).__name__}")
    return value.strip()


def _check_lengths(values: Mapping[str, object]) -> None:
    for field, limit in _MAX_LENGTH.items():
        value = values.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise ProvisioningError(field, f"at most {limit} characters, got {len(value)}")
    locale = values.get("locale")
    if isinstance(locale, str) and locale and not _LANGUAGE_TAG.match(locale):
        raise ProvisioningError(
            "locale", f"expected a BCP 47 language tag like en-US, got {locale!r}"
        )


def _resolve_manager(db: Database, ref: str | None) -> str | None:
    """The manager's external id. A provider names a manager by the id it got from us (SCIM ``manager.value``),
    the roster by external id: an external id we know wins, then an id; anything else is kept as sent (the
    manager may be provisioned later)."""
    if not ref:
        return None
    known = db.query(
        'SELECT 1 FROM "employee" WHERE external_id = ? AND deprovisioned = ?', [ref, False]
    )
    if not known and ref.isdigit():
        rows = db.query(
            'SELECT external_id FROM "employee" WHERE id = ? AND deprovisioned = ?',
            [int(ref), False],
        )
        if rows:
            return str(rows[0][0])
    return ref


@dataclass
class _State:
    """The columns a provider controls, as they will be written."""

    external_id: str
    user_name: str | None
    scim_external_id: str | None
    given_name: str
    family_name: str
    name: str
    email: str | None
    active: bool
    team: str
    department: str
    manager: str | None
    locale: str


def _merge(db: Database, current: _State | None, changes: Mapping[str, Any]) -> _State:
    """The state after ``changes`` (keys of ``CHANGEABLE``), checked; ``current`` None for a new user."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ProvisioningError(
            unknown[0], f"not a user field; expected one of {', '.join(CHANGEABLE)}"
        )
    user_name = (
        _text(changes["user_name"], "user_name")
        if "user_name" in changes
        else (current.user_name if current else "")
    )
    if (current is None or "user_name" in changes) and not user_name:
        raise ProvisioningError("user_name", "must not be empty")
    # The name to fall back on (a roster-only employee has no stored user name: their email stands in).
    effective_user_name = user_name or (current.email if current else None) or ""
    number = _text(changes.get("employee_number"), "employee_number")
    scim_external_id = (
        _text(changes["scim_external_id"], "scim_external_id") or None
        if "scim_external_id" in changes
        else (current.scim_external_id if current else None)
    )
    if number:
        external_id = number
    elif current is not None:
        external_id = current.external_id
    else:
        external_id = scim_external_id or effective_user_name
    if "emails" in changes or "user_name" in changes or current is None:
        emails = changes.get("emails")
        if emails is None:
            emails = (
                (EmailAddress(current.email, "work", True),) if current and current.email else ()
            )
        if not all(isinstance(e, EmailAddress) for e in emails):
            raise ProvisioningError("emails", "expected email addresses")
        email = choose_email(list(emails), effective_user_name)
        if email is not None and not _EMAIL.match(email):
            raise ProvisioningError("emails", f"{email!r} is not an email address")
    else:
        email = current.email

    def kept(field: str) -> str:
        """A text field: as changed, else as stored (empty for a new user)."""
        if field in changes:
            return _text(changes[field], field)
        return str(getattr(current, field)) if current is not None else ""

    given, family = kept("given_name"), kept("family_name")
    if "name" in changes or current is None:
        name = (
            _text(changes.get("name"), "name")
            or " ".join(p for p in (given, family) if p)
            or effective_user_name
        )
    else:
        name = current.name
    active = changes.get("active", current.active if current else True)
    if not isinstance(active, bool):
        raise ProvisioningError("active", f"expected true or false, got {active!r}")

    manager = (
        _resolve_manager(db, _text(changes["manager"], "manager") or None)
        if "manager" in changes
        else (current.manager if current else None)
    )
    state = _State(
        external_id=external_id,
        user_name=user_name or None,
        scim_external_id=scim_external_id,
        given_name=given,
        family_name=family,
        name=name,
        email=email,
        active=active,
        team=kept("team"),
        department=kept("department"),
        manager=manager,
        locale=kept("locale"),
    )
    if not state.external_id:
        raise ProvisioningError("external_id", "must not be empty")
    _check_lengths(vars(state))
    return state


def _others(db: Database, condition: str, params: Sequence[Any], but: int | None) -> list[tuple]:
    return db.query(
        f'SELECT id, deprovisioned FROM "employee" WHERE ({condition}) AND id <> ?',
        [*params, -1 if but is None else but],
    )


def _check_unique(db: Database, state: _State, but: int | None) -> None:
    """Refuse a user name, email or external id another (not deprovisioned) employee has; free those a
    deprovisioned one holds, except an external id (that one is unique in the table: refused too)."""
    if state.user_name is not None:
        lowered = state.user_name.lower()
        holders = _others(
            db, "LOWER(user_name) = ? OR (user_name IS NULL AND email = ?)", [lowered, lowered], but
        )
        if any(not gone for _, gone in holders):
            raise ProvisioningError(
                "user_name", f"{state.user_name!r} is another user's user name", "conflict"
            )
        gone = [eid for eid, _ in holders]
        if gone:
            db.execute_in('UPDATE "employee" SET user_name = NULL WHERE id IN ({in})', gone)
    if state.email is not None:
        holders = _others(db, "email = ?", [state.email], but)
        if any(not gone for _, gone in holders):
            raise ProvisioningError(
                "emails", f"{state.email!r} is another user's email", "conflict"
            )
        gone = [eid for eid, _ in holders]
        if gone:
            db.execute_in('UPDATE "employee" SET email = NULL WHERE id IN ({in})', gone)
    holders = _others(db, "external_id = ?", [state.external_id], but)
    if holders:
        whose = "a deprovisioned user's" if holders[0][1] else "another user's"
        raise ProvisioningError(
            "external_id", f"{state.external_id!r} is {whose} employee id", "conflict"
        )


def _write(db: Database, employee_id: int, state: _State, stamp: Any) -> None:
    db.execute(
        'UPDATE "employee" SET external_id = ?, user_name = ?, scim_external_id = ?, given_name = ?, '
        "family_name = ?, name = ?, email = ?, team = ?, department = ?, manager_external_id = ?, "
        "locale = ?, deprovisioned = ?, updated_at = ? WHERE id = ?",
        [
            state.external_id,
            state.user_name,
            state.scim_external_id,
            state.given_name,
            state.family_name,
            state.name,
            state.email,
            state.team,
            state.department,
            state.manager,
            state.locale,
            False,
            stamp,
            employee_id,
        ],
    )


def _is_unique_violation(exc: BaseException) -> bool:
    # sqlite3's IntegrityError, or psycopg's UniqueViolation (SQLSTATE 23505): two providers' requests raced.
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return getattr(exc, "sqlstate", None) == "23505"


def _stored(db: Database, employee_id: int) -> _State | None:
    rows = db.query(
        "SELECT external_id, user_name, scim_external_id, given_name, family_name, name, email, active, "
        'team, department, manager_external_id, locale FROM "employee" e WHERE e.id = ? AND '
        + _VISIBLE,
        [employee_id, False],
    )
    if not rows:
        return None
    ext, user_name, scim_ext, given, family, name, email, active, team, dept, manager, locale = (
        rows[0]
    )
    return _State(
        ext,
        user_name,
        scim_ext,
        given or "",
        family or "",
        name or "",
        email,
        bool(active),
        team or "",
        dept or "",
        manager,
        locale or "",
    )


def _after_change(db: Database, employee_id: int, state: _State) -> None:
    # Events that waited for this person (parked under their external id or email) get scored now.
    unpark_events(db, [(employee_id, state.external_id, state.email or state.external_id)])


def _fields_as_changes(fields: UserFields) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "user_name": fields.user_name,
        "scim_external_id": fields.scim_external_id,
        "given_name": fields.given_name,
        "family_name": fields.family_name,
        "name": fields.name,
        "emails": tuple(fields.emails),
        "active": fields.active,
        "department": fields.department,
        "manager": fields.manager,
        "locale": fields.locale,
    }
    if fields.employee_number:
        changes["employee_number"] = fields.employee_number
    if fields.team is not None:
        changes["team"] = fields.team
    return changes


def create_user(db: Database, fields: UserFields, now: datetime | None = None) -> ProvisionedUser:
    """A new employee, or a deprovisioned one with the same user name (else the same external id) revived:
    same row, same history, active again unless ``fields.active`` says otherwise."""
    at = now or clock.now()
    stamp = db.ts(at)
    try:
        with db.transaction():
            state = _merge(db, None, _fields_as_changes(fields))
            revived = db.query(
                'SELECT id FROM "employee" WHERE deprovisioned = ? AND LOWER(user_name) = ? '
                "ORDER BY id DESC LIMIT 1",
                [True, (state.user_name or "").lower()],
            ) or db.query(
                'SELECT id FROM "employee" WHERE deprovisioned = ? AND external_id = ?',
                [True, state.external_id],
            )
            if revived:
                employee_id = int(revived[0][0])
                if fields.team is None:  # the team they had
                    state.team = str(
                        db.query('SELECT team FROM "employee" WHERE id = ?', [employee_id])[0][0]
                        or ""
                    )
                _check_unique(db, state, employee_id)
                _write(db, employee_id, state, stamp)
                if state.active:
                    set_active(db, [employee_id], True, at)
            else:
                _check_unique(db, state, None)
                db.execute(
                    'INSERT INTO "employee" (external_id, email, name, team, department, '
                    "manager_external_id, locale, pilot_group, visibility, active, deactivated_at, "
                    "user_name, scim_external_id, given_name, family_name, deprovisioned, joined_at, "
                    "created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        state.external_id,
                        state.email,
                        state.name,
                        state.team,
                        state.department,
                        state.manager,
                        state.locale,
                        False,
                        "public",
                        state.active,
                        None,  # created inactive: never earns (see engine.people.directory.Member)
                        state.user_name,
                        state.scim_external_id,
                        state.given_name,
                        state.family_name,
                        False,
                        stamp,  # provisioned: invited to the program now
                        stamp,
                        stamp,
                    ],
                )
                employee_id = int(
                    db.query(
                        'SELECT id FROM "employee" WHERE external_id = ?', [state.external_id]
                    )[0][0]
                )
            _after_change(db, employee_id, state)
            return get_user(db, employee_id)
    except Exception as exc:
        if _is_unique_violation(exc):
            raise ProvisioningError(
                "user_name", "taken by a user created at the same time", "conflict"
            ) from exc
        raise


def update_user(
    db: Database, employee_id: int, changes: Mapping[str, Any], now: datetime | None = None
) -> ProvisionedUser:
    """Change the given fields (keys of ``CHANGEABLE``; a PATCH). ``active`` goes through ``set_active``:
    deactivated, they stop earning from now and leave the boards; their history stays."""
    at = now or clock.now()
    try:
        with db.transaction():
            current = _stored(db, employee_id)
            if current is None:
                raise ProvisioningError("id", f"no user {employee_id}", "not_found")
            state = _merge(db, current, changes)
            if state != current:
                _check_unique(db, state, employee_id)
                _write(db, employee_id, state, db.ts(at))
                if state.active != current.active:
                    set_active(db, [employee_id], state.active, at)
                _after_change(db, employee_id, state)
            return get_user(db, employee_id)
    except Exception as exc:
        if _is_unique_violation(exc):
            raise ProvisioningError(
                "user_name", "taken by a user changed at the same time", "conflict"
            ) from exc
        raise


def replace_user(
    db: Database, employee_id: int, fields: UserFields, now: datetime | None = None
) -> ProvisionedUser:
    """Replace what the provider controls (a PUT): fields it leaves out are cleared, except the team (unless
    sent) and the external id (unless an employee number is sent)."""
    return update_user(db, employee_id, _fields_as_changes(fields), now)


def set_user_active(
    db: Database, employee_id: int, active: bool, now: datetime | None = None
) -> ProvisionedUser:
    """Deactivate (stops earning from now, history stays) or reactivate."""
    return update_user(db, employee_id, {"active": active}, now)


def delete_user(db: Database, employee_id: int, now: datetime | None = None) -> None:
    """Deprovision: deactivated and gone for the provider (not found from now on), history kept."""
    at = now or clock.now()
    with db.transaction():
        if _stored(db, employee_id) is None:
            raise ProvisioningError("id", f"no user {employee_id}", "not_found")
        set_active(db, [employee_id], False, at)
        db.execute(
            'UPDATE "employee" SET deprovisioned = ?, updated_at = ? WHERE id = ?',
            [True, db.ts(at), employee_id],
        )
