"""Scale-out: PostgreSQL + Redis + ``plaudit worker`` processes score exactly like the embedded engine, also
through faults (a worker killed, Redis restarted, a PostgreSQL connection dropped, a storm of duplicates).

Why these tests: the scaled setup's promises (docs/scaling.md) are exactly-once scoring in ``occurred_at``
order per employee whatever the number of workers, and Redis boards that equal the standings. Each is checked
against an independent embedded run (SQLite, ``engine.scoring.score`` in this process) of the same events, through
real servers and real worker subprocesses (``python -m admin.cli worker``), never fakes.

Why equal ledgers prove the per-employee order: rules.yaml is order-dependent. Daily caps
(``sharing_daily``, ``engagement_daily``) cut the event that crosses them, ``repeat`` gives 1, ½, ¼, 0 to the
1st, 2nd, 3rd, 4th share of a post, ``once`` pays the first of a key only. An employee's events scored in
another order give other points per event (and other reasons), so the ledger comparison below, which includes
every entry's points and reasons, fails on any reordering. ``test_two_workers_score_like_the_embedded_engine``
also checks that the workload really hits caps and repeats.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.suspension import resume, suspend

from engine.boards.redis import RedisBoards
from engine.demo.events import generate_events
from engine.demo.roster import generate_roster
from engine.jobs.shards import QUEUE_NAME, enqueue_shards
from engine.people.roster import RosterRow, import_roster
from engine.scoring.intake import accept_events
from engine.scoring.rulesets import load_rulebook, publish
from engine.scoring.score import SHARD_LOCK_SPACE, process_pending
from engine.storage.database import Database, DatabaseConfig, open_database
from tests.conftest import ROOT, RULES_PATH
from tests.redis_server import started_server

START = datetime(2026, 10, 20, tzinfo=UTC)  # the workloads end before the suite's now
#: Safety limit of every wait (never a performance threshold: a hung worker fails the test instead of CI).
PATIENCE = 180.0


# -- workloads and the facts compared -------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """A seeded roster and event stream (the generator's retried copies included unless ``distinct``)."""

    name: str
    employees: int
    days: int
    per_day: float
    seed: int
    distinct: bool = False

    @property
    def roster(self) -> list[dict[str, str]]:
        return _roster(self.employees, self.seed)

    @property
    def events(self) -> list[dict[str, Any]]:
        return _events(self)


@functools.cache
def _roster(employees: int, seed: int) -> list[dict[str, str]]:
    return generate_roster(employees, seed=seed)


@functools.cache
def _events(work: Workload) -> list[dict[str, Any]]:
    return list(
        generate_events(
            work.roster,
            START,
            work.days,
            seed=work.seed,
            events_per_employee_per_day=work.per_day,
            **({"duplicate_rate": 0.0} if work.distinct else {}),
        )
    )


# 100,000 distinct events (plus ~1% re-sent copies) of 2,000 people over 25 days: busy people hit the daily caps
# and re-share posts, so the order of each one's events shows in the ledger.
EQUIVALENCE = Workload("equivalence", employees=2000, days=25, per_day=2.0, seed=41)
# 40,000 distinct events in 16 shards: a worker needs several seconds and many transactions for them, time
# enough to hurt it inside a batch after others committed.
FAULTS = Workload("faults", employees=1000, days=20, per_day=2.0, seed=42)
# 20,000 distinct events, sent 5 times each by the storm.
STORM = Workload("storm", employees=1000, days=10, per_day=2.0, seed=43, distinct=True)


Row = tuple[Any, ...]


@dataclass(frozen=True)
class Facts:
    """What scoring produced, without database ids or wall-clock times: comparable across databases."""

    ledger: list[Row]
    standings: list[Row]
    counters: list[Row]
    events: list[Row]


def _ts(value: Any) -> str:
    return Database.read_ts(value).isoformat()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def facts(db: Database) -> Facts:
    """Ledger, standings, counters and event outcomes, mapped through external ids and sorted."""
    ledger = sorted(
        (src, ext, emp, kind, rule, rule_v, set_v, pts, tuple(_json(reasons)), _ts(at), actor, why)
        for src, ext, emp, kind, rule, rule_v, set_v, pts, reasons, at, actor, why in db.query(
            "SELECT v.source, v.external_id, e.external_id, l.kind, l.rule_id, l.rule_version, "
            "l.ruleset_version, l.points, l.reasons, l.occurred_at, l.actor, l.why "
            'FROM "ledger_entry" l JOIN "employee" e ON e.id = l.employee '
            'LEFT JOIN "event" v ON v.id = l.event'
        )
    )
    standings = sorted(
        (board, period, emp, score, _ts(at))
        for board, period, emp, score, at in db.query(
            'SELECT s.board, s.period, e.external_id, s.score, s.reached_at FROM "standing" s '
            'JOIN "employee" e ON e.id = s.employee'
        )
    )
    external = dict(db.query('SELECT id, external_id FROM "employee"'))
    counters = []
    for key, value in db.query('SELECT key, value FROM "counter"'):
        rule_key, _, employee = key.rpartition("|")
        counters.append((rule_key, external[int(employee)], value))
    events = sorted(
        db.query(
            'SELECT source, external_id, type, employee_ref, status, reason, ruleset_version FROM "event"'
        )
    )
    return Facts(ledger, standings, sorted(counters), events)


def assert_same(what: str, actual: list[Row], expected: list[Row]) -> None:
    """Equal row lists, or a short account of the difference (a full diff of 100k rows helps no one)."""
    if actual == expected:
        return
    a, e = Counter(actual), Counter(expected)
    missing, extra = list((e - a).elements()), list((a - e).elements())
    pytest.fail(
        f"{what}: {len(actual)} rows, expected {len(expected)}; {len(missing)} missing, e.g. {missing[:3]}; "
        f"{len(extra)} unexpected, e.g. {extra[:3]}"
    )


def assert_same_facts(actual: Facts, expected: Facts) -> None:
    assert_same("ledger", actual.ledger, expected.ledger)
    assert_same("standings", actual.standings, expected.standings)
    assert_same("counters", actual.counters, expected.counters)
    assert_same("events", actual.events, expected.events)


def assert_scored_once(db: Database, events: int) -> None:
    """Every event stored once and scored once: none pending, no (event, rule) with two ledger entries."""
    assert db.query('SELECT COUNT(*) FROM "event"')[0][0] == events
    assert db.query("SELECT COUNT(*) FROM \"event\" WHERE status = 'pending'")[0][0] == 0
    twice = db.query(
        # An integrity hold's take-back (kind integrity) names the event and rule it takes points back from.
        "SELECT event, rule_id, COUNT(*) FROM \"ledger_entry\" WHERE kind IN ('rule', 'badge') "
        "GROUP BY event, rule_id HAVING COUNT(*) > 1"
    )
    assert twice == [], f"scored more than once: {twice[:5]}"


def board_differences(db: Database, client: redis.Redis) -> list[str]:
    """Every difference between the Redis ZSETs and the standings: per (board, period) the full board, its
    ``public`` view (active, visibility public) and one view per team (active members), as
    ``engine.boards.redis`` documents them; members, scores, stray and missing ZSETs."""
    ties = load_rulebook(db).current.ties  # type: ignore[union-attr]
    boards = RedisBoards(client, ties=ties)
    expected: dict[str, dict[int, int]] = {}
    for board, period, employee, score, reached_at, active, visibility, team in db.query(
        "SELECT s.board, s.period, s.employee, s.score, s.reached_at, e.active, e.visibility, e.team "
        'FROM "standing" s JOIN "employee" e ON e.id = s.employee'
    ):
        encoded = boards.encode(score, reached_at)
        views = [None]
        if active:
            views += (["public"] if visibility == "public" else []) + (
                [f"team:{team}"] if team else []
            )
        for view in views:
            expected.setdefault(boards.key(board, period, view), {})[int(employee)] = encoded
    actual: dict[str, dict[int, int]] = {}
    for raw in client.scan_iter(match=f"{boards.prefix}*", count=1000, _type="zset"):
        key = raw.decode()
        actual[key] = {int(m): int(float(s)) for m, s in client.zrange(key, 0, -1, withscores=True)}
    out = [f"{key}: no ZSET" for key in sorted(expected.keys() - actual.keys())]
    out += [f"{key}: ZSET without standings" for key in sorted(actual.keys() - expected.keys())]
    for key in sorted(expected.keys() & actual.keys()):
        want, got = expected[key], actual[key]
        wrong = sorted(e for e in want.keys() | got.keys() if want.get(e) != got.get(e))
        if wrong:
            out.append(
                f"{key}: {len(wrong)} members differ, e.g. "
                + ", ".join(f"{e}: redis {got.get(e)} sql {want.get(e)}" for e in wrong[:3])
            )
    return out


def assert_boards_equal_standings(db: Database, client: redis.Redis) -> None:
    differences = board_differences(db, client)
    assert differences == [], f"{len(differences)} boards differ: {differences[:5]}"


#: The default program, near-duplicate windows included: which shares count depends on the set of events only.
SCALE_RULES = RULES_PATH


# -- loading ---------------------------------------------------------------------------------------------------
def fresh(url: str) -> Database:
    """A migrated database with rules.yaml published (as ``plaudit db migrate`` + ``rules publish``)."""
    db = open_database(DatabaseConfig(url=url))
    publish(db, SCALE_RULES)
    return db


def load_roster(db: Database, work: Workload) -> None:
    import_roster(db, [RosterRow.from_record(r) for r in work.roster])


def load(
    db: Database,
    work: Workload,
    client: redis.Redis | None = None,
    batch: int = 5000,
) -> int:
    """Roster, then events as the API stores them (with shards), enqueueing each batch's shards; returns
    how many are stored (near-duplicates too: scoring marks them)."""
    load_roster(db, work)
    rules = load_rulebook(db).current
    stream = work.events
    for i in range(0, len(stream), batch):
        outcomes = accept_events(db, stream[i : i + batch], rules)
        if client is not None:
            enqueue_shards(client, {o.shard for o in outcomes if o.shard is not None})
    return count(db)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Workload], Facts]:
    """The reference: the same workload scored by the embedded engine (SQLite, in-process), once per module."""
    done: dict[Workload, Facts] = {}

    def run(work: Workload) -> Facts:
        if work not in done:
            path = tmp_path_factory.mktemp(f"embedded-{work.name}") / "plaudit.sqlite"
            db = fresh(f"sqlite:///{path}")
            try:
                load(db, work)
                process_pending(db)
                done[work] = facts(db)
            finally:
                db.close()
        return done[work]

    return run


