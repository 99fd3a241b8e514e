"""What an employee sees of themselves: points per period, recent ledger entries with reasons, caps reached.

Also the directory every board view needs (who is visible, in which team), kept in memory: 100,000 people
fit in a few MB and a board filter asks for them per row.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from engine import clock
from engine.boards.standings import ALL_TIME
from engine.defaults import BOARD_POINTS, SHARDS
from engine.storage.database import Database
from rules import CompiledRules

__all__ = [
    "VISIBILITIES",
    "CapUse",
    "Directory",
    "LedgerLine",
    "Member",
    "Person",
    "caps_reached",
    "ledger_page",
    "period_scores",
    "resolve_employees",
    "set_active",
    "set_visibility",
    "shard_of",
    "weekly_points",
]

VISIBILITIES = ("public", "team", "hidden")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    external_id: str
    email: str
    name: str
    team: str
    visibility: str
    active: bool
    #: The roster's locale (``nl-NL``): the pages speak it.
    locale: str = ""


class Directory:
    """Employees by id and by external id or email; reloaded when the roster or a visibility changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_id: dict[int, Person] = {}
        self.by_ref: dict[str, Person] = {}
        self.team_sizes: dict[str, int] = {}
        self.loaded_at = 0.0

    def load(self, db: Database) -> None:
        people = [
            Person(eid, ext, email or "", name, team, visibility, bool(active), locale or "")
            for eid, ext, email, name, team, visibility, active, locale in db.query(
                'SELECT id, external_id, email, name, team, visibility, active, locale FROM "employee"'
            )
        ]
        by_ref = {p.external_id: p for p in people} | {p.email: p for p in people if p.email}
        sizes: dict[str, int] = {}
        for p in people:
            if p.active and p.team:
                sizes[p.team] = sizes.get(p.team, 0) + 1
        with self._lock:
            self.by_id = {p.id: p for p in people}
            self.by_ref = by_ref
            self.team_sizes = sizes
            self.loaded_at = time.monotonic()

    def find_fresh(self, db: Database, ref: str, max_age: float = 5.0) -> Person | None:
        """``find``, reloading first when ``ref`` is unknown and the directory is older than ``max_age`` s."""
        person = self.find(ref)
        if person is None and time.monotonic() - self.loaded_at > max_age:
            self.load(db)
            person = self.find(ref)
        return person

    def get(self, employee_id: int) -> Person | None:
        return self.by_id.get(employee_id)

    def find(self, ref: str) -> Person | None:
        return self.by_ref.get(ref) or self.by_ref.get(ref.lower())

    def teams(self) -> dict[str, int]:
        """Active members per team (counted at load)."""
        return self.team_sizes


@dataclass(frozen=True)
class LedgerLine:
    id: int
    points: int
    kind: str
    rule_id: str | None
    ruleset_version: str | None
    reasons: list[str]
    occurred_at: datetime
    event_source: str | None
    event_id: str | None


@dataclass(frozen=True)
class CapUse:
    cap: str
    description: str
    period: str
    used: float
    max: int

    @property
    def reached(self) -> bool:
        return self.used >= self.max


@dataclass(frozen=True, slots=True)
class Member:
    """An employee as scoring needs them: which id, and until when they earn."""

    id: int
    active: bool
    deactivated_at: datetime | None = None

    def earns(self, occurred: datetime) -> bool:
        """Whether an event at ``occurred`` counts: always while active; once deactivated, only what happened
        before (a replay gives them the same points as before). Someone created inactive never earns."""
        return self.active or (self.deactivated_at is not None and occurred < self.deactivated_at)


def resolve_employees(db: Database, refs: set[str]) -> dict[str, Member]:
    """Employees by the ref tools used: their external id, or their email (stored and matched lowercase)."""
    found: dict[str, Member] = {}
    ids = [r for r in refs if "@" not in r]
    emails = [r for r in refs if "@" in r]
    for column, refs_of in (("external_id", ids), ("email", emails)):
        if not refs_of:
            continue
        for eid, ref, active, deactivated_at in db.query_in(
            f'SELECT id, {column}, active, deactivated_at FROM "employee" WHERE {column} IN ({{in}})',
            refs_of,
        ):
            until = db.read_ts(deactivated_at) if deactivated_at is not None else None
            found[ref] = Member(eid, bool(active), until)
    return found


