"""Badges earned by the engine: in the scoring transaction, with their bonus points, stable under replay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from engine import clock
from engine.people.roster import import_roster
from engine.rewards.badges import badge_progress, earned_badges
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database
from tests.rules.rules_support import BASE
from tests.test_pipeline import share as pipeline_share

PROGRAM = (
    BASE
    + """
rules:
  - id: share
    event: share
    points: 10
badges:
  - id: first-share
    name: First share
    criteria: {kind: first, event: share}
    bonus: 5
  - id: sharer
    name: Sharer
    criteria: {kind: count, event: share, window: month}
    tiers: {bronze: 2, silver: 3}
    bonus: {bronze: 1, silver: 2}
    again: true
"""
)


def share(eid: str, employee: str, at: str) -> dict:
    """A curated share of its own post (content id = event id: no repeat discounts)."""
    return pipeline_share(eid, employee, at, eid)


def prepared(db: Database) -> None:
    from rules import load_rules_text

    publish(db, load_rules_text(PROGRAM, run_tests=False))
    import_roster(
        db,
        "external_id,email,name,team\nE1,e1@example.com,Anna,Sales\nE2,e2@example.com,Bo,Sales\n",
    )


def facts(db: Database) -> tuple[list, list, list]:
    awards = db.query(
        'SELECT e.external_id, b.badge, b.tier, b.earned_in, v.external_id, b.public_id FROM "badge_award" b '
        'JOIN "employee" e ON e.id = b.employee JOIN "event" v ON v.id = b.event ORDER BY 1, 2, 3, 4'
    )
    bonuses = db.query(
        'SELECT e.external_id, l.rule_id, l.points, l.reasons FROM "ledger_entry" l '
        "JOIN \"employee\" e ON e.id = l.employee WHERE l.kind = 'badge' ORDER BY 1, 2"
    )
    standings = db.query(
        'SELECT e.external_id, s.period, s.score FROM "standing" s JOIN "employee" e ON e.id = s.employee '
        "ORDER BY 1, 2"
    )
    return awards, bonuses, standings


@pytest.fixture
def in_december() -> Iterator[None]:
    """December's shares have happened: not future events."""
    with clock.pinned(datetime(2026, 12, 3, tzinfo=UTC), ticking=True):
        yield


def test_badges_are_earned_with_their_bonus_and_survive_replay_unchanged(
    db: Database, in_december: None
) -> None:
    prepared(db)
    book = load_rulebook(db)
    events = [
        share("a", "E1", "2026-11-02T10:00:00+01:00"),
        share("b", "E1", "2026-11-03T10:00:00+01:00"),
        share("c", "E1", "2026-11-04T10:00:00+01:00"),
        share("d", "E2", "2026-11-04T11:00:00+01:00"),
        share("e", "E1", "2026-12-01T10:00:00+01:00"),
        share("f", "E1", "2026-12-02T10:00:00+01:00"),
    ]
    accept_events(db, events, book.current)
    result = process_pending(db, book)
    assert result.badges == 5
    awards, bonuses, standings = facts(db)
    assert [a[:5] for a in awards] == [
        ("E1", "first-share", "", "ever", "a"),
        ("E1", "sharer", "bronze", "2026-11", "b"),
        ("E1", "sharer", "bronze", "2026-12", "f"),
        ("E1", "sharer", "silver", "2026-11", "c"),
        ("E2", "first-share", "", "ever", "d"),
    ]
    assert ("E1", "badge:first-share", 5) in [b[:3] for b in bonuses]
    assert sum(b[2] for b in bonuses if b[0] == "E1") == 5 + 1 + 2 + 1
    # Points of November for E1: three shares and three badge bonuses.
    assert ("E1", "2026-11", 30 + 5 + 1 + 2) in standings
    # Sending the same events again earns nothing more.
    assert all(o.status == "duplicate" for o in accept_events(db, events, book.current))
    assert process_pending(db, book).badges == 0
    # A replay gives the same badges (same public ids: shared Open Badges links keep working) and points.
    replay(db, book)
    assert facts(db) == (awards, bonuses, standings)


def test_progress_reads_the_engine_counters(db: Database) -> None:
    prepared(db)
    book = load_rulebook(db)
    accept_events(db, [share("a", "E1", "2026-11-02T10:00:00+01:00")], book.current)
    process_pending(db, book)
    employee = db.query("SELECT id FROM \"employee\" WHERE external_id = 'E1'")[0][0]
    earned = earned_badges(db, employee)
    assert [(b.badge, b.tier) for b in earned] == [("first-share", "")]
    progress = {
        p.badge.id: p
        for p in badge_progress(
            db, book.current, employee, datetime.fromisoformat("2026-11-10T12:00:00+01:00")
        )
    }
    assert progress["sharer"].current == 1 and progress["sharer"].next_tier.name == "bronze"
    assert progress["first-share"].next_tier is None


RANKED = (
    BASE
    + """
rules:
  - id: share
    event: share
    points: 10
badges:
  - id: podium
    name: Podium
    criteria: {kind: rank, period: month}
    tiers: {gold: 1, silver: 3}
    bonus: {gold: 50, silver: 20}
"""
)


def test_rank_badges_go_to_the_top_n_at_period_close_once(db: Database) -> None:
    from engine.rewards.badges import give_rank_badges
    from rules import load_rules_text

    publish(db, load_rules_text(RANKED, run_tests=False))
    roster = "external_id,email,name,team\n" + "".join(
        f"E{i},e{i}@example.com,P{i},Sales\n" for i in range(1, 6)
    )
    import_roster(db, roster)
    book = load_rulebook(db)
    # E1: 3 shares; E2 and E3: 2 each (a tie for second: both silver); E4: 1 (4th: none); E5: none.
    counts = {"E1": 3, "E2": 2, "E3": 2, "E4": 1}
    events = [
        share(f"{who}-{n}", who, f"2026-11-{n + 2:02d}T10:00:00+01:00")
        for who, count in counts.items()
        for n in range(count)
    ]
    accept_events(db, events, book.current)
    process_pending(db, book)
    now = datetime.fromisoformat("2026-12-01T02:00:00+01:00")
    deltas = give_rank_badges(db, book.current, "2026-11", now)
    given = db.query(
        'SELECT e.external_id, b.tier FROM "badge_award" b JOIN "employee" e ON e.id = b.employee '
        "WHERE b.badge = 'podium' ORDER BY 1"
    )
    assert given == [("E1", "gold"), ("E2", "silver"), ("E3", "silver")]
    # The bonus is dated at the close, in December: November's board stays as it closed.
    assert {(k[1], v[0]) for k, v in deltas.deltas.items() if k[1] == "2026-12"} == {
        ("2026-12", 50),
        ("2026-12", 20),
    }
    assert give_rank_badges(db, book.current, "2026-11", now).deltas == {}
    assert len(db.query("SELECT id FROM \"badge_award\" WHERE badge = 'podium'")) == 3
    bonus = db.query(
        'SELECT SUM(points) FROM "ledger_entry" WHERE rule_id LIKE ?', ["badge:podium%"]
    )
    assert bonus[0][0] == 50 + 20 + 20
