"""Scoring one event, and scoring an employee again when an earlier event of theirs arrives late.

Caps, ``once``, repeats, badges and integrity signals depend on the order of an employee's events. Events are
scored in ``occurred_at`` order within a batch, but a tool may send an event after later ones were scored (a
retry, an outage, a slow webhook). Then the employee is scored again in time order from the start of the late
event's month (their counters as they stood then are a *checkpoint*, written by earlier re-scores; without one,
from their first event with fresh counters), inside the batch's transaction: each earlier event's points are
compared with what the ledger holds for it, and the difference is written as a ``rescore`` entry ("re-scored:
an earlier share arrived late"). The ledger stays append-only and explains itself; the totals are those of the events in time
order, whatever order they arrived in. Only that employee is touched, never a full replay.

Which employee: the counter ``scored_until`` holds the latest ``occurred_at`` scored for them; a batch event
earlier than it marks them.

Why month starts: no integrity bucket (an hour, a day, a month) straddles one, so the review cases of earlier
months stay as they are. A program with weekly integrity buckets is re-scored from the first event.

Left as it is: a badge earned under the old order stays earned (its public id may have been shared); a badge the
new order earns is added.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from badges.earning import badge_rules
from engine.boards.standings import StandingDeltas
from engine.rewards.badges import badge_award_row
from engine.scoring.integrity import IntegrityPass
from engine.scoring.near_duplicates import Keyed, near_duplicates
from engine.scoring.near_duplicates import reason as near_reason
from engine.scoring.rulesets import RuleBook
from engine.storage.database import Database
from rules import CompiledRules
from rules.integrity import SignalCase, integrity_rules

__all__ = [
    "SCORED_UNTIL",
    "BatchWriter",
    "LateArrival",
    "Outcome",
    "Prepared",
    "rescore_late",
    "score_event",
]

#: The counter (per employee) of the latest occurred_at scored, as a POSIX timestamp.
SCORED_UNTIL = "scored_until"


class Prepared(NamedTuple):
    """An event ready to score: who, which ruleset, normalised attributes, its integrity cases."""

    event_id: int
    etype: str
    employee: int
    occurred: datetime
    occurred_db: Any
    attrs: dict[str, Any]
    rules: CompiledRules
    late_note: str | None
    cases: tuple[SignalCase, ...]
    #: The scoring order: (occurred_at, source, external_id).
    order: tuple[Any, ...]


class LateArrival(NamedTuple):
    """What arrived late for one employee: the types (near-duplicates included) and the earliest time."""

    types: set[str]
    first: datetime


class Checkpoint(NamedTuple):
    """An employee's counters at the start of ``month`` (after every event before it)."""

    month: str
    since: datetime
    state: dict[str, float]


@dataclass
class Outcome:
    """One event scored: its ledger rows (LEDGER_COLUMNS without created_at), status and badges."""

    rows: list[list[Any]]
    status: str
    reason: str | None
    badges: list[tuple[Any, ...]]


def score_event(p: Prepared, state: dict[str, float], integrity: IntegrityPass) -> Outcome:
    """Score one event against the employee's counters (updated in place)."""
    rules = p.rules
    awards = rules.score(p.etype, p.attrs, p.occurred, state)
    lines: list[tuple[int, str, str, str | None, list[str]]] = [
        (award.points, "rule", award.rule_id, award.rule_version, award.reasons)
        for award in awards
        if award.points
    ]
    badge_rows: list[tuple[Any, ...]] = []
    if rules.badges:
        points = sum(line[0] for line in lines)
        for got in badge_rules(rules).evaluate(p.etype, p.attrs, p.occurred, points, state):
            tier = got.tier
            badge_rows.append(
                badge_award_row(
                    p.employee,
                    got.badge.id,
                    tier.name,
                    got.window,
                    p.event_id,
                    p.occurred_db,
                    rules.version,
                )
            )
            if tier.bonus:
                lines.append(
                    (
                        tier.bonus,
                        "badge",
                        got.rule_id,
                        None,
                        [f"Badge earned: {got.label}: +{tier.bonus}"],
                    )
                )
    encode = msgspec.json.encode
    note = p.late_note
    rows = [
        [
            p.employee, points, kind, p.event_id, rule_id, rule_version, rules.version,
            encode([*reasons, note] if note else reasons).decode(), p.occurred_db,
        ]
        for points, kind, rule_id, rule_version, reasons in lines
    ]  # fmt: skip
    status, reason = "done", note
    if p.etype in integrity_rules(rules).watched:
        verdict = integrity.judge(
            rules, p.employee, p.event_id, p.etype, p.attrs, p.occurred, state, rows, p.cases
        )
        if verdict.action != "count":
            rows = []
            status = "held" if verdict.action == "hold" else "done"
        reason = verdict.reason or reason
        rows += verdict.taken_back
    return Outcome(rows, status, reason, badge_rows)


