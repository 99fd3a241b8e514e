"""Integrity signals (the `integrity:` section): patterns of gaming, caught while scoring and shown to HR.

Caps bound what one day can earn; they do not say that something is wrong. A signal does: "412 distinct
visitors clicked Sam's shares on 5 November", "Sam shared 40 different posts in one day". Each signal is a rule
HR can read and tune, with an effect HR chooses:

* ``flag``: the points count; HR sees the case in the review queue.
* ``hold``: the points of the case wait for HR (approve: they count; reject: they never do).
* ``zero``: the events that trip the signal earn nothing; the case is kept as a record.

Kinds:

* ``burst``: more than ``above`` events of ``event`` (matching ``when``) in one ``per`` bucket (an hour, a
  day, a week, a month), optionally counting ``distinct`` values of a field and separately ``by`` fields.
* ``share``: more than ``above`` (a fraction) of ``event``'s events in a bucket match ``when``, once the
  bucket has ``min_events``.
* ``ring``: shoutouts that go round (A thanks B, B thanks A; or A→B→C→A) within ``within_days``. Rings
  need everyone's shoutouts, so the engine finds them (``rings_through`` is the shared, pure part), and
  they can only be flagged: a ring is complete only once its last shoutout is in, which may be scored
  before its first (another employee, another shard), so it must not change any event's points.

Counting uses the employee's counters like caps and ``once`` do, in ``occurred_at`` order: buckets are
calendar periods in the program's time zone, so the same events give the same cases in any arrival order,
on replay and in simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from rules.conditions import Cond, evaluate
from rules.periods import PeriodKeys

if TYPE_CHECKING:
    from rules.compiling import CompiledRules

__all__ = [
    "INTEGRITY_EFFECTS",
    "INTEGRITY_KINDS",
    "INTEGRITY_PERIODS",
    "Edge",
    "IntegrityRules",
    "IntegritySpec",
    "SignalCase",
    "Tripped",
    "integrity_rules",
    "rings_through",
]

INTEGRITY_KINDS: Final = ("burst", "share", "ring")
INTEGRITY_EFFECTS: Final = ("flag", "hold", "zero")
INTEGRITY_PERIODS: Final = ("hour", "day", "week", "month")
#: Cases (strings built once per signal, bucket and value) kept for reuse: the events of a day share them.
_CASES_KEPT: Final = 50_000


class IntegritySpec(msgspec.Struct, frozen=True):
    id: str
    kind: str
    event: str
    effect: str
    description: str = ""
    when: Cond | None = None
    per: str = "day"
    #: burst: the most events (or distinct values) a bucket may hold; share: the highest fraction.
    above: float = 0
    distinct: str | None = None
    by: tuple[str, ...] = ()
    min_events: int = 0
    #: ring: the field naming who gave, and how far back a ring may reach.
    giver: str = "giver"
    within_days: int = 30
    line: int = 0


class Tripped(msgspec.Struct, frozen=True):
    """A signal one event tripped: the case is (signal, bucket); ``reason`` says it in words."""

    signal: IntegritySpec
    bucket: str
    period_start: datetime
    period_end: datetime
    reason: str

    def covers(self, event_type: str, attributes: Mapping[str, Any], occurred_at: datetime) -> bool:
        """Whether another event belongs to this case (a hold takes back the case's earlier points)."""
        spec = self.signal
        if event_type != spec.event or not self.period_start <= occurred_at < self.period_end:
            return False
        if spec.when is not None and not evaluate(spec.when, attributes):
            return False
        values = self.bucket.split("|")[1:]
        return all(str(attributes.get(f)) == v for f, v in zip(spec.by, values, strict=False))


class SignalCase(NamedTuple):
    """One event's case in one signal: its bucket and the counters that count it."""

    signal: IntegritySpec
    bucket: str
    n_key: str
    #: share: the matching events; burst with ``distinct``: this value seen; else None.
    extra: str | None
    #: hold: whether the bucket's earlier points were taken back in this scoring run.
    held: str | None

    @property
    def keys(self) -> list[str]:
        return [k for k in (self.n_key, self.extra, self.held) if k is not None]


class IntegrityRules:
    """The counting signals (burst, share) of one ruleset, evaluated against an employee's counters."""

    def __init__(
        self,
        signals: Iterable[IntegritySpec],
        tz: ZoneInfo,
        week_start: str,
        periods: Callable[[datetime], PeriodKeys],
    ) -> None:
        self.by_event: dict[str, list[IntegritySpec]] = {}
        self.rings: list[IntegritySpec] = []
        for spec in signals:
            if spec.kind == "ring":
                self.rings.append(spec)
            else:
                self.by_event.setdefault(spec.event, []).append(spec)
        self.tz = tz
        self.week_start = week_start
        self.periods = (
            periods  # the ruleset's cached period keys: one lookup per event, not a tz conversion
        )

        #: The event types any signal looks at: the others skip integrity entirely.
        self.watched = frozenset(self.by_event) | {s.event for s in self.rings}
        self.ring_events = frozenset(s.event for s in self.rings)
        #: Types a hold counts: their points may be taken back when the hold opens later in the bucket.
        self.held_events = frozenset(
            event
            for event, specs in self.by_event.items()
            if any(s.effect == "hold" for s in specs)
        )
        self._cases: dict[tuple[str, str, Any], SignalCase] = {}

    def __bool__(self) -> bool:
        return bool(self.watched)

    def _bucket(self, spec: IntegritySpec, occurred_at: datetime, keys: PeriodKeys) -> str:
        if spec.per == "hour":
            local = occurred_at.astimezone(self.tz)
            return f"{local.date().isoformat()}T{local.hour:02d}"
        return str(getattr(keys, spec.per))

    def _span(self, spec: IntegritySpec, occurred_at: datetime) -> tuple[datetime, datetime]:
        """Where the bucket of ``occurred_at`` starts and ends (only when a signal trips)."""
        local = occurred_at.astimezone(self.tz)
        if spec.per == "hour":
            start = local.replace(minute=0, second=0, microsecond=0)
            return start, start + timedelta(hours=1)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if spec.per == "day":
            return day, day + timedelta(days=1)
        if spec.per == "week":
            back = (local.weekday() + (1 if self.week_start == "sunday" else 0)) % 7
            return day - timedelta(days=back), day - timedelta(days=back) + timedelta(days=7)
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)

    def cases(
        self, event_type: str, attributes: Mapping[str, Any], occurred_at: datetime
    ) -> tuple[SignalCase, ...]:
        """The event's case in each signal on its type, with the counter keys :meth:`check` reads and writes
        (without the employee): computed once, for the engine to fetch the counters and then check."""
        specs = self.by_event.get(event_type)
        if not specs:
            return ()
        keys = self.periods(occurred_at)
        out = []
        known = self._cases
        for spec in specs:
            bucket = self._bucket(spec, occurred_at, keys)
            if spec.by:
                bucket += "|" + "|".join(str(attributes.get(f)) for f in spec.by)
            distinct = attributes.get(spec.distinct) if spec.distinct is not None else None
            cached = known.get((spec.id, bucket, distinct))
            if cached is not None:
                out.append(cached)
                continue
            prefix = f"sig:{spec.id}:{bucket}"
            if spec.kind == "share":
                extra = f"{prefix}:match"
            elif spec.distinct is not None:
                extra = f"{prefix}:v:{attributes.get(spec.distinct)}"
            else:
                extra = None
            held = f"{prefix}:held" if spec.effect == "hold" else None
            case = SignalCase(spec, bucket, f"{prefix}:n", extra, held)
            if len(known) > _CASES_KEPT:
                known.clear()
            known[spec.id, bucket, distinct] = case
            out.append(case)
        return tuple(out)

    def check(
        self,
        cases: tuple[SignalCase, ...],
        attributes: Mapping[str, Any],
        occurred_at: datetime,
        counters: dict[str, float],
    ) -> list[Tripped]:
        """Count the event in each of its ``cases``; the signals it trips (updates ``counters``)."""
        tripped: list[Tripped] = []
        for case in cases:
            spec, bucket, n_key = case.signal, case.bucket, case.n_key
            matches = spec.when is None or evaluate(spec.when, attributes)
            if spec.kind == "burst":
                if not matches:
                    continue
                if case.extra is None or not counters.get(case.extra):  # a distinct value once
                    counters[n_key] = counters.get(n_key, 0) + 1
                    if case.extra is not None:
                        counters[case.extra] = 1
                n = counters.get(n_key, 0)
                if n > spec.above:
                    what = f"distinct {spec.distinct}s" if spec.distinct else f"{spec.event} events"
                    reason = f"{spec.id}: {int(n)} {what} in {bucket} (more than {int(spec.above)})"
                    tripped.append(Tripped(spec, bucket, *self._span(spec, occurred_at), reason))
            else:
                assert case.extra is not None
                n = counters[n_key] = counters.get(n_key, 0) + 1
                hits = counters[case.extra] = counters.get(case.extra, 0) + matches
                if n >= spec.min_events and hits / n > spec.above:
                    reason = (
                        f"{spec.id}: {int(hits)} of {int(n)} {spec.event} events in {bucket} "
                        f"({hits / n:.0%}, more than {spec.above:.0%})"
                    )
                    tripped.append(Tripped(spec, bucket, *self._span(spec, occurred_at), reason))
        return tripped


