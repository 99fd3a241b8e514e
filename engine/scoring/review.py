"""The review queue: what HR decides on before it counts, or after it was caught.

Two kinds of case reach it (one ``review_item`` row each, unique per employee, kind, signal and bucket):

* ``late``: an event for a month already closed (its award closed or its payout made). It is not scored into
  the closed month by itself; HR approves it (scored into that month: the ledger and the board show the
  correction, the frozen award does not change) or rejects it (dropped).
* ``flag`` / ``hold`` / ``zero``: an integrity signal of rules.yaml tripped (rules.integrity). Approving a
  hold writes its points; rejecting a flag takes its points back; a zero is kept as the record.

Every decision is written to the audit log in the same transaction. Decisions are read again when events are
scored (``Decisions``), so a replay gives the ledger HR decided, not the one before the decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import msgspec

from engine import clock
from engine.boards.standings import StandingDeltas
from engine.errors import PlauditError
from engine.scoring.rulesets import RuleBook
from engine.storage import audit
from engine.storage.database import Database

__all__ = [
    "KINDS",
    "LEDGER_COLUMNS",
    "REVIEW_DECIDED",
    "STATUSES",
    "Case",
    "Decided",
    "Decisions",
    "ReviewLine",
    "closed_months",
    "decide",
    "review_items",
]

KINDS: Final = ("late", "flag", "hold", "zero")
STATUSES: Final = ("open", "approved", "rejected", "noted")
#: The audit action of a decision (subject: "review <id>").
REVIEW_DECIDED: Final = "review.decided"

LEDGER_COLUMNS: Final = (
    "employee",
    "points",
    "kind",
    "event",
    "rule_id",
    "rule_version",
    "ruleset_version",
    "reasons",
    "occurred_at",
    "created_at",
)


@dataclass
class Case:
    """A review item as one batch builds it: created or extended, written when the batch commits."""

    employee: int
    kind: str
    signal: str
    bucket: str
    reason: str
    period: str = ""
    status: str = "open"
    evidence: list[int] = field(default_factory=list)
    #: Ledger rows whose points wait for HR: LEDGER_COLUMNS without created_at.
    entries: list[list[Any]] = field(default_factory=list)
    stored: bool = False


CaseKey = tuple[int, str, str, str]


class Decisions:
    """The review items of a batch's employees: their status, and the cases the batch adds to."""

    def __init__(self, db: Database, employees: Iterable[int]) -> None:
        self.db = db
        self.cases: dict[CaseKey, Case] = {}
        self.touched: set[CaseKey] = set()
        self._loaded: set[int] = set()
        #: Events of flags HR rejected: they earn nothing, whoever's case it is (a ring names three people).
        self.rejected_events: set[int] = set()
        ids = sorted(set(employees))
        if not ids:
            return
        self.load(ids)
        decode = msgspec.json.decode
        for (evidence,) in db.query(
            "SELECT evidence FROM \"review_item\" WHERE kind = 'flag' AND status = 'rejected'"
        ):
            self.rejected_events.update(
                decode(evidence) if isinstance(evidence, str | bytes) else evidence
            )

    def load(self, employees: Iterable[int]) -> None:
        """Read the cases of ``employees`` not read yet (a ring's case may be another employee's)."""
        ids = sorted(set(employees) - self._loaded)
        if not ids:
            return
        self._loaded.update(ids)
        rows = self.db.query_in(
            "SELECT employee, kind, signal, bucket, reason, period, status, evidence, entries "
            'FROM "review_item" WHERE employee IN ({in})',
            ids,
        )
        decode = msgspec.json.decode
        for emp, kind, signal, bucket, reason, period, status, evidence, entries in rows:
            self.cases[emp, kind, signal, bucket] = Case(
                emp,
                kind,
                signal,
                bucket,
                reason,
                period,
                status,
                list(decode(evidence) if isinstance(evidence, str | bytes) else evidence),
                list(decode(entries) if isinstance(entries, str | bytes) else entries),
                stored=True,
            )

    def reset(self, employee: int, since_month: str | None = None) -> None:
        """Forget the evidence and held points of ``employee``'s undecided signal cases (of ``since_month`` and
        after): scoring them again rebuilds them (a case left without evidence is removed)."""
        self.load([employee])
        for key, case in self.cases.items():
            if since_month is not None and case.period < since_month:
                continue
            if key[0] == employee and case.kind != "late" and case.status in ("open", "noted"):
                case.evidence, case.entries = [], []
                self.touched.add(key)

    def status(self, key: CaseKey) -> str | None:
        case = self.cases.get(key)
        return None if case is None else case.status

    def add(self, key: CaseKey, reason: str, period: str, event: int) -> tuple[Case, bool]:
        """The case of ``key`` with ``event`` in its evidence; True when the case is new."""
        self.load([key[0]])
        case = self.cases.get(key)
        new = case is None
        if case is None:
            employee, kind, signal, bucket = key
            status = "noted" if kind == "zero" else "open"
            case = self.cases[key] = Case(employee, kind, signal, bucket, reason, period, status)
        if event not in case.evidence:
            case.evidence.append(event)
        self.touched.add(key)
        return case, new

    def write(self, db: Database) -> None:
        """Store the cases this batch created or extended (inside the batch's transaction)."""
        encode = msgspec.json.encode
        now = db.ts(clock.now())
        rows = []
        empty = [key for key in sorted(self.touched) if not self.cases[key].evidence]
        for employee, kind, signal, bucket in empty:
            db.execute(
                'DELETE FROM "review_item" WHERE employee = ? AND kind = ? AND signal = ? AND bucket = ?',
                [employee, kind, signal, bucket],
            )
        for key in sorted(self.touched):
            c = self.cases[key]
            if not c.evidence:
                continue
            rows.append(
                (
                    c.employee,
                    c.kind,
                    c.signal,
                    c.bucket,
                    c.reason,
                    encode(c.evidence).decode(),
                    encode(c.entries).decode(),
                    c.period,
                    c.status,
                    now,
                )
            )
        db.insert_rows(
            "review_item",
            (
                "employee",
                "kind",
                "signal",
                "bucket",
                "reason",
                "evidence",
                "entries",
                "period",
                "status",
                "created_at",
            ),
            rows,
            ("employee", "kind", "signal", "bucket"),
            "DO UPDATE SET reason = excluded.reason, evidence = excluded.evidence, "
            "entries = excluded.entries",
        )


