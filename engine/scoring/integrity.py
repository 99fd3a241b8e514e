"""Integrity signals applied while a batch is scored: which points count, wait for HR, or are dropped.

``rules.integrity`` counts (bursts, shares) in the employee's counters; this module adds what needs the
database (who closes a shoutout ring, which earlier points of a day a hold takes back) and turns each tripped
signal into a review case (engine.scoring.review) with the effect HR chose in rules.yaml:

* count: flag, or a case HR approved;
* hold: the event's points go into the case (status ``held``); when a hold case opens, the points its bucket
  already gave are taken back into it too (kind ``integrity`` entries), so a held day earns nothing until HR
  approves it;
* drop: zero, or a case HR rejected (a rejected hold takes back its bucket again when replayed).

Whether a bucket's earlier points were taken back is a counter (``…:held``), so a replay, which starts from
empty counters, takes them back again at the same event and ends with the same ledger.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import msgspec

from engine.people.directory import resolve_employees
from engine.scoring.review import Case, Decisions
from engine.storage.database import Database
from rules import CompiledRules, person_ref
from rules.integrity import (
    Edge,
    IntegrityRules,
    IntegritySpec,
    SignalCase,
    Tripped,
    integrity_rules,
    rings_through,
)

__all__ = ["COUNT", "IntegrityPass", "Verdict"]


class Verdict(msgspec.Struct):
    """What happens to one event's lines: ``count``, ``hold`` or ``drop``, and why."""

    action: str = "count"
    reason: str | None = None
    #: Compensating ledger rows (LEDGER_COLUMNS without created_at) for points a new hold takes back.
    taken_back: list[list[Any]] = msgspec.field(default_factory=list)


#: The verdict on most events: their points count, nothing to say (shared; never changed).
COUNT = Verdict()


