"""Order independence, replay and simulation: the correctness promises of the scoring core."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.demo.events import generate_events
from engine.demo.roster import generate_roster
from engine.insight.simulate import events_from_db, simulate
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import process_pending
from engine.storage.database import Database, DatabaseConfig, open_database
from rules import load_rules_text

RULES_PATH = Path(__file__).resolve().parent.parent / "rules.yaml"
START = datetime(2026, 11, 2, tzinfo=UTC)


def snapshot(db: Database) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Ledger, standings and counters as comparable facts (no row ids, no wall-clock times)."""
    ledger = db.query(
        'SELECT v.source, v.external_id, e.external_id, l.rule_id, l.points, l.reasons FROM "ledger_entry" l '
        'JOIN "event" v ON v.id = l.event JOIN "employee" e ON e.id = l.employee ORDER BY 1, 2, 4'
    )
    standings = db.query(
        'SELECT s.board, s.period, e.external_id, s.score, s.reached_at FROM "standing" s '
        'JOIN "employee" e ON e.id = s.employee ORDER BY 1, 2, 3'
    )
    counters = db.query('SELECT key, value FROM "counter" ORDER BY key')
    return ledger, standings, counters


def fresh(url: str) -> Database:
    db = open_database(DatabaseConfig(url=url))
    publish(db, RULES_PATH)
    return db


def load(db: Database, roster: list[dict], events: list[dict], batch: int = 97) -> None:
    import_roster(
        db,
        "external_id,email,name,team\n"
        + "".join(f"{r['external_id']},{r['email']},x,{r['team']}\n" for r in roster),
    )
    book = load_rulebook(db)
    for i in range(0, len(events), batch):
        accept_events(db, events[i : i + batch], book.current)


ROSTER = generate_roster(12, seed=3)
STREAM = list(
    generate_events(
        ROSTER, START, 4, seed=3, events_per_employee_per_day=6, duplicate_rate=0, late_rate=0
    )
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), dup_fraction=st.floats(0, 0.5))
def test_shuffled_duplicated_stream_gives_the_same_ledger(
    tmp_path_factory, seed: int, dup_fraction: float
) -> None:
    base = tmp_path_factory.mktemp("clean")
    clean = fresh(f"sqlite:///{base / 'a.sqlite'}")
    load(clean, ROSTER, STREAM)
    process_pending(clean)

    rng = random.Random(seed)
    messy_stream = STREAM + rng.sample(STREAM, int(len(STREAM) * dup_fraction))
    rng.shuffle(messy_stream)
    messy = fresh(f"sqlite:///{base / 'b.sqlite'}")
    load(messy, ROSTER, messy_stream, batch=rng.randint(1, 200))
    process_pending(messy, batch_size=rng.randint(1, 300))
    assert snapshot(messy) == snapshot(clean)


def test_replay_equals_incremental_processing(db: Database) -> None:
    publish(db, RULES_PATH)
    roster = generate_roster(20, seed=5)
    events = list(generate_events(roster, START, 10, seed=5, events_per_employee_per_day=3))
    load(db, roster, events)
    process_pending(db, batch_size=50)
    incremental = snapshot(db)
    assert incremental[0], "the stream must score something"
    replay(db, batch_size=333)
    assert snapshot(db) == incremental
    replay(db)
    assert snapshot(db) == incremental


def test_replay_keeps_adjustments(db: Database) -> None:
    publish(db, RULES_PATH)
    roster = generate_roster(5, seed=1)
    load(db, roster, list(generate_events(roster, START, 2, seed=1, events_per_employee_per_day=3)))
    process_pending(db)
    emp = db.query('SELECT id FROM "employee" ORDER BY id LIMIT 1')[0][0]
    db.execute(
        'INSERT INTO "ledger_entry" (employee, points, kind, reasons, actor, why, occurred_at, created_at) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            emp,
            100,
            "adjustment",
            "[]",
            "hr@example.com",
            "conference talk",
            db.ts(START),
            db.ts(START),
        ],
    )
    before = db.query(
        'SELECT score FROM "standing" WHERE employee = ? AND period = ?', [emp, "all"]
    )
    replay(db)
    after = db.query('SELECT score FROM "standing" WHERE employee = ? AND period = ?', [emp, "all"])
    assert after[0][0] == (before[0][0] if before else 0) + 100


