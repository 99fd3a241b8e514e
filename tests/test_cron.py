"""The periodic jobs of the scaled setup: period ends, sweep, reconcile, closing periods, RQ's cron scheduler.

Real Redis (``redis_url``), SQLite and a real PostgreSQL (``db_url``); the jobs run on real RQ workers in burst
mode. Nothing sleeps: the scheduler is driven by ``CronScheduler.enqueue_jobs()``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from click.testing import CliRunner
from rq import Queue, SimpleWorker
from rq.cron import CronScheduler
from rq.job import Job

from engine.boards.redis import RedisBoards
from engine.jobs.cron import (
    CLOSED_PERIODS_KEY,
    close_periods,
    reconcile_boards,
    register_jobs,
    run_close,
    sweep_pending,
)
from engine.jobs.shards import QUEUE_NAME
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import load_rulebook
from engine.scoring.score import process_pending
from engine.settings import settings
from engine.storage.database import Database, open_database
from rules.periods import (
    PERIOD_KINDS,
    period_end,
    period_keys,
    period_kind,
    period_start,
    previous_period,
)
from tests.test_dispatch import prepared
from tests.test_replay import START

ROOT = Path(__file__).resolve().parent.parent
AMS = ZoneInfo("Europe/Amsterdam")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- period_end ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "week_start", "end"),
    [
        ("2026-11-23", "monday", "2026-11-23T23:00"),  # CET: local midnight is 23:00 UTC
        ("2026-03-28", "monday", "2026-03-28T23:00"),  # the day before summer time
        (
            "2026-03-29",
            "monday",
            "2026-03-29T22:00",
        ),  # summer time starts: a 23-hour day, CEST after
        ("2026-10-25", "monday", "2026-10-25T23:00"),  # winter time: a 25-hour day
        ("2026-12-31", "monday", "2026-12-31T23:00"),  # the year boundary
        ("2026-W13", "monday", "2026-03-29T22:00"),  # Mon 23 Mar .. Sun 29 Mar, ends in summer time
        ("2026-W13", "sunday", "2026-03-28T23:00"),  # Sun 22 Mar .. Sat 28 Mar
        ("2026-W45", "monday", "2026-11-08T23:00"),
        ("2026-W45", "sunday", "2026-11-07T23:00"),
        ("2026-W53", "monday", "2027-01-03T23:00"),  # ISO week 53 runs into 2027
        ("2026-W53", "sunday", "2027-01-02T23:00"),
        ("2020-W53", "monday", "2021-01-03T23:00"),
        ("2027-W01", "sunday", "2027-01-09T23:00"),
        ("2026-03", "monday", "2026-03-31T22:00"),  # ends in summer time
        ("2026-11", "monday", "2026-11-30T23:00"),
        ("2026-12", "monday", "2026-12-31T23:00"),
        ("2026-Q1", "monday", "2026-03-31T22:00"),
        ("2026-Q4", "sunday", "2026-12-31T23:00"),
    ],
)
def test_period_end_in_amsterdam(key: str, week_start: str, end: str) -> None:
    assert period_end(key, AMS, week_start) == utc(end)


def test_the_all_period_never_ends_and_bad_keys_are_refused() -> None:
    assert period_end("all", AMS) is None
    assert period_kind("all") == "all"
    for bad in ("2026-13", "2026-02-30", "2027-W53", "2026-Q5", "2026/11", "week"):
        with pytest.raises(ValueError):
            period_end(bad, AMS)


def test_a_dst_day_is_23_or_25_hours_long() -> None:
    for key, hours in (("2026-03-29", 23), ("2026-10-25", 25), ("2026-11-23", 24)):
        assert period_end(key, AMS) - period_start(key, AMS) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("key", "before"),
    [
        ("2026-01-01", "2025-12-31"),
        ("2026-03-30", "2026-03-29"),
        ("2027-W01", "2026-W53"),
        ("2026-W01", "2025-W52"),
        ("2026-01", "2025-12"),
        ("2026-Q1", "2025-Q4"),
        ("all", "all"),
    ],
)
def test_previous_period(key: str, before: str) -> None:
    assert previous_period(key, AMS) == before
    assert previous_period(key, AMS, "sunday") == before


@pytest.mark.parametrize(
    "zone",
    # Santiago and Havana switch to summer time AT midnight (that local midnight does not exist).
    ["Europe/Amsterdam", "America/Santiago", "America/Havana", "Pacific/Auckland", "UTC"],
)
@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_period_end_agrees_with_period_keys_every_hour_for_two_years(
    zone: str, week_start: str
) -> None:
    """Each instant lies in [start, end) of its keys; the end is the first instant of the next key."""
    tz = ZoneInfo(zone)
    bounds: dict[str, tuple[datetime, datetime]] = {}
    t = utc("2025-12-20T00:30")
    while t < utc("2028-01-10T00:00"):
        keys = period_keys(t, tz, week_start)
        for kind in PERIOD_KINDS[:-1]:
            key = keys.of(kind)
            if key not in bounds:
                start, end = period_start(key, tz, week_start), period_end(key, tz, week_start)
                tick = timedelta(microseconds=1)
                assert period_keys(start, tz, week_start).of(kind) == key
                assert period_keys(start - tick, tz, week_start).of(kind) != key
                assert period_keys(end - tick, tz, week_start).of(kind) == key
                assert period_keys(end, tz, week_start).of(kind) != key
                assert period_kind(key) == kind
                bounds[key] = (start, end)
            start, end = bounds[key]
            assert start <= t < end, (zone, key, t)
        t += timedelta(hours=1)
    assert "2026-W53" in bounds


# -- jobs on real storage ----------------------------------------------------------------------------------
@pytest.fixture
def env(db_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> redis.Redis:
    """The jobs find their database and Redis in the environment, as on a worker."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("PLAUDIT_CLOSE_GRACE_SECONDS", raising=False)
    return redis.Redis.from_url(redis_url)


