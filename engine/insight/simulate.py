"""Simulation: what a draft program would have given on past events, beside what the published one gives.

Both sides are scored in memory from the same events in ``occurred_at`` order with fresh counters, so the
comparison is like for like and nothing is written. HR sees per-rule totals, the employees whose points change
most, how the top 10 moves, how often caps bite, which badges people would earn or miss, and who would win
each award (employee of the month) whose period lies in the window.

The window starts from empty counters on both sides: caps, once-keys, repeats and badge progress know nothing
from before the first event. A badge that needs history from before the window (a lifetime count half reached,
a streak already running, a "first share" made last year) may therefore differ from reality — on both sides
alike, so the *difference* between them is still the draft's doing. Likewise an award's period points are the
points of the window's events in that period: a month only partly inside the window is ranked on that part
(``AwardChange.partial`` says so).

Things the events cannot tell (who is in which team, who is active, peer shoutouts received, past winners for
award cool-downs) come from :class:`SimulationFacts`, read from the database by :func:`facts_from_db`; without
them everyone counts as active and teamless, with no shoutouts and no past winners.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from badges.earning import badge_rules
from engine import clock

# The ranking and its candidate record are engine.rewards.awards' own (private there, reused on purpose): the simulated
# winners are ordered by exactly the code that closes a real period, so the two cannot drift apart.
from engine.rewards.awards import Candidate, place_candidates
from engine.scoring.rulesets import RuleBook, load_rulebook
from engine.storage.database import Database
from rules import AwardSpec, CompiledRules
from rules.integrity import IntegrityRules, integrity_rules
from rules.periods import period_end, period_kind, period_start, previous_period

__all__ = [
    "AwardChange",
    "BadgeChange",
    "PastEvent",
    "Person",
    "Placement",
    "SideTotals",
    "Simulation",
    "SimulationFacts",
    "TopMove",
    "events_from_db",
    "facts_from_db",
    "simulate",
    "simulate_recent",
]

#: Example employees named per badge change.
EXAMPLES = 5
_FAR_PAST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PastEvent:
    employee: str
    type: str
    occurred_at: datetime
    attributes: dict[str, Any]


@dataclass
class SideTotals:
    """Totals of one side (published or draft). Badge bonuses count like the ledger counts them: under the
    rule id ``badge:<id>[:<tier>]``, in ``points`` and in the employee's points."""

    points: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    awards_by_rule: Counter[str] = field(default_factory=Counter)
    cap_hits: Counter[str] = field(default_factory=Counter)
    by_employee: Counter[str] = field(default_factory=Counter)
    not_scored: Counter[str] = field(default_factory=Counter)

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        return sorted(self.by_employee.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def ranks(self) -> dict[str, int]:
        """Each employee's place (1 = most points; equal points ordered by employee id, as :meth:`top`)."""
        ordered = sorted(self.by_employee.items(), key=lambda kv: (-kv[1], kv[0]))
        return {emp: i for i, (emp, _) in enumerate(ordered, start=1)}


@dataclass(frozen=True, slots=True)
class TopMove:
    """One person of the top N of either side: their place on both sides and how they moved."""

    employee: str
    #: None: no points on that side.
    published_rank: int | None
    draft_rank: int | None
    published_points: int
    draft_points: int
    #: "new" (into the draft's top N), "left" (out of it), "up", "down" or "same".
    move: str
    #: Places moved up or down (0 for new, left and same).
    by: int
    #: As a person reads it: "new in top 10 (was 14)", "left the top 10 (now 12)", "up 3", "down 1", "same".
    label: str


@dataclass(frozen=True, slots=True)
class BadgeChange:
    """A badge tier that some people earn in the window under one side and not under the other.

    Counts are employees. An earning is a tier in a window (a month for a monthly badge, ``ever`` for a
    lifetime one, a run for a streak earned again per run): someone *gains* when the draft gives them an
    earning the published rules do not, and *loses* in reverse (with a shifted window, both).
    """

    badge: str
    tier: str
    label: str
    #: Employees who earn the tier at least once in the window, per side.
    published: int
    draft: int
    gained: int
    lost: int
    gained_examples: tuple[str, ...]
    lost_examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """One place of an award's result: a winner, or a shortlisted candidate when the award needs approval."""

    employee: str
    rank: int
    metric: int
    status: str


@dataclass(frozen=True, slots=True)
class AwardChange:
    """Who an award would go to for one period and scope (and team) under each side."""

    award: str
    name: str
    period: str
    #: "company" or "team" (then ``team`` names it).
    scope: str
    team: str
    #: The period is not wholly inside the window: it was ranked on the window's part of it.
    partial: bool
    #: None: that side's program has no such award.
    published: tuple[Placement, ...] | None
    draft: tuple[Placement, ...] | None
    #: The placed employees (in order) differ between the sides.
    changed: bool


@dataclass(frozen=True, slots=True)
class Person:
    """What the simulation needs to know of an employee beyond their events."""

    team: str = ""
    active: bool = True
    deactivated_at: datetime | None = None

    def earns(self, occurred: datetime) -> bool:
        """As ``engine.people.directory.Member.earns``: an inactive employee's events after deactivation score nothing."""
        return self.active or (self.deactivated_at is not None and occurred < self.deactivated_at)


@dataclass
class SimulationFacts:
    """What awards and eligibility need that the events do not say; the same for both sides."""

    #: Employees by external id; None: unknown, so everyone counts as active and teamless.
    people: dict[str, Person] | None = None
    #: Peer shoutouts received (their times, sorted) per employee: the ``shoutouts_received`` tie-breaker.
    shoutouts: dict[str, list[datetime]] = field(default_factory=dict)
    #: Real winners per (award id, period key): cool-downs for the periods before the window.
    past_winners: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def shoutouts_between(self, employee: str, start: datetime, end: datetime) -> int:
        times = self.shoutouts.get(employee)
        if not times:
            return 0
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)


