"""Badge criteria (badges.earning) on a compiled program: each kind and its edges, with counters as state."""

from __future__ import annotations

from datetime import datetime, timedelta

from badges.earning import BadgeRules
from tests.rules.rules_support import at, build

SHARE = """
- id: share
  event: share
  points: 10
"""


def badges(section: str) -> BadgeRules:
    return BadgeRules(build(SHARE, "badges:\n" + section, run_tests=False))


def earn(
    rules: BadgeRules, state: dict, when: str | datetime, etype: str = "share", **attrs: object
):
    """The (badge, tier, window) of what one event earns."""
    occurred = at(when) if isinstance(when, str) else when
    attributes = {"content_id": "p", "content_kind": "curated", **attrs}
    points = 10 if etype == "share" else 0
    return [
        (e.badge.id, e.tier.name, e.window)
        for e in rules.evaluate(etype, attributes, occurred, points, state)
    ]


def test_first_is_earned_once() -> None:
    rules = badges(
        """
  - id: first-share
    name: First share
    criteria: {kind: first, event: share}
"""
    )
    state: dict = {}
    assert earn(rules, state, "2026-11-02T09:00:00+01:00") == [("first-share", "", "ever")]
    assert earn(rules, state, "2026-11-03T09:00:00+01:00") == []


def test_count_with_tiers_and_a_condition_again_each_month() -> None:
    rules = badges(
        """
  - id: sharer
    name: Sharer
    criteria: {kind: count, event: share, window: month, when: {content_kind: curated}}
    tiers: {bronze: 2, silver: 3}
    again: true
"""
    )
    state: dict = {}
    nov = "2026-11-{:02d}T10:00:00+01:00"
    assert earn(rules, state, nov.format(2)) == []
    assert earn(rules, state, nov.format(3), content_kind="owned") == []  # the condition says no
    assert earn(rules, state, nov.format(4)) == [("sharer", "bronze", "2026-11")]
    assert earn(rules, state, nov.format(5)) == [("sharer", "silver", "2026-11")]
    assert earn(rules, state, nov.format(6)) == []
    # A new month counts from zero and earns the tiers again. 30 Nov 23:30 UTC is 1 Dec in Amsterdam.
    assert earn(rules, state, "2026-11-30T23:30:00+00:00") == []
    assert earn(rules, state, "2026-12-01T10:00:00+01:00") == [("sharer", "bronze", "2026-12")]


def test_reaching_two_tiers_at_once_gives_both_once() -> None:
    rules = badges(
        """
  - id: points
    name: Points
    criteria: {kind: threshold, window: lifetime}
    tiers: {bronze: 5, silver: 10, gold: 30}
"""
    )
    state: dict = {}
    assert earn(rules, state, "2026-11-02T09:00:00+01:00") == [
        ("points", "bronze", "ever"),
        ("points", "silver", "ever"),
    ]
    assert earn(rules, state, "2026-11-03T09:00:00+01:00") == []


def test_rolling_window_counts_the_last_n_local_days() -> None:
    rules = badges(
        """
  - id: busy-week
    name: Busy week
    criteria: {kind: count, event: share, window: rolling, rolling_days: 3}
    goal: 3
"""
    )
    state: dict = {}
    assert earn(rules, state, "2026-11-01T10:00:00+01:00") == []
    assert earn(rules, state, "2026-11-02T10:00:00+01:00") == []
    # 1 Nov has left the 3-day window (4, 3, 2 Nov): two in the window, not three.
    assert earn(rules, state, "2026-11-04T10:00:00+01:00") == []
    assert earn(rules, state, "2026-11-04T11:00:00+01:00") == [("busy-week", "", "ever")]


def test_threshold_adds_the_points_of_every_event_in_the_week() -> None:
    rules = badges(
        """
  - id: century
    name: Century
    criteria: {kind: threshold, window: week}
    goal: 30
"""
    )
    state: dict = {}
    week = "2026-11-0{}T10:00:00+01:00"
    assert earn(rules, state, week.format(2)) == []
    assert earn(rules, state, week.format(3)) == []
    assert earn(rules, state, week.format(4)) == [("century", "", "ever")]
    assert earn(rules, state, week.format(5)) == []


def test_streak_survives_a_dst_change_and_a_month_boundary_and_breaks_after_a_gap() -> None:
    rules = badges(
        """
  - id: streak
    name: Three days running
    criteria: {kind: streak, event: share, unit: day}
    goal: 3
    again: true
"""
    )
    state: dict = {}
    # Europe/Amsterdam leaves summer time on Sunday 25 October 2026; the month turns on the 31st.
    assert earn(rules, state, "2026-10-24T23:30:00+02:00") == []
    assert earn(rules, state, "2026-10-25T23:30:00+01:00") == []
    assert earn(rules, state, "2026-10-26T08:00:00+01:00") == [("streak", "", "2026-10-24")]
    assert earn(rules, state, "2026-10-26T09:00:00+01:00") == []  # the same day again
    # A day missed breaks the run; a new run earns it again, in its own window.
    assert earn(rules, state, "2026-10-30T10:00:00+01:00") == []
    assert earn(rules, state, "2026-10-31T10:00:00+01:00") == []
    assert earn(rules, state, "2026-11-01T10:00:00+01:00") == [("streak", "", "2026-10-30")]


