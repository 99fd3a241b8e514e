"""Who the employees are: the directory every board view needs (who is visible, in which team), kept in
memory because 100,000 people fit in a few MB and a board filter asks for them per row; resolving the refs
tools use; activating, deactivating and visibility; the shard of each employee.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime

from engine.storage.database import Database

__all__ = [
    "VISIBILITIES",
    "Directory",
    "Member",
    "Person",
    "resolve_employees",
    "set_active",
    "set_visibility",
    "shard_of",
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


def shard_of(employee_id: int | None, ref: str, shards: int) -> int:
    """The shard of an employee: by id when known, else by the ref (a parked event is re-sharded when the
    roster learns who it is)."""
    return employee_id % shards if employee_id is not None else zlib.crc32(ref.encode()) % shards


def set_visibility(db: Database, employee_id: int, visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise ValueError(
            f"visibility: expected one of {', '.join(VISIBILITIES)}, got {visibility!r}"
        )
    with db.transaction():
        db.execute('UPDATE "employee" SET visibility = ? WHERE id = ?', [visibility, employee_id])