def set_active(db: Database, employee_ids: list[int], active: bool, at: datetime) -> list[int]:
    """Deactivate (they stop earning from ``at`` and leave the boards; their history stays) or reactivate
    employees, in the caller's transaction; returns the ids whose state changed."""
    if not employee_ids:
        return []
    changed = [
        int(eid)
        for (eid,) in db.query_in(
            'SELECT id FROM "employee" WHERE active = ? AND id IN ({in})',
            employee_ids,
            [not active],
        )
    ]
    if changed:
        db.execute_in(
            'UPDATE "employee" SET active = ?, deactivated_at = ?, updated_at = ? WHERE id IN ({in})',
            changed,
            [active, None if active else db.ts(at), db.ts(at)],
        )
    return changed


def shard_of(employee_id: int | None, ref: str, shards: int = SHARDS) -> int:
    """The shard of an employee: by id when known, else by the ref (a parked event is re-sharded when the
    roster learns who it is)."""
    return employee_id % shards if employee_id is not None else zlib.crc32(ref.encode()) % shards


def period_scores(
    db: Database, rules: CompiledRules, employee_id: int, at: datetime | None = None
) -> dict[str, Any]:
    """Points in the current day, week, month, quarter and all time: ``{kind: {"period": key, "points": n}}``."""
    keys = rules.periods(at or clock.now())
    wanted = {
        "day": keys.day,
        "week": keys.week,
        "month": keys.month,
        "quarter": keys.quarter,
        "all": ALL_TIME,
    }
    rows = dict(
        db.query_in(
            'SELECT period, score FROM "standing" WHERE board = ? AND employee = ? AND period IN ({in})',
            list(wanted.values()),
            [BOARD_POINTS, employee_id],
        )
    )
    return {kind: {"period": key, "points": rows.get(key, 0)} for kind, key in wanted.items()}


def weekly_points(
    db: Database,
    rules: CompiledRules,
    employee_id: int,
    weeks: int = 12,
    at: datetime | None = None,
) -> list[tuple[str, int]]:
    """(week key, points) for the last ``weeks`` weeks, oldest first, zeros included: the profile's chart."""
    now = at or clock.now()
    keys = [rules.periods(now - timedelta(weeks=i)).week for i in range(weeks - 1, -1, -1)]
    rows = dict(
        db.query_in(
            'SELECT period, score FROM "standing" WHERE board = ? AND employee = ? AND period IN ({in})',
            keys,
            [BOARD_POINTS, employee_id],
        )
    )
    return [(key, rows.get(key, 0)) for key in keys]


def ledger_page(
    db: Database, employee_id: int, before: int | None = None, limit: int = 50
) -> list[LedgerLine]:
    """Newest entries first; ``before`` is the cursor (the id of the last entry already shown)."""
    rows = db.query(
        "SELECT l.id, l.points, l.kind, l.rule_id, l.ruleset_version, l.reasons, l.occurred_at, v.source, v.external_id "
        'FROM "ledger_entry" l LEFT JOIN "event" v ON v.id = l.event WHERE l.employee = ? AND l.id < ? '
        "ORDER BY l.id DESC LIMIT ?",
        [employee_id, before if before is not None else 2**62, limit],
    )
    decode = msgspec.json.decode
    return [
        LedgerLine(
            lid,
            points,
            kind,
            rule,
            version,
            decode(reasons) if isinstance(reasons, str | bytes) else reasons,
            db.read_ts(at),
            source,
            ext,
        )
        for lid, points, kind, rule, version, reasons, at, source, ext in rows
    ]


def caps_reached(
    db: Database, rules: CompiledRules, employee_id: int, at: datetime | None = None
) -> list[CapUse]:
    """Each cap's use in its current period (``cap:<id>:<period>`` counters written by scoring)."""
    keys = rules.periods(at or clock.now())
    wanted = {f"cap:{cap.id}:{keys.of(cap.per)}|{employee_id}": cap for cap in rules.caps.values()}
    used = dict(db.query_in('SELECT key, value FROM "counter" WHERE key IN ({in})', list(wanted)))
    return [
        CapUse(cap.id, cap.description or cap.id, keys.of(cap.per), used.get(key, 0.0), cap.max)
        for key, cap in wanted.items()
    ]


def set_visibility(db: Database, employee_id: int, visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise ValueError(
            f"visibility: expected one of {', '.join(VISIBILITIES)}, got {visibility!r}"
        )
    with db.transaction():
        db.execute('UPDATE "employee" SET visibility = ? WHERE id = ?', [visibility, employee_id])
