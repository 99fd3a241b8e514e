"""`badges:` and `awards:` in rules.yaml: the structs they build, and every mistake at its position."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest
from rules_support import BASE, ROOT, issues_of

from rules import (
    BADGE_KINDS,
    AwardSpec,
    BadgeCriteria,
    BadgeSpec,
    BadgeTier,
    load_rules,
    load_rules_text,
)
from rules.conditions import Cmp

RULES = (
    "rules:\n  - {id: share, event: share, points: 10}\n  - {id: click, event: click, points: 2}\n"
)
# One badge of every kind and form, as the file's documentation shows them.
BADGES = """\
badges:
  - id: first-share
    name: First share
    criteria: {kind: first, event: share}
    bonus: 5
    icon: share
  - id: sharer
    name: Sharer
    description: Shares in a month
    criteria: {kind: count, event: share, window: month, when: {content_kind: curated}}
    tiers: {bronze: 5, silver: 15, gold: 30}
    bonus: {bronze: 5, silver: 10, gold: 20}
    again: true
    icon: megaphone
    colour: "#c0392b"
  - id: clicker
    name: Clicker
    criteria: {kind: count, event: click, window: rolling, rolling_days: 30}
    goal: 20
  - id: century
    name: Century
    criteria: {kind: threshold, window: week}
    goal: 100
  - id: streak-5
    name: Five in a row
    criteria: {kind: streak, event: share, unit: day, grace: 1}
    goal: 5
    shape: hexagon
  - id: top-3
    name: Top three
    criteria: {kind: rank, period: month}
    tiers: {gold: 1, silver: 3}
    again: true
  - id: halloween
    name: Halloween
    criteria: {kind: count, event: share, window: lifetime}
    goal: 3
    available: {from: "2026-10-25", until: "2026-11-01"}
"""
AWARDS = """\
awards:
  - id: employee-of-the-month
    name: Employee of the month
    period: month
    metric: points
    scopes: [company, team]
    winners: 1
    eligibility: {min_active_days: 5, min_events: 3, cooldown_months: 3}
    tie_breakers: [shoutouts_received, active_days, earliest]
    grace_hours: 48
    approval: false
    reward: {bonus: 100, badge: top-3}
