"""Benchmark: the scaled setup (PostgreSQL + Redis + ``plaudit worker`` processes) beside the embedded engine.

Prints, in one run, for ``--events`` events of ``--employees`` people (the generator of bench/scoring.py):

1. embedded baseline: import + process into SQLite in this process (events/s);
2. PostgreSQL + Redis, ``--workers`` worker processes, scoring alone: the events are stored first, then
   every shard is queued at once; from the enqueue until nothing is pending (events/s);
3. PostgreSQL + Redis, end to end: workers already listening, intake as the API does it (``accept_events``
   with shards in batches of ``--intake-batch``, then ``enqueue_shards``) until every event is scored
   (events/s), with the intake's own rate while the workers compete for the cores;
4. Redis leaderboard reads at that number of employees: ``RedisBoards.page`` (top 10 + the asker's rank +
   2 above and 2 below, one round trip) for random employees on the all-time board (p50/p99 ms);
5. peak RSS of this process and of each worker (VmHWM, read from /proc before it exits: RUSAGE_CHILDREN
   would report this process's own RSS, which a child inherits at fork).

Servers: its own PostgreSQL (initdb in a temporary directory, a free port; as the ``postgres`` user when run
as root, since PostgreSQL refuses root; fsync and synchronous_commit off, as in the tests) and its own
redis-server, unless DATABASE_URL / REDIS_URL are set. With DATABASE_URL it creates (and drops) one database
per phase on that server, so the role needs CREATEDB; with REDIS_URL it FLUSHES that Redis database.
``--profile`` also says where the time goes while the workers score alone: py-spy samples of one worker
and of this process's intake (functions by share of wall-clock samples, waiting on the database included),
and pg_stat_statements (statements by total time; only on the PostgreSQL started here). Sampling costs CPU on
the same cores, so take the rates from a run without it. Not a test: nothing is asserted. Run:

    .venv/bin/python bench/scaleout.py [--events 200000] [--employees 10000 | --employees 100000] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402

from engine.boards.redis import RedisBoards  # noqa: E402
from engine.demo.events import the_first_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.jobs.shards import QUEUE_NAME, enqueue_shards  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import accept_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.settings import settings  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402
from tests.redis_server import RedisServer, find_redis_server  # noqa: E402
from tests.servers import PG_OPTIONS, create_database, find_pg_binary, postgres_server  # noqa: E402

__all__ = ["main"]

RULES = ROOT / "rules.yaml"
PROFILE_OPTIONS = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
PY_SPY = Path(sys.executable).parent / "py-spy"


# -- servers ---------------------------------------------------------------------------------------------------
def _postgres(extra_options: str) -> contextlib.AbstractContextManager[str]:
    if not (find_pg_binary("initdb") and find_pg_binary("pg_ctl")):
        sys.exit("initdb/pg_ctl not found: install PostgreSQL or set DATABASE_URL")
    return postgres_server(extra_options)


@contextlib.contextmanager
def servers(profile: bool) -> Iterator[tuple[str, str]]:
    """(PostgreSQL base URL without a database name, Redis URL): the environment's, or our own."""
    with contextlib.ExitStack() as stack:
        pg = os.environ.get("DATABASE_URL")
        pg_base = (
            pg.rsplit("/", 1)[0]
            if pg
            else stack.enter_context(_postgres(PROFILE_OPTIONS if profile else ""))
        )
        url = os.environ.get("REDIS_URL")
        if not url:
            binary = find_redis_server()
            if binary is None:
                sys.exit("redis-server not found: install it or set REDIS_URL")
            server = stack.enter_context(RedisServer(binary))
            url = server.url
        yield pg_base, url