def distinct_count(work: Workload) -> int:
    return len({(e["source"], e["id"]) for e in work.events})


# -- processes -------------------------------------------------------------------------------------------------
def wait_until(condition: Callable[[], bool], what: str, workers: Workers | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}\n{workers.logs() if workers else ''}")
        time.sleep(0.05)


class Workers:
    """``plaudit worker`` subprocesses (cwd = repo root), each logging to its own file."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.dir = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self._log_paths: dict[int, Path] = {}

    def start(self, n: int, burst: bool = False) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(n):
            log = self.dir / f"worker-{len(self.procs)}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "admin.cli", "worker", *(["--burst"] if burst else [])],
                    cwd=ROOT,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            self._log_paths[proc.pid] = log
            self.procs.append(proc)
            started.append(proc)
        return started

    def wait_exit(self, procs: list[subprocess.Popen[bytes]]) -> None:
        """Burst workers: wait until they quit, and they must quit cleanly."""
        for proc in procs:
            try:
                proc.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                pytest.fail(f"worker {proc.pid} did not finish\n{self.logs()}")
            assert proc.returncode == 0, f"worker {proc.pid} exit {proc.returncode}\n{self.logs()}"

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: RQ finishes the current job) of every worker still running."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log_of(self, proc: subprocess.Popen[bytes]) -> str:
        return self._log_paths[proc.pid].read_text(errors="replace")

    def logs(self, tail: int = 40) -> str:
        return "\n".join(
            f"--- worker {p.pid} (exit {p.poll()}):\n"
            + "\n".join(self.log_of(p).splitlines()[-tail:])
            for p in self.procs
        )

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def workers_for(db_url: str, redis_url: str, logs: Path) -> Iterator[Workers]:
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        PLAUDIT_RULES=str(SCALE_RULES),
        PYTHONUNBUFFERED="1",
    )
    pool = Workers(env, logs)
    try:
        yield pool
    finally:
        pool.close()


def cli(env: dict[str, str], *args: str) -> str:
    """A ``plaudit`` command as an operator runs it; returns its output."""
    done = subprocess.run(
        [sys.executable, "-m", "admin.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    assert done.returncode == 0, f"plaudit {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def count(db: Database, where: str = "TRUE") -> int:
    return int(db.query(f'SELECT COUNT(*) FROM "event" WHERE {where}')[0][0])


def any_pending(db: Database) -> bool:
    """Polled often: EXISTS on the partial index, where a COUNT of 100k pending rows would take a core from
    the workers."""
    return bool(db.query("SELECT EXISTS (SELECT 1 FROM \"event\" WHERE status = 'pending')")[0][0])


def any_scored(db: Database) -> bool:
    """Some batch committed (its ledger entries are visible)."""
    return bool(db.query('SELECT EXISTS (SELECT 1 FROM "ledger_entry")')[0][0])


def scoring_backend(db: Database) -> int | None:
    """The backend pid of a worker inside a scoring transaction that has written (holds a shard's advisory
    lock and has a transaction id): the moment a crash must roll back."""
    rows = db.query(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.classid = ? "
        "AND l.objsubid = 2 AND a.backend_xid IS NOT NULL AND l.pid <> pg_backend_pid()",
        [SHARD_LOCK_SPACE],
    )
    return int(rows[0][0]) if rows else None


def freeze_mid_batch(db: Database, pool: Workers, worker: subprocess.Popen[bytes]) -> int:
    """Stop (SIGSTOP) ``worker`` inside a scoring transaction after some batches committed; returns the
    backend pid of that transaction. Frozen, the worker cannot send COMMIT, so the batch stays open."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"worker exited early\n{pool.logs()}"
        if any_scored(db) and any_pending(db) and scoring_backend(db) is not None:
            worker.send_signal(signal.SIGSTOP)
            time.sleep(0.2)  # what the worker already sent reaches the server
            backend = scoring_backend(db)
            if backend is not None:
                return backend
            worker.send_signal(signal.SIGCONT)  # it had just committed: try the next batch
        time.sleep(0.005)
    pytest.fail("the worker never was mid-batch after a first commit")