class Edge(NamedTuple):
    """A shoutout: ``giver`` thanked ``receiver`` at ``at`` (event ``event``)."""

    at: datetime
    event: int
    giver: int
    receiver: int


def rings_through(
    edges: Mapping[int, Mapping[int, Sequence[tuple[datetime, int]]]], edge: Edge, days: int
) -> list[tuple[Edge, ...]]:
    """Every ring of two or three people that ``edge`` is part of, its edges at most ``days`` apart.

    ``edges[a][b]`` lists ``(at, event)`` of each time ``a`` thanked ``b``. A ring is reported with its edges
    in time order; the last one closes it. Whichever edge is looked at, the same rings come out: a ring is a
    fact about the set of shoutouts, not about the order they were scored in.
    """
    span = timedelta(days=days)
    g, r = edge.giver, edge.receiver
    found: list[tuple[Edge, ...]] = []

    def ring(*others: Edge) -> None:
        members = sorted((edge, *others))
        if members[-1].at - members[0].at <= span:
            found.append(tuple(members))

    for at, event in edges.get(r, {}).get(g, ()):
        ring(Edge(at, event, r, g))
    for middle, times in sorted(edges.get(r, {}).items()):
        if middle in (g, r):
            continue
        back = edges.get(middle, {}).get(g, ())
        for at1, event1 in times:
            for at2, event2 in back:
                ring(Edge(at1, event1, r, middle), Edge(at2, event2, middle, g))
    return found


@lru_cache(maxsize=32)
def integrity_rules(rules: CompiledRules) -> IntegrityRules:
    """The signals of one compiled ruleset (built once per ruleset)."""
    return IntegrityRules(rules.program.integrity, rules.timezone, rules.week_start, rules.periods)
