"""Issue 17, row 1: events sent over HTTP in 1,000-event batches, in a seeded random order, to the embedded
server (SQLite, scoring in-process) and to the scaled one (PostgreSQL, Redis, two ``plaudit worker``) come to
the ground truth: the same events imported at once and scored in order. Every total, every (event, rule)'s
points, every standing and every event's status is equal; no badge is missing (one the early order earned stays);
the boards the API serves show the standings.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import redis

from engine.storage.database import Database, DatabaseConfig, open_database
from tests.faults.processes import (
    Outcome,
    Server,
    compare,
    ground_truth,
    outcome,
    prepare,
    wait_until,
)
from tests.test_scaleout import (
    Workload,
    any_pending,
    assert_boards_equal_standings,
    workers_for,
)

#: 150 people over 12 days, ~5,400 events with the generator's re-sent copies: caps, repeats, near-duplicate
#: shares and badges are all reached.
WORK = Workload("http-order", employees=150, days=12, per_day=3.0, seed=44)
SEED = 1717


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    truth = ground_truth(tmp_path_factory.mktemp("truth"), WORK.roster, WORK.events)
    # The workload reaches what depends on order: near-duplicate shares and badges.
    assert any(status == "duplicate" for *_, status in truth.statuses)
    assert len(truth.badges) > 50
    return truth


def assert_order_mattered(db: Database) -> None:
    """Events arrived before earlier ones of their employee: some were scored again."""
    rescored = db.query("SELECT COUNT(*) FROM \"ledger_entry\" WHERE kind = 'rescore'")[0][0]
    assert rescored > 0


def shuffled_batches(seed: int, size: int = 1000) -> list[list[dict[str, Any]]]:
    events = list(WORK.events)
    random.Random(seed).shuffle(events)
    return [events[i : i + size] for i in range(0, len(events), size)]


def assert_api_board_is_the_standings(server: Server, db: Database) -> None:
    """The all-time board the API serves: each row's points are the employee's standing."""
    status, view, _ = server.get("/v1/leaderboards/points?period=all&limit=100")
    assert status == 200, (status, view)
    standing = dict(
        db.query(
            'SELECT e.external_id, s.score FROM "standing" s JOIN "employee" e ON e.id = s.employee '
            "WHERE s.board = 'points' AND s.period = 'all'"
        )
    )
    rows = view["rows"]
    assert rows, view
    assert {r["employee"]: r["points"] for r in rows} == {
        r["employee"]: standing[r["employee"]] for r in rows
    }
    assert rows[0]["points"] == max(standing.values())


def send_all(server: Server, batches: list[list[dict[str, Any]]]) -> None:
    for n, batch in enumerate(batches):
        status = server.send(batch)
        assert status == 202, (
            f"batch {n}: {status} {server.last_error} (seed {SEED})\n{server.logs()}"
        )


def test_shuffled_http_batches_on_the_embedded_server(expected: Outcome, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plaudit.sqlite'}"
    key = prepare(url, WORK.roster)
    server = Server({"DATABASE_URL": url, "PLAUDIT_WORKER": "on"}, tmp_path / "serve.log", key)
    print(f"seed {SEED}")
    try:
        server.start()
        send_all(server, shuffled_batches(SEED))
        db = open_database(DatabaseConfig(url=url, migrate=False))
        wait_until(lambda: not any_pending(db), "every event scored", server.logs)
        differences = compare(outcome(db), expected, badges_may_stay=True)
        assert not differences, f"seed {SEED}: {differences}"
        assert_order_mattered(db)
        assert_api_board_is_the_standings(server, db)
        db.close()
    finally:
        server.close()


def test_shuffled_http_batches_on_the_scaled_setup(
    expected: Outcome, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    key = prepare(postgres_url, WORK.roster)
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "PLAUDIT_WORKER": "off"}
    server = Server(env, tmp_path / "serve.log", key)
    print(f"seed {SEED + 1}")
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        try:
            pool.start(2)
            server.start()
            send_all(server, shuffled_batches(SEED + 1))
            db = open_database(DatabaseConfig(url=postgres_url, migrate=False))
            wait_until(lambda: not any_pending(db), "every event scored", pool.logs)
            differences = compare(outcome(db), expected, badges_may_stay=True)
            assert not differences, f"seed {SEED + 1}: {differences}"
            assert_order_mattered(db)
            assert_boards_equal_standings(db, redis.Redis.from_url(redis_url))
            assert_api_board_is_the_standings(server, db)
            db.close()
        finally:
            server.close()