# -- 1. equivalence --------------------------------------------------------------------------------------------
def test_two_workers_score_like_the_embedded_engine(
    postgres_url: str,
    redis_url: str,
    embedded: Callable[[Workload], Facts],
    tmp_path: Path,
) -> None:
    """100,000 events: two concurrent `plaudit worker` processes on PostgreSQL + Redis give the embedded
    engine's ledger, standings and counters, and Redis boards equal to the standings."""
    expected = embedded(EQUIVALENCE)
    reasons = " ".join(r for row in expected.ledger for r in row[8])
    # The workload is order-dependent (see the module docstring): caps cut events and repeats diminish.
    assert "cap " in reasons and "repeat #2" in reasons

    db = fresh(postgres_url)
    client = redis.Redis.from_url(redis_url)
    # Jobs are held back until both workers listen, so both take part from the first job on.
    suspend(client)
    assert load(db, EQUIVALENCE, client) == distinct_count(EQUIVALENCE)
    queue = Queue(QUEUE_NAME, connection=client)
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        pair = pool.start(2)
        wait_until(lambda: Worker.count(queue=queue) == 2, "two workers listening", pool)
        resume(client)
        wait_until(lambda: not any_pending(db), "all events scored", pool)
        pool.stop()
        for proc in pair:
            assert proc.returncode == 0, pool.logs()
            assert "Job OK" in pool.log_of(proc), f"worker {proc.pid} scored nothing\n{pool.logs()}"

    assert_scored_once(db, distinct_count(EQUIVALENCE))
    assert_same_facts(facts(db), expected)
    assert_boards_equal_standings(db, client)