def test_streak_grace_days_let_a_day_be_missed() -> None:
    rules = badges(
        """
  - id: streak
    name: Three days with a day off
    criteria: {kind: streak, event: share, unit: day, grace: 1}
    goal: 3
"""
    )
    state: dict = {}
    start = at("2026-11-02T10:00:00+01:00")
    assert earn(rules, state, start) == []
    assert earn(rules, state, start + timedelta(days=2)) == []  # one day missed: within grace
    assert earn(rules, state, start + timedelta(days=4)) == [("streak", "", "ever")]
    assert earn(rules, state, start + timedelta(days=20)) == []  # earned once


def test_weekly_streak_and_a_late_event_from_before_the_run() -> None:
    rules = badges(
        """
  - id: weekly
    name: Every week
    criteria: {kind: streak, event: share, unit: week}
    goal: 2
"""
    )
    state: dict = {}
    assert earn(rules, state, "2026-11-08T22:00:00+01:00") == []  # Sunday, ISO week 45
    assert earn(rules, state, "2026-11-01T10:00:00+01:00") == []  # late: before the run's last week
    assert earn(rules, state, "2026-11-09T08:00:00+01:00") == [
        ("weekly", "", "ever")
    ]  # Monday, W46


def test_time_bounded_badge_only_counts_inside_its_dates() -> None:
    rules = badges(
        """
  - id: halloween
    name: Halloween
    criteria: {kind: count, event: share, window: lifetime}
    goal: 2
    available: {from: "2026-10-25", until: "2026-10-31"}
"""
    )
    state: dict = {}
    assert earn(rules, state, "2026-10-24T23:59:00+02:00") == []  # before: not counted
    assert earn(rules, state, "2026-10-25T00:10:00+02:00") == []
    assert earn(rules, state, "2026-11-01T00:10:00+01:00") == []  # after: not counted
    assert earn(rules, state, "2026-10-31T23:50:00+01:00") == [("halloween", "", "ever")]


def test_progress_toward_the_next_tier() -> None:
    rules = badges(
        """
  - id: sharer
    name: Sharer
    criteria: {kind: count, event: share, window: month}
    tiers: {bronze: 2, silver: 5}
    again: true
"""
    )
    state: dict = {}
    for day in (2, 3, 4):
        earn(rules, state, f"2026-11-0{day}T10:00:00+01:00")
    now = at("2026-11-20T12:00:00+01:00")
    assert set(rules.progress_keys(now)) >= {k for k in state if "2026-11" in k}
    (mine,) = rules.progress(state, now)
    assert (mine.current, mine.earned, mine.next_tier and mine.next_tier.name) == (
        3,
        ("bronze",),
        "silver",
    )
    # Next month: nothing yet, bronze next.
    (later,) = rules.progress(state, at("2026-12-02T12:00:00+01:00"))
    assert (later.current, later.earned, later.next_tier and later.next_tier.name) == (
        0,
        (),
        "bronze",
    )


def test_every_key_evaluate_touches_is_announced_beforehand() -> None:
    """The engine loads only the counters counter_keys names: a key outside it would be lost."""
    rules = badges(
        """
  - id: sharer
    name: Sharer
    criteria: {kind: count, event: share, window: rolling, rolling_days: 7}
    goal: 2
  - id: streak
    name: Streak
    criteria: {kind: streak, event: share, unit: week}
    goal: 2
    again: true
  - id: century
    name: Century
    criteria: {kind: threshold, window: month}
    tiers: {bronze: 10, silver: 20}
"""
    )
    state: dict = {}
    moment = at("2026-11-02T10:00:00+01:00")
    for i in range(10):
        when = moment + timedelta(days=3 * i)
        announced = set(rules.counter_keys("share", when))
        before = dict(state)
        earn(rules, state, when)
        touched = {k for k in state if state[k] != before.get(k)}
        assert touched <= announced, touched - announced


def test_progress_of_a_broken_streak_is_zero() -> None:
    rules = badges(
        """
  - id: streak
    name: Streak
    criteria: {kind: streak, event: share, unit: day}
    goal: 5
"""
    )
    state: dict = {}
    earn(rules, state, "2026-11-02T10:00:00+01:00")
    earn(rules, state, "2026-11-03T10:00:00+01:00")
    (running,) = rules.progress(state, at("2026-11-04T08:00:00+01:00"))
    (broken,) = rules.progress(state, at("2026-11-06T08:00:00+01:00"))
    assert (running.current, broken.current) == (2, 0)
