"""The roster: who is in the program, imported from the HR system's CSV export.

All or nothing: a file with a bad row changes nothing and every bad row is named by its line. After a
successful import, parked events (of employees unknown until now) go back to pending to be scored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from engine import clock
from engine.errors import PlauditError
from engine.people.directory import set_active, shard_of
from engine.settings import settings
from engine.storage.database import Database

__all__ = [
    "RosterError",
    "RosterPlan",
    "RosterResult",
    "RosterRow",
    "import_roster",
    "parse_roster",
    "plan_roster",
    "read_roster",
    "unpark_events",
]

REQUIRED_COLUMNS = ("external_id", "email")
KNOWN_COLUMNS = (
    "external_id",
    "email",
    "name",
    "given_name",
    "family_name",
    "team",
    "department",
    "manager_external_id",
    "locale",
    "pilot_group",
    "visibility",
    "active",
    "joined_on",
)
VISIBILITIES = ("public", "team", "hidden")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n", ""}


class RosterError(PlauditError):
    """The file was not imported; ``problems`` lists every bad line as ``FILE:LINE: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("", "\n".join(problems), problems=problems)


@dataclass(frozen=True)
class RosterRow:
    external_id: str
    email: str
    name: str
    team: str
    department: str
    manager_external_id: str | None
    locale: str
    pilot_group: bool
    visibility: str
    active: bool
    #: When they joined the program (``joined_on``); None: when they are first imported.
    joined_at: datetime | None = None

    @classmethod
    def from_record(cls, r: dict[str, str]) -> RosterRow:
        """A row from a record with the roster CSV's columns (as ``engine.demo.roster`` makes them), unchecked."""
        return cls(
            external_id=r["external_id"],
            email=r["email"].lower(),
            name=r.get("name") or f"{r['given_name']} {r['family_name']}",
            team=r.get("team", ""),
            department=r.get("department", ""),
            manager_external_id=r.get("manager_external_id") or None,
            locale=r.get("locale", ""),
            pilot_group=r.get("pilot_group") == "yes",
            visibility=r.get("visibility") or "public",
            active=True,
        )


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    #: Of the updated: who stopped earning (``active`` no, or missing from the file with
    #: ``deactivate_missing``) and who came back.
    deactivated: int = 0
    reactivated: int = 0
    unparked: int = 0
    rows: list[RosterRow] = field(default_factory=list)


