"""Simulating a draft on the last N days: per-rule totals, the top-10 diff, badge and award changes.

A small program in UTC (so period edges are plain dates): share 10 points, referral 50, training 25, a
"Sharer" badge for 3 shares ever and employee of the month per company and team. The draft doubles shares and
lowers the badge to 2 shares. The window is the 30 days before 2026-12-05, i.e. from 2026-11-05; one referral
of E3 on 2026-11-01 lies before it and must change nothing (with it E3 would win November on both sides).

Every expected value below is worked out by hand from the events, not read back from the code:

    published: E1 50 (referral), E3 30 (3 shares), E5 25 (training), E2 20 (2 shares), E4 10 (1 share)
    draft:     E3 60,            E1 50,            E2 40,             E5 25,            E4 20
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from admin.cli import main
from engine import clock
from engine.insight.simulate import (
    AwardChange,
    PastEvent,
    Placement,
    SimulationFacts,
    events_from_db,
    facts_from_db,
    simulate,
    simulate_recent,
)
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import RuleBook, load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database, open_database
from engine.storage.tables import ALL_TABLES
from rules import load_rules_text
from tests.test_pipeline import event

PROGRAM = """\
program:
  id: sim
  name: Sim Corp
  version: "1"
  effective: "2026-01-01"
  timezone: UTC
event_types:
  share:
    fields:
      content_id: string
  referral:
    fields:
      candidate_id: string
  training_completed:
    fields:
      course_id: string
rules:
  - id: share
    event: share
    points: 10
  - id: referral
    event: referral
    points: 50
  - id: training
    event: training_completed
    points: 25
badges:
  - id: sharer
    name: Sharer
    criteria: {kind: count, event: share, window: lifetime}
    goal: 3
awards:
  - id: eotm
    name: Employee of the month
    scopes: [company, team]