def work(connection: redis.Redis) -> None:
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)


def queued_shards(connection: redis.Redis) -> list[int]:
    jobs = Queue(QUEUE_NAME, connection=connection).get_jobs()
    return sorted(job.args[0] for job in jobs if job.func_name == "engine.jobs.shards.score_shard")


def board_equals_standings(db: Database, connection: redis.Redis, period: str) -> bool:
    standings = dict(
        db.query(
            "SELECT employee, score FROM \"standing\" WHERE board = 'points' AND period = ?",
            (period,),
        )
    )
    board = RedisBoards(connection).top("points", period, 1_000_000)
    return {e: s for e, s, _ in board} == standings


def test_sweep_pending_queues_the_shards_with_pending_events(db_url: str, env: redis.Redis) -> None:
    db, shards = prepared(db_url, employees=10, days=2, per_day=3, seed=31)
    assert shards
    assert sweep_pending() == {"unparked": 0, "queued": len(shards)}
    assert queued_shards(env) == sorted(shards)
    assert sweep_pending()["queued"] == 0  # a job per shard is already waiting
    work(env)
    assert db.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0


def test_sweep_pending_scores_an_event_whose_employee_was_added_later(
    db_url: str, env: redis.Redis
) -> None:
    db, _ = prepared(db_url, employees=4, days=1, per_day=1, seed=32)
    process_pending(db)
    newcomer = {
        "source": "advocacy",
        "id": "share-1",
        "type": "share",
        "employee": "E-NEW",
        "occurred_at": "2026-11-03T09:14:22Z",
        "attributes": {"content_id": "post_1", "content_kind": "owned", "network": "linkedin"},
    }
    accept_events(db, [newcomer], load_rulebook(db).current)
    process_pending(db)
    assert db.query('SELECT status FROM "event" WHERE external_id = ?', ("share-1",)) == [
        ("parked",)
    ]
    # The employee arrives without a roster import (which would unpark itself): e.g. the import committed
    # while a batch that had not seen them yet was parking their event.
    db.execute(
        'INSERT INTO "employee" (external_id, email, name, team, department, locale, pilot_group, '
        "visibility, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("E-NEW", "new@example.com", "New", "Sales", "", "", False, "public", True, db.ts(START)),
    )
    ((employee,),) = db.query('SELECT id FROM "employee" WHERE external_id = ?', ("E-NEW",))
    assert sweep_pending()["unparked"] == 1
    # Queued on the employee's own shard now, not the one its unknown ref hashed to.
    assert queued_shards(env) == [employee % settings().shards]
    assert db.query('SELECT shard FROM "event" WHERE external_id = ?', ("share-1",)) == [
        (employee % settings().shards,)
    ]
    work(env)
    assert db.query('SELECT status FROM "event" WHERE external_id = ?', ("share-1",)) == [("done",)]
    points = db.query('SELECT SUM(points) FROM "ledger_entry" WHERE employee = ?', (employee,))
    assert points[0][0] > 0
    assert RedisBoards(env).rank("points", "all", employee)[1] == points[0][0]
    assert sweep_pending() == {"unparked": 0, "queued": 0}


