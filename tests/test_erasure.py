"""GDPR erasure: personal data goes, points and totals stay; on SQLite and a real PostgreSQL."""

from __future__ import annotations

import pytest

from engine.people.erasure import ERASED_MESSAGE, ErasureError, erase_employee
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database
from tests.test_pipeline import RULES_PATH, share

ROSTER = """external_id,email,name,team
E1,anna@example.com,Anna de Vries,Sales
E2,bo@example.com,Bo Berg,Sales
"""


def totals(db: Database) -> tuple:
    return (
        db.query('SELECT SUM(points) FROM "ledger_entry"')[0][0],
        db.query('SELECT period, SUM(score) FROM "standing" GROUP BY period ORDER BY period'),
    )


def test_erasure_removes_personal_data_and_keeps_every_total(db: Database) -> None:
    publish(db, RULES_PATH)
    import_roster(db, ROSTER)
    book = load_rulebook(db)
    accept_events(
        db,
        [
            share("s1", "anna@example.com", "2026-11-02T09:00:00+01:00", "p1"),
            share("s2", "E1", "2026-11-03T09:00:00+01:00", "p2"),
            share("s3", "E2", "2026-11-03T10:00:00+01:00", "p3"),
        ],
        book.current,
    )
    process_pending(db, book)
    anna = db.query("SELECT id FROM \"employee\" WHERE external_id = 'E1'")[0][0]
    db.execute(
        'INSERT INTO "shoutout" (giver, value, message, period, created_at) VALUES (?, ?, ?, ?, ?)',
        (
            anna,
            "teamwork",
            "Thanks Bo, love Anna",
            "2026-11",
            db.query("SELECT CURRENT_TIMESTAMP")[0][0],
        ),
    )
    before = totals(db)

    result = erase_employee(db, "anna@example.com")

    assert (result.pseudonym, result.events, result.shoutouts) == (f"erased-{anna}", 2, 1)
    assert result.badges >= 1  # first-share, now revoked
    person = db.query(
        'SELECT external_id, email, name, active, visibility FROM "employee" WHERE id = ?', (anna,)
    )[0]
    assert person[:3] == (f"erased-{anna}", None, "Erased employee")
    assert not person[3] and person[4] == "hidden"
    refs = {r for (r,) in db.query('SELECT employee_ref FROM "event"')}
    assert refs == {f"erased-{anna}", "E2"}
    assert db.query('SELECT message FROM "shoutout"') == [(ERASED_MESSAGE,)]
    assert all(
        r for (r,) in db.query('SELECT revoked FROM "badge_award" WHERE employee = ?', (anna,))
    )
    assert totals(db) == before
    # Nothing of Anna's is left to find by the ways tools named her.
    text = " ".join(str(v) for row in db.query('SELECT * FROM "employee"') for v in row)
    assert "anna" not in text.lower() and "E1" not in text.split()
    assert erase_employee(db, f"erased-{anna}").events == 0  # idempotent
    with pytest.raises(ErasureError, match="no employee 'E9'"):
        erase_employee(db, "E9")


def test_replay_after_erasure_keeps_the_history(db: Database) -> None:
    publish(db, RULES_PATH)
    import_roster(db, ROSTER)
    book = load_rulebook(db)
    accept_events(db, [share("s1", "E1", "2026-11-02T09:00:00+01:00")], book.current)
    process_pending(db, book)
    before = totals(db)
    erase_employee(db, "E1")
    replay(db, book)
    assert totals(db) == before
