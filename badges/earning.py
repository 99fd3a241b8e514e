"""Which badges an event earns, decided with the same per-employee counters as caps and once-keys.

Why counters: the engine already loads an employee's counters before a batch and writes them back in the same
transaction as the ledger, and a replay rebuilds them from the events in order. Keeping badge progress there
makes badges transactional with the points that earned them and stable under replay, for free.

Counter keys (the engine appends ``|<employee id>``), all starting ``badge:<id>:``:

* ``n:<window>``: matching events (count) or points (threshold) in a window: a period key (``2026-11``,
  ``2026-W45``), ``ever`` for lifetime, or a local date for rolling windows (one key per day, summed);
* ``last`` / ``run`` / ``start``: a streak's last active day (or week) ordinal, its length, and where it began;
* ``got:<tier>:<window>``: 1 once a tier was earned in a window (``ever`` when the badge is earned once).

Rank badges are not earned by events: they are given when a period closes (see ``engine.awards``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from rules import BadgeSpec, BadgeTier, CompiledRules
from rules.conditions import evaluate

__all__ = ["BadgeRules", "Earned", "Progress", "badge_rules", "tier_label"]

_EVER = "ever"
_RUN = "run"  # the got-marker window of a streak earned again per run (reset when a run starts)
_EVER_ONLY = [_EVER]
_PERIODIC = ("day", "week", "month", "quarter")


@dataclass(frozen=True, slots=True)
class Earned:
    """A badge tier earned by one event."""

    badge: BadgeSpec
    tier: BadgeTier
    #: The window it was earned in (a period key, a streak's first day, or ``ever``).
    window: str

    @property
    def label(self) -> str:
        return tier_label(self.badge, self.tier)

    @property
    def rule_id(self) -> str:
        """How the bonus's ledger entry names it: ``badge:<id>`` or ``badge:<id>:<tier>``."""
        return (
            f"badge:{self.badge.id}:{self.tier.name}"
            if self.tier.name
            else f"badge:{self.badge.id}"
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an employee is toward a badge's next tier, now."""

    badge: BadgeSpec
    #: The next tier to earn, or None when every tier is earned (in this window).
    next_tier: BadgeTier | None
    current: int
    #: The tiers already earned in the current window (or ever).
    earned: tuple[str, ...]


class BadgeRules:
    """The badges of one ruleset, ready to evaluate events against an employee's counters."""

    def __init__(self, rules: CompiledRules) -> None:
        self.rules = rules
        self.badges: tuple[BadgeSpec, ...] = tuple(rules.badges)
        by_event: dict[str, list[BadgeSpec]] = {}
        self._threshold: list[BadgeSpec] = []
        for badge in self.badges:
            kind = badge.criteria.kind
            if kind in ("first", "count", "streak") and badge.criteria.event:
                by_event.setdefault(badge.criteria.event, []).append(badge)
            elif kind == "threshold":
                self._threshold.append(badge)
        self._by_event = {k: tuple(v) for k, v in by_event.items()}
        # Key lists per (badge, window) and rolling windows per local day: events of one day share them.
        self._key_cache: dict[tuple[str, str], list[str]] = {}
        self._rolling_cache: dict[tuple[int, str], list[str]] = {}
        self._event_keys: dict[tuple[str, Any], list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.badges)

    # -- which counters ------------------------------------------------------------------------------------
    def counter_keys(self, event_type: str, occurred_at: datetime) -> list[str]:
        """Every counter key :meth:`evaluate` may read or write for an event (without the employee)."""
        # Every window key derives from the event's local date: one list per event type and day.
        day = self.rules.periods(occurred_at)
        keys = self._event_keys.get((event_type, day))
        if keys is None:
            keys = []
            for badge in (*self._by_event.get(event_type, ()), *self._threshold):
                keys.extend(self._keys(badge, occurred_at))
            self._event_keys[event_type, day] = keys
        return keys

    def progress_keys(self, now: datetime) -> list[str]:
        """The counter keys :meth:`progress` reads for ``now``."""
        return [key for badge in self.badges for key in self._keys(badge, now)]

    def _keys(self, badge: BadgeSpec, at: datetime) -> list[str]:
        windows = self._windows(badge, at)
        cached = self._key_cache.get((badge.id, windows[0]))
        if cached is None:
            prefix = f"badge:{badge.id}:"
            marker = self._marker(badge, windows[0])
            cached = [f"{prefix}got:{tier.name}:{marker}" for tier in badge.tiers]
            if badge.criteria.kind == "streak":
                cached += [f"{prefix}last", f"{prefix}run", f"{prefix}start"]
            elif badge.criteria.kind in ("count", "threshold"):
                cached += [f"{prefix}n:{w}" for w in windows]
            self._key_cache[badge.id, windows[0]] = cached
        return cached

    @staticmethod
    def _marker(badge: BadgeSpec, window: str) -> str:
        """The window a tier's got-marker is kept under: earned once ever, per period, or per streak run."""
        if not badge.again:
            return _EVER
        if badge.criteria.kind == "streak":
            return _RUN
        return window if badge.criteria.window in _PERIODIC else _EVER

    def _windows(self, badge: BadgeSpec, at: datetime) -> list[str]:
        """The window key(s) an instant counts in: rolling windows are one key per local day."""
        criteria = badge.criteria
        if criteria.kind not in ("count", "threshold"):
            return _EVER_ONLY
        window = criteria.window
        if window in _PERIODIC:
            return [self.rules.periods(at).of(window)]
        if window != "rolling":
            return _EVER_ONLY
        today = self.rules.periods(at).day  # the local date, cached per quarter hour
        days = self._rolling_cache.get((criteria.rolling_days, today))
        if days is None:
            first = date.fromisoformat(today)
            days = [(first - timedelta(days=i)).isoformat() for i in range(criteria.rolling_days)]
            self._rolling_cache[criteria.rolling_days, today] = days
        return days

    # -- evaluation ---------------------------------------------------------------------------------------
    def evaluate(
        self,
        event_type: str,
        attributes: dict[str, Any],
        occurred_at: datetime,
        points: int,
        state: dict[str, float],
    ) -> list[Earned]:
        """Badge tiers this event earns; updates ``state`` (the employee's counters) in place.

        ``points`` are what the event's rules awarded (threshold badges add them up; badge bonuses do not
        count, so a bonus cannot earn another badge).
        """
        earned: list[Earned] = []
        local_day = occurred_at.astimezone(self.rules.timezone).date()
        for badge in self._by_event.get(event_type, ()):
            if not _available(badge, local_day):
                continue
            when = badge.criteria.when
            if when is not None and not evaluate(when, attributes):
                continue
            kind = badge.criteria.kind
            if kind == "first":
                self._reach(badge, 1, _EVER, state, earned)
            elif kind == "count":
                self._tally(badge, occurred_at, 1, state, earned)
            else:
                self._streak(badge, local_day, state, earned)
        if points:
            for badge in self._threshold:
                if _available(badge, local_day):
                    self._tally(badge, occurred_at, points, state, earned)
        return earned

    def _tally(
        self,
        badge: BadgeSpec,
        at: datetime,
        amount: int,
        state: dict[str, float],
        earned: list[Earned],
    ) -> None:
        """Add to the window's tally, then earn what the window's total (rolling: its days') reaches."""
        windows = self._windows(badge, at)
        prefix = f"badge:{badge.id}:n:"
        key = prefix + windows[0]
        state[key] = state.get(key, 0) + amount
        total = int(sum(state.get(prefix + w, 0) for w in windows))
        self._reach(badge, total, self._marker(badge, windows[0]), state, earned)

    def _reach(
        self,
        badge: BadgeSpec,
        value: int,
        window: str,
        state: dict[str, float],
        earned: list[Earned],
        marker: str | None = None,
    ) -> None:
        """Earn every tier whose goal ``value`` reaches and that is not earned yet in ``window`` (remembered
        under ``marker`` when the window's name is not known before the event: a streak's run)."""
        for tier in badge.tiers:
            if value < tier.goal:
                break
            got = f"badge:{badge.id}:got:{tier.name}:{marker or window}"
            if not state.get(got):
                state[got] = 1
                earned.append(Earned(badge, tier, window))

    def _streak(
        self, badge: BadgeSpec, day: date, state: dict[str, float], earned: list[Earned]
    ) -> None:
        prefix = f"badge:{badge.id}:"
        now = self._ordinal(badge, day)
        last = int(state.get(prefix + "last", 0))
        if last and now <= last:
            return  # the same day (or week) again, or a late event from before the run's last one
        run = int(state.get(prefix + "run", 0))
        if last and self._gap(badge, last, now) <= 1 + badge.criteria.grace:
            run += 1
        else:
            run = 1
            state[prefix + "start"] = now
            if badge.again:  # a new run may earn every tier again
                for tier in badge.tiers:
                    state[f"{prefix}got:{tier.name}:{_RUN}"] = 0
        state[prefix + "last"] = now
        state[prefix + "run"] = run
        start = int(state.get(prefix + "start", now))
        window = _streak_window(badge, start)
        self._reach(badge, run, window, state, earned, _RUN if badge.again else None)

    def _ordinal(self, badge: BadgeSpec, day: date) -> int:
        """A streak's day, or its week as the ordinal of the week's first day (as the program cuts weeks)."""
        if badge.criteria.unit == "day":
            return day.toordinal()
        back = day.weekday() if self.rules.week_start == "monday" else (day.weekday() + 1) % 7
        return day.toordinal() - back

    @staticmethod
    def _gap(badge: BadgeSpec, last: int, now: int) -> int:
        """Days (or weeks) from ``last`` to ``now``: 1 is the next one."""
        return (now - last) // (1 if badge.criteria.unit == "day" else 7)

    # -- progress -----------------------------------------------------------------------------------------
    def progress(self, state: dict[str, float], now: datetime) -> list[Progress]:
        """Each event-earned badge's standing for ``now`` (``state``: the counters of :meth:`progress_keys`)."""
        out: list[Progress] = []
        for badge in self.badges:
            kind = badge.criteria.kind
            if kind == "rank":
                continue
            windows = self._windows(badge, now)
            window = self._marker(badge, windows[0])
            prefix = f"badge:{badge.id}:"
            if kind == "first":
                current = 1 if state.get(f"{prefix}got::{_EVER}") else 0
            elif kind == "streak":
                current = int(state.get(prefix + "run", 0))
                # A run whose gap to today is already too long is over, even before the next event says so.
                day = self._ordinal(badge, now.astimezone(self.rules.timezone).date())
                last = int(state.get(prefix + "last", 0))
                if last and self._gap(badge, last, day) > 1 + badge.criteria.grace:
                    current = 0
            else:
                current = int(sum(state.get(f"{prefix}n:{w}", 0) for w in windows))
            earned = tuple(
                t.name for t in badge.tiers if state.get(f"{prefix}got:{t.name}:{window}")
            )
            pending = [t for t in badge.tiers if t.name not in earned]
            out.append(Progress(badge, pending[0] if pending else None, current, earned))
        return out


def _available(badge: BadgeSpec, day: date) -> bool:
    if badge.available_from is not None and day < badge.available_from:
        return False
    return badge.available_until is None or day <= badge.available_until


def _streak_window(badge: BadgeSpec, start: int) -> str:
    """A streak earned again per run counts in the run's first day; otherwise once ever."""
    if not badge.again or not start:
        return _EVER
    return date.fromordinal(start).isoformat()


@lru_cache(maxsize=32)
def badge_rules(rules: CompiledRules) -> BadgeRules:
    """The badges of a ruleset, built once per compiled ruleset (a process holds a handful)."""
    return BadgeRules(rules)


def tier_label(badge: BadgeSpec, tier: BadgeTier) -> str:
    """A badge tier as people read it: "Sharer (gold)", or the badge's name alone when it has no tiers."""
    return f"{badge.name} ({tier.name})" if tier.name else badge.name