# -- 2. kill -9 ------------------------------------------------------------------------------------------------
def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(
    postgres_url: str,
    redis_url: str,
    embedded: Callable[[Workload], Facts],
    tmp_path: Path,
) -> None:
    """SIGKILL inside a scoring transaction: the batch rolls back, new workers (whose start sweeps) score the
    rest exactly once; the boards need no repair because every committed batch had been published."""
    expected = embedded(FAULTS)
    total = distinct_count(FAULTS)
    db = fresh(postgres_url)
    client = redis.Redis.from_url(redis_url)
    load(db, FAULTS, client)
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        (victim,) = pool.start(1)
        backend = freeze_mid_batch(db, pool, victim)
        committed = count(db, "status <> 'pending'")
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        # PostgreSQL notices the closed socket, rolls the batch back and frees the shard's lock.
        wait_until(
            lambda: not db.query("SELECT 1 FROM pg_stat_activity WHERE pid = ?", [backend]),
            "the killed worker's backend to end",
        )
        assert count(db, "status <> 'pending'") == committed  # the open batch did not commit
        # The killed job stays "started" in RQ (abandoned): its shard's queued mark was cleared when it
        # started, so the sweep at a new worker's start queues the shard again at once.
        assert StartedJobRegistry(QUEUE_NAME, connection=client).count == 1
        pool.wait_exit(pool.start(2, burst=True))

    assert_scored_once(db, total)
    assert_same_facts(facts(db), expected)
    assert_boards_equal_standings(db, client)