def _flag(value: str, column: str, problems: list[str], where: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    problems.append(f"{where}: {column}: expected yes or no, got {value!r}")
    return False


def _joined(value: str, zone: tzinfo, problems: list[str], where: str) -> datetime | None:
    """``joined_on``: a date (its midnight in ``zone``, the program's time zone) or an ISO instant."""
    if not value.strip():
        return None
    try:
        return clock.parse_instant(value, "joined_on", zone)
    except ValueError:
        problems.append(
            f"{where}: joined_on: expected a date like 2026-11-01, got {value.strip()!r}"
        )
        return None


def parse_roster(
    text: str, filename: str = "roster.csv", timezone: tzinfo = UTC
) -> list[RosterRow]:
    """Rows of a roster CSV (UTF-8, header line first); raises RosterError naming every bad line.

    A ``joined_on`` date is read in ``timezone`` (pass the program's: its months are the KPIs' months).
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    problems: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in KNOWN_COLUMNS]
    if missing:
        problems.append(f"{filename}:1: missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(
            f"{filename}:1: unknown column(s): {', '.join(unknown)}; known: {', '.join(KNOWN_COLUMNS)}"
        )
    if problems:
        raise RosterError(problems)
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    emails: dict[str, int] = {}
    for record in reader:
        where = f"{filename}:{reader.line_num}"
        if None in record:
            problems.append(f"{where}: more fields than the header has")
            continue
        get = {k: (v or "").strip() for k, v in record.items()}
        ext = get["external_id"]
        email = get["email"].lower()
        name = get.get("name") or " ".join(
            p for p in (get.get("given_name"), get.get("family_name")) if p
        )
        if not ext:
            problems.append(f"{where}: external_id: must not be empty")
        elif ext in seen:
            problems.append(f"{where}: external_id: {ext!r} already on line {seen[ext]}")
        if not _EMAIL.match(email):
            problems.append(f"{where}: email: {get['email']!r} is not an email address")
        elif email in emails:
            problems.append(f"{where}: email: {email!r} already on line {emails[email]}")
        if not name:
            problems.append(f"{where}: name: give name or given_name/family_name")
        visibility = get.get("visibility") or "public"
        if visibility not in VISIBILITIES:
            problems.append(
                f"{where}: visibility: expected one of {', '.join(VISIBILITIES)}, got {visibility!r}"
            )
        seen.setdefault(ext, reader.line_num)
        emails.setdefault(email, reader.line_num)
        rows.append(
            RosterRow(
                external_id=ext,
                email=email,
                name=name,
                team=get.get("team", ""),
                department=get.get("department", ""),
                manager_external_id=get.get("manager_external_id") or None,
                locale=get.get("locale", ""),
                pilot_group=_flag(get.get("pilot_group", ""), "pilot_group", problems, where),
                visibility=visibility,
                # An empty cell keeps the default: in the program.
                active=_flag(get.get("active") or "yes", "active", problems, where),
                joined_at=_joined(get.get("joined_on", ""), timezone, problems, where),
            )
        )
    if problems:
        raise RosterError(problems)
    return rows


def unpark_events(db: Database, employees: Iterable[tuple[int, str, str]] | None = None) -> int:
    """Parked events go back to pending: all of them, or those of ``(id, external_id, email)`` employees,
    moved to the employee's shard now that the roster knows who they are."""
    if employees is None:
        cur = db.execute(
            'UPDATE "event" SET status = ?, reason = NULL WHERE status = ?', ["pending", "parked"]
        )
        return max(cur.rowcount, 0)
    shards = settings().shards
    # status is a literal so the planner uses the partial index event_parked_ref.
    return db.executemany(
        "UPDATE \"event\" SET status = 'pending', reason = NULL, shard = ? "
        "WHERE status = 'parked' AND employee_ref IN (?, ?)",
        [(shard_of(eid, ext, shards), ext, email) for eid, ext, email in employees],
    )


#: The columns a roster import sets (visibility is the employee's own choice: an import never changes it).
_SYNCED = (
    "email",
    "name",
    "team",
    "department",
    "manager_external_id",
    "locale",
    "pilot_group",
    "active",
)
#: The columns a new employee gets from the file.
_INSERTED = ("external_id", *_SYNCED, "visibility")


@dataclass
class RosterPlan:
    """What an import would do: who is new, who changes and in which columns, who stays as is, and (with
    ``deactivate_missing``) who is deactivated for not being in the file."""

    created: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)


def _missing(db: Database, rows: list[RosterRow]) -> list[tuple[int, str]]:
    """Active employees the file does not name: (id, external id), ordered by external id."""
    named = {r.external_id for r in rows}
    return [
        (eid, ext)
        for eid, ext in db.query(
            'SELECT id, external_id FROM "employee" WHERE active = ? ORDER BY external_id', [True]
        )
        if ext not in named
    ]