def closed_months(db: Database) -> dict[str, tuple[datetime, str]]:
    """Months closed (an award closed or a payout made for them): when they first closed, and why.

    An event received after its month closed is late; one received before was in time, however late it
    was scored (a replay scores it again as it was).
    """
    out: dict[str, tuple[datetime, str]] = {}
    rows = [
        (period, closed_at, f"award {award} closed")
        for award, period, closed_at in db.query(
            'SELECT award, period, closed_at FROM "award_closing"'
        )
        if len(period) == 7  # a month (a quarter's award does not park its months' events)
    ]
    rows += [
        (period, closed_at, f"payout {reward} made")
        for reward, period, closed_at in db.query(
            'SELECT reward, period, closed_at FROM "payout_closing"'
        )
    ]
    for period, closed_at, why in rows:
        at = db.read_ts(closed_at)
        if period not in out or at < out[period][0]:
            out[period] = (at, why)
    return out


class ReviewLine(msgspec.Struct, frozen=True):
    """One case as HR sees it (the API serves it as it is, the page and the CLI show it)."""

    id: int
    employee: str
    name: str
    kind: str
    signal: str
    bucket: str
    reason: str
    period: str
    status: str
    #: The events that make the case (ids), the first the one that tripped the signal.
    evidence: list[int]
    #: Points waiting for the decision (a hold).
    points: int
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str