def test_reconcile_boards_repairs_tampered_boards(db_url: str, env: redis.Redis) -> None:
    db, shards = prepared(db_url, employees=12, days=4, per_day=4, seed=33)
    assert sweep_pending()["queued"] == len(shards)
    work(env)
    now = START + timedelta(days=2, hours=12)  # 2026-11-04, Amsterdam
    day, month = "2026-11-04", "2026-11"
    yesterday = "2026-11-03"
    for period in (day, yesterday, month, "all"):
        assert board_equals_standings(db, env, period)
    boards = RedisBoards(env)
    today_member = int(env.zrange(boards.key("points", day), 0, 0)[0])
    yesterday_member = int(env.zrange(boards.key("points", yesterday), 0, 0)[0])
    env.zadd(boards.key("points", day), {today_member: 123_456})  # a wrong score
    env.zrem(boards.key("points", yesterday), yesterday_member)  # a lost member
    env.zadd(boards.key("points", "all"), {999_999: 5})  # a stray member
    env.delete(boards.key("points", month))  # a lost board
    months = db.query(
        "SELECT COUNT(*) FROM \"standing\" WHERE board = 'points' AND period = ?", (month,)
    )[0][0]
    result = reconcile_boards(now.isoformat())
    assert {day, yesterday, "2026-W45", "2026-W44", month, "2026-10", "2026-Q4", "2026-Q3"} <= set(
        result["periods"]
    )
    assert result["periods"][-1] == "all"
    assert result["fixes"] == 3 + months
    for period in (day, yesterday, month, "all"):
        assert board_equals_standings(db, env, period)
    assert reconcile_boards(now.isoformat())["fixes"] == 0