"""

DRAFT = (
    PROGRAM.replace('version: "1"', 'version: "2"')
    .replace("    points: 10\n", "    points: 20\n")
    .replace("    goal: 3\n", "    goal: 2\n")
)

ROSTER = (
    "external_id,email,name,team\n"
    "E1,e1@example.com,Anna Berg,Sales\n"
    "E2,e2@example.com,Bo Dahl,Sales\n"
    "E3,e3@example.com,Cleo Eng,Ops\n"
    "E4,e4@example.com,Dan Fox,Ops\n"
    "E5,e5@example.com,Eva Gran,Ops\n"
)

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def share(eid: str, employee: str, at: str) -> dict:
    return event(eid, employee, "share", at, content_id=eid)


EVENTS = [
    event("old", "E3", "referral", "2026-11-01T10:00:00Z", candidate_id="c0"),  # before the window
    event("r1", "E1", "referral", "2026-11-10T09:00:00Z", candidate_id="c1"),
    share("s1", "E2", "2026-11-11T09:00:00Z"),
    share("s2", "E2", "2026-11-12T09:00:00Z"),
    share("s3", "E3", "2026-11-13T09:00:00Z"),
    share("s4", "E3", "2026-11-14T09:00:00Z"),
    share("s5", "E3", "2026-11-15T09:00:00Z"),
    share("s6", "E4", "2026-11-16T09:00:00Z"),
    event("t1", "E5", "training_completed", "2026-11-17T09:00:00Z", course_id="basics"),
]


def row_counts(db: Database) -> dict[str, int]:
    return {
        t._meta.tablename: db.query(f'SELECT COUNT(*) FROM "{t._meta.tablename}"')[0][0]
        for t in ALL_TABLES
    }


@pytest.fixture
def loaded(db: Database) -> Database:
    publish(db, load_rules_text(PROGRAM, run_tests=False), actor="test")
    import_roster(db, ROSTER)
    accept_events(db, EVENTS, load_rulebook(db).current)
    process_pending(db)
    return db


def test_simulate_recent_on_the_window_and_writes_nothing(loaded: Database) -> None:
    db = loaded
    before = row_counts(db)
    draft = load_rules_text(DRAFT, run_tests=False)

    sim = simulate_recent(db, draft, 30, NOW)

    assert row_counts(db) == before  # nothing written anywhere
    # The window: 8 events from 2026-11-10 to 2026-11-17; the referral of 2026-11-01 is left out.
    assert sim.events == 8
    assert sim.window_start == datetime(2026, 11, 10, 9, tzinfo=UTC)
    assert sim.window_end == datetime(2026, 11, 17, 9, tzinfo=UTC)

    # Per rule: 6 shares at 10 and at 20; one referral and one training alike on both sides.
    assert dict(sim.published.by_rule) == {"share": 60, "referral": 50, "training": 25}
    assert dict(sim.draft.by_rule) == {"share": 120, "referral": 50, "training": 25}
    assert (sim.published.points, sim.draft.points) == (135, 195)
    assert sim.published.awards_by_rule["share"] == 6
    assert not sim.published.cap_hits and not sim.draft.cap_hits
    assert dict(sim.published.by_employee) == {"E1": 50, "E2": 20, "E3": 30, "E4": 10, "E5": 25}
    assert sim.biggest_changes(2) == [("E3", 30, 60), ("E2", 20, 40)]

    # Top 3: E3 moves up from 2 to 1, E1 down from 1 to 2, E2 comes in from 4, E5 leaves (now 4).
    moves = [(m.employee, m.draft_rank, m.published_rank, m.move, m.by) for m in sim.top_diff(3)]
    assert moves == [
        ("E3", 1, 2, "up", 1),
        ("E1", 2, 1, "down", 1),
        ("E2", 3, 4, "new", 0),
        ("E5", 4, 3, "left", 0),
    ]
    labels = [m.label for m in sim.top_diff(3)]
    assert labels == ["up 1", "down 1", "new in top 3 (was 4)", "left the top 3 (now 4)"]
    # The default top 10 holds all five: E4 stays fifth.
    assert [(m.employee, m.move) for m in sim.top_diff()][-1] == ("E4", "same")

    # Badges: Sharer needs 3 shares published (E3 only) and 2 in the draft (E2 and E3).
    [change] = sim.badge_changes
    assert (change.badge, change.tier, change.label) == ("sharer", "", "Sharer")
    assert (change.published, change.draft, change.gained, change.lost) == (1, 2, 1, 0)
    assert change.gained_examples == ("E2",) and change.lost_examples == ()

    # Employee of the month, November (partly in the window: it began on the 1st):
    # company: E1 (50) published, E3 (60) in the draft; Sales: E1 both; Ops: E3 both.
    assert sim.award_changes == [
        AwardChange(
            "eotm",
            "Employee of the month",
            "2026-11",
            "company",
            "",
            True,
            (Placement("E1", 1, 50, "winner"),),
            (Placement("E3", 1, 60, "winner"),),
            True,
        ),
        AwardChange(
            "eotm",
            "Employee of the month",
            "2026-11",
            "team",
            "Ops",
            True,
            (Placement("E3", 1, 30, "winner"),),
            (Placement("E3", 1, 60, "winner"),),
            False,
        ),
        AwardChange(
            "eotm",
            "Employee of the month",
            "2026-11",
            "team",
            "Sales",
            True,
            (Placement("E1", 1, 50, "winner"),),
            (Placement("E1", 1, 50, "winner"),),
            False,
        ),
    ]

    # What the page gets can be sent as JSON as it is.
    encoded = msgspec.json.decode(msgspec.json.encode(sim))
    assert encoded["badge_changes"][0]["gained_examples"] == ["E2"]
    assert encoded["award_changes"][0]["draft"][0]["employee"] == "E3"


def test_all_events_include_the_older_one(loaded: Database) -> None:
    """Without a window the referral of 2026-11-01 counts: E3 then leads November on both sides."""
    db = loaded
    draft = load_rules_text(DRAFT, run_tests=False)
    sim = simulate(draft, events_from_db(db), load_rulebook(db), facts=facts_from_db(db))
    assert sim.events == 9
    assert sim.published.by_employee["E3"] == 80  # 3 shares + the referral
    company = [a for a in sim.award_changes if a.scope == "company"]
    assert [(a.published, a.draft) for a in company] == [
        ((Placement("E3", 1, 80, "winner"),), (Placement("E3", 1, 110, "winner"),))
    ]
    assert len(events_from_db(db, datetime(2026, 11, 14, tzinfo=UTC))) == 4


def load_rulebook_of(text: str) -> RuleBook:
    """A published rulebook of one program, in memory."""
    return RuleBook((load_rules_text(text, run_tests=False),))


def past(employee: str, etype: str, at: str, **attributes: str) -> PastEvent:
    return PastEvent(employee, etype, datetime.fromisoformat(at), attributes)


def test_award_rules_of_each_side_eligibility_cooldown_and_shortlist() -> None:
    """In memory: the draft adds a minimum of 2 scored events and a cool-down of one month, and asks for
    approval (a shortlist of 3 per winner); last month's real winner was E1."""
    published = load_rulebook_of(PROGRAM)
    draft = load_rules_text(
        DRAFT.replace(
            "    scopes: [company, team]\n",
            "    eligibility: {min_events: 2, cooldown_months: 1}\n    approval: true\n",
        ),
        run_tests=False,
    )
    events = [
        past("E1", "referral", "2026-11-02T09:00:00+00:00", candidate_id="c1"),
        past("E1", "share", "2026-11-03T09:00:00+00:00", content_id="a"),
        past("E2", "share", "2026-11-03T10:00:00+00:00", content_id="b"),
        past("E3", "share", "2026-11-04T09:00:00+00:00", content_id="c"),
        past("E3", "share", "2026-11-05T09:00:00+00:00", content_id="d"),
        past("E4", "share", "2026-11-06T09:00:00+00:00", content_id="e"),
        past("E4", "share", "2026-11-07T09:00:00+00:00", content_id="f"),
    ]
    facts = SimulationFacts(past_winners={("eotm", "2026-10"): frozenset({"E1"})})
    sim = simulate(draft, events, published, facts=facts)
    # Published (no eligibility, no team known, no cool-down): E1 60 wins.
    # Draft: E1 (70) cools down after October, E2 has 1 event; E3 and E4 (40 each) are shortlisted, E3
    # first as the earlier to reach the score.
    assert sim.award_changes == [
        AwardChange(
            "eotm",
            "Employee of the month",
            "2026-11",
            "company",
            "",
            True,  # the window (first to last event) holds only part of November
            (Placement("E1", 1, 60, "winner"),),
            (Placement("E3", 1, 40, "shortlisted"), Placement("E4", 2, 40, "shortlisted")),
            True,
        )
    ]