def plan_roster(
    db: Database, rows: list[RosterRow], *, deactivate_missing: bool = False
) -> RosterPlan:
    """Compare rows with the employees stored now; writes nothing (``plaudit roster import --dry-run``)."""
    stored = {
        r[0]: r[1:]
        for r in db.query_in(
            f'SELECT external_id, {", ".join(_SYNCED)}, joined_at FROM "employee" '
            "WHERE external_id IN ({in})",
            [r.external_id for r in rows],
        )
    }
    plan = RosterPlan()
    for row in rows:
        now = stored.get(row.external_id)
        if now is None:
            plan.created.append(row.external_id)
            continue
        wanted = [getattr(row, column) for column in _SYNCED]
        changed = [
            column
            for column, old, new in zip(_SYNCED, now[:-1], wanted, strict=True)
            if _stored_value(old, new) != (new if isinstance(new, bool) else (new or None))
        ]
        if row.joined_at and (now[-1] is None or db.read_ts(now[-1]) != row.joined_at):
            changed.append("joined_on")
        if changed:
            plan.changed[row.external_id] = changed
        else:
            plan.unchanged += 1
    if deactivate_missing:
        plan.missing = [ext for _, ext in _missing(db, rows)]
    return plan


def _stored_value(old: object, new: object) -> object:
    # SQLite keeps booleans as 0/1 and a missing manager as NULL: compare like for like.
    return bool(old) if isinstance(new, bool) else (old or None)


def read_roster(
    source: str | Path | list[RosterRow], filename: str | None = None, timezone: tzinfo = UTC
) -> list[RosterRow]:
    """Rows from a CSV path, CSV text or parsed rows (RosterError names each bad line)."""
    if isinstance(source, Path):
        return parse_roster(source.read_text(encoding="utf-8"), filename or source.name, timezone)
    if isinstance(source, str):
        return parse_roster(source, filename or "roster.csv", timezone)
    return source


def import_roster(
    db: Database,
    source: str | Path | list[RosterRow],
    filename: str | None = None,
    *,
    deactivate_missing: bool = False,
    now: datetime | None = None,
    timezone: tzinfo = UTC,
) -> RosterResult:
    """Create, update and deactivate employees from a CSV path, CSV text or parsed rows, in one transaction.

    ``active`` no deactivates (they stop earning from now on and leave the boards; their history stays),
    yes reactivates; ``deactivate_missing`` deactivates every active employee the file does not name (the
    file is the whole roster). Visibility is the employee's own choice: only a new employee takes the file's.
    """
    rows = read_roster(source, filename, timezone)
    result = RosterResult(rows=rows)
    at = now or clock.now()
    stamp = db.ts(at)
    with db.transaction():
        known = {
            ext: bool(active)
            for ext, active in db.query_in(
                'SELECT external_id, active FROM "employee" WHERE external_id IN ({in})',
                [r.external_id for r in rows],
            )
        }
        missing = _missing(db, rows) if deactivate_missing else []
        result.updated = len(known)
        result.created = len(rows) - len(known)
        db.insert_rows(
            "employee",
            (*_INSERTED, "joined_at", "created_at", "updated_at"),
            [
                (
                    *(getattr(r, c) for c in _INSERTED),
                    db.ts(r.joined_at) if r.joined_at else stamp,
                    stamp,
                    stamp,
                )
                for r in rows
            ],
            ("external_id",),
            "DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _SYNCED if c != "active")
            + ", updated_at = excluded.updated_at",
        )
        # A join date in the file wins over the stored one; none keeps it.
        db.executemany(
            'UPDATE "employee" SET joined_at = ? WHERE external_id = ?',
            [
                (db.ts(r.joined_at), r.external_id)
                for r in rows
                if r.joined_at and r.external_id in known
            ],
        )
        ids = dict(
            db.query_in(
                'SELECT external_id, id FROM "employee" WHERE external_id IN ({in})',
                [r.external_id for r in rows],
            )
        )
        flips = [r for r in rows if r.external_id in known and known[r.external_id] != r.active]
        result.reactivated = len(
            set_active(db, [ids[r.external_id] for r in flips if r.active], True, at)
        )
        result.deactivated = len(
            set_active(
                db,
                [ids[r.external_id] for r in flips if not r.active] + [eid for eid, _ in missing],
                False,
                at,
            )
        )
        result.unparked = unpark_events(
            db, [(ids[r.external_id], r.external_id, r.email) for r in rows]
        )
    return result