# -- 3. Redis restarted ----------------------------------------------------------------------------------------
def test_redis_restarted_mid_run_then_sweep_and_rebuild(
    postgres_url: str, embedded: Callable[[Workload], Facts], tmp_path: Path
) -> None:
    """Redis loses everything (queue, marks, boards) while two workers score: the same workers wait for it,
    queue their pending shards again and finish the events exactly once (nobody restarts them, nobody sweeps
    by hand), and ``plaudit leaderboards rebuild`` makes the boards equal the standings."""
    expected = embedded(FAULTS)
    total = distinct_count(FAULTS)
    server = started_server()
    try:
        db = fresh(postgres_url)
        client = redis.Redis.from_url(server.url)
        load(db, FAULTS, client)
        with workers_for(postgres_url, server.url, tmp_path) as pool:
            pair = pool.start(2)
            wait_until(lambda: any_scored(db), "a first batch", pool)
            server.stop()  # no persistence: the queue, the shard marks and the boards are gone
            time.sleep(3)
            server.start()
            assert any_pending(db)
            wait_until(lambda: not any_pending(db), "all events scored by the same workers", pool)
            assert [p.poll() for p in pair] == [None, None], pool.logs()
            pool.stop()
            assert "a dependency is unreachable" in pool.logs(tail=400)
            cli(pool.env, "leaderboards", "rebuild")

        assert_scored_once(db, total)
        assert_same_facts(facts(db), expected)
        assert_boards_equal_standings(db, client)
    finally:
        server.close()


# -- 4. a PostgreSQL connection dropped ------------------------------------------------------------------------
def test_a_dropped_postgres_connection_mid_batch(
    postgres_url: str,
    redis_url: str,
    embedded: Callable[[Workload], Facts],
    tmp_path: Path,
) -> None:
    """The worker's backend is terminated inside a scoring transaction: nothing of that batch is kept, the
    job fails, and after cron's sweep the SAME worker (with a new connection) scores everything exactly once.

    Why the sweep: RQ schedules the failed job's retry, but only a worker started with a scheduler moves
    scheduled jobs back to the queue and `plaudit worker` starts none, so the retry never runs by itself.
    """
    expected = embedded(FAULTS)
    total = distinct_count(FAULTS)
    db = fresh(postgres_url)
    client = redis.Redis.from_url(redis_url)
    load(db, FAULTS, client)
    queue = Queue(QUEUE_NAME, connection=client)
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        (worker,) = pool.start(1)
        backend = freeze_mid_batch(db, pool, worker)
        committed = count(db, "status <> 'pending'")
        assert db.query("SELECT pg_terminate_backend(?)", [backend])[0][0] is True
        worker.send_signal(signal.SIGCONT)
        wait_until(
            lambda: not db.query("SELECT 1 FROM pg_stat_activity WHERE pid = ?", [backend]),
            "the terminated backend to end",
        )
        assert count(db, "status <> 'pending'") == committed

        cli(pool.env, "events", "sweep")

        def settled() -> bool:
            idle = (
                queue.count == 0
                and client.llen(queue.intermediate_queue_key) == 0
                and StartedJobRegistry(queue=queue).count == 0
            )
            return not any_pending(db) or idle

        wait_until(settled, "the worker to score everything or run out of jobs", pool)
        pending = count(db, "status = 'pending'")
        pool.stop()
        errors = sorted({line for line in pool.log_of(worker).splitlines() if "Error" in line})
        assert pending == 0, (
            f"the worker did not recover from its dropped connection: {pending} events pending, "
            f"{ScheduledJobRegistry(queue=queue).count} job(s) waiting for a retry that no scheduler "
            f"runs, {FailedJobRegistry(queue=queue).count} failed; errors: {errors[:4]}"
        )

    assert_scored_once(db, total)
    assert_same_facts(facts(db), expected)
    assert_boards_equal_standings(db, client)


# -- 5. a storm of duplicates ----------------------------------------------------------------------------------
@dataclass
class StormTally:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    deadlocks: int = 0
    #: What PostgreSQL said about the first deadlocks (who waited for whom, in which statement).
    deadlock_details: list[str] = field(default_factory=list)