def test_an_award_only_one_side_has_and_no_events() -> None:
    published = load_rulebook_of(PROGRAM.split("awards:")[0])
    draft = load_rules_text(DRAFT, run_tests=False)
    sim = simulate(
        draft, [past("E1", "share", "2026-11-03T09:00:00+00:00", content_id="a")], published
    )
    [company] = [a for a in sim.award_changes if a.scope == "company"]
    assert company.published is None and company.changed
    assert company.draft == (Placement("E1", 1, 20, "winner"),)

    empty = simulate(draft, [], published)
    assert (empty.events, empty.window_start, empty.award_changes, empty.top_diff()) == (
        0,
        None,
        [],
        [],
    )


def test_simulate_recent_wants_positive_days(loaded: Database) -> None:
    with pytest.raises(ValueError, match="days"):
        simulate_recent(loaded, load_rules_text(DRAFT, run_tests=False), 0, NOW)


def test_cli_simulate_last_days_prints_the_new_sections(tmp_path: Path) -> None:
    """``plaudit simulate --rules draft.yaml --days 30`` on events dated from today's clock."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    db = open_database(url)
    publish(db, load_rules_text(PROGRAM, run_tests=False), actor="test")
    import_roster(db, ROSTER)
    now = clock.now().replace(microsecond=0)

    def ago(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    accept_events(
        db,
        [
            event("old", "E1", "referral", ago(40), candidate_id="c0"),
            share("a", "E2", ago(3)),
            share("b", "E2", ago(2)),
            share("c", "E3", ago(1)),
        ],
        load_rulebook(db).current,
    )
    db.close()
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT, encoding="utf-8")

    result = CliRunner().invoke(
        main, ["--db", url, "simulate", "--rules", str(draft), "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert (
        "3 events; points: published 30, draft 60 (+30)" in out
    )  # the referral of 40 days ago is out
    assert "Top 10" in out and "Badge changes" in out and "Sharer" in out
    assert "Award changes" in out and "E2 (40)" in out  # E2's two shares win the month in the draft


def test_an_award_on_some_rules_ranks_their_points_only() -> None:
    """The draft's award counts shares only (metric: rules): E2's share (20) beats E1's referral (50)."""
    draft = load_rules_text(
        DRAFT.replace("    scopes: [company, team]\n", "    metric: rules\n    rules: [share]\n"),
        run_tests=False,
    )
    events = [
        past("E1", "referral", "2026-11-02T09:00:00+00:00", candidate_id="c1"),
        past("E2", "share", "2026-11-03T09:00:00+00:00", content_id="a"),
    ]
    [company] = simulate(draft, events, load_rulebook_of(PROGRAM)).award_changes
    assert company.published == (Placement("E1", 1, 50, "winner"),)
    assert company.draft == (Placement("E2", 1, 20, "winner"),)
