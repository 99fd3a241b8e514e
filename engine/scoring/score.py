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

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import msgspec

from badges.earning import badge_rules
from engine import clock
from engine.defaults import BATCH_SIZE
from engine.logs import log_context
from engine.people.directory import resolve_employees
from engine.rewards.badges import insert_badge_awards
from engine.rewards.milestones import queue_milestones
from engine.scoring.integrity import IntegrityPass
from engine.scoring.near_duplicates import Keyed, near_duplicates
from engine.scoring.near_duplicates import reason as near_reason
from engine.scoring.rescore import (
    SCORED_UNTIL,
    BatchWriter,
    LateArrival,
    Prepared,
    rescore_late,
    score_event,
)
from engine.scoring.review import LEDGER_COLUMNS, Decisions, closed_months
from engine.scoring.rulesets import RuleBook, load_rulebook
from engine.storage.database import Database
from rules.integrity import integrity_rules

__all__ = ["SHARD_LOCK_SPACE", "ProcessResult", "process_batch", "process_pending"]

log = logging.getLogger("plaudit.scoring")

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
    #: Near-duplicates of an event stored after them (engine.scoring.near_duplicates): not scored.
    duplicates: int = 0
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
    started = time.perf_counter()
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
            "SELECT id, type, employee_ref, occurred_at, attributes, received_at, source, external_id, "
            "dedupe_key "
            'FROM "event" '
            "WHERE status = 'pending'"
            f"{in_shard} ORDER BY occurred_at, source, external_id LIMIT ?",
            [*([] if shard is None else [shard]), batch_size],
        )
        if not rows:
            return ProcessResult()
        ids = [r[0] for r in rows]
        # Every line logged while scoring names the batch (its event ids) and the program's ruleset.
        context = {
            "batch": f"{min(ids)}-{max(ids)}",
            "shard": shard,
            "ruleset": book.current.version if book.current else None,
        }
        with log_context(**context):
            result = _score(db, book, rows)
    with log_context(**context):
        log.info(
            "scored a batch of %d events: %d scored, %d points, %d parked, %d held in %.1f ms",
            result.events,
            result.scored,
            result.points,
            result.parked,
            result.held,
            (time.perf_counter() - started) * 1000,
        )
    return result


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
    prepared: list[Prepared] = []
    # (status, reason, ruleset version) -> event ids: one UPDATE per group instead of one per event.
    statuses: defaultdict[tuple[str, str | None, str | None], list[int]] = defaultdict(list)
    wanted: set[str] = set()
    keyed: list[tuple[Keyed, Prepared]] = []
    for (
        event_id,
        etype,
        ref,
        occurred_raw,
        attrs_raw,
        received_raw,
        source,
        external,
        dedupe,
    ) in rows:
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
        wanted.add(f"{SCORED_UNTIL}{suffix}")
        p = Prepared(
            event_id,
            etype,
            member.id,
            occurred,
            occurred_raw,
            attrs,
            rules,
            late_note,
            cases,
            (occurred, source, external),
        )
        prepared.append(p)
        if (k := Keyed.of(rules, etype, dedupe, occurred, source, external)) is not None:
            keyed.append((k, p))

    # Near-duplicates (engine.scoring.near_duplicates) are not scored, but one that arrived late still re-scores
    # its employee below: the shares after it may be near-duplicates of it.
    duplicates: list[Prepared] = []
    if keyed:
        near = {id(keyed[n][1]) for n in near_duplicates(db, [k for k, _ in keyed])}
        for k, p in keyed:
            if id(p) in near:
                statuses[("duplicate", near_reason(k.window), p.rules.version)].append(p.event_id)
                duplicates.append(p)
        result.duplicates += len(duplicates)
        prepared = [p for p in prepared if id(p) not in near]

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
    used = list({id(p.rules): p.rules for p in prepared if integrity_rules(p.rules).rings}.values())
    if used:
        integrity.prepare_rings(used, [(p.etype, p.occurred, p.attrs) for p in prepared])

    # An employee with an event earlier than one already scored is scored again from their first event
    # (engine.scoring.rescore): caps, once, repeats, badges and signals then see the events in time order.
    first: dict[int, datetime] = {}
    for p in [*prepared, *duplicates]:
        first[p.employee] = min(p.occurred, first.get(p.employee, p.occurred))
    late = {
        emp
        for emp, at in first.items()
        if counters.get(emp, {}).get(SCORED_UNTIL, float("-inf")) > at.timestamp()
    }

    # Pass 2: score in order, each employee's counters carried from event to event.
    batch = BatchWriter(now, db.read_ts)
    for p in prepared:
        if p.employee in late:
            continue
        state = counters.setdefault(p.employee, {})
        batch.add(p, score_event(p, state, integrity))
        state[SCORED_UNTIL] = max(state.get(SCORED_UNTIL, float("-inf")), p.occurred.timestamp())
    if late:
        mine: dict[int, list[Prepared]] = {emp: [] for emp in late}
        arrivals = {emp: LateArrival(set(), first[emp]) for emp in late}
        for p in prepared:
            if p.employee in late:
                arrivals[p.employee].types.add(p.etype)
                mine[p.employee].append(p)
        for p in duplicates:
            if p.employee in late:
                arrivals[p.employee].types.add(p.etype)
        rescore_late(db, book, mine, arrivals, counters, integrity, batch)
    result.scored += batch.scored
    result.held += batch.held
    result.points += batch.points
    result.badges += len(batch.badges)
    for said, ids in batch.statuses.items():
        statuses[said].extend(ids)
    ledger_rows, standings, badge_rows = batch.ledger, batch.standings, batch.badges
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
    db.insert_rows(
        "scoring_checkpoint",
        ("employee", "month", "state"),
        batch.checkpoints,
        ("employee", "month"),
        "DO UPDATE SET state = excluded.state",
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