def test_close_periods_closes_an_ended_period_once_and_leaves_the_current_ones_open(
    db_url: str, env: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = prepared(db_url, employees=12, days=5, per_day=4, seed=34)
    sweep_pending()
    work(env)
    boards = RedisBoards(env)
    periods = {p for (p,) in db.query('SELECT DISTINCT period FROM "standing"')}
    assert {"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"} <= periods
    # 00:30 in Amsterdam on 5 November: the 4th ended half an hour ago, within the grace hour.
    early = datetime(2026, 11, 5, 0, 30, tzinfo=AMS)
    closed = close_periods(early.isoformat())["closed"]
    assert "2026-11-03" in closed and "2026-11-04" not in closed
    # A board of an ended, not yet closed period was tampered with: the final reconcile repairs it.
    member = int(env.zrange(boards.key("points", "2026-11-04"), 0, 0)[0])
    env.zadd(boards.key("points", "2026-11-04"), {member: -1})
    later = datetime(2026, 11, 5, 12, 0, tzinfo=AMS)
    closed_later = close_periods(later.isoformat())["closed"]
    assert closed_later == ["2026-11-04"]
    assert board_equals_standings(db, env, "2026-11-04")
    expected = {
        p for p in periods if p != "all" and period_end(p, AMS) + timedelta(hours=1) <= later
    }
    assert set(closed) | set(closed_later) == expected
    assert not set(closed) & set(closed_later)
    marked = {m.decode() for m in env.smembers(CLOSED_PERIODS_KEY)}
    assert marked == expected
    for still_open in ("2026-11-05", "2026-W45", "2026-11", "2026-Q4", "all"):
        assert still_open not in marked
    assert close_periods(later.isoformat()) == {"closed": []}  # the second run closes nothing
    # A grace time from the environment: 13 hours keep the 5th open at noon on the 6th.
    monkeypatch.setenv("PLAUDIT_CLOSE_GRACE_SECONDS", str(13 * 3600))
    noon = datetime(2026, 11, 6, 12, 0, tzinfo=AMS).isoformat()
    assert close_periods(noon) == {"closed": []}
    monkeypatch.delenv("PLAUDIT_CLOSE_GRACE_SECONDS")
    assert close_periods(datetime(2026, 11, 6, 13, 0, tzinfo=AMS).isoformat()) == {
        "closed": ["2026-11-05"]
    }


def test_two_closers_at_once_close_each_period_exactly_once(
    db_url: str, redis_url: str, env: redis.Redis
) -> None:
    db, _ = prepared(db_url, employees=8, days=5, per_day=3, seed=35)
    process_pending(db)
    rules = load_rulebook(db).current
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    results: list[list[str]] = []
    start = threading.Barrier(2)

    def closer() -> None:
        own = open_database(db_url)  # a connection per closer, as on two workers
        client = redis.Redis.from_url(redis_url)
        start.wait()
        results.append(run_close(own, client, rules, now)["closed"])
        own.close()

    threads = [threading.Thread(target=closer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = results
    periods = {p for (p,) in db.query('SELECT DISTINCT period FROM "standing"')}
    ended = {p for p in periods if p != "all" and period_end(p, AMS) + timedelta(hours=1) <= now}
    assert {"2026-11-02", "2026-W45", "2026-11"} <= ended and "2026-Q4" not in ended
    assert not set(first) & set(second)
    assert set(first) | set(second) == ended
    assert {m.decode() for m in env.smembers(CLOSED_PERIODS_KEY)} == ended


# -- RQ's cron scheduler -----------------------------------------------------------------------------------
def test_the_jobs_are_registered_with_their_intervals_and_enqueued_on_the_plaudit_queue(
    sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name in ("PLAUDIT_SWEEP_INTERVAL", "PLAUDIT_RECONCILE_INTERVAL", "PLAUDIT_CLOSE_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    db, shards = prepared(sqlite_url, employees=6, days=2, per_day=3, seed=36)
    connection = redis.Redis.from_url(redis_url)
    scheduler = CronScheduler(connection=connection, name="test-cron")
    jobs = register_jobs(scheduler)
    assert {(j.func_name, j.interval, j.queue_name) for j in jobs} == {
        ("engine.jobs.cron.sweep_pending", 60, QUEUE_NAME),
        ("engine.jobs.cron.reconcile_boards", 600, QUEUE_NAME),
        ("engine.jobs.cron.close_periods", 900, QUEUE_NAME),
        ("engine.jobs.cron.deliver_outbox", 5, QUEUE_NAME),
    }
    queue = Queue(QUEUE_NAME, connection=connection)
    # Interval jobs that never ran are due at once; then not again until their interval has passed.
    assert len(scheduler.enqueue_jobs()) == 4
    assert sorted(job.func_name for job in queue.get_jobs()) == [
        "engine.jobs.cron.close_periods",
        "engine.jobs.cron.deliver_outbox",
        "engine.jobs.cron.reconcile_boards",
        "engine.jobs.cron.sweep_pending",
    ]
    assert scheduler.enqueue_jobs() == []
    # When the sweep's time has come (moved back instead of waiting a minute), only the sweep is queued.
    sweep_job = next(j for j in jobs if j.func_name == "engine.jobs.cron.sweep_pending")
    sweep_job.next_enqueue_time = datetime.now(UTC) - timedelta(seconds=1)
    assert [j.func_name for j in scheduler.enqueue_jobs()] == ["engine.jobs.cron.sweep_pending"]
    assert len(queue) == 5
    # The workers run them: the first sweep queued the shards, which the same burst scores.
    job_ids = queue.get_job_ids()
    work(connection)
    results = [Job.fetch(i, connection=connection).return_value() for i in job_ids]
    assert results[0] == {"unparked": 0, "queued": len(shards)}
    assert results[1]["fixes"] == 0 and results[2] == {"closed": []}
    assert results[3]["claimed"] == 0  # nothing in the outbox
    assert db.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0

    # Intervals from the environment.
    monkeypatch.setenv("PLAUDIT_SWEEP_INTERVAL", "30")
    monkeypatch.setenv("PLAUDIT_CLOSE_INTERVAL", "3600")
    monkeypatch.setenv("PLAUDIT_OUTBOX_INTERVAL", "2")
    other = register_jobs(CronScheduler(connection=connection, name="test-cron-2"))
    assert [j.interval for j in other] == [30, 600, 3600, 2]


def test_cron_once_prints_what_the_jobs_did(
    sqlite_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from admin.cli import main

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("PLAUDIT_CLOSE_GRACE_SECONDS", raising=False)
    _, shards = prepared(sqlite_url, employees=6, days=3, per_day=3, seed=37)
    connection = redis.Redis.from_url(redis_url)
    runner = CliRunner()
    result = runner.invoke(main, ["cron", "--once"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"sweep_pending: 0 parked event(s) unparked, {len(shards)} shard(s) queued" in (
        result.output
    )
    work(connection)
    result = runner.invoke(
        main, ["cron", "--once", "--now", "2026-11-04T12:00:00+01:00"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "reconcile_boards: 0 fix(es) on 9 board(s)" in result.output
    assert "close_periods: 2 period(s) closed: 2026-11-02, 2026-11-03" in result.output
    bad = runner.invoke(main, ["cron", "--once", "--now", "2026-11-04T12:00"])
    assert bad.exit_code == 2 and "UTC offset" in bad.output  # a usage error


def test_plaudit_cron_runs_rq_cron_scheduler_until_stopped(redis_url: str) -> None:
    """The real command: it shows up in RQ's scheduler registry, queues the jobs, and leaves on SIGTERM."""
    connection = redis.Redis.from_url(redis_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "admin.cli", "cron"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": redis_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        queue = Queue(QUEUE_NAME, connection=connection)
        deadline = time.monotonic() + 60  # a failsafe against a hung start, not a measurement
        while len(queue) < 4 or not CronScheduler.all(connection):
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "plaudit cron did not start"
            time.sleep(0.05)
        (scheduler,) = CronScheduler.all(connection)
        assert {j.func_name for j in scheduler.get_jobs()} == {
            "engine.jobs.cron.sweep_pending",
            "engine.jobs.cron.reconcile_boards",
            "engine.jobs.cron.close_periods",
            "engine.jobs.cron.deliver_outbox",
        }
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 0, output
    assert CronScheduler.all(connection) == []