def storm(
    url: str,
    redis_url: str,
    events: list[dict[str, Any]],
    senders: int = 4,
    round_size: int = 500,
    seed: int = 5,
) -> StormTally:
    """Every event 5 times: each of ``senders`` threads sends each round's events (in its own shuffled order,
    at the same moment as the others), and one more copy rides along in a random later batch.

    Why rounds: the engine scores what has arrived, in ``occurred_at`` order; an event that arrives after
    later events of the same employee were scored is scored after them (by design, embedded too). So the
    first copies arrive round by round in ``occurred_at`` order, which keeps each employee's order and makes
    the result comparable with an embedded run; every round's batches race each other on the same events.
    A round commits at once: whichever batch commits first holds all of its events.

    A batch that PostgreSQL aborts as a deadlock is sent again, as a tool retries a 5xx (the tally counts them).
    """
    ordered = sorted(events, key=lambda e: (e["occurred_at"], e["source"], e["id"]))
    rounds = [ordered[i : i + round_size] for i in range(0, len(ordered), round_size)]
    rng = random.Random(seed)
    extra: list[list[list[dict[str, Any]]]] = [[[] for _ in range(senders)] for _ in rounds]
    for r, events_of_round in enumerate(rounds):
        for event in events_of_round:
            later = rng.randrange(r, min(r + 5, len(rounds)))
            extra[later][rng.randrange(senders)].append(event)
    tally = StormTally()
    lock = threading.Lock()
    barrier = threading.Barrier(senders)
    problems: list[BaseException] = []

    def send(n: int) -> None:
        db = open_database(DatabaseConfig(url=url, migrate=False))
        client = redis.Redis.from_url(redis_url)
        rules = load_rulebook(db).current
        mine = random.Random(seed * 100 + n)
        try:
            for r, events_of_round in enumerate(rounds):
                batch = events_of_round + extra[r][n]
                mine.shuffle(batch)
                barrier.wait(timeout=PATIENCE)
                deadlocks: list[str] = []
                while True:
                    try:
                        outcomes = accept_events(db, batch, rules)
                        break
                    except psycopg.errors.DeadlockDetected as exc:
                        deadlocks.append(str(exc))
                enqueue_shards(client, {o.shard for o in outcomes if o.shard is not None})
                statuses = Counter(o.status for o in outcomes)
                with lock:
                    tally.deadlocks += len(deadlocks)
                    tally.deadlock_details += deadlocks[: 3 - len(tally.deadlock_details)]
                    tally.accepted += statuses["accepted"]
                    tally.duplicates += statuses["duplicate"]
                    tally.rejected += statuses["rejected"]
        except BaseException as exc:
            problems.append(exc)
            barrier.abort()
        finally:
            db.close()
            client.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if problems:
        raise problems[0]
    return tally


def test_a_storm_of_duplicates_is_scored_once(
    postgres_url: str,
    redis_url: str,
    embedded: Callable[[Workload], Facts],
    tmp_path: Path,
) -> None:
    """20,000 events sent 5 times each, shuffled, from 4 threads at once, while two workers score: each is
    stored and scored once, and the result is the embedded run of the distinct events."""
    expected = embedded(STORM)
    distinct = distinct_count(STORM)
    db = fresh(postgres_url)
    # Batches racing on the same events in different orders deadlock in PostgreSQL (see
    # test_concurrent_overlapping_batches_do_not_deadlock): should one happen, detect it quickly.
    name = postgres_url.rsplit("/", 1)[1]
    db.execute(f"ALTER DATABASE \"{name}\" SET deadlock_timeout = '20ms'")
    load_roster(db, STORM)
    client = redis.Redis.from_url(redis_url)
    with workers_for(postgres_url, redis_url, tmp_path) as pool:
        pair = pool.start(2)
        wait_until(
            lambda: Worker.count(queue=Queue(QUEUE_NAME, connection=client)) == 2,
            "two workers listening",
            pool,
        )
        tally = storm(postgres_url, redis_url, STORM.events)
        wait_until(lambda: not any_pending(db), "all events scored", pool)
        pool.stop()
        assert all(p.returncode == 0 for p in pair), pool.logs()

    # No deadlock either: intake inserts in the conflict key's order (see the deadlock test below).
    # Each distinct event answered "accepted" once at most: a near-duplicate share (engine.scoring.near_duplicates)
    # is answered "duplicate" when intake sees the share before it, which depends on arrival.
    near = sum(row[4] == "duplicate" for row in expected.events)
    assert (tally.accepted + tally.duplicates, tally.rejected) == (5 * distinct, 0)
    assert distinct - near <= tally.accepted <= distinct
    if tally.deadlocks:
        # Tools retry such a batch, so nothing is lost, but each deadlock is a failed request and a second
        # of waiting: test_intake_stores_rows_in_the_conflict_key_order pins the cause.
        warnings.warn(
            f"storm: {tally.deadlocks} intake deadlocks, e.g. {tally.deadlock_details[:1]}",
            stacklevel=1,
        )
    assert_scored_once(db, distinct)
    assert_same_facts(facts(db), expected)
    assert_boards_equal_standings(db, client)