@dataclass
class Simulation:
    events: int
    published: SideTotals
    draft: SideTotals
    #: How many places :meth:`top_diff` compares by default.
    top_n: int = 10
    #: The first and last event's time (None without events).
    window_start: datetime | None = None
    window_end: datetime | None = None
    #: Badge tiers earned under one side and not the other; rows without a difference are left out.
    badge_changes: list[BadgeChange] = field(default_factory=list)
    #: Every award, period in the window, scope and team (with a candidate on either side), both sides.
    award_changes: list[AwardChange] = field(default_factory=list)

    def biggest_changes(self, n: int = 10) -> list[tuple[str, int, int]]:
        """(employee, published points, draft points), largest absolute change first."""
        people = set(self.published.by_employee) | set(self.draft.by_employee)
        rows = [(p, self.published.by_employee[p], self.draft.by_employee[p]) for p in people]
        rows = [r for r in rows if r[1] != r[2]]
        return sorted(rows, key=lambda r: (-abs(r[2] - r[1]), r[0]))[:n]

    def top_diff(self, n: int | None = None) -> list[TopMove]:
        """The top ``n`` (default :attr:`top_n`) of the window under each side, each person with their place on
        the other side: the draft's top n in its order, then those who left it in their published order."""
        n = self.top_n if n is None else n
        pub, dra = self.published.ranks(), self.draft.ranks()
        stays = [e for e, r in sorted(dra.items(), key=lambda kv: kv[1]) if r <= n]
        left = [
            e
            for e, r in sorted(pub.items(), key=lambda kv: kv[1])
            if r <= n and dra.get(e, n + 1) > n
        ]
        out: list[TopMove] = []
        for emp in stays + left:
            a, b = pub.get(emp), dra.get(emp)
            if b is not None and b <= n and (a is None or a > n):
                move, by = "new", 0
                label = f"new in top {n}" + (f" (was {a})" if a is not None else " (no points)")
            elif a is not None and a <= n and (b is None or b > n):
                move, by = "left", 0
                label = f"left the top {n}" + (f" (now {b})" if b is not None else " (no points)")
            else:
                assert a is not None and b is not None
                move = "up" if b < a else "down" if b > a else "same"
                by = abs(a - b)
                label = f"{move} {by}" if by else "same"
            out.append(
                TopMove(
                    emp,
                    a,
                    b,
                    self.published.by_employee[emp],
                    self.draft.by_employee[emp],
                    move,
                    by,
                    label,
                )
            )
        return out