@contextlib.contextmanager
def database(pg_base: str) -> Iterator[str]:
    """A new database on the server for one phase; dropped afterwards."""
    url = create_database(pg_base, "bench")
    try:
        yield url
    finally:
        with psycopg.connect(f"{pg_base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# -- workers ---------------------------------------------------------------------------------------------------
class Workers:
    """``plaudit worker`` processes (cwd = repo root) listening on the queue; stopped with SIGTERM."""

    def __init__(self, n: int, db_url: str, redis_url: str) -> None:
        env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=redis_url, PLAUDIT_RULES=str(RULES))
        self.logs = Path(tempfile.mkdtemp(prefix="plaudit-bench-workers-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        for i in range(n):
            with (self.logs / f"worker-{i}.log").open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "admin.cli", "worker"],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        client = redis.Redis.from_url(redis_url)
        queue = Queue(QUEUE_NAME, connection=client)
        deadline = time.monotonic() + 60
        while Worker.count(queue=queue) < n:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                self.stop(keep_logs=True)
                sys.exit(f"workers did not start; logs in {self.logs}")
            time.sleep(0.05)
        client.close()

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident set so far (VmHWM), read before it exits."""
        out = []
        for p in self.procs:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        out.append(int(line.split()[1]) / 1024)
        return out

    def stop(self, keep_logs: bool = False) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if not keep_logs:
            shutil.rmtree(self.logs, ignore_errors=True)


# -- profiles --------------------------------------------------------------------------------------------------
class Sampler:
    """py-spy sampling a process (idle frames included: time waiting on PostgreSQL counts) until stopped."""

    def __init__(self, pid: int, name: str) -> None:
        self.name = name
        self.path = Path(tempfile.mkdtemp(prefix="plaudit-bench-py-spy-")) / f"{name}.txt"
        self.proc = subprocess.Popen(
            [
                *(str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--idle"),
                *("--rate", "200", "--nonblocking", "--output", str(self.path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self, top: int = 14) -> str:
        """py-spy writes its file on SIGINT; then the functions with the largest share of the samples."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        inclusive: Counter[str] = Counter()
        own: Counter[str] = Counter()
        total = 0
        for line in self.path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
            # The main thread only: RQ's pub/sub listener thread idles beside it the whole time.
            if not frames or not frames[0].startswith(("<module>", "_run_module_as_main")):
                continue
            total += int(n)
            own[_frame(frames[-1])] += int(n)
            for frame in {_frame(f) for f in frames}:
                inclusive[frame] += int(n)
        shutil.rmtree(self.path.parent, ignore_errors=True)
        if not total:
            return f"{self.name}: no samples (is ptrace allowed?)"
        lines = [
            f"{self.name}: {total} samples of the main thread; share of wall-clock time, "
            "inclusive | self"
        ]
        # Plaudit's own functions (the framework frames above them are 100% and say nothing).
        ours = [(f, n) for f, n in inclusive.most_common() if f.endswith(OWN_CODE)][:top]
        for frame, n in ours:
            lines.append(f"  {100 * n / total:5.1f}% | {100 * own[frame] / total:5.1f}%  {frame}")
        lines.append("  hottest leaves:")
        for frame, n in own.most_common(8):
            lines.append(f"  {100 * n / total:5.1f}% self  {frame}")
        return "\n".join(lines)


OWN_CODE = tuple(f"({d}/{f.name})" for d in ("engine", "rules") for f in (ROOT / d).glob("*.py"))


def _frame(frame: str) -> str:
    """``function (path/to/file.py:123)`` without the line: one entry per function."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def reset_statements(db: Database) -> bool:
    """Start counting statements afresh; False when pg_stat_statements is not loaded."""
    try:
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        db.execute("SELECT pg_stat_statements_reset()")
    except psycopg.Error:
        return False
    return True


def sql_profile(db: Database, what: str, top: int = 12) -> str:
    """Statements by total execution time since the last reset (pg_stat_statements)."""
    rows = db.query(
        "SELECT calls, total_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g') "
        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "ORDER BY total_exec_time DESC LIMIT ?",
        [top],
    )
    total = db.query(
        "SELECT COALESCE(SUM(total_exec_time), 0) FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )[0][0]
    lines = [f"SQL {what}: {total / 1000:.1f} s of statement time; top statements"]
    for calls, ms, n, query in rows:
        lines.append(
            f"  {ms / 1000:6.2f}s {100 * ms / total:4.1f}% {calls:>7} calls {ms / calls:8.2f} ms/call "
            f"{n:>9} rows  {query[:110]}"
        )
    return "\n".join(lines)


# -- phases ----------------------------------------------------------------------------------------------------
@dataclass
class Workload:
    roster: list[dict[str, str]]
    events: list[dict[str, Any]]


def prepare(url: str, work: Workload) -> Database:
    """A migrated database with rules.yaml published and the roster imported."""
    db = open_database(DatabaseConfig(url=url))
    publish(db, RULES)
    import_roster(db, [RosterRow.from_record(r) for r in work.roster])
    return db


def pending(db: Database) -> bool:
    """EXISTS on the partial index: a COUNT of 100k pending rows every poll would take a core from the
    workers."""
    return bool(db.query("SELECT EXISTS (SELECT 1 FROM \"event\" WHERE status = 'pending')")[0][0])


def wait_scored(db: Database, workers: Workers) -> None:
    while pending(db):
        if any(p.poll() is not None for p in workers.procs):
            workers.stop(keep_logs=True)
            sys.exit(f"a worker exited; logs in {workers.logs}")
        time.sleep(0.05)


def intake(
    db: Database, work: Workload, batch: int, client: redis.Redis | None
) -> tuple[int, set[int]]:
    """Store the events as the API does; enqueue each batch's shards when ``client`` is given."""
    rules = load_rulebook(db).current
    accepted, shards = 0, set()
    for i in range(0, len(work.events), batch):
        outcomes = accept_events(db, work.events[i : i + batch], rules)
        accepted += sum(o.status == "accepted" for o in outcomes)
        got = {o.shard for o in outcomes if o.shard is not None}
        shards |= got
        if client is not None:
            enqueue_shards(client, got)
    return accepted, shards


def embedded(work: Workload, batch: int) -> tuple[int, float]:
    """Import + process into a SQLite file in this process: (events accepted, seconds)."""
    directory = tempfile.mkdtemp(prefix="plaudit-bench-embedded-")
    try:
        db = prepare(f"sqlite:///{directory}/bench.sqlite", work)
        t0 = time.perf_counter()
        accepted, _ = intake(db, work, batch, None)
        process_pending(db)
        seconds = time.perf_counter() - t0
        db.close()
        return accepted, seconds
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def flush(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


@dataclass
class Alone:
    intake_seconds: float
    seconds: float
    worker_rss: list[float]
    profile: list[str]


def scoring_alone(pg_base: str, redis_url: str, work: Workload, args: Any) -> Alone:
    """Events stored first (the intake timed alone); then every shard queued at once: seconds until none is
    pending."""
    flush(redis_url)
    profile: list[str] = []
    with database(pg_base) as url:
        db = prepare(url, work)
        statements = args.profile and reset_statements(db)
        sampler = Sampler(os.getpid(), "intake (this process)") if args.profile else None
        t0 = time.perf_counter()
        _, shards = intake(db, work, args.intake_batch, None)
        intake_seconds = time.perf_counter() - t0
        if sampler is not None:
            profile.append(sampler.stop())
        if statements:
            profile.append(sql_profile(db, "of the intake"))
        workers = Workers(args.workers, url, redis_url)
        try:
            if args.profile:
                statements = reset_statements(db)
                sampler = Sampler(workers.procs[0].pid, "worker 0")
            client = redis.Redis.from_url(redis_url)
            t0 = time.perf_counter()
            enqueue_shards(client, shards)
            wait_scored(db, workers)
            seconds = time.perf_counter() - t0
            if sampler is not None:
                profile.append(sampler.stop())
            if statements:
                profile.append(sql_profile(db, "while the workers score"))
            rss = workers.peak_rss_mb()
        finally:
            workers.stop()
            db.close()
    return Alone(intake_seconds, seconds, rss, profile)


@dataclass
class EndToEnd:
    accepted: int
    intake_seconds: float
    total_seconds: float
    worker_rss: list[float]
    read_p50: float
    read_p99: float
    board_size: int


def end_to_end(pg_base: str, redis_url: str, work: Workload, args: Any) -> EndToEnd:
    """Workers listening; intake with enqueue until everything is scored; then the board reads."""
    flush(redis_url)
    with database(pg_base) as url:
        db = prepare(url, work)
        workers = Workers(args.workers, url, redis_url)
        try:
            client = redis.Redis.from_url(redis_url)
            t0 = time.perf_counter()
            accepted, _ = intake(db, work, args.intake_batch, client)
            t1 = time.perf_counter()
            wait_scored(db, workers)
            t2 = time.perf_counter()
            rss = workers.peak_rss_mb()
        finally:
            workers.stop()
        p50, p99, size = board_reads(db, client, args.reads)
        db.close()
    return EndToEnd(accepted, t1 - t0, t2 - t0, rss, p50, p99, size)


def board_reads(db: Database, client: redis.Redis, requests: int) -> tuple[float, float, int]:
    """p50 and p99 (ms) of one board page (top 10, rank, 2 above and 2 below) on the all-time board."""
    boards = RedisBoards(client, ties=load_rulebook(db).current.ties)  # type: ignore[union-attr]
    key = boards.key("points", "all")
    members = [int(m) for m in client.zrange(key, 0, -1)]
    rng = random.Random(5)
    samples = []
    for _ in range(requests):
        employee = rng.choice(members)
        t = time.perf_counter_ns()
        boards.page("points", "all", employee, 10, before=2, after=2)
        samples.append(time.perf_counter_ns() - t)
    samples.sort()
    return samples[len(samples) // 2] / 1e6, samples[int(len(samples) * 0.99)] / 1e6, len(members)


def rate(events: int, seconds: float) -> str:
    return f"{events:>9,} events in {seconds:6.1f}s = {events / seconds:>9,.0f} events/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--intake-batch", type=int, default=1000, help="events per intake transaction"
    )
    parser.add_argument("--reads", type=int, default=10_000, help="board pages read")
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy and pg_stat_statements while scoring"
    )
    args = parser.parse_args()

    roster = generate_roster(args.employees, seed=11)
    stream = the_first_events(roster, args.events, datetime(2026, 10, 1, tzinfo=UTC), args.days, 11)
    work = Workload(roster, list(stream))
    print(
        f"{args.events:,} events, {args.employees:,} employees, {args.workers} workers, "
        f"{settings().shards} shards, intake batches of {args.intake_batch}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    if not args.skip_embedded:
        _, seconds = embedded(work, args.intake_batch)
        print(f"embedded (SQLite, import + process in-process): {rate(len(work.events), seconds)}")

    with servers(args.profile) as (pg_base, redis_url):
        print(f"PostgreSQL {pg_base} ({PG_OPTIONS} when started here); Redis {redis_url}")
        alone = scoring_alone(pg_base, redis_url, work, args)
        run = end_to_end(pg_base, redis_url, work, args)
    n = args.workers
    print(
        f"PG intake alone (no workers running):          {rate(len(work.events), alone.intake_seconds)}"
    )
    print(f"PG + Redis, {n} workers, scoring alone:          {rate(run.accepted, alone.seconds)}")
    print(
        f"PG + Redis, {n} workers, intake -> all scored:   {rate(run.accepted, run.total_seconds)}"
    )
    print(
        f"  of which intake (workers running meanwhile): {rate(len(work.events), run.intake_seconds)}"
    )
    print(
        f"Redis board page (top 10 + rank + 2 around, {run.board_size:,} on the all-time board): "
        f"p50 {run.read_p50:.3f} ms, p99 {run.read_p99:.3f} ms"
    )
    # Not RUSAGE_CHILDREN: on Linux a child's ru_maxrss starts with the RSS of this process at fork time.
    workers_rss = ", ".join(f"{m:.0f}" for m in alone.worker_rss + run.worker_rss)
    print(
        f"peak RSS: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
        f"each worker (VmHWM) {workers_rss} MB"
    )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    for text in alone.profile:
        print(text)


if __name__ == "__main__":
    main()