class IntegrityPass:
    """One batch's integrity work: ring edges loaded once, each employee's lines kept for a hold to take back."""

    def __init__(self, db: Database, decisions: Decisions) -> None:
        self.db = db
        self.decisions = decisions
        # employee -> [(event id, type, attributes, occurred, rows)] scored so far in this batch
        self.scored: defaultdict[
            int, list[tuple[int, str, dict[str, Any], datetime, list[list[Any]]]]
        ] = defaultdict(list)
        self._edges: dict[str, dict[int, dict[int, list[tuple[datetime, int]]]]] = {}
        self._rescoring: set[int] = set()
        self._people: dict[str, int] = {}

    def rescoring(self, employee: int, since_month: str | None = None) -> None:
        """``employee`` is scored again from their first event or the start of ``since_month``
        (engine.scoring.rescore): what this pass kept of them goes, their open cases of those months are
        rebuilt from the events, and take-backs look only at this pass (no bucket straddles a month start)."""
        self.scored.pop(employee, None)
        self._rescoring.add(employee)
        self.decisions.reset(employee, since_month)

    # -- rings -------------------------------------------------------------------------------------------
    def prepare_rings(
        self, rules_used: list[CompiledRules], events: list[tuple[str, datetime, dict[str, Any]]]
    ) -> None:
        """Load every stored shoutout a ring through the batch's shoutouts may use (their window both ways),
        scored or not: what counts is the set of shoutouts, not the order they are scored in."""
        specs = {s.event: s for r in rules_used for s in integrity_rules(r).rings}
        for event_type, spec in specs.items():
            times = [t for etype, t, _ in events if etype == event_type]
            if not times:
                continue
            reach = timedelta(days=spec.within_days)
            rows = self.db.query(
                'SELECT id, employee_ref, attributes, occurred_at FROM "event" WHERE type = ? '
                "AND status != 'rejected' AND occurred_at >= ? AND occurred_at <= ?",
                [event_type, self.db.ts(min(times) - reach), self.db.ts(max(times) + reach)],
            )
            decode = msgspec.json.decode
            sent: list[tuple[int, str, str, datetime]] = []
            for event_id, ref, attrs, occurred in rows:
                values = decode(attrs) if isinstance(attrs, str | bytes) else attrs
                giver = values.get(spec.giver)
                if isinstance(giver, str):
                    sent.append((int(event_id), person_ref(giver), ref, self.db.read_ts(occurred)))
            self._resolve({g for _, g, _, _ in sent} | {r for _, _, r, _ in sent})
            graph: dict[int, dict[int, list[tuple[datetime, int]]]] = {}
            for event_id, giver, receiver, at in sent:
                a, b = self._people.get(giver), self._people.get(receiver)
                if a is not None and b is not None:
                    graph.setdefault(a, {}).setdefault(b, []).append((at, event_id))
            self._edges[event_type] = graph

    def _resolve(self, refs: set[str]) -> None:
        missing = {r for r in refs if r not in self._people}
        for ref, member in resolve_employees(self.db, missing).items():
            self._people[ref] = member.id

    def _rings(
        self,
        rules: CompiledRules,
        spec: IntegritySpec,
        employee: int,
        event_id: int,
        attrs: dict[str, Any],
        occurred: datetime,
    ) -> None:
        """Open (or extend) a flag for every ring this shoutout is part of, on the employee whose shoutout
        closed it (the latest): the same cases whichever of its shoutouts is scored last."""
        giver = self._people.get(person_ref(str(attrs.get(spec.giver))))
        if giver is None:
            return
        graph = self._edges.get(spec.event, {})
        for ring in rings_through(
            graph, Edge(occurred, event_id, giver, employee), spec.within_days
        ):
            closing = ring[-1]
            people = len({e.giver for e in ring})
            reason = f"{spec.id}: a shoutout ring of {people} people within {spec.within_days} days"
            key = (closing.receiver, "flag", spec.id, f"event:{closing.event}")
            for member in ring:
                self.decisions.add(key, reason, rules.periods(closing.at).month, member.event)

    # -- one event --------------------------------------------------------------------------------------
    def judge(
        self,
        rules: CompiledRules,
        employee: int,
        event_id: int,
        etype: str,
        attrs: dict[str, Any],
        occurred: datetime,
        state: dict[str, float],
        rows: list[list[Any]],
        cases: tuple[SignalCase, ...],
    ) -> Verdict:
        """The verdict on one scored event (``rows``: its ledger rows, LEDGER_COLUMNS without created_at)."""
        signals: IntegrityRules = integrity_rules(rules)
        tripped = signals.check(cases, attrs, occurred, state) if cases else []
        if etype in signals.ring_events:
            for spec in signals.rings:
                if spec.event == etype:
                    self._rings(rules, spec, employee, event_id, attrs, occurred)
        rejected = event_id in self.decisions.rejected_events
        if not tripped and not rejected:  # the common case: nothing to say
            if (
                etype in signals.held_events
            ):  # a hold opening later in its bucket may take these back
                self.scored[employee].append((event_id, etype, attrs, occurred, rows))
            return COUNT
        verdict = Verdict()
        if rejected:
            verdict.action, verdict.reason = "drop", "a flag HR rejected: no points"
        hold_case: Case | None = None
        for trip in tripped if verdict.action == "count" else ():
            spec = trip.signal
            key = (employee, spec.effect, spec.id, trip.bucket)
            decided = self.decisions.status(key)
            case, _ = self.decisions.add(key, trip.reason, rules.periods(occurred).month, event_id)
            if decided == "approved":
                continue
            drop = spec.effect == "zero" or decided == "rejected"
            if spec.effect == "hold":  # open or rejected: the bucket's earlier points go too
                verdict.taken_back += self._take_back(rules, spec, trip, employee, state, case)
            if drop:
                verdict.action, verdict.reason = "drop", f"{spec.effect}: {trip.reason}"
            elif spec.effect == "hold" and verdict.action != "drop":
                verdict.action, verdict.reason = "hold", f"held for review: {trip.reason}"
                hold_case = hold_case or case
            elif verdict.action == "count":
                verdict.reason = f"flagged: {trip.reason}"
        if verdict.action == "hold" and hold_case is not None:
            hold_case.entries.extend(rows)
        if verdict.action == "count" and etype in signals.held_events:
            self.scored[employee].append((event_id, etype, attrs, occurred, rows))
        return verdict

    def _take_back(
        self,
        rules: CompiledRules,
        spec: IntegritySpec,
        trip: Tripped,
        employee: int,
        state: dict[str, float],
        case: Case,
    ) -> list[list[Any]]:
        """Once per bucket and scoring run: the points the bucket already gave, moved into the hold."""
        mark = f"sig:{spec.id}:{trip.bucket}:held"
        if state.get(mark) or trip.bucket.startswith("event:"):
            return []
        state[mark] = 1
        earlier = self._bucket_rows(rules, spec, trip, employee)
        back = []
        for event_id, row in earlier:
            case.entries.append(row)
            if event_id not in case.evidence:
                case.evidence.append(event_id)
            emp, points, _, event, rule_id, rule_version, version, reasons, occurred = row
            said = (
                msgspec.json.decode(reasons) if isinstance(reasons, str | bytes) else list(reasons)
            )
            why = [*said, f"held for review: {trip.reason}"]
            back.append(
                [
                    emp,
                    -int(points),
                    "integrity",
                    event,
                    rule_id,
                    rule_version,
                    version,
                    msgspec.json.encode(why).decode(),
                    occurred,
                ]
            )
        return back

    def _bucket_rows(
        self, rules: CompiledRules, spec: IntegritySpec, trip: Tripped, employee: int
    ) -> list[tuple[int, list[Any]]]:
        """Rule and badge rows of the employee's earlier events in the trip's bucket (stored and this batch)."""
        db = self.db
        out: list[tuple[int, list[Any]]] = []
        # Scored again from the first event: every earlier row of the bucket is in this pass already.
        rows = (
            []
            if employee in self._rescoring
            else db.query(
                "SELECT l.employee, l.points, l.kind, l.event, l.rule_id, l.rule_version, l.ruleset_version, "
                'l.reasons, l.occurred_at, e.attributes FROM "ledger_entry" l JOIN "event" e ON e.id = l.event '
                "WHERE l.employee = ? AND e.type = ? AND l.kind IN ('rule', 'badge') "
                "AND l.occurred_at >= ? AND l.occurred_at < ? ORDER BY l.id",
                [employee, spec.event, db.ts(trip.period_start), db.ts(trip.period_end)],
            )
        )
        decode = msgspec.json.decode
        for *row, attrs_raw in rows:
            attrs = rules.normalize(
                spec.event, decode(attrs_raw) if isinstance(attrs_raw, str | bytes) else attrs_raw
            )
            if trip.covers(spec.event, attrs, db.read_ts(row[8])):
                out.append((int(row[3]), list(row)))
        for event_id, etype, attrs, occurred, event_rows in self.scored.get(employee, ()):
            if trip.covers(etype, attrs, occurred):
                out.extend((event_id, list(r)) for r in event_rows)
        return out
