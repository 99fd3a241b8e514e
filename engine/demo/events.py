"""A seeded generator of a realistic employee-advocacy program's events, for a roster from engine.demo.roster.

Why it exists: `plaudit demo` needs a believable company and a month of activity so a newcomer sees populated
leaderboards, badges and KPIs at once, and the benchmarks need up to 100,000 employees and millions of events
that stress the engine the way a real program does (a few enthusiasts doing most of the work, bursts in office
hours, re-shares of the same post, retried and late deliveries).

Why it looks the way it does:
- Standard library only and nothing from the rest of the repo outside engine.demo, so benchmarks and the demo
  can use it without pulling in the engine, and it can never drift with the code under test.
- Deterministic: every random draw comes from a `random.Random` seeded from the `seed` argument; no global random
  state, no clock. Same arguments, byte-identical output. The draws happen in a fixed order, so a change that
  draws once more or once less anywhere changes every event after it.
- Fast and streaming (the benchmarks need hundreds of thousands of events a second): events are produced one hour
  of simulated time at a time; per-employee weights are computed once and sampled with alias tables
  (engine.demo.activity), small categorical choices with lookup tables, timestamps are integer epochs formatted
  from per-minute prefixes (engine.demo.timeline). Memory is bounded by the roster and by the events held back
  for late or duplicate delivery (engine.demo.delivery), never by the length of the stream.
- One function per kind of activity (shares, reactions, clicks, leads, shoutouts, referrals, onboarding), each
  returning the event's type, how the tool names the employee, and its attributes.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count, islice
from typing import Any

from engine.demo.activity import Employees
from engine.demo.content import Posts, RecentShares
from engine.demo.delivery import Delivery
from engine.demo.sampling import allocate, lookup_table
from engine.demo.timeline import DAY, HOUR, HourClock, hourly_weights

__all__ = ["Event", "generate_events", "the_first_events"]

#: A canonical event: source, id, type, employee, occurred_at, attributes.
Event = dict[str, Any]
_Made = tuple[str, str, dict[str, Any]]  # event type, how the tool names the employee, attributes

# Event type codes: indices into an hour's lookup table and into the stream's makers.
_REACT_RECV, _CLICK, _LEAD, _SHARE, _REACT_GIVEN, _SHOUTOUT, _REFERRAL, _ONBOARDING = range(8)
_TYPE_CODES = (_REACT_RECV, _CLICK, _LEAD, _SHARE, _REACT_GIVEN, _SHOUTOUT, _REFERRAL)
_TYPE_WEIGHTS = (0.28, 0.25, 0.005, 0.22, 0.20, 0.02, 0.004)
_ONBOARDING_PER_EMPLOYEE = 1.6  # trainings and profiles over a program's first weeks

_NETWORKS = ("linkedin", "x", "facebook", "instagram")
_NETWORK_REACH = {"linkedin": 1.0, "x": 0.6, "facebook": 0.5, "instagram": 0.8}
_VALUES = ("customer-first", "ownership", "teamwork", "curiosity")
_COURSES = (
    "advocacy-101",
    "linkedin-profile-basics",
    "personal-branding",
    "social-media-policy",
    "writing-in-your-own-voice",
)
_JOBS = tuple(f"job-{100 + j}" for j in range(1, 31))
# Onboarding steps done, as bits per employee: the courses, then the profile networks.
_FIRST_PROFILE_BIT = len(_COURSES)
_ALL_PROFILES = ((1 << len(_NETWORKS)) - 1) << _FIRST_PROFILE_BIT

_PERSONALIZED = 0.40  # share of posts with the employee's own words
_PERSONALIZED_LIFT = 1.64  # personalized posts get ~64% more engagement
_REACTION_TABLE = 1024  # drawn (reaction, count, from a colleague) triples
_RETURNING_VISITORS = 0.25  # a quarter of clicks come from returning visitors
_NEW_VISITORS = 1 - _RETURNING_VISITORS


def generate_events(
    roster: list[dict[str, str]],
    start: datetime,
    days: int,
    seed: int = 7,
    events_per_employee_per_day: float = 1.0,
    duplicate_rate: float = 0.01,
    late_rate: float = 0.02,
    source: str = "demo",
) -> Iterator[Event]:
    """Yield canonical events for `roster` over `days` days from `start`, as an advocacy tool would send them.

    Each event is ``{"source", "id", "type", "employee", "occurred_at", "attributes"}`` with the types and
    attribute fields of the default rules.yaml. Exactly ``round(len(roster) * days * events_per_employee_per_day)``
    distinct events are produced (ids unique for the source and seed), plus the re-sent copies.

    Why the stream looks like this: the engine's promises are tested against what real tools do. Activity is
    heavy-tailed (about 5% enthusiasts, a large majority of occasional sharers, about 30% who almost never act),
    follows office hours in Amsterdam, and re-shares the same posts (diminishing returns). About
    `duplicate_rate` of the events are sent again later with the same id (a retrying tool: exactly-once intake),
    and `late_rate` arrive a few hours to three days after their place in time (periods and per-employee order
    by `occurred_at`, not arrival). Everything else comes in `occurred_at` order. About 20% of events name the
    employee by e-mail, because many tools know nothing else.

    The argument checks run at call time; the events are produced lazily with memory bounded by the roster.
    """
    _check_arguments(roster, start, days, events_per_employee_per_day, duplicate_rate, late_rate)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    total = round(len(roster) * days * events_per_employee_per_day)
    epoch = int(start.timestamp())
    return _events(_Request(roster, epoch, days, seed, total, duplicate_rate, late_rate, source))


def _check_arguments(
    roster: list[dict[str, str]],
    start: datetime,
    days: int,
    events_per_employee_per_day: float,
    duplicate_rate: float,
    late_rate: float,
) -> None:
    """Reject bad arguments when `generate_events` is called, not at the first event of a lazy stream."""
    if not isinstance(start, datetime):
        raise TypeError("start must be a datetime")
    if not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative int, got {days!r}")
    if events_per_employee_per_day < 0:
        raise ValueError("events_per_employee_per_day must be >= 0")
    if not (0 <= duplicate_rate < 1 and 0 <= late_rate < 1 and duplicate_rate + late_rate < 1):
        raise ValueError("duplicate_rate and late_rate must be in [0, 1) and sum below 1")
    for row in roster:
        if not row.get("external_id"):
            raise ValueError("every roster row needs an external_id")


@dataclass(frozen=True, slots=True)
class _Request:
    """The checked arguments of `generate_events`, with the window as an epoch and the number of events."""

    roster: list[dict[str, str]]
    start_epoch: int
    days: int
    seed: int
    total: int  # distinct events, re-sent copies not counted
    duplicate_rate: float
    late_rate: float
    source: str


def _events(request: _Request) -> Iterator[Event]:
    """The stream itself, lazily: hour after hour of simulated time, then whatever is still held back."""
    if not request.roster or request.total == 0:
        return
    stream = _EventStream(request)
    for hour in range(request.days * 24):
        yield from stream.hour(hour)
    yield from stream.held_back()


def _type_table(onboarding_percent: int) -> tuple[int, ...]:
    """1000 event-type codes for an hour where `onboarding_percent` of events are trainings/profiles.

    One draw indexes it; the tables are kept (at most 101) because every hour of a long stream needs one.
    """
    table = _TYPE_TABLES.get(onboarding_percent)
    if table is None:
        share = onboarding_percent / 100
        weights = (*(w * (1 - share) / sum(_TYPE_WEIGHTS) for w in _TYPE_WEIGHTS), share)
        table = _TYPE_TABLES[onboarding_percent] = lookup_table(
            (*_TYPE_CODES, _ONBOARDING), weights, 1000
        )
    return table


_TYPE_TABLES: dict[int, tuple[int, ...]] = {}
_NETWORK_TABLE = lookup_table(_NETWORKS, (0.62, 0.16, 0.12, 0.10))
_REACH_TABLE = tuple(_NETWORK_REACH[net] for net in _NETWORK_TABLE)
_VALUE_TABLE = lookup_table(_VALUES, (0.25, 0.22, 0.38, 0.15))


def _hourly_counts(
    hour_weights: list[float], employees: int, total: int
) -> tuple[list[int], list[int]]:
    """How many of `total` events fall in each hour: the onboarding ones, and all of them.

    Onboarding (trainings, profiles) happens mostly in the first days; the rest is everyday activity.
    """
    onboarding_weights = [
        w * (math.exp(-(s // 24) / 1.5) + 0.03) for s, w in enumerate(hour_weights)
    ]
    onboarding_total = min(int(employees * _ONBOARDING_PER_EMPLOYEE), total // 4)
    onboarding = allocate(onboarding_total, onboarding_weights, 0)
    everyday = allocate(total - onboarding_total, hour_weights, 0)
    return onboarding, [c + o for c, o in zip(everyday, onboarding, strict=True)]


def _received_reactions(rand: Callable[[], float]) -> list[tuple[str, int, bool]]:
    """(reaction, count, from a colleague) triples to draw from: likes >> comments >> reshares, counts with a
    long tail, a quarter from colleagues."""
    table = []
    for _ in range(_REACTION_TABLE):
        x = rand()
        if x < 0.82:
            reaction, n = "like", 1 + int(-4.0 * math.log(1.0 - rand()))
        elif x < 0.96:
            reaction, n = "comment", 1 + int(-0.67 * math.log(1.0 - rand()))
        else:
            reaction, n = "reshare", 1
        table.append((reaction, n, rand() < 0.25))
    return table


def _network_reach(rand: Callable[[], float]) -> list[tuple[str, float]]:
    """(network, reach factor with some jitter): followers reached differ by network and from share to share."""
    return [
        (net, reach * (0.7 + 0.6 * rand()))
        for net, reach in zip(_NETWORK_TABLE * 10, _REACH_TABLE * 10, strict=True)
    ]


class _EventStream:
    """The state of one stream: the people, the posts, recent shares, pending referrals, onboarding progress.

    The constructor draws everything that is drawn once, in a fixed order (people, hours, posts, recent shares,
    reactions, visitors, delivery, network reach): reordering these lines changes every event.
    """

    def __init__(self, request: _Request) -> None:
        rng = random.Random(f"plaudit-events-{request.seed}")
        self._rand = rng.random
        self._getrandbits = rng.getrandbits
        self._n = n = len(request.roster)
        self._start = start = request.start_epoch
        self._end = start + request.days * 24 * HOUR
        self._source = request.source
        self._id_prefix = f"{request.source}-{request.seed}-"
        self._numbers = count(1)
        self._lead_numbers = count(1)
        self._candidate_numbers = count(1)
        self._people = Employees(request.roster, rng)
        weights = hourly_weights(rng, start, request.days)
        self._onboarding_counts, self._counts = _hourly_counts(weights, n, request.total)
        self._posts = Posts(rng, start, weights, n)
        self._recent = RecentShares(self._people, self._posts, rng)
        self._reactions = _received_reactions(rng.random)
        self._visitors = [self._new_visitor() for _ in range(2000 + n // 10)]
        self._visitor_scale = len(self._visitors) / _RETURNING_VISITORS
        self._delivery = Delivery(rng, request.late_rate, request.duplicate_rate)
        self._network_reach = _network_reach(rng.random)
        self._onboarded = [0] * n  # onboarding steps done, as bits
        # Referral follow-ups: (due, first in first out, stage, employee, candidate, job).
        self._followups: list[tuple[int, int, str, int, str, str]] = []
        self._followup_order = count(1)
        makers: dict[int, Callable[[int], _Made]] = {
            _REACT_RECV: self._reaction_received,
            _CLICK: self._click,
            _LEAD: self._lead,
            _SHARE: self._share,
            _REACT_GIVEN: self._reaction_given,
            _SHOUTOUT: self._shoutout if n > 1 else self._referral,  # nobody to thank you alone
            _REFERRAL: self._referral,
            _ONBOARDING: self._onboarding,
        }
        self._makers = tuple(makers[code] for code in range(len(makers)))

    def hour(self, index: int) -> Iterator[Event]:
        """The events of hour `index` of the window in time order, with held-back events released when due."""
        hour_start = self._start + index * HOUR
        self._posts.advance(hour_start)
        clock = HourClock(hour_start)
        n = self._counts[index]
        k = max(n - self._referral_followups(hour_start + HOUR, clock), 0)
        types = _type_table(round(100 * self._onboarding_counts[index] / n) if k else 0)
        delivery = self._delivery
        # Bound once per hour: this loop runs for every event of the stream.
        makers, make_event, iso, send_now = self._makers, self._event, clock.iso, delivery.send_now
        rand = self._rand
        # One uniform per event: its integer part (x 3600) is the second, its fraction picks the type.
        for v in sorted([rand() for _ in range(k)]):
            v *= 3600.0
            s = int(v)
            t = hour_start + s
            if t >= delivery.next_due:  # deliver what was held back until now
                yield from delivery.release(t)
            etype, employee, attributes = makers[types[int((v - s) * 1000.0)]](t)
            event = make_event(etype, employee, iso(t), attributes)
            if send_now(event, t):
                yield event

    def held_back(self) -> Iterator[Event]:
        """The late and re-sent events still held when the window has ended, in delivery order."""
        return self._delivery.release_all()

    def _event(
        self, etype: str, employee: str, occurred_at: str, attributes: dict[str, Any]
    ) -> Event:
        """A canonical event, numbered in the order made: ids are unique for the source and seed."""
        return {
            "source": self._source,
            "id": f"{self._id_prefix}{next(self._numbers)}",
            "type": etype,
            "employee": employee,
            "occurred_at": occurred_at,
            "attributes": attributes,
        }

    def _new_visitor(self) -> str:
        """A visitor id never seen before."""
        return self._getrandbits(64).to_bytes(8).hex()

    # ---- one kind of activity each ------------------------------------------------------------------------------

    def _share(self, t: int) -> _Made:
        """An active employee shares a live post (now and then the same one again), often in their own words.

        The share enters the recent shares that reactions and clicks follow; a personalized one is entered
        twice about two times in three, so it draws ~64% more engagement.
        """
        people = self._people
        rand = self._rand
        i = people.pick_active()
        cid, kind, campaign = self._posts.posts[self._posts.pick_for(i)]
        network, reach = self._network_reach[int(rand() * 1000.0)]
        employee = people.reference(i)
        self._recent.add((employee, cid))
        personalized = rand() < _PERSONALIZED
        if personalized and rand() < _PERSONALIZED_LIFT - 1:
            self._recent.add((employee, cid))
        attributes = {
            "content_id": cid,
            "content_kind": kind,
            "personalized": personalized,
            "network": network,
            "audience": int(people.audience[i] * reach),
        }
        if campaign is not None:
            attributes["campaign"] = campaign
        return "share", employee, attributes

    def _reaction_received(self, t: int) -> _Made:
        """Someone reacts to a recent share: counted for the sharer, on the shared post."""
        employee, cid = self._recent.follow()
        reaction, n, colleague = self._reactions[int(self._rand() * _REACTION_TABLE)]
        attributes = {
            "content_id": cid,
            "reaction": reaction,
            "count": n,
            "from_colleague": colleague,
        }
        return "reaction_received", employee, attributes

    def _click(self, t: int) -> _Made:
        """Someone clicks a recent share: mostly new visitors, some returning, a few suspected bots."""
        employee, cid = self._recent.follow()
        x = self._rand()
        if x < _NEW_VISITORS:
            visitor = self._new_visitor()
        else:
            visitor = self._visitors[int((x - _NEW_VISITORS) * self._visitor_scale)]
        attributes = {"content_id": cid, "visitor": visitor, "suspected_bot": self._rand() < 0.03}
        return "click", employee, attributes

    def _lead(self, t: int) -> _Made:
        """A recent share brings in a sales lead; about three in ten are qualified."""
        employee, cid = self._recent.follow()
        lead_id = f"lead-{next(self._lead_numbers):06d}"
        attributes = {"lead_id": lead_id, "content_id": cid, "qualified": self._rand() < 0.3}
        return "lead", employee, attributes

    def _reaction_given(self, t: int) -> _Made:
        """An employee likes or comments on a company post, a colleague's share or something else entirely."""
        people = self._people
        rand = self._rand
        employee = people.reference(people.pick_widely())
        x = rand()
        if x < 0.55:
            owner = "company"
            cid = self._posts.ids[self._posts.pick()]
        elif x < 0.9:
            owner = "colleague"
            cid = self._recent.any()[1]
        else:
            owner = "other"
            cid = f"ext-{self._getrandbits(32):08x}"
        attributes = {
            "content_id": cid,
            "reaction": "like" if rand() < 0.8 else "comment",
            "owner": owner,
        }
        return "reaction_given", employee, attributes

    def _shoutout(self, t: int) -> _Made:
        """Someone is thanked for a company value: recognition reaches most people, not only the active."""
        people = self._people
        i = people.pick_recognised()
        employee = people.reference(i)
        giver = people.ids[self._shoutout_giver(i)]
        return (
            "shoutout_received",
            employee,
            {"giver": giver, "value": _VALUE_TABLE[int(self._rand() * 100)]},
        )

    def _shoutout_giver(self, receiver: int) -> int:
        """Often the receiver's manager, otherwise an active colleague: never the receiver."""
        giver = self._people.manager[receiver]
        if giver < 0 or self._rand() >= 0.3:
            giver = self._people.pick_active()
            if giver == receiver:
                giver = (receiver + 1 + int(self._rand() * (self._n - 1))) % self._n
        return giver

    def _referral(self, t: int) -> _Made:
        """An employee refers a candidate for a job; about 45% are interviewed two to eleven days later."""
        people = self._people
        rand = self._rand
        i = people.pick_active()
        employee = people.reference(i)
        candidate = f"cand-{next(self._candidate_numbers):06d}"
        job = _JOBS[int(rand() * len(_JOBS))]
        if rand() < 0.45:
            due = t + (2 + int(rand() * 10)) * DAY + int(rand() * 4 * HOUR) - 2 * HOUR
            self._follow_up(due, "interviewed", i, candidate, job)
        return (
            "referral",
            employee,
            {"candidate_id": candidate, "job_id": job, "stage": "submitted"},
        )

    def _follow_up(self, due: int, stage: str, employee: int, candidate: str, job: str) -> None:
        """Schedule a referral's next stage, unless it falls after the window."""
        if due < self._end:
            entry = (due, next(self._followup_order), stage, employee, candidate, job)
            heapq.heappush(self._followups, entry)

    def _referral_followups(self, hour_end: int, clock: HourClock) -> int:
        """Make the interviews and hires due before `hour_end`; they are held until their time. Returns how many.

        About a third of the interviewed are hired a week to a month later.
        """
        made = 0
        followups = self._followups
        while followups and followups[0][0] < hour_end:
            t, _, stage, i, candidate, job = heapq.heappop(followups)
            made += 1
            if stage == "interviewed" and self._rand() < 0.35:
                self._follow_up(t + (7 + int(self._rand() * 18)) * DAY, "hired", i, candidate, job)
            attributes = {"candidate_id": candidate, "job_id": job, "stage": stage}
            event = self._event("referral", self._people.reference(i), clock.iso(t), attributes)
            self._delivery.hold(t, event)
        return made

    def _onboarding(self, t: int) -> _Made:
        """An employee completes a training or a profile on a network (LinkedIn first), each step once.

        Engaged people first, but HR gets most people to do some; with every course done, one is re-taken.
        """
        i = self._people.pick_for_onboarding()
        employee = self._people.reference(i)
        done = self._onboarded[i]
        if self._rand() < 0.3 and done & _ALL_PROFILES != _ALL_PROFILES:
            step = _FIRST_PROFILE_BIT
            while done & (1 << step):
                step += 1
            etype, attributes = (
                "profile_completed",
                {"network": _NETWORKS[step - _FIRST_PROFILE_BIT]},
            )
        else:
            step = self._next_course(done)
            etype, attributes = "training_completed", {"course_id": _COURSES[step]}
        self._onboarded[i] = done | (1 << step)
        return etype, employee, attributes

    def _next_course(self, done: int) -> int:
        """A random course not yet done (the next one along from a random start), or the start if all are."""
        n_courses = len(_COURSES)
        course = int(self._rand() * n_courses)
        for _ in range(n_courses):
            if not done & (1 << course):
                break
            course = (course + 1) % n_courses
        return course


def the_first_events(
    roster: list[dict[str, str]], count: int, start: datetime, days: int, seed: int = 7
) -> Iterator[Event]:
    """The first ``count`` events of ``roster`` over ``days`` days, at a rate that fills the window (5% over,
    so the duplicates and late events the stream holds back still leave ``count``): what a benchmark scores."""
    per_day = count / max(len(roster), 1) / days
    stream = generate_events(
        roster, start, days, seed=seed, events_per_employee_per_day=per_day * 1.05
    )
    return islice(stream, count)