def review_items(
    db: Database, status: str | None = "open", limit: int = 100, after: int = 0
) -> list[ReviewLine]:
    """Cases oldest first (from id ``after``), of one ``status`` (None: all)."""
    if status is not None and status not in STATUSES:
        raise PlauditError("status", f"expected one of {', '.join(STATUSES)}", "invalid")
    where = " AND r.status = ?" if status else ""
    rows = db.query(
        "SELECT r.id, e.external_id, e.name, r.kind, r.signal, r.bucket, r.reason, r.period, r.status, "
        "r.evidence, r.entries, r.created_at, r.decided_by, r.decided_at, r.note "
        'FROM "review_item" r JOIN "employee" e ON e.id = r.employee WHERE r.id > ?'
        f"{where} ORDER BY r.id LIMIT ?",
        [after, *([status] if status else []), limit],
    )
    decode = msgspec.json.decode
    out = []
    for (
        item_id, ext, name, kind, signal, bucket, reason, period, st,
        evidence, entries, created, by, at, note,
    ) in rows:  # fmt: skip
        held = decode(entries) if isinstance(entries, str | bytes) else entries
        out.append(
            ReviewLine(
                int(item_id),
                ext,
                name,
                kind,
                signal,
                bucket,
                reason,
                period,
                st,
                list(decode(evidence) if isinstance(evidence, str | bytes) else evidence),
                sum(int(row[1]) for row in held),
                db.read_ts(created),
                by,
                db.read_ts(at) if at is not None else None,
                note or "",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision made: the case as it is now, and the standings it changed (for the live boards)."""

    item: ReviewLine
    deltas: dict[tuple[str, str, int], list[Any]]


def decide(
    db: Database, book: RuleBook, item_id: int, approve: bool, actor: str, note: str = ""
) -> Decided:
    """HR's decision on an open case, applied and audited in one transaction.

    late, approved: the event is scored again, into its closed month (its status back to pending, the case
    approved so scoring lets it through). late, rejected: the event is dropped. hold, approved: its held
    points are written now (kind ``review``). flag, rejected: its events' points are taken back. The other
    decisions change nothing but the case.
    """
    if not actor or not actor.strip():
        raise PlauditError("actor", "a decision needs the name of who made it", "invalid")
    now = clock.now()
    deltas = StandingDeltas()
    with db.transaction():
        rows = db.query(
            'SELECT employee, kind, status, evidence, entries FROM "review_item" WHERE id = ?',
            [item_id],
        )
        if not rows:
            raise PlauditError("id", f"no review item {item_id}", "not_found")
        employee, kind, status, evidence_raw, entries_raw = rows[0]
        if status != "open":
            raise PlauditError("id", f"review item {item_id} is {status}, not open", "conflict")
        decode = msgspec.json.decode
        evidence = decode(evidence_raw) if isinstance(evidence_raw, str | bytes) else evidence_raw
        held = decode(entries_raw) if isinstance(entries_raw, str | bytes) else entries_raw
        why = f"{'approved' if approve else 'rejected'} by {actor.strip()}" + (
            f": {note}" if note else ""
        )
        if kind == "late":
            if approve:
                db.execute_in(
                    "UPDATE \"event\" SET status = 'pending', reason = NULL WHERE id IN ({in})",
                    evidence,
                )
            else:
                db.execute_in(
                    "UPDATE \"event\" SET status = 'done', reason = ? WHERE id IN ({in})",
                    evidence,
                    [f"late for a closed month; dropped ({why})"],
                )
        elif kind == "hold" and approve:
            _write_entries(
                db, book, [[*row[:2], "review", *row[3:]] for row in held], why, now, deltas
            )
            db.execute_in(
                "UPDATE \"event\" SET status = 'done', reason = ? WHERE id IN ({in}) AND status = 'held'",
                evidence,
                [f"held, then {why}"],
            )
        elif kind == "hold":
            db.execute_in(
                "UPDATE \"event\" SET status = 'done', reason = ? WHERE id IN ({in}) AND status = 'held'",
                evidence,
                [f"held, then {why}: no points"],
            )
        elif kind == "flag" and not approve:
            # What the events hold now, whatever wrote it (scoring, a re-score, a hold's take-back).
            taken = db.query_in(
                "SELECT employee, SUM(points), event, rule_id, MAX(rule_version), MAX(ruleset_version), "
                'MIN(occurred_at) FROM "ledger_entry" WHERE event IN ({in}) '
                "AND kind IN ('rule', 'badge', 'integrity', 'rescore') "
                "GROUP BY employee, event, rule_id ORDER BY event, rule_id",
                evidence,
            )
            back = [
                [e, -int(p), "review", event, rule, version, ruleset, "[]", at]
                for e, p, event, rule, version, ruleset, at in taken
                if p
            ]
            _write_entries(db, book, back, why, now, deltas)
        db.execute(
            'UPDATE "review_item" SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ?',
            ["approved" if approve else "rejected", actor.strip(), db.ts(now), note, item_id],
        )
        audit.record(
            db,
            actor,
            REVIEW_DECIDED,
            f"review {item_id}",
            f"{kind} {'approved' if approve else 'rejected'} for employee {employee}",
            note,
        )
    return Decided(review_items(db, None, 1, item_id - 1)[0], deltas.deltas)


def _write_entries(
    db: Database,
    book: RuleBook,
    rows: list[list[Any]],
    why: str,
    now: datetime,
    deltas: StandingDeltas,
) -> None:
    """Ledger rows (without created_at) written with ``why`` added to their reasons; standings follow."""
    if not rows:
        return
    encode, decode = msgspec.json.encode, msgspec.json.decode
    out = []
    for emp, points, kind, event, rule_id, rule_version, version, reasons, occurred in rows:
        said = decode(reasons) if isinstance(reasons, str | bytes) else list(reasons)
        out.append(
            (
                emp,
                points,
                kind,
                event,
                rule_id,
                rule_version,
                version,
                encode([*said, why]).decode(),
                occurred,
                db.ts(now),
            )
        )
        when = db.read_ts(occurred)
        rules = book.for_time(when) or book.current
        if rules is not None:
            deltas.add(emp, tuple(rules.periods(when)), points, db.ts(when))
    db.insert_rows("ledger_entry", LEDGER_COLUMNS, out)
    deltas.write(db)