def test_intake_stores_rows_in_the_conflict_key_order(postgres_url: str) -> None:
    """The rule that keeps concurrent intakes from deadlocking, checked directly: within each intake
    transaction, rows reach the event table in (source, external_id) order, whatever the arrival order.

    A trigger logs every row as PostgreSQL processes it. The batches are shuffled, overlap (so some rows are
    duplicates) and come one after another on one connection, as an API process sends them.
    """
    db = fresh(postgres_url)
    load_roster(db, STORM)
    db.execute(
        "CREATE TABLE test_insert_log (n bigserial, tx xid8 DEFAULT pg_current_xact_id(), "
        "source text, external_id text)"
    )
    db.execute(
        """
        CREATE FUNCTION test_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO test_insert_log (source, external_id) VALUES (NEW.source, NEW.external_id);
          RETURN NEW;
        END $$
        """
    )
    db.execute(
        'CREATE TRIGGER log_insert BEFORE INSERT ON "event" '
        "FOR EACH ROW EXECUTE FUNCTION test_log_insert()"
    )
    rules = load_rulebook(db).current
    events = STORM.events[:4000]
    rng = random.Random(7)
    for start in (0, 1000, 2000):
        batch = events[start : start + 2000]
        rng.shuffle(batch)
        accept_events(db, batch, rules)
    order: dict[int, list[tuple[str, str]]] = {}
    for tx, source, external_id in db.query(
        "SELECT tx::text::bigint, source, external_id FROM test_insert_log ORDER BY n"
    ):
        order.setdefault(tx, []).append((source, external_id))
    assert len(order) == 3
    for rows in order.values():
        first_unsorted = next((i for i in range(1, len(rows)) if rows[i] < rows[i - 1]), None)
        assert first_unsorted is None, (
            f"row {first_unsorted} of {len(rows)} reached the table after a later key: "
            f"{rows[first_unsorted - 1]} then {rows[first_unsorted]}"
        )


def test_concurrent_overlapping_batches_do_not_deadlock(postgres_url: str) -> None:
    """Two intake transactions store the same two new events, given in opposite orders, at the same moment
    (two API processes, a tool retrying). A trigger holds each transaction for a second before its second
    row, so both have written their first row when they go on: rows inserted in arrival order then wait for
    each other and PostgreSQL aborts one (a failed request, a second lost); rows inserted in the conflict
    key's order make the second transaction simply wait for the first.

    Found with the storm below at commit cb0804c, where accept_events inserted in arrival order: 580
    deadlocks (1 s each) for 20,000 events from 4 threads on a busy machine.
    """
    db = fresh(postgres_url)
    load_roster(db, STORM)
    db.execute(
        """
        CREATE FUNCTION test_second_row_waits() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF current_setting('test.first_row_done', true) = 'yes' THEN
            PERFORM pg_sleep(1);
          END IF;
          PERFORM set_config('test.first_row_done', 'yes', true);
          RETURN NEW;
        END $$
        """
    )
    db.execute(
        'CREATE TRIGGER second_row_waits BEFORE INSERT ON "event" '
        "FOR EACH ROW EXECUTE FUNCTION test_second_row_waits()"
    )
    rules = load_rulebook(db).current
    first, second = STORM.events[:2]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def send(batch: list[dict[str, Any]]) -> None:
        conn = open_database(DatabaseConfig(url=postgres_url, migrate=False))
        try:
            barrier.wait(timeout=PATIENCE)
            accept_events(conn, batch, rules)
        except psycopg.Error as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [
        threading.Thread(target=send, args=([first, second],)),
        threading.Thread(target=send, args=([second, first],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(db) == 2
