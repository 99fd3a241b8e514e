"""The scaled setup's dispatch: RQ jobs per shard on a real Redis, scoring into SQLite and a real PostgreSQL."""

from __future__ import annotations

import pytest
import redis
from rq import Queue, SimpleWorker

from engine.boards.redis import RedisBoards
from engine.demo.events import generate_events
from engine.demo.roster import generate_roster
from engine.jobs.shards import QUEUE_NAME, enqueue_shards, sweep
from engine.people.roster import import_roster
from engine.scoring.intake import accept_events
from engine.scoring.replay import replay
from engine.scoring.rulesets import load_rulebook
from engine.storage.database import Database
from tests.test_replay import START, fresh, snapshot


def prepared(
    db_url: str, employees: int, days: int, per_day: float, seed: int
) -> tuple[Database, set[int]]:
    """A fresh database with a generated roster and events stored as intake does; the shards that got events."""
    db = fresh(db_url)
    roster = generate_roster(employees, seed=seed)
    events = list(
        generate_events(roster, START, days, seed=seed, events_per_employee_per_day=per_day)
    )
    import_roster(
        db,
        "external_id,email,name,team\n"
        + "".join(f"{r['external_id']},{r['email']},x,{r['team']}\n" for r in roster),
    )
    rules = load_rulebook(db).current
    shards: set[int] = set()
    for i in range(0, len(events), 100):
        shards |= {
            o.shard for o in accept_events(db, events[i : i + 100], rules) if o.shard is not None
        }
    return db, shards


def work(connection: redis.Redis) -> None:
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)


def test_jobs_per_shard_score_everything_once_and_fill_redis_boards(
    db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    db, shards = prepared(db_url, employees=25, days=5, per_day=6, seed=21)
    connection = redis.Redis.from_url(redis_url)
    assert enqueue_shards(connection, shards) == len(shards)
    assert enqueue_shards(connection, shards) == 0  # one waiting job per shard, not one per event
    work(connection)
    assert db.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0
    scored = snapshot(db)
    # The Redis board is the standings, as absolute scores.
    boards = RedisBoards(connection)
    standings = db.query(
        "SELECT employee, score FROM \"standing\" WHERE board = 'points' AND period = 'all'"
    )
    assert standings
    for employee, score in standings:
        assert boards.rank("points", "all", employee)[1] == score
    replay(db)
    assert snapshot(db) == scored


def test_sweep_queues_what_a_crash_left_pending(
    db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    db, _ = prepared(db_url, employees=10, days=2, per_day=4, seed=22)
    connection = redis.Redis.from_url(redis_url)
    # Nothing was enqueued (the API died between commit and enqueue, or Redis lost its queue).
    assert sweep(db, connection) > 0
    work(connection)
    assert db.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0
    assert sweep(db, connection) == 0


def test_leaderboards_rebuild_command_restores_a_lost_redis(
    sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from admin.cli import main

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    db, _ = prepared(sqlite_url, employees=8, days=2, per_day=4, seed=23)
    connection = redis.Redis.from_url(redis_url)
    assert sweep(db, connection) > 0
    work(connection)
    boards = RedisBoards(connection)
    before = boards.top("points", "all", 100)
    assert before
    connection.flushall()  # Redis lost everything
    assert boards.top("points", "all", 100) == []
    result = CliRunner().invoke(main, ["leaderboards", "rebuild"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert boards.top("points", "all", 100) == before