@dataclass
class BatchWriter:
    """What a batch writes, gathered: ledger rows, standings, badges and the events' new statuses."""

    now: Any
    #: The database's reader of stored times (rows carry their event's occurred_at as stored).
    read_ts: Any
    ledger: list[tuple[Any, ...]] = field(default_factory=list)
    standings: StandingDeltas = field(default_factory=StandingDeltas)
    badges: list[tuple[Any, ...]] = field(default_factory=list)
    statuses: defaultdict[tuple[str, str | None, str | None], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    scored: int = 0
    held: int = 0
    points: int = 0
    #: (employee, month, counters as JSON) written by re-scores.
    checkpoints: list[tuple[int, str, str]] = field(default_factory=list)

    def rows(self, rules: CompiledRules, rows: list[list[Any]]) -> None:
        """Ledger rows, each counted in the periods of its own event's time."""
        periods: dict[Any, tuple[str, ...]] = {}
        for row in rows:
            at = row[8]
            keys = periods.get(at)
            if keys is None:
                keys = periods[at] = tuple(rules.periods(self.read_ts(at)))
            self.ledger.append((*row, self.now))
            self.standings.add(row[0], keys, row[1], at)
            self.points += row[1]

    def add(self, p: Prepared, outcome: Outcome) -> None:
        self.rows(p.rules, outcome.rows)
        self.badges += outcome.badges
        self.statuses[(outcome.status, outcome.reason, p.rules.version)].append(p.event_id)
        self.scored += 1
        self.held += outcome.status == "held"


def rescore_late(
    db: Database,
    book: RuleBook,
    late: dict[int, list[Prepared]],
    arrivals: dict[int, LateArrival],
    counters: dict[int, dict[str, float]],
    integrity: IntegrityPass,
    batch: BatchWriter,
) -> None:
    """Score each ``late`` employee again (their batch events to score given, and what arrived late);
    their new counters go to ``counters``.

    The reads are one query each for the whole batch (refs, checkpoints, earlier events, ledger sums), so many
    late employees cost a few queries, not a few per employee."""
    employees = sorted(late)
    starts = _checkpoints(db, book, arrivals)
    earlier, duplicates = _scored_events(db, book, employees, starts)
    sums = _ledger_sums(db, employees)
    integrity.decisions.load(employees)
    for employee in employees:
        counters[employee] = _rescore(
            book, employee, late[employee], arrivals[employee].types, starts.get(employee),
            earlier.get(employee, []), duplicates.get(employee, []),
            sums.get(employee, {}), counters.get(employee, {}), integrity, batch,
        )  # fmt: skip


def _rescore(
    book: RuleBook,
    employee: int,
    batch_events: list[Prepared],
    late_types: set[str],
    start: Checkpoint | None,
    earlier: list[Prepared],
    duplicates: list[tuple[Prepared, str]],
    had: dict[tuple[int, str | None], int],
    stored_state: dict[str, float],
    integrity: IntegrityPass,
    batch: BatchWriter,
) -> dict[str, float]:
    """Score ``employee`` again from ``start`` (else their first event), the batch's late ones in their place;
    returns their new counters. Earlier events get ``rescore`` entries for any difference, the batch's events
    their rows; ``duplicates`` (earlier events the late ones made near-duplicates) lose what they had. Each
    month the pass enters gets a checkpoint for the next late event."""
    events = sorted([*earlier, *batch_events], key=lambda p: p.order)
    integrity.rescoring(employee, start.month if start is not None else None)
    state: dict[str, float] = dict(start.state) if start is not None else {}
    month_now = start.month if start is not None else None
    new_sums: dict[tuple[int, str | None], list[Any]] = {}  # (event, rule) -> [points, a row]
    ids_in_batch = {p.event_id for p in batch_events}
    old_statuses: dict[int, tuple[str, str | None, str | None]] = {}
    encode = msgspec.json.encode
    for p in events:
        month = p.rules.periods(p.occurred).month
        if month != month_now:
            if month_now is not None:  # the counters after every event before this month
                batch.checkpoints.append((employee, month, encode(state).decode()))
            month_now = month
        outcome = score_event(p, state, integrity)
        batch.badges += outcome.badges
        if p.event_id in ids_in_batch:
            batch.add(p, outcome)
            continue
        old_statuses[p.event_id] = (outcome.status, outcome.reason, p.rules.version)
        for row in outcome.rows:
            if row[3] in ids_in_batch:  # a hold taking back a late event's points: written as it is
                batch.rows(p.rules, [row])
                continue
            got = new_sums.get((row[3], row[4]))
            if got is None:
                new_sums[(row[3], row[4])] = [row[1], row]
            else:
                got[0] += row[1]
    if events:  # the batch's events too: a later batch's event earlier than them is late again
        state[SCORED_UNTIL] = events[-1].occurred.timestamp()
    why = msgspec.json.encode(
        [f"re-scored: an earlier {' / '.join(sorted(late_types))} arrived late"]
    ).decode()
    by_event = {p.event_id: p for p in earlier}
    for p, near in duplicates:
        by_event[p.event_id] = p
        old_statuses[p.event_id] = ("duplicate", near, p.rules.version)
    for event, rule_id in sorted(new_sums.keys() | had.keys(), key=lambda k: (k[0], k[1] or "")):
        points, sample = new_sums.get((event, rule_id), (0, None))
        delta = points - had.get((event, rule_id), 0)
        source = by_event.get(event)
        if not delta or source is None:
            continue
        version = sample[5] if sample is not None else None
        entry = [employee, delta, "rescore", event, rule_id, version, source.rules.version, why]
        batch.rows(source.rules, [[*entry, source.occurred_db]])
    for event, said in old_statuses.items():
        batch.statuses[said].append(event)
    # Counters this employee had and the new order no longer sets start again from nothing.
    for key in stored_state:
        state.setdefault(key, 0.0)
    return state


def _checkpoints(
    db: Database, book: RuleBook, arrivals: dict[int, LateArrival]
) -> dict[int, Checkpoint]:
    """Where each employee's re-score starts: their latest checkpoint at or before the month of their earliest
    late event. None for a program with weekly integrity buckets (a week straddles a month start)."""
    if any(
        spec.per == "week"
        for rules in book.rulesets
        for specs in integrity_rules(rules).by_event.values()
        for spec in specs
    ):
        return {}
    found: dict[int, list[tuple[str, str]]] = {}
    for employee, month, state in db.query_in(
        'SELECT employee, month, state FROM "scoring_checkpoint" WHERE employee IN ({in})',
        sorted(arrivals),
    ):
        found.setdefault(int(employee), []).append((month, state))
    out: dict[int, Checkpoint] = {}
    for employee, rows in found.items():
        at = arrivals[employee].first
        rules = book.for_time(at)
        if rules is None:
            continue
        late_month = rules.periods(at).month
        usable = [row for row in rows if row[0] <= late_month]
        if usable:
            month, state = max(usable)
            year, number = (int(part) for part in month.split("-"))
            since = datetime(year, number, 1, tzinfo=rules.timezone)
            out[employee] = Checkpoint(month, since, msgspec.json.decode(state))
    return out


def _scored_events(
    db: Database, book: RuleBook, employees: list[int], starts: dict[int, Checkpoint]
) -> tuple[dict[int, list[Prepared]], dict[int, list[tuple[Prepared, str]]]]:
    """The employees' events scored so far (done or held under a ruleset) since their checkpoint, ready to
    score again; apart, those that are near-duplicates now (of a late event, or of one a late event made a
    duplicate), with the reason."""
    who: dict[str, int] = {}
    for employee, external, email in db.query_in(
        'SELECT id, external_id, email FROM "employee" WHERE id IN ({in})', employees
    ):
        who[external] = employee
        if email:
            who[email] = who[email.lower()] = employee
    # Two reads: the employees starting at a checkpoint from the earliest of them on, the others whole.
    sql = (
        "SELECT id, type, occurred_at, attributes, source, external_id, employee_ref, dedupe_key "
        "FROM \"event\" WHERE status IN ('done', 'held') AND ruleset_version IS NOT NULL "
    )
    dated = sorted(ref for ref, employee in who.items() if employee in starts)
    whole = sorted(ref for ref, employee in who.items() if employee not in starts)
    rows = db.query_in(sql + "AND employee_ref IN ({in})", whole)
    if dated:
        since = min(s.since for s in starts.values())
        rows += db.query_in(
            sql + "AND occurred_at >= ? AND employee_ref IN ({in})", dated, [db.ts(since)]
        )
    decode = msgspec.json.decode
    out: dict[int, list[Prepared]] = {}
    keyed: list[tuple[Keyed, Prepared]] = []
    for event_id, etype, occurred_raw, attrs_raw, source, external, ref, dedupe in rows:
        occurred = db.read_ts(occurred_raw)
        rules = book.for_time(occurred)
        start = starts.get(who[ref])
        if rules is None or etype not in rules.event_types or (start and occurred < start.since):
            continue
        attrs = rules.normalize(
            etype, decode(attrs_raw) if isinstance(attrs_raw, str | bytes) else attrs_raw
        )
        cases = integrity_rules(rules).cases(etype, attrs, occurred)
        p = Prepared(
            int(event_id),
            etype,
            who[ref],
            occurred,
            db.ts(occurred),
            attrs,
            rules,
            None,
            cases,
            (occurred, source, external),
        )
        out.setdefault(p.employee, []).append(p)
        if (k := Keyed.of(rules, etype, dedupe, occurred, source, external)) is not None:
            keyed.append((k, p))
    duplicates: dict[int, list[tuple[Prepared, str]]] = {}
    for n in near_duplicates(db, [k for k, _ in keyed]):
        k, p = keyed[n]
        duplicates.setdefault(p.employee, []).append((p, near_reason(k.window)))
        out[p.employee].remove(p)
    return out, duplicates


def _ledger_sums(
    db: Database, employees: list[int]
) -> dict[int, dict[tuple[int, str | None], int]]:
    """Points the ledger holds per employee and (event, rule): from scoring, and from HR's review decisions
    (an approved hold's points, a rejected flag's take-back), which the re-score reproduces from the decision.
    Adjustments name no event and stay out."""
    rows = db.query_in(
        'SELECT employee, event, rule_id, SUM(points) FROM "ledger_entry" WHERE employee IN ({in}) '
        "AND event IS NOT NULL AND kind IN ('rule', 'badge', 'integrity', 'rescore', 'review') "
        "GROUP BY employee, event, rule_id",
        employees,
    )
    out: dict[int, dict[tuple[int, str | None], int]] = {}
    for employee, event, rule_id, points in rows:
        out.setdefault(int(employee), {})[(int(event), rule_id)] = int(points)
    return out