def test_caps_are_never_exceeded_on_a_busy_stream(db: Database) -> None:
    publish(db, RULES_PATH)
    roster = generate_roster(6, seed=9)
    load(
        db, roster, list(generate_events(roster, START, 3, seed=9, events_per_employee_per_day=60))
    )
    process_pending(db)
    rules = load_rulebook(db).current
    per_cap_day: dict[tuple[str, str, str], int] = {}
    cap_of = {
        r: c
        for r, c in (
            ("share", "sharing_daily"),
            ("reaction_received", "engagement_daily"),
            ("unique_click", "engagement_daily"),
        )
    }
    for emp, rule, points, at in db.query(
        'SELECT employee, rule_id, points, occurred_at FROM "ledger_entry"'
    ):
        if rule in cap_of:
            day = rules.periods(db.read_ts(at)).day
            key = (emp, cap_of[rule], day)
            per_cap_day[key] = per_cap_day.get(key, 0) + points
    assert per_cap_day
    for (_, cap, _), total in per_cap_day.items():
        assert total <= rules.caps[cap].max


def test_simulate_compares_and_writes_nothing(db: Database) -> None:
    publish(db, RULES_PATH)
    roster = generate_roster(15, seed=2)
    load(db, roster, list(generate_events(roster, START, 5, seed=2, events_per_employee_per_day=4)))
    process_pending(db)
    before = snapshot(db)
    text = RULES_PATH.read_text(encoding="utf-8")
    draft = load_rules_text(
        text.replace("    points: 10\n", "    points: 30\n", 1), run_tests=False
    )
    sim = simulate(draft, events_from_db(db), load_rulebook(db))
    assert snapshot(db) == before
    assert sim.published.points == db.query('SELECT SUM(points) FROM "ledger_entry"')[0][0]
    assert sim.draft.by_rule["share"] > sim.published.by_rule["share"]
    assert sim.draft.by_rule["referral"] == sim.published.by_rule["referral"]
    assert sim.biggest_changes()


def test_two_workers_at_once_score_each_event_once(db_url: str) -> None:
    import threading

    reference = fresh(db_url)
    roster = generate_roster(20, seed=8)
    events = list(generate_events(roster, START, 4, seed=8, events_per_employee_per_day=5))
    load(reference, roster, events)
    errors: list[BaseException] = []

    def work() -> None:
        worker = open_database(DatabaseConfig(url=db_url, migrate=False))
        try:
            for _ in range(
                20
            ):  # a worker polls; an empty batch may only mean the other one holds the rows
                process_pending(worker, batch_size=25)
        except BaseException as exc:
            errors.append(exc)
        finally:
            worker.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    after_two = snapshot(reference)
    replay(reference)  # one worker, in order
    assert snapshot(reference) == after_two


def test_sharded_workers_give_the_same_result(db_url: str) -> None:
    """Workers each taking shards (as scaled RQ workers do) score like one worker in order."""
    import threading

    from engine.scoring.score import process_batch
    from engine.settings import settings

    reference = fresh(db_url)
    roster = generate_roster(30, seed=12)
    events = list(generate_events(roster, START, 4, seed=12, events_per_employee_per_day=5))
    load(reference, roster, events)
    # An employee's events share a shard however the tool named them (external id or email).
    by_employee = reference.query(
        'SELECT e.id, COUNT(DISTINCT v.shard) FROM "event" v JOIN "employee" e '
        "ON v.employee_ref IN (e.external_id, e.email) GROUP BY e.id"
    )
    assert by_employee and all(n == 1 for _, n in by_employee)
    book = load_rulebook(reference)
    errors: list[BaseException] = []

    def work(shards: list[int]) -> None:
        worker = open_database(DatabaseConfig(url=db_url, migrate=False))
        try:
            for shard in shards:
                while process_batch(worker, book, 20, shard=shard).events:
                    pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            worker.close()

    threads = [
        threading.Thread(target=work, args=(list(range(i, settings().shards, 3)),))
        for i in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert reference.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0
    sharded = snapshot(reference)
    replay(reference)
    assert snapshot(reference) == sharded
