"""The scoring pipeline on SQLite and on a real PostgreSQL: intake, process, ledger, standings, parking."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import clock
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events, import_events, read_jsonl
from engine.scoring.rulesets import PublishError, load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database
from rules import load_rules, load_rules_text

RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"

ROSTER = """external_id,email,given_name,family_name,team,department
E1,anna@example.com,Anna,de Vries,Sales,Commercial
E2,bjorn@example.com,Bjørn,Pedersen,Sales,Commercial
E3,olga@example.com,Ольга,Иванова,Marketing,Marketing
"""


def event(eid: str, employee: str, etype: str, at: str, **attributes: object) -> dict:
    """An event as tools send it to the API, from the tool "tool"."""
    return {
        "source": "tool",
        "id": eid,
        "type": etype,
        "employee": employee,
        "occurred_at": at,
        "attributes": attributes,
    }


def share(
    eid: str, employee: str, at: str, content: str = "p1", kind: str = "curated", **extra: object
) -> dict:
    return event(eid, employee, "share", at, content_id=content, content_kind=kind, **extra)


def ledger(db: Database) -> list[tuple]:
    """The ledger as comparable facts: (event source id, employee, rule, points)."""
    return sorted(
        db.query(
            'SELECT v.external_id, e.external_id, l.rule_id, l.points FROM "ledger_entry" l '
            'JOIN "event" v ON v.id = l.event JOIN "employee" e ON e.id = l.employee'
        )
    )


def standing(db: Database, employee: str, period: str) -> int | None:
    rows = db.query(
        'SELECT s.score FROM "standing" s JOIN "employee" e ON e.id = s.employee '
        "WHERE e.external_id = ? AND s.period = ? AND s.board = ?",
        [employee, period, "points"],
    )
    return rows[0][0] if rows else None


@pytest.fixture
def book(db: Database):
    publish(db, RULES_PATH)
    return load_rulebook(db)


@pytest.fixture
def roster(db: Database) -> None:
    import_roster(db, ROSTER)


def test_intake_outcomes_name_the_problem(db: Database, book) -> None:
    rules = book.current
    events = [
        share("a", "E1", "2026-11-03T09:00:00+01:00"),
        share("a", "E1", "2026-11-03T09:00:00+01:00"),  # same batch, same id
        share("b", "E1", "2026-11-03T09:00:00"),  # no offset
        {
            **share("c", "E1", "2026-11-03T09:00:00Z"),
            "attributes": {"content_id": "x", "audience": "many"},
        },
        {**share("d", "E1", "2026-11-03T09:00:00Z"), "type": "teleport"},
        {"id": "e", "type": "share"},
    ]
    outcomes = accept_events(db, events, rules)
    assert [o.status for o in outcomes] == [
        "accepted",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert "occurred_at" in outcomes[2].errors[0]
    assert any("audience" in e for e in outcomes[3].errors)
    assert "teleport" in outcomes[4].errors[0]
    assert "source" in outcomes[5].errors[0]
    again = accept_events(db, [events[0]], rules)
    assert again[0].status == "duplicate"
    assert db.query('SELECT COUNT(*) FROM "event"')[0][0] == 1


def test_jsonl_import_names_bad_lines(db: Database, book) -> None:
    lines = [
        json.dumps(share("a", "E1", "2026-11-03T09:00:00Z")),
        "",
        "{not json",
        json.dumps({"id": 1}),
    ]
    summary = import_events(db, read_jsonl(lines), book.current)
    assert (summary.accepted, summary.rejected) == (1, 2)
    assert [o.index for o in summary.rejections] == [3, 4]


def test_process_writes_explainable_ledger_and_standings(db: Database, book, roster) -> None:
    accept_events(
        db,
        [
            share("s1", "E1", "2026-11-03T09:00:00+01:00", personalized=True),
            share(
                "s2", "anna@example.com", "2026-11-03T10:00:00+01:00", content="p2", kind="owned"
            ),
            share("s3", "E2", "2026-11-04T09:00:00+01:00", kind="promotional"),
        ],
        book.current,
    )
    result = process_pending(db, book)
    assert (result.scored, result.entries, result.points) == (3, 3, 15 + 12 + 5)
    reasons, rule_version, ruleset_version = db.query(
        'SELECT l.reasons, l.rule_version, l.ruleset_version FROM "ledger_entry" l '
        'JOIN "event" v ON v.id = l.event WHERE v.external_id = ?',
        ["s1"],
    )[0]
    assert "own words" in str(reasons)
    assert rule_version and ruleset_version == book.current.version
    for period in ("2026-11-03", "2026-W45", "2026-11", "2026-Q4", "all"):
        assert standing(db, "E1", period) == 27
    assert standing(db, "E2", "2026-11-04") == 5
    assert standing(db, "E2", "2026-11-03") is None
    # Processing again finds nothing and changes nothing.
    before = ledger(db)
    assert process_pending(db, book).events == 0
    assert ledger(db) == before


def test_unknown_employee_is_parked_then_scored_when_the_roster_knows_them(
    db: Database, book
) -> None:
    accept_events(
        db,
        [
            share("s1", "E1", "2026-11-03T09:00:00Z"),
            share("s2", "new@example.com", "2026-11-03T09:00:00Z"),
        ],
        book.current,
    )
    result = process_pending(db, book)
    assert result.parked == 2
    assert (
        db.query('SELECT reason FROM "event" WHERE external_id = ?', ["s1"])[0][0]
        == "unknown employee 'E1'"
    )
    import_roster(db, ROSTER)  # knows E1 only, not new@example.com
    assert process_pending(db, book).scored == 1
    assert standing(db, "E1", "all") == 10
    assert db.query('SELECT status FROM "event" WHERE external_id = ?', ["s2"])[0][0] == "parked"


def test_late_event_lands_in_its_own_period(db: Database, book, roster) -> None:
    accept_events(db, [share("now", "E1", "2026-11-20T09:00:00Z", content="a")], book.current)
    process_pending(db, book)
    accept_events(db, [share("late", "E1", "2026-10-30T09:00:00Z", content="b")], book.current)
    process_pending(db, book)
    assert standing(db, "E1", "2026-10") == 10
    assert standing(db, "E1", "2026-11") == 10
    assert standing(db, "E1", "all") == 20


def test_period_boundaries_follow_the_program_time_zone(db: Database, book, roster) -> None:
    # 23:30 UTC on 31 Dec is already 1 Jan in Amsterdam: next day, week, month, quarter.
    with clock.pinned(datetime(2027, 1, 2, tzinfo=UTC)):  # not a future event then
        accept_events(db, [share("ny", "E1", "2026-12-31T23:30:00Z")], book.current)
    process_pending(db, book)
    assert standing(db, "E1", "2027-01-01") == 10
    assert standing(db, "E1", "2027-01") == 10
    assert standing(db, "E1", "2027-Q1") == 10
    assert standing(db, "E1", "2026-12") is None


def test_daily_cap_is_shared_and_never_exceeded(db: Database, book, roster) -> None:
    cap = book.current.caps["sharing_daily"].max
    events = [
        share(
            f"s{i}",
            "E1",
            f"2026-11-03T{8 + i // 6:02d}:{i % 6 * 10:02d}:00+01:00",
            content=f"c{i}",
            personalized=True,
        )
        for i in range(20)
    ]
    accept_events(db, events, book.current)
    process_pending(db, book)
    assert standing(db, "E1", "2026-11-03") == cap


def test_each_event_is_scored_by_the_ruleset_in_effect(db: Database, book, roster) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    v2 = (
        text.replace('version: "2026.11"', 'version: "2026.12"')
        .replace('effective: "2026-01-01"', 'effective: "2026-12-01"')
        .replace("    points: 10\n", "    points: 20\n", 1)
    )
    publish(db, load_rules_text(v2, run_tests=False))
    book2 = load_rulebook(db)
    with clock.pinned(datetime(2026, 12, 2, tzinfo=UTC)):  # both have happened
        accept_events(
            db,
            [
                share("nov", "E1", "2026-11-30T12:00:00Z", content="a"),
                share("dec", "E1", "2026-12-01T12:00:00Z", content="b"),
            ],
            book2.current,
        )
    process_pending(db, book2)
    assert standing(db, "E1", "2026-11") == 10
    assert standing(db, "E1", "2026-12") == 20
    versions = dict(db.query('SELECT external_id, ruleset_version FROM "event"'))
    assert versions == {"nov": "2026.11", "dec": "2026.12"}


def test_published_ruleset_is_immutable(db: Database, book) -> None:
    rules = load_rules(RULES_PATH)
    assert publish(db, rules)[1] is False  # same version, same content: no-op
    changed = load_rules_text(rules.text.replace("max: 60", "max: 70"), run_tests=False)
    with pytest.raises(PublishError, match="immutable"):
        publish(db, changed)


def test_inactive_employee_does_not_earn(db: Database, book) -> None:
    import_roster(db, ROSTER + "E4,gone@example.com,Gone,Away,Sales,Commercial\n")
    db.execute('UPDATE "employee" SET active = ? WHERE external_id = ?', [False, "E4"])
    accept_events(db, [share("x", "E4", "2026-11-03T09:00:00Z")], book.current)
    result = process_pending(db, book)
    assert (result.skipped, result.entries) == (1, 0)


def test_timestamps_round_trip(db: Database) -> None:
    at = datetime(2026, 11, 3, 8, 0, 0, 123, tzinfo=UTC)
    assert db.read_ts(db.ts(at)) == at


def test_threads_opening_one_database_together_migrate_one_after_the_other(
    postgres_server: str,
) -> None:
    """Threads of one process share Piccolo's engine; they must not race each other either (processes:
    tests/test_migration_lock.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from engine.storage.database import DatabaseConfig, open_database
    from tests.servers import create_database

    def start(url: str) -> int:
        db = open_database(DatabaseConfig(url=url))
        try:
            return db.query('SELECT COUNT(*) FROM "employee"')[0][0]
        finally:
            db.close()

    with ThreadPoolExecutor(8) as pool:
        for _ in range(5):
            url = create_database(postgres_server, "threads")
            assert list(pool.map(start, [url] * 8)) == [0] * 8
