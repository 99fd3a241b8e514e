"""Roster import: create, update, deactivate (and come back); a deactivated employee stops earning from the
moment they leave, keeps their history, and a replay agrees."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.database import Database
from engine.intake import accept_events
from engine.process import process_pending
from engine.replay import replay
from engine.roster import import_roster, plan_roster, read_roster
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