# -- loading --------------------------------------------------------------------------------------------------
def events_from_db(
    db: Database, since: datetime | None = None, until: datetime | None = None
) -> list[PastEvent]:
    """Every event that was or will be scored and occurred at or after ``since`` (and before ``until``),
    employees named by external id where the roster knows them."""
    # Held events were scored (their points wait for HR); late ones wait to be scored at all.
    where, params = ["v.status IN (?, ?, ?, ?)"], ["done", "pending", "parked", "held"]
    if since is not None:
        where.append("v.occurred_at >= ?")
        params.append(db.ts(since))
    if until is not None:
        where.append("v.occurred_at < ?")
        params.append(db.ts(until))
    rows = db.query(
        "SELECT COALESCE(e.external_id, m.external_id, v.employee_ref), v.type, v.occurred_at, v.attributes "
        'FROM "event" v LEFT JOIN "employee" e ON e.external_id = v.employee_ref '
        f'LEFT JOIN "employee" m ON m.email = v.employee_ref WHERE {" AND ".join(where)} '
        "ORDER BY v.occurred_at, v.source, v.external_id",
        params,
    )
    decode = msgspec.json.decode
    return [
        PastEvent(
            emp, etype, db.read_ts(at), decode(attrs) if isinstance(attrs, str | bytes) else attrs
        )
        for emp, etype, at, attrs in rows
    ]


def facts_from_db(db: Database, since: datetime | None = None) -> SimulationFacts:
    """The roster (team, active), peer shoutouts received since a quarter before ``since`` (enough for any
    award period overlapping the window) and every award's past winners. Only reads."""
    people = {
        ext: Person(team or "", bool(active), db.read_ts(deact) if deact is not None else None)
        for ext, team, active, deact in db.query(
            'SELECT external_id, team, active, deactivated_at FROM "employee"'
        )
    }
    params: list[Any] = []
    after = ""
    if since is not None:
        after = " AND s.created_at >= ?"
        params.append(db.ts(since - timedelta(days=93)))
    shoutouts: dict[str, list[datetime]] = defaultdict(list)
    for ext, at in db.query(
        'SELECT e.external_id, s.created_at FROM "shoutout_recipient" r '
        'JOIN "shoutout" s ON s.id = r.shoutout JOIN "employee" e ON e.id = r.employee '
        f"WHERE s.giver IS NOT NULL{after}",
        params,
    ):
        shoutouts[ext].append(db.read_ts(at))
    for times in shoutouts.values():
        times.sort()
    winners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for award, period, ext in db.query(
        'SELECT r.award, r.period, e.external_id FROM "award_result" r '
        "JOIN \"employee\" e ON e.id = r.employee WHERE r.status = 'winner'"
    ):
        winners[award, period].add(ext)
    return SimulationFacts(people, dict(shoutouts), {k: frozenset(v) for k, v in winners.items()})


# -- one side -------------------------------------------------------------------------------------------------
class _PeriodStat:
    """An employee's period as ``engine.rewards.awards`` reads it from the ledger: points, when the score was last
    reached, events that scored (rule entries) and their local days."""

    __slots__ = ("days", "events", "points", "reached")

    def __init__(self) -> None:
        self.points = 0
        self.reached = _FAR_PAST
        self.events = 0
        self.days: set[str] = set()


