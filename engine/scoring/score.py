"""Scoring: pending events → ledger entries, standings and counters, in one transaction per batch.

``process_batch`` takes the oldest pending events (``occurred_at`` order, ties broken by source and id so any
arrival order gives the same sequence), scores each with the ruleset in effect when it occurred, and in the
same transaction writes the ledger, the standings, the per-employee counters (caps, once-keys, repeats) and the
events' new status. A crash before commit leaves the events pending, so they are simply scored again; a
scored event is never picked again, so scoring twice has no effect.

An event of an employee the roster does not know yet is *parked* with a reason; ``engine.people.roster`` sets parked
events back to pending when the roster changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec

from badges.earning import badge_rules
from engine import clock
from engine.boards.standings import StandingDeltas
from engine.defaults import BATCH_SIZE
from engine.people.directory import resolve_employees
from engine.rewards.badges import badge_award_row, insert_badge_awards
from engine.rewards.milestones import queue_milestones
from engine.scoring.integrity import IntegrityPass
from engine.scoring.review import LEDGER_COLUMNS, Decisions, closed_months
from engine.scoring.rulesets import RuleBook, load_rulebook
from engine.storage.database import Database
from rules.integrity import integrity_rules

__all__ = ["SHARD_LOCK_SPACE", "ProcessResult", "process_batch", "process_pending"]

#: First key of PostgreSQL's two-key advisory locks taken per shard (an arbitrary constant of Plaudit's).
SHARD_LOCK_SPACE = 0x504C


@dataclass
class ProcessResult:
    events: int = 0
    scored: int = 0
    parked: int = 0
    #: Done without points for a stated reason (inactive employee, no ruleset, unknown type).
    skipped: int = 0
    entries: int = 0
    points: int = 0
    #: Badge tiers earned.
    badges: int = 0
    #: Events whose points wait for HR: an integrity hold, or a closed month (``late``).
    held: int = 0
    late: int = 0
    #: The batch's standings changes, once committed: in-memory and Redis boards apply them.
    deltas: dict = field(default_factory=dict, repr=False, compare=False)

    def __iadd__(self, other: ProcessResult) -> ProcessResult:
        for f in fields(self):
            if f.name != "deltas":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


_LEDGER_COLUMNS = LEDGER_COLUMNS


def process_batch(
    db: Database, book: RuleBook, batch_size: int = BATCH_SIZE, shard: int | None = None
) -> ProcessResult:
    """Score up to ``batch_size`` pending events (of one shard, for scaled workers) in one transaction."""
    in_shard = "" if shard is None else " AND shard = ?"
    with db.transaction():
        if db.dialect == "postgres":
            # One worker at a time per shard: a second one waits for this batch to commit and then sees what is
            # left, so an employee's events are scored in order by any number of workers. A worker of all
            # shards (key -1, exclusive) excludes every shard worker (who hold -1 shared).
            # (SQLite's BEGIN IMMEDIATE already lets one writer in at a time.)
            if shard is None:
                db.execute("SELECT pg_advisory_xact_lock(?, ?)", [SHARD_LOCK_SPACE, -1])
            else:
                db.execute("SELECT pg_advisory_xact_lock_shared(?, ?)", [SHARD_LOCK_SPACE, -1])
                db.execute("SELECT pg_advisory_xact_lock(?, ?)", [SHARD_LOCK_SPACE, shard])
        rows = db.query(
            # status is a literal so the planner uses the partial indexes event_pending(_shard).
            'SELECT id, type, employee_ref, occurred_at, attributes, received_at FROM "event" '
            "WHERE status = 'pending'"
            f"{in_shard} ORDER BY occurred_at, source, external_id LIMIT ?",
            [*([] if shard is None else [shard]), batch_size],
        )
        if not rows:
            return ProcessResult()
        return _score(db, book, rows)


def _score(db: Database, book: RuleBook, rows: list[tuple[Any, ...]]) -> ProcessResult:
    result = ProcessResult(events=len(rows))
    members = resolve_employees(db, {r[2] for r in rows})
    decode = msgspec.json.decode
    read_ts = db.read_ts
    now = db.ts(clock.now())

    # Months already closed (award or payout): their events wait for HR instead (engine.scoring.review).
    closed = closed_months(db)
    decisions = Decisions(
        db,
        {m.id for m in members.values()}
        if closed or any(integrity_rules(r) for r in book.rulesets)
        else (),
    )

    # Pass 1: who, which ruleset, and which counters each event may touch (fetched in one query).
    prepared: list[tuple[Any, ...]] = []
    # (status, reason, ruleset version) -> event ids: one UPDATE per group instead of one per event.
    statuses: defaultdict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    wanted: set[str] = set()
    for event_id, etype, ref, occurred_raw, attrs_raw, received_raw in rows:
        member = members.get(ref)
        if member is None:
            statuses[("parked", f"unknown employee {ref!r}", None)].append(event_id)
            result.parked += 1
            continue
        occurred = read_ts(occurred_raw)
        if not member.earns(occurred):
            statuses[("done", "employee inactive: not scored", None)].append(event_id)
            result.skipped += 1
            continue
        rules = book.for_time(occurred)
        if rules is None:
            statuses[("done", "no ruleset in effect at occurred_at", None)].append(event_id)
            result.skipped += 1
            continue
        if etype not in rules.event_types:
            statuses[
                ("done", f"event type {etype!r} is not in ruleset {rules.version}", rules.version)
            ].append(event_id)
            result.skipped += 1
            continue
        attrs = rules.normalize(
            etype, decode(attrs_raw) if isinstance(attrs_raw, str | bytes) else attrs_raw
        )
        late_note = None
        month = rules.periods(occurred).month if closed else None
        if month in closed and read_ts(received_raw) > closed[month][0]:
            case = (member.id, "late", "", f"event:{event_id}")
            decided = decisions.status(case)
            if decided == "rejected":
                statuses[("done", f"late for closed {month}; dropped by HR", None)].append(event_id)
                result.skipped += 1
                continue
            if decided != "approved":
                wait = f"late: {month} is closed ({closed[month][1]}); waiting for HR"
                decisions.add(case, wait, month or "", event_id)
                statuses[("late", wait, None)].append(event_id)
                result.late += 1
                continue
            late_note = f"scored into closed {month}, approved by HR"
        suffix = f"|{member.id}"
        keys = rules.counter_keys(etype, attrs, occurred)
        cases = integrity_rules(rules).cases(etype, attrs, occurred)
        for signal_case in cases:
            wanted.update(k + suffix for k in signal_case.keys)
        if rules.badges:
            wanted.update(k + suffix for k in badge_rules(rules).counter_keys(etype, occurred))
        # The employee goes last: keys of one cap and day sort together, so a batch dirties few index pages.
        wanted.update(k + suffix for k in keys)
        prepared.append(
            (event_id, etype, member, occurred, occurred_raw, attrs, rules, late_note, cases)
        )

    stored: dict[str, float] = {}
    if wanted:
        stored = dict(
            db.query_in('SELECT key, value FROM "counter" WHERE key IN ({in})', sorted(wanted))
        )
    counters: dict[int, dict[str, float]] = {}
    for full_key, value in stored.items():
        key, _, emp = full_key.rpartition("|")
        counters.setdefault(int(emp), {})[key] = value

    integrity = IntegrityPass(db, decisions)
    used = list({id(p[6]): p[6] for p in prepared if integrity_rules(p[6]).rings}.values())
    if used:
        integrity.prepare_rings(used, [(p[1], p[3], p[5]) for p in prepared])

    # Pass 2: score in order, each employee's counters carried from event to event.
    ledger_rows: list[tuple[Any, ...]] = []
    standings = StandingDeltas()
    encode = msgspec.json.encode
    badge_rows: list[tuple[Any, ...]] = []
    for event_id, etype, member, occurred, occurred_db, attrs, rules, late_note, cases in prepared:
        state = counters.setdefault(member.id, {})
        awards = rules.score(etype, attrs, occurred, state)
        lines = [
            (award.points, "rule", award.rule_id, award.rule_version, award.reasons)
            for award in awards
            if award.points
        ]
        if rules.badges:
            points = sum(line[0] for line in lines)
            for got in badge_rules(rules).evaluate(etype, attrs, occurred, points, state):
                badge, tier = got.badge, got.tier
                badge_rows.append(
                    badge_award_row(
                        member.id,
                        badge.id,
                        tier.name,
                        got.window,
                        event_id,
                        occurred_db,
                        rules.version,
                    )
                )
                if tier.bonus:
                    why = [f"Badge earned: {got.label}: +{tier.bonus}"]
                    lines.append((tier.bonus, "badge", got.rule_id, None, why))
                result.badges += 1
        lined = [
            [
                member.id,
                points,
                kind,
                event_id,
                rule_id,
                rule_version,
                rules.version,
                encode([*reasons, late_note] if late_note else reasons).decode(),
                occurred_db,
            ]
            for points, kind, rule_id, rule_version, reasons in lines
        ]
        status, reason = "done", late_note
        if etype in integrity_rules(rules).watched:
            verdict = integrity.judge(
                rules, member.id, event_id, etype, attrs, occurred, state, lined, cases
            )
            if verdict.action != "count":
                lined = []
                status = "held" if verdict.action == "hold" else "done"
                result.held += verdict.action == "hold"
            reason = verdict.reason or reason
            lined += verdict.taken_back
        period_keys: tuple[str, ...] | None = None
        for row in lined:
            if period_keys is None:
                period_keys = tuple(rules.periods(occurred))
            ledger_rows.append((*row, now))
            standings.add(member.id, period_keys, row[1], occurred_db)
            result.points += row[1]
        statuses[(status, reason, rules.version)].append(event_id)
        result.scored += 1
    result.entries = len(ledger_rows)

    db.insert_rows("ledger_entry", _LEDGER_COLUMNS, ledger_rows)
    decisions.write(db)
    standings.write(db)
    result.deltas = standings.deltas
    insert_badge_awards(db, badge_rows, book.current)
    if book.current is not None and book.current.rewards:
        queue_milestones(db, book.current, standings)
    changed = [
        (f"{key}|{emp}", float(value))
        for emp, state in counters.items()
        for key, value in state.items()
        if stored.get(f"{key}|{emp}") != value
    ]
    db.insert_rows(
        "counter", ("key", "value"), changed, ("key",), "DO UPDATE SET value = excluded.value"
    )
    for (status, reason, version), ids in statuses.items():
        db.execute_in(
            'UPDATE "event" SET status = ?, reason = ?, ruleset_version = ? WHERE id IN ({in})',
            ids,
            [status, reason, version],
        )
    return result


def process_pending(
    db: Database,
    book: RuleBook | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ProcessResult], None] | None = None,
) -> ProcessResult:
    """Score every pending event, batch by batch, until none is left."""
    book = book if book is not None else load_rulebook(db)
    total = ProcessResult()
    while True:
        result = process_batch(db, book, batch_size)
        if not result.events:
            return total
        total += result
        if on_batch is not None:
            on_batch(result)
