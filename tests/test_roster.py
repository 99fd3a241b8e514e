"""Roster import: create, update, deactivate (and come back); a deactivated employee stops earning from the
moment they leave, keeps their history, and a replay agrees."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.people.roster import RosterError, import_roster, plan_roster, read_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.score import process_pending
from engine.storage.database import Database
from tests.test_pipeline import ROSTER, book, share, standing

__all__ = ["book"]  # the fixture, imported

LEFT = datetime(2026, 11, 10, tzinfo=UTC)


def active(db: Database) -> dict[str, tuple[bool, bool]]:
    """external id -> (active, has a deactivation time)."""
    return {
        ext: (bool(a), at is not None)
        for ext, a, at in db.query('SELECT external_id, active, deactivated_at FROM "employee"')
    }


def test_active_no_deactivates_from_the_import_and_keeps_earlier_points(db: Database, book) -> None:
    import_roster(db, ROSTER)
    rules = book.current
    accept_events(db, [share("before", "E2", "2026-11-03T09:00:00Z")], rules)
    process_pending(db, book)
    earned = standing(db, "E2", "2026-11")
    assert earned

    left = ROSTER.replace(
        "E2,bjorn@example.com,Bjørn,Pedersen,Sales,Commercial",
        "E2,bjorn@example.com,Bjørn,Pedersen,Sales,Commercial,no",
    ).replace("department\n", "department,active\n", 1)
    result = import_roster(db, left, now=LEFT)
    assert (result.created, result.updated, result.deactivated) == (0, 3, 1)
    assert active(db)["E2"] == (False, True)

    # An event from after they left is not scored; a late one from before still is.
    accept_events(
        db,
        [
            share("after", "E2", "2026-11-12T09:00:00Z", content="p2"),
            share("late", "E2", "2026-11-04T09:00:00Z", content="p3"),
        ],
        rules,
    )
    process_pending(db, book)
    reasons = dict(
        db.query('SELECT external_id, reason FROM "event" WHERE employee_ref = ?', ["E2"])
    )
    assert reasons["after"] == "employee inactive: not scored"
    assert reasons["late"] is None
    total = standing(db, "E2", "2026-11")
    assert total is not None and total > earned

    replay(db, book)
    assert standing(db, "E2", "2026-11") == total

    # Back: active again, earning again, no deactivation time left.
    back = import_roster(db, ROSTER)
    assert (back.reactivated, back.deactivated) == (1, 0)
    assert active(db)["E2"] == (True, False)


def test_deactivate_missing_treats_the_file_as_the_whole_roster(db: Database) -> None:
    import_roster(db, ROSTER)
    only_anna = "external_id,email,name\nE1,anna@example.com,Anna\n"
    plan = plan_roster(db, read_roster(only_anna), deactivate_missing=True)
    assert plan.missing == ["E2", "E3"]
    assert all(a for a, _ in active(db).values())  # a plan writes nothing
    result = import_roster(db, only_anna, deactivate_missing=True)
    assert result.deactivated == 2
    assert active(db) == {"E1": (True, False), "E2": (False, True), "E3": (False, True)}
    # Without the flag, people missing from a partial file are left alone.
    assert import_roster(db, only_anna).deactivated == 0


def test_new_employee_created_inactive_never_earns(db: Database, book) -> None:
    import_roster(db, "external_id,email,name,active\nE7,gone@example.com,Gone,no\n")
    assert active(db)["E7"] == (False, False)
    accept_events(db, [share("x", "E7", "2026-11-03T09:00:00Z")], book.current)
    assert process_pending(db, book).skipped == 1
    assert standing(db, "E7", "2026-11") is None


def joined(db: Database) -> dict[str, datetime]:
    return {
        ext: db.read_ts(at)
        for ext, at in db.query(
            'SELECT external_id, joined_at FROM "employee" ORDER BY external_id'
        )
    }


def test_joined_on_is_a_day_of_the_programs_calendar_and_the_import_time_without_it(
    db: Database,
) -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    text = ROSTER.replace("department\n", "department,joined_on\n", 1)
    text = text.replace("Sales,Commercial\n", "Sales,Commercial,2026-10-01\n", 1)
    imported = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    import_roster(db, text, now=imported, timezone=amsterdam)
    when = joined(db)
    assert when["E1"] == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # midnight in Amsterdam (CEST)
    assert when["E2"] == when["E3"] == imported  # no joined_on: the import
    # A later import without the column keeps the dates; one with a date moves it (and the plan says so).
    import_roster(db, ROSTER, now=datetime(2026, 11, 25, tzinfo=UTC))
    assert joined(db) == when
    moved = ROSTER.replace("department\n", "department,joined_on\n", 1).replace(
        "Pedersen,Sales,Commercial\n", "Pedersen,Sales,Commercial,2026-11-02T08:00:00Z\n"
    )
    assert plan_roster(db, read_roster(moved)).changed == {"E2": ["joined_on"]}
    import_roster(db, moved)
    assert joined(db)["E2"] == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_a_bad_joined_on_names_its_line(db: Database) -> None:
    text = ROSTER.replace("department\n", "department,joined_on\n", 1).replace(
        "Sales,Commercial\n", "Sales,Commercial,1 Oct 2026\n", 1
    )
    with pytest.raises(RosterError) as raised:
        import_roster(db, text, filename="people.csv")
    assert raised.value.problems == [
        "people.csv:2: joined_on: expected a date like 2026-11-01, got '1 Oct 2026'"
    ]
    assert db.query('SELECT COUNT(*) FROM "employee"')[0][0] == 0