class _Side:
    """Scores one side in memory and keeps what badges and awards need; the results go into public types."""

    def __init__(
        self,
        pick: Callable[[datetime], CompiledRules | None],
        award_rules: CompiledRules | None,
        facts: SimulationFacts,
    ) -> None:
        self.pick = pick
        self.award_rules = award_rules
        self.awards: tuple[AwardSpec, ...] = award_rules.awards if award_rules else ()
        self.facts = facts
        self.totals = SideTotals()
        # (badge id, tier) -> employee -> the windows it was earned in.
        self.earned: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.badge_labels: dict[tuple[str, str], str] = {}
        self.kinds = tuple(sorted({a.period for a in self.awards}))
        # (period kind, key) -> employee -> stat
        self.stats: dict[tuple[str, str], dict[str, _PeriodStat]] = defaultdict(dict)
        # metric "rules": (award id, key) -> employee -> [points, reached]
        self.rule_awards = tuple(a for a in self.awards if a.metric == "rules")
        self.rule_metric: dict[tuple[str, str], dict[str, list[Any]]] = defaultdict(dict)
        # Winners placed per (award id, period): cool-downs of later periods of the window.
        self.placed: dict[tuple[str, str], frozenset[str]] = {}
        #: Per employee, the events whose points counted: a hold takes back those of its bucket.
        self.counted: dict[
            str, list[tuple[str, dict[str, Any], datetime, list[tuple[str, int]]]]
        ] = {}

    def _integrity(
        self,
        signals: IntegrityRules,
        emp: str,
        etype: str,
        attrs: dict[str, Any],
        at: datetime,
        state: dict[str, float],
        lines: list[tuple[str, int]],
    ) -> list[tuple[str, int]]:
        """Live scoring's verdict with no HR decision yet: flagged points count, held and zeroed ones do not,
        and a hold takes back the points its bucket already gave (engine.scoring.integrity)."""
        tripped = signals.check(signals.cases(etype, attrs, at), attrs, at, state)
        counted = self.counted.setdefault(emp, [])
        if not tripped:
            counted.append((etype, attrs, at, lines))
            return lines
        drop = False
        back: list[tuple[str, int]] = []
        for trip in tripped:
            drop |= trip.signal.effect in ("hold", "zero")
            mark = f"sig:{trip.signal.id}:{trip.bucket}:held"
            if trip.signal.effect == "hold" and not state.get(mark):
                state[mark] = 1
                for etype_b, attrs_b, at_b, lines_b in counted:
                    if trip.covers(etype_b, attrs_b, at_b):
                        back += [(rule_id, -points) for rule_id, points in lines_b]
        if not drop:
            counted.append((etype, attrs, at, lines))
        # Taken-back points are booked with this event: the same bucket, so the same period up to a month.
        return ([] if drop else lines) + back

    def score(self, events: Sequence[PastEvent]) -> None:
        totals = self.totals
        by_rule, awards_by_rule, cap_hits = totals.by_rule, totals.awards_by_rule, totals.cap_hits
        by_employee, not_scored = totals.by_employee, totals.not_scored
        people = self.facts.people
        states: dict[str, dict[str, float]] = defaultdict(dict)
        kinds, rule_awards = self.kinds, self.rule_awards
        for ev in events:
            at, emp = ev.occurred_at, ev.employee
            rules = self.pick(at)
            if rules is None:
                not_scored["no ruleset in effect"] += 1
                continue
            if people is not None:
                person = people.get(emp)
                if person is not None and not person.earns(at):
                    not_scored["employee inactive: not scored"] += 1
                    continue
            problems = rules.validate_event(ev.type, ev.attributes)
            if problems:
                not_scored[problems[0]] += 1
                continue
            attrs = rules.normalize(ev.type, ev.attributes)
            state = states[emp]
            rule_points = 0
            lines: list[tuple[str, int]] = []
            for award in rules.score(ev.type, attrs, at, state):
                rule_id = award.rule_id
                awards_by_rule[rule_id] += 1
                if award.capped:
                    cap_hits[rule_id] += 1
                if award.points:
                    rule_points += award.points
                    lines.append((rule_id, award.points))
            scored_event = bool(lines)
            if rules.badges:
                for got in badge_rules(rules).evaluate(ev.type, attrs, at, rule_points, state):
                    key = (got.badge.id, got.tier.name)
                    self.earned[key][emp].add(got.window)
                    self.badge_labels.setdefault(key, got.label)
                    if got.tier.bonus:
                        awards_by_rule[got.rule_id] += 1
                        lines.append((got.rule_id, got.tier.bonus))
            signals = integrity_rules(rules)
            if signals:
                lines = self._integrity(signals, emp, ev.type, attrs, at, state, lines)
            if not lines:
                continue
            total = 0
            for rule_id, points in lines:
                by_rule[rule_id] += points
                total += points
            totals.points += total
            by_employee[emp] += total
            if kinds:
                keys = rules.periods(at)
                for kind in kinds:
                    stat = self.stats[kind, keys.of(kind)].get(emp)
                    if stat is None:
                        stat = self.stats[kind, keys.of(kind)][emp] = _PeriodStat()
                    stat.points += total
                    if at > stat.reached:
                        stat.reached = at
                    if scored_event:
                        stat.events += 1
                        stat.days.add(keys.day)
                for spec in rule_awards:
                    picked = sum(p for r, p in lines if r in spec.rules)
                    if picked:
                        acc = self.rule_metric[spec.id, keys.of(spec.period)].setdefault(
                            emp, [0, _FAR_PAST]
                        )
                        acc[0] += picked
                        acc[1] = max(acc[1], at)

    # -- awards -------------------------------------------------------------------------------------------
    def place(
        self, award: AwardSpec, key: str, partial: bool
    ) -> dict[tuple[str, str], tuple[Placement, ...]]:
        """(scope, team) -> places of ``award`` in period ``key``, as ``engine.rewards.awards.close_award`` would.

        The winners are remembered for the cool-downs of later periods; of a ``partial`` period only when it
        has no real winners (a month the window cuts into was usually closed for real, on all its events).
        """
        rules = self.award_rules
        assert rules is not None
        tz, ws = rules.timezone, rules.week_start
        start, end = period_start(key, tz, ws), period_end(key, tz, ws)
        assert end is not None
        people = self.facts.people
        stats = self.stats.get((award.period, key), {})
        metric_of = self.rule_metric.get((award.id, key), {}) if award.metric == "rules" else None
        cooling = self._cooling(award, key)
        candidates: list[Candidate] = []
        reached: datetime | None
        for i, (emp, stat) in enumerate(sorted(stats.items())):
            if metric_of is None:
                metric, reached = stat.points, stat.reached
            else:
                metric, reached = metric_of.get(emp, (0, None))
            person = people.get(emp) if people is not None else Person()
            if person is None or not person.active or metric <= 0 or emp in cooling:
                continue  # as close_award: inactive (or unknown) employees are not eligible; nothing wins nothing
            candidates.append(
                Candidate(
                    i,
                    emp,
                    person.team,
                    int(metric),
                    reached,
                    events=stat.events,
                    active_days=len(stat.days),
                    shoutouts=self.facts.shoutouts_between(emp, start, end),
                )
            )
        status = "shortlisted" if award.approval else "winner"
        # The company's result is there even when nobody is eligible: "no winner" is a result too.
        out: dict[tuple[str, str], tuple[Placement, ...]] = (
            {("company", ""): ()} if "company" in award.scopes else {}
        )
        for where, members in place_candidates(award, candidates).items():
            out[where] = tuple(
                Placement(c.external_id, rank, c.metric, status)
                for rank, c in enumerate(members, start=1)
            )
        if not award.approval and not (partial and (award.id, key) in self.facts.past_winners):
            self.placed[award.id, key] = frozenset(
                p.employee for placed in out.values() for p in placed
            )
        return out

    def _cooling(self, award: AwardSpec, key: str) -> set[str]:
        """Winners of ``award`` in the ``cooldown_months`` periods before ``key``: this side's own winners for
        periods simulated before (see :meth:`place`), else the real ones (facts)."""
        rules = self.award_rules
        assert rules is not None
        out: set[str] = set()
        for _ in range(award.cooldown_months):
            key = previous_period(key, rules.timezone, rules.week_start)
            got = self.placed.get((award.id, key))
            out |= got if got is not None else self.facts.past_winners.get((award.id, key), set())
        return out


