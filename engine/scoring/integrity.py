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
from rules import CompiledRules
from rules.integrity import IntegrityRules, IntegritySpec, Tripped, find_ring, integrity_rules

__all__ = ["IntegrityPass", "Verdict"]

#: (points, kind, rule_id, rule_version, reasons) as score.py builds an event's lines.
Line = tuple[int, str, str | None, str | None, list[str]]


class Verdict(msgspec.Struct):
    """What happens to one event's lines: ``count``, ``hold`` or ``drop``, and why."""

    action: str = "count"
    reason: str | None = None
    #: Compensating ledger rows (LEDGER_COLUMNS without created_at) for points a new hold takes back.
    taken_back: list[list[Any]] = msgspec.field(default_factory=list)


class IntegrityPass:
    """One batch's integrity work: ring edges loaded once, each employee's lines kept for a hold to take back."""

    def __init__(self, db: Database, decisions: Decisions) -> None:
        self.db = db
        self.decisions = decisions
        # employee -> [(event id, type, attributes, occurred, rows)] scored so far in this batch
        self.scored: defaultdict[
            int, list[tuple[int, str, dict[str, Any], datetime, list[list[Any]]]]
        ] = defaultdict(list)
        self._edges: dict[str, dict[int, dict[int, datetime]]] = {}
        self._people: dict[str, int] = {}

    # -- rings -------------------------------------------------------------------------------------------
    def prepare_rings(
        self, rules_used: list[CompiledRules], events: list[tuple[str, datetime, dict[str, Any]]]
    ) -> None:
        """Load the shoutout edges the batch's ring signals may need (the batch's span plus their window)."""
        specs = {s.event: s for r in rules_used for s in integrity_rules(r).rings}
        for event_type, spec in specs.items():
            times = [t for etype, t, _ in events if etype == event_type]
            if not times:
                continue
            since = min(times) - timedelta(days=spec.within_days)
            rows = self.db.query(
                'SELECT employee_ref, attributes, occurred_at FROM "event" WHERE type = ? '
                "AND status IN ('done', 'held') AND occurred_at >= ? AND occurred_at <= ?",
                [event_type, self.db.ts(since), self.db.ts(max(times))],
            )
            decode = msgspec.json.decode
            edges: list[tuple[str, str, datetime]] = []
            for ref, attrs, occurred in rows:
                values = decode(attrs) if isinstance(attrs, str | bytes) else attrs
                giver = values.get(spec.giver)
                if isinstance(giver, str):
                    edges.append((giver, ref, self.db.read_ts(occurred)))
            refs = {g for g, _, _ in edges} | {r for _, r, _ in edges}
            refs |= {str(a.get(spec.giver)) for etype, _, a in events if etype == event_type}
            self._resolve(refs)
            graph: dict[int, dict[int, datetime]] = {}
            for giver, receiver, at in edges:
                _add_edge(graph, self._people.get(giver), self._people.get(receiver), at)
            self._edges[event_type] = graph

    def _resolve(self, refs: set[str]) -> None:
        missing = {r for r in refs if r not in self._people}
        for ref, member in resolve_employees(self.db, missing).items():
            self._people[ref] = member.id

    def _ring(
        self,
        spec: IntegritySpec,
        employee: int,
        event_id: int,
        attrs: dict[str, Any],
        occurred: datetime,
    ) -> Tripped | None:
        graph = self._edges.setdefault(spec.event, {})
        giver_ref = attrs.get(spec.giver)
        if not isinstance(giver_ref, str):
            return None
        giver = self._people.get(giver_ref)
        ring = (
            None if giver is None else find_ring(graph, giver, employee, occurred, spec.within_days)
        )
        _add_edge(graph, giver, employee, occurred)
        if ring is None:
            return None
        reason = f"{spec.id}: a shoutout ring of {len(ring)} people within {spec.within_days} days"
        return Tripped(spec, f"event:{event_id}", occurred, occurred, reason)

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
    ) -> Verdict:
        """The verdict on one scored event (``rows``: its ledger rows, LEDGER_COLUMNS without created_at)."""
        signals: IntegrityRules = integrity_rules(rules)
        tripped = signals.check(etype, attrs, occurred, state)
        for spec in signals.rings:
            if spec.event == etype:
                ring = self._ring(spec, employee, event_id, attrs, occurred)
                if ring is not None:
                    tripped.append(ring)
        verdict = Verdict()
        period = rules.periods(occurred).month
        hold_case: Case | None = None
        for trip in tripped:
            spec = trip.signal
            key = (employee, spec.effect, spec.id, trip.bucket)
            decided = self.decisions.status(key)
            case, _ = self.decisions.add(key, trip.reason, period, event_id)
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
        if verdict.action == "count":
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
        rows = db.query(
            "SELECT l.employee, l.points, l.kind, l.event, l.rule_id, l.rule_version, l.ruleset_version, "
            'l.reasons, l.occurred_at, e.attributes FROM "ledger_entry" l JOIN "event" e ON e.id = l.event '
            "WHERE l.employee = ? AND e.type = ? AND l.kind IN ('rule', 'badge') "
            "AND l.occurred_at >= ? AND l.occurred_at < ? ORDER BY l.id",
            [employee, spec.event, db.ts(trip.period_start), db.ts(trip.period_end)],
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


def _add_edge(
    graph: dict[int, dict[int, datetime]], giver: int | None, receiver: int | None, at: datetime
) -> None:
    """``giver`` thanked ``receiver`` at ``at`` (the latest time is kept); unknown people are no edge."""
    if giver is not None and receiver is not None:
        row = graph.setdefault(giver, {})
        if receiver not in row or row[receiver] < at:
            row[receiver] = at