"""


def text_of(badges: str = BADGES, awards: str = "") -> str:
    return BASE + RULES + textwrap.dedent(badges) + textwrap.dedent(awards)


def position(text: str, needle: str, start: int = 0) -> str:
    """line:col of ``needle`` after ``start``; "anchor»needle" finds it after an anchor."""
    if "»" in needle:
        anchor, needle = needle.split("»")
        start = text.index(anchor, start) + len(anchor)
    before = text[: text.index(needle, start)]
    return f"{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"


def one_issue(text: str) -> str:
    issues = issues_of(text)
    assert len(issues) == 1, issues
    return issues[0]


def badge_of(section: str) -> BadgeSpec:
    (badge,) = load_rules_text(text_of(section)).badges
    return badge


# -- the default program ----------------------------------------------------------------------


def test_default_program_has_a_badge_of_every_kind_and_the_award():
    rules = load_rules(ROOT / "rules.yaml")
    assert 5 <= len(rules.badges) <= 8
    assert {b.criteria.kind for b in rules.badges} == set(BADGE_KINDS)
    assert all(b.name and b.description for b in rules.badges)
    (award,) = rules.awards
    assert award.id == "employee-of-the-month"
    assert award.badge in {b.id for b in rules.badges}


def test_no_sections_means_no_badges_and_no_awards():
    rules = load_rules_text(BASE + RULES)
    assert (rules.badges, rules.awards) == ((), ())
    assert (rules.program.badges, rules.program.awards) == ((), ())


# -- badges: what they build --------------------------------------------------------------------


def test_every_form_builds_its_struct():
    rules = load_rules_text(text_of())
    badges = {b.id: b for b in rules.badges}
    assert list(badges) == [
        "first-share",
        "sharer",
        "clicker",
        "century",
        "streak-5",
        "top-3",
        "halloween",
    ]
    assert badges["first-share"] == BadgeSpec(
        id="first-share",
        name="First share",
        description="",
        criteria=BadgeCriteria("first", event="share"),
        tiers=(BadgeTier("", 1, 5),),  # no tiers: one tier named "", goal 1 for first
        icon="share",
        line=badges["first-share"].line,
    )
    sharer = badges["sharer"]
    assert sharer.description == "Shares in a month"
    assert sharer.criteria == BadgeCriteria(
        "count", event="share", when=Cmp("content_kind", "eq", "curated"), window="month"
    )
    assert sharer.tiers == (
        BadgeTier("bronze", 5, 5),
        BadgeTier("silver", 15, 10),
        BadgeTier("gold", 30, 20),
    )
    assert (sharer.again, sharer.icon, sharer.colour, sharer.shape) == (
        True,
        "megaphone",
        "#c0392b",
        "circle",
    )
    assert badges["clicker"].criteria == BadgeCriteria(
        "count", event="click", window="rolling", rolling_days=30
    )
    assert badges["clicker"].tiers == (BadgeTier("", 20),)
    assert badges["century"].criteria == BadgeCriteria("threshold", window="week")
    assert badges["streak-5"].criteria == BadgeCriteria("streak", event="share", grace=1)
    assert badges["streak-5"].shape == "hexagon"
    assert badges["top-3"].criteria == BadgeCriteria("rank", period="month")
    assert badges["top-3"].tiers == (BadgeTier("gold", 1), BadgeTier("silver", 3))
    halloween = badges["halloween"]
    assert (halloween.available_from, halloween.available_until) == (
        date(2026, 10, 25),
        date(2026, 11, 1),
    )
    assert halloween.again is False
    assert [b.line for b in rules.badges] == sorted(b.line for b in rules.badges)


def test_one_bonus_for_every_tier_and_defaults():
    badge = badge_of("""\
        badges:
          - id: b
            name: B
            criteria: {kind: streak, event: share, unit: week}
            tiers: {one: 2, two: 4}
            bonus: 7
            again: true
    """)
    assert badge.tiers == (BadgeTier("one", 2, 7), BadgeTier("two", 4, 7))
    assert badge.criteria == BadgeCriteria("streak", event="share", unit="week")
    assert (badge.shape, badge.colour, badge.icon) == ("circle", "#2f6fde", "star")


def test_first_accepts_goal_one_and_open_ended_availability():
    badge = badge_of("""\
        badges:
          - {id: b, name: B, criteria: {kind: first, event: click}, goal: 1,
             available: {until: "2026-12-31"}}
    """)
    assert badge.tiers == (BadgeTier("", 1),)
    assert (badge.available_from, badge.available_until) == (None, date(2026, 12, 31))


def test_when_as_an_expression_string():
    badge = badge_of("""\
        badges:
          - {id: b, name: B, criteria: {kind: count, event: share, when: "audience >= 100"},
             goal: 2}
    """)
    assert badge.criteria.when == Cmp("audience", "gte", 100)


# -- badges: mistakes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        # required keys and unknown keys
        (
            "  - id: century\n    name: Century\n",
            "  - id: century\n",
            "id: century",
            'missing key "name" in badge',
        ),
        (
            "    criteria: {kind: threshold, window: week}\n",
            "",
            "id: century",
            'missing key "criteria" in badge',
        ),
        (
            "    criteria: {kind: threshold, window: week}\n    goal: 100\n",
            "    criteria: {kind: threshold, window: week}\n",
            "id: century",
            'missing key "goal" (or "tiers") in badge century',
        ),
        (
            '    colour: "#c0392b"',
            '    color: "#c0392b"',
            "color",
            'unknown key "color" in badge; expected one of: again, available, bonus, colour, '
            'criteria, description, goal, icon, id, name, shape, tiers; did you mean "colour"?',
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, windw: week}",
            "windw",
            'unknown key "windw" in badge century: criteria; expected one of: event, grace, kind, '
            'period, rolling_days, unit, when, window; did you mean "window"?',
        ),
        (
            "{kind: threshold, window: week}",
            "{window: week}",
            "{window",
            'missing key "kind" in badge century: criteria',
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: total, window: week}",
            "total",
            "badge century: criteria.kind: expected one of first, count, threshold, streak, rank, "
            'got "total"',
        ),
        (
            "  - id: clicker\n",
            "  - id: sharer\n",
            "sharer\n    name: Clicker",
            'duplicate badge id "sharer"',
        ),
        (
            "  - id: clicker\n",
            "  - id: click.er\n",
            "click.er",
            'badge id: "click.er" is not a valid id (letters, digits, _ and -; starting with a '
            "letter or _)",
        ),
        (
            "    name: Century\n",
            "    name: Century\n    description: ''\n",
            "''",
            "badge century: description: must not be empty",
        ),
        # kind-specific criteria keys
        (
            "{kind: first, event: share}",
            "{kind: first}",
            "{kind: first}",
            'missing key "event" in badge first-share: criteria (kind first needs an event type)',
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, event: share, window: week}",
            "event: share, window: week",
            "badge century: criteria: event does not apply to kind threshold (it takes window, "
            "rolling_days)",
        ),
        (
            "{kind: rank, period: month}",
            "{kind: rank, period: month, window: month}",
            "window: month}",
            "badge top-3: criteria: window does not apply to kind rank (it takes period)",
        ),
        (
            "{kind: streak, event: share, unit: day, grace: 1}",
            "{kind: streak, event: share, unit: day, grace: 1, window: week}",
            "grace: 1, »window: week}",
            "badge streak-5: criteria: window does not apply to kind streak (it takes event, "
            "when, unit, grace)",
        ),
        (
            "{kind: first, event: share}",
            "{kind: first, event: share, unit: week}",
            "unit: week",
            "badge first-share: criteria: unit does not apply to kind first (it takes event, when)",
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, window: week, grace: 1}",
            "grace",
            "badge century: criteria: grace does not apply to kind threshold (it takes window, "
            "rolling_days)",
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, window: week, period: month}",
            "period",
            "badge century: criteria: period does not apply to kind threshold (it takes window, "
            "rolling_days)",
        ),
        (
            "{kind: count, event: click, window: rolling, rolling_days: 30}",
            "{kind: count, event: click, window: rolling}",
            "{kind: count, event: click",
            'missing key "rolling_days" in badge clicker: criteria (how many days a rolling '
            "window spans)",
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, window: week, rolling_days: 7}",
            "7}",
            "badge century: criteria.rolling_days: only with window: rolling (this window is week)",
        ),
        (
            "rolling_days: 30}",
            "rolling_days: 400}",
            "400",
            "badge clicker: criteria.rolling_days: expected 1 to 366, got 400",
        ),
        (
            "{kind: threshold, window: week}",
            "{kind: threshold, window: year}",
            "year",
            "badge century: criteria.window: expected one of day, week, month, quarter, "
            'lifetime, rolling, got "year"',
        ),
        (
            "unit: day, grace: 1",
            "unit: month, grace: 1",
            "month, grace",
            'badge streak-5: criteria.unit: expected one of day, week, got "month"',
        ),
        (
            "unit: day, grace: 1",
            "unit: day, grace: 8",
            "8}",
            "badge streak-5: criteria.grace: expected 0 to 7, got 8",
        ),
        (
            "{kind: rank, period: month}",
            "{kind: rank, period: day}",
            "day}",
            'badge top-3: criteria.period: expected one of week, month, quarter, got "day"',
        ),
        (
            "{kind: first, event: share}",
            "{kind: first, event: shares}",
            "shares",
            'unknown event type "shares"; expected one of: click, reaction, referral, share; '
            'did you mean "share"?',
        ),
        # `when`, parsed with the event's fields
        (
            "when: {content_kind: curated}",
            "when: {content_knd: curated}",
            "content_knd",
            'unknown field "content_knd" for event type share; expected one of: audience, '
            "campaign, content_id, content_kind, network, personalized, reach; "
            'did you mean "content_kind"?',
        ),
        (
            "when: {content_kind: curated}",
            "when: {audience: many}",
            "many",
            'audience is an int; cannot compare with string "many"',
        ),
        # goals and tiers
        (
            "silver: 15, gold: 30}",
            "silver: 15, gold: 15}",
            "15}",
            "badge sharer: tiers.gold: goals must go up from tier to tier; 15 is not above "
            "silver's 15",
        ),
        (
            "{gold: 1, silver: 3}",
            "{silver: 3, gold: 1}",
            "{silver: 3, gold: »1}",
            "badge top-3: tiers.gold: goals must go up from tier to tier; 1 is not above "
            "silver's 3 (for rank: the best tier first, top 1 before top 3)",
        ),
        (
            "{bronze: 5, silver: 15",
            "{bronze: 0, silver: 15",
            "0, silver",
            "badge sharer: tiers.bronze: must be greater than 0, got 0",
        ),
        (
            "    goal: 100\n",
            "    goal: 99.5\n",
            "99.5",
            "badge century: goal: expected a positive whole number, got number 99.5",
        ),
        (
            "    goal: 100\n",
            "    goal: 100\n    tiers: {a: 1, b: 2}\n",
            "{a: 1",
            "badge century: give goal or tiers, not both",
        ),
        (
            "    goal: 100\n",
            "    tiers: [100, 200]\n",
            "[100",
            "badge century: tiers: expected a mapping of tier names to goals, such as "
            "{bronze: 5, silver: 15}, got a list",
        ),
        (
            "    goal: 100\n",
            "    tiers: {}\n",
            "{}",
            "badge century: tiers: must not be empty",
        ),
        (
            "{bronze: 5, silver: 15",
            "{bronze: 5, 'sil ver': 15",
            "'sil ver'",
            'badge sharer: tiers: "sil ver" is not a valid tier name (letters, digits, _ and -; '
            "starting with a letter or _)",
        ),
        (
            "    bonus: 5\n",
            "    bonus: 5\n    tiers: {a: 1}\n",
            "{a: 1}",
            "badge first-share: tiers: a first badge has one tier (the first event)",
        ),
        (
            "    bonus: 5\n",
            "    bonus: 5\n    goal: 2\n",
            "2\n",
            "badge first-share: goal: a first badge's goal is 1 (or left out), got 2",
        ),
        # bonus
        (
            "    bonus: 5\n",
            "    bonus: -5\n",
            "-5",
            "badge first-share: bonus: must not be negative, got -5",
        ),
        (
            "    bonus: 5\n",
            "    bonus: 2.5\n",
            "2.5",
            "badge first-share: bonus: expected a whole number, got number 2.5",
        ),
        (
            "    bonus: 5\n",
            "    bonus: {gold: 5}\n",
            "{gold",
            "badge first-share: bonus: a bonus per tier needs tiers; give one number",
        ),
        (
            "bonus: {bronze: 5, silver: 10, gold: 20}",
            "bonus: {bronze: 5, silver: 10}",
            "{bronze: 5, silver: 10}",
            'badge sharer: bonus: missing tier "gold" (0 for no bonus)',
        ),
        (
            "bonus: {bronze: 5, silver: 10, gold: 20}",
            "bonus: {bronze: 5, silver: 10, gold: 20, platinum: 40}",
            "platinum",
            'unknown tier "platinum" in badge sharer: bonus; expected one of: bronze, gold, silver',
        ),
        (
            "bonus: {bronze: 5, silver: 10, gold: 20}",
            "bonus: {bronze: 5, silver: -1, gold: 20}",
            "-1",
            "badge sharer: bonus.silver: must not be negative, got -1",
        ),
        # again
        (
            "    goal: 3\n    available",
            "    goal: 3\n    again: true\n    available",
            "true\n    available",
            "badge halloween: again: true needs a day, week, month or quarter window; a "
            "lifetime window never starts over",
        ),
        (
            "    goal: 20\n",
            "    goal: 20\n    again: true\n",
            "goal: 20\n    again: »true",
            "badge clicker: again: true needs a day, week, month or quarter window; a rolling "
            "window never starts over",
        ),
        (
            "    bonus: 5\n",
            "    bonus: 5\n    again: true\n",
            "true",
            "badge first-share: again: a first badge is earned once",
        ),
        (
            "    again: true\n    icon: megaphone",
            '    again: "yes please"\n    icon: megaphone',
            '"yes please"',
            'badge sharer: again: expected true or false, got string "yes please"',
        ),
        # looks
        (
            '"#c0392b"',
            '"#c0392"',
            '"#c0392"',
            'badge sharer: colour: expected a colour "#rrggbb" such as "#2f6fde", got "#c0392"',
        ),
        (
            '"#c0392b"',
            "#c0392b",
            "\n",
            'badge sharer: colour: expected a colour such as "#2f6fde", got nothing; quote it '
            "(an unquoted # starts a YAML comment)",
        ),
        (
            "shape: hexagon",
            "shape: square",
            "square",
            'badge streak-5: shape: expected one of circle, shield, hexagon, star, got "square"',
        ),
        (
            "icon: megaphone",
            "icon: rocket",
            "rocket",
            "badge sharer: icon: expected one of share, comment, star, flame, trophy, heart, "
            'megaphone, book, target, got "rocket"',
        ),
        # available
        (
            '{from: "2026-10-25", until: "2026-11-01"}',
            '{from: "2026-11-25", until: "2026-11-01"}',
            '"2026-11-01"',
            "badge halloween: available: until 2026-11-01 is before from 2026-11-25",
        ),
        (
            '{from: "2026-10-25", until: "2026-11-01"}',
            '{from: "2026-10-25", till: "2026-11-01"}',
            "till",
            'unknown key "till" in badge halloween: available; expected one of: from, until; '
            'did you mean "until"?',
        ),
        (
            '{from: "2026-10-25", until: "2026-11-01"}',
            "{}",
            "{}",
            "badge halloween: available: expected from and/or until",
        ),
        (
            '{from: "2026-10-25", until: "2026-11-01"}',
            '{from: "2026-10-32"}',
            '"2026-10-32"',
            'badge halloween: available.from: expected a date "YYYY-MM-DD", got "2026-10-32"',
        ),
    ],
)
def test_badge_errors(old, new, needle, message):
    assert BADGES.count(old) == 1, old
    text = text_of(BADGES.replace(old, new))
    start = text.index("badges:")
    issue = one_issue(text)
    if needle == "\n":  # the unquoted colour: YAML reads null at the end of the line
        assert issue.endswith(message)
        assert issue.startswith(f"rules.yaml:{position(text, 'colour:', start)[:-2]}:")
        return
    assert issue == f"rules.yaml:{position(text, needle, start)}: {message}"


def test_badges_must_be_a_list():
    text = text_of("badges: {first-share: {}}\n")
    assert one_issue(text) == (
        f"rules.yaml:{position(text, '{first')}: badges: expected a list, got a mapping"
    )


def test_every_badge_mistake_at_once():
    text = text_of(
        BADGES.replace("grace: 1}", "grace: 9}")
        .replace("icon: share", "icon: rocket")
        .replace("silver: 15, gold: 30", "silver: 15, gold: 10")
        .replace("window: week}", "window: week, event: share}")
    )
    assert [i.split(": ", 1)[1].split(":")[0] for i in issues_of(text)] == [
        "badge first-share",
        "badge sharer",
        "badge century",
        "badge streak-5",
    ]


# -- awards -------------------------------------------------------------------------------------


def test_award_builds_its_struct():
    (award,) = load_rules_text(text_of(awards=AWARDS)).awards
    assert award == AwardSpec(
        id="employee-of-the-month",
        name="Employee of the month",
        period="month",
        metric="points",
        rules=(),
        scopes=("company", "team"),
        winners=1,
        min_active_days=5,
        min_events=3,
        cooldown_months=3,
        tie_breakers=("shoutouts_received", "active_days", "earliest"),
        grace_hours=48,
        approval=False,
        bonus=100,
        badge="top-3",
        line=award.line,
    )
    assert award.line > 1


def test_award_defaults_and_metric_rules():
    section = """\
        awards:
          - {id: sharer-of-the-quarter, name: Sharer of the quarter, period: quarter,
             metric: rules, rules: [share], approval: true, winners: 3}
          - {id: plain, name: Plain}
    """
    top, plain = load_rules_text(text_of(awards=section)).awards
    assert (top.period, top.metric, top.rules, top.approval, top.winners) == (
        "quarter",
        "rules",
        ("share",),
        True,
        3,
    )
    assert plain == AwardSpec("plain", "Plain", line=plain.line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "    name: Employee of the month\n",
            "",
            "id: employee",
            'missing key "name" in award',
        ),
        (
            "    winners: 1\n",
            "    winner: 1\n",
            "winner:",
            'unknown key "winner" in award; expected one of: approval, eligibility, grace_hours, '
            "id, metric, name, period, reward, rules, scopes, tie_breakers, winners; "
            'did you mean "winners"?',
        ),
        (
            "employee-of-the-month\n",
            "employee of the month\n",
            "employee of the month",
            'award id: "employee of the month" is not a valid id (letters, digits, _ and -; '
            "starting with a letter or _)",
        ),
        (
            "period: month",
            "period: week",
            "week",
            'award employee-of-the-month: period: expected one of month, quarter, got "week"',
        ),
        (
            "metric: points",
            "metric: shares",
            "shares",
            'award employee-of-the-month: metric: expected one of points, rules, got "shares"',
        ),
        (
            "metric: points",
            "metric: rules",
            "rules\n",
            'award employee-of-the-month: metric: rules needs the rule ids in "rules:"',
        ),
        (
            "metric: points",
            "metric: points\n    rules: [share]",
            "[share]",
            "award employee-of-the-month: rules: only with metric: rules (points counts every "
            "rule)",
        ),
        (
            "metric: points",
            "metric: rules\n    rules: [share, clik]",
            "clik",
            'unknown rule "clik"; expected one of: click, share; did you mean "click"?',
        ),
        (
            "scopes: [company, team]",
            "scopes: []",
            "[]",
            "award employee-of-the-month: scopes: must not be empty",
        ),
        (
            "scopes: [company, team]",
            "scopes: [company, department]",
            "department",
            'award employee-of-the-month: scopes: expected one of company, team, got "department"',
        ),
        (
            "scopes: [company, team]",
            "scopes: [team, team]",
            "team]",
            'award employee-of-the-month: scopes: "team" is listed twice',
        ),
        (
            "scopes: [company, team]",
            "scopes: company",
            "company",
            'award employee-of-the-month: scopes: expected a list, got string "company"',
        ),
        (
            "winners: 1",
            "winners: 0",
            "0",
            "award employee-of-the-month: winners: must be greater than 0, got 0",
        ),
        (
            "min_events: 3",
            "min_events: -3",
            "-3",
            "award employee-of-the-month: eligibility.min_events: must not be negative, got -3",
        ),
        (
            "min_active_days: 5",
            "min_active_days: 32",
            "32",
            "award employee-of-the-month: eligibility.min_active_days: a month has at most 31 "
            "days, got 32",
        ),
        (
            "cooldown_months: 3",
            "cooldown: 3",
            "cooldown:",
            'unknown key "cooldown" in award employee-of-the-month: eligibility; expected one '
            'of: cooldown_months, min_active_days, min_events; did you mean "cooldown_months"?',
        ),
        (
            "cooldown_months: 3",
            'cooldown_months: "3"',
            '"3"',
            "award employee-of-the-month: eligibility.cooldown_months: expected a whole number, "
            'got string "3"',
        ),
        (
            "tie_breakers: [shoutouts_received, active_days, earliest]",
            "tie_breakers: [shoutouts, earliest]",
            "shoutouts,",
            "award employee-of-the-month: tie_breakers: expected one of shoutouts_received, "
            'active_days, earliest, got "shoutouts"',
        ),
        (
            "tie_breakers: [shoutouts_received, active_days, earliest]",
            "tie_breakers: [earliest, active_days, earliest]",
            "earliest]",
            'award employee-of-the-month: tie_breakers: "earliest" is listed twice',
        ),
        (
            "grace_hours: 48",
            "grace_hours: 4800",
            "4800",
            "award employee-of-the-month: grace_hours: expected 0 to 720, got 4800",
        ),
        (
            "approval: false",
            "approval: no",
            "no",
            '`no` is read by YAML as the boolean false; quote it ("no") or use true/false',
        ),
        (
            "approval: false",
            "approval: 0",
            "0",
            "award employee-of-the-month: approval: expected true or false, got number 0",
        ),
        (
            "badge: top-3}",
            "badge: top-4}",
            "top-4",
            'unknown badge "top-4"; expected one of: century, clicker, first-share, halloween, '
            'sharer, streak-5, top-3; did you mean "top-3"?',
        ),
        (
            "{bonus: 100, badge: top-3}",
            "{bonus: -100}",
            "-100",
            "award employee-of-the-month: reward.bonus: must not be negative, got -100",
        ),
        (
            "{bonus: 100, badge: top-3}",
            "{points: 100}",
            "{»points",
            'unknown key "points" in award employee-of-the-month: reward; expected one of: '
            "badge, bonus",
        ),
        (
            "{bonus: 100, badge: top-3}",
            "{}",
            "{}",
            "award employee-of-the-month: reward: expected bonus and/or badge",
        ),
    ],
)
def test_award_errors(old, new, needle, message):
    assert AWARDS.count(old) == 1, old
    text = text_of(awards=AWARDS.replace(old, new))
    start = text.index("awards:")
    assert one_issue(text) == f"rules.yaml:{position(text, needle, start)}: {message}"


def test_duplicate_award_id():
    text = text_of(awards=AWARDS + AWARDS.replace("awards:\n", ""))
    second = text.index("employee-of-the-month", text.index("reward:"))
    assert one_issue(text) == (
        f"rules.yaml:{position(text, 'employee-of-the-month', second)}: "
        'duplicate award id "employee-of-the-month"'
    )


def test_a_reward_naming_a_broken_badge_is_not_reported_twice():
    text = text_of(BADGES.replace("period: month}", "period: year}"), AWARDS)
    assert one_issue(text) == (
        f"rules.yaml:{position(text, 'year')}: badge top-3: criteria.period: expected one of "
        'week, month, quarter, got "year"'
    )


def test_a_rule_used_by_an_award_may_be_broken_only_once():
    text = (BASE + RULES).replace("points: 2}", "points: two}") + AWARDS.replace(
        "metric: points", "metric: rules\n    rules: [click]"
    ).replace(", badge: top-3", "")
    assert one_issue(text).endswith('rule click: points: expected a number, got string "two"')


def test_every_award_mistake_at_once():
    text = text_of(
        awards=AWARDS.replace("winners: 1", "winners: -1")
        .replace("grace_hours: 48", "grace_hours: -1")
        .replace("badge: top-3", "badge: nope")
    )
    messages = [i.split(": ", 1)[1] for i in issues_of(text)]
    assert [m.split(":")[0] for m in messages] == [
        "award employee-of-the-month",
        "award employee-of-the-month",
        'unknown badge "nope"; expected one of',
    ]