def _window_periods(rules: CompiledRules, kind: str, first: datetime, last: datetime) -> list[str]:
    """Keys of the ``kind`` periods from the one holding ``first`` to the one holding ``last``."""
    tz, ws = rules.timezone, rules.week_start
    key = rules.periods(first).of(kind)
    keys = [key]
    while True:
        end = period_end(key, tz, ws)
        if end is None or end > last:
            return keys
        key = rules.periods(end).of(kind)
        keys.append(key)


def _award_changes(
    published: _Side,
    draft: _Side,
    first: datetime,
    last: datetime,
    since: datetime | None,
    until: datetime | None,
) -> list[AwardChange]:
    lo, hi = since or first, until or last
    specs: dict[str, dict[str, AwardSpec]] = defaultdict(dict)
    for name, side in (("published", published), ("draft", draft)):
        for award in side.awards:
            specs[award.id][name] = award
    out: list[AwardChange] = []
    for award_id, by_side in specs.items():
        sides = {"published": published, "draft": draft}
        keys: set[str] = set()
        for name, award in by_side.items():
            rules = sides[name].award_rules
            assert rules is not None
            keys.update(_window_periods(rules, award.period, first, last))
        for key in sorted(keys):
            results: dict[str, dict[tuple[str, str], tuple[Placement, ...]] | None] = {}
            partial = False
            for name, side in sides.items():
                spec = by_side.get(name)
                if spec is None:
                    results[name] = None
                    continue
                rules = side.award_rules
                assert rules is not None
                if spec.period != period_kind(key):
                    results[name] = {}  # the other side gives it per another kind of period
                    continue
                start = period_start(key, rules.timezone, rules.week_start)
                end = period_end(key, rules.timezone, rules.week_start)
                cut = start < lo or end is None or end > hi
                partial = partial or cut
                results[name] = side.place(spec, key, cut)
            shown = by_side.get("draft") or by_side["published"]
            groups = {g for r in results.values() if r for g in r}
            for scope, team in sorted(groups, key=lambda g: (g[0] != "company", g)):
                pub = results["published"]
                dra = results["draft"]
                a = None if pub is None else pub.get((scope, team), ())
                b = None if dra is None else dra.get((scope, team), ())
                out.append(
                    AwardChange(
                        award_id,
                        shown.name,
                        key,
                        scope,
                        team,
                        partial,
                        a,
                        b,
                        [p.employee for p in a or ()] != [p.employee for p in b or ()]
                        or (a is None) != (b is None),
                    )
                )
    return out


def _badge_changes(published: _Side, draft: _Side) -> list[BadgeChange]:
    labels = {**published.badge_labels, **draft.badge_labels}
    order = {
        (b.id, t.name): (i, j)
        for side in (draft, published)
        for rules in ([side.award_rules] if side.award_rules else [])
        for i, b in enumerate(rules.badges)
        for j, t in enumerate(b.tiers)
    }
    out: list[BadgeChange] = []
    for key in sorted(
        set(published.earned) | set(draft.earned), key=lambda k: (order.get(k, (1 << 30, 0)), k)
    ):
        pub, dra = published.earned.get(key, {}), draft.earned.get(key, {})
        gained = sorted(e for e, windows in dra.items() if windows - pub.get(e, set()))
        lost = sorted(e for e, windows in pub.items() if windows - dra.get(e, set()))
        if not gained and not lost:
            continue
        out.append(
            BadgeChange(
                key[0],
                key[1],
                labels[key],
                len(pub),
                len(dra),
                len(gained),
                len(lost),
                tuple(gained[:EXAMPLES]),
                tuple(lost[:EXAMPLES]),
            )
        )
    return out


# -- the simulation -------------------------------------------------------------------------------------------
def simulate(
    draft: CompiledRules,
    events: Iterable[PastEvent],
    published: RuleBook,
    *,
    top_n: int = 10,
    facts: SimulationFacts | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Simulation:
    """Score ``events`` with the published rulesets and with ``draft``; nothing is written anywhere.

    Each side starts from empty counters at the first event (see the module's docstring). Badges are evaluated
    as the engine does (``BadgeRules.evaluate``, rank badges excepted: they are given when a period closes);
    awards are ranked for every period of theirs the events touch, with the published side's awards being the
    current ruleset's (as closing uses) and the draft's its own. ``since``/``until``: the bounds the events
    were chosen within, when known, so a period wholly inside them is not called partial.
    """
    ordered = sorted(events, key=lambda e: e.occurred_at)
    facts = facts or SimulationFacts()
    pub = _Side(published.for_time, published.current, facts)
    dra = _Side(lambda _at: draft, draft, facts)
    pub.score(ordered)
    dra.score(ordered)
    first = ordered[0].occurred_at if ordered else None
    last = ordered[-1].occurred_at if ordered else None
    return Simulation(
        events=len(ordered),
        published=pub.totals,
        draft=dra.totals,
        top_n=top_n,
        window_start=first,
        window_end=last,
        badge_changes=_badge_changes(pub, dra),
        award_changes=(
            _award_changes(pub, dra, first, last, since, until)
            if first is not None and last is not None
            else []
        ),
    )


def simulate_recent(
    db: Database,
    draft: CompiledRules,
    days: int,
    now: datetime | None = None,
    *,
    top_n: int = 10,
) -> Simulation:
    """The draft against the published rulebook on the events of the last ``days`` days before ``now``
    (default: the current time), with the roster, shoutouts and past winners of the database. Only reads."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    until = (now or clock.now()).astimezone(UTC)
    since = until - timedelta(days=days)
    return simulate(
        draft,
        events_from_db(db, since, until),
        load_rulebook(db),
        top_n=top_n,
        facts=facts_from_db(db, since),
        since=since,
        until=until,
    )
