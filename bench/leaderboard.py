"""Benchmark: in-memory leaderboards (engine.boards.memory) against the SQL way, at 100,000 employees.

Prints figures, asserts nothing. Run it by hand, e.g.

    python bench/leaderboard.py [--employees 100000] [--requests 10000] [--sql-requests 1000]

A request is what the API's board page asks: top 10 + rank of the asking employee + around them (2 above,
2 below), for random employees. Scores are lognormal (a long tail of leaders, many ties at low scores);
times are in the database's text form, as the embedded SQLite default stores them. The SQL side is a real
SQLite file built with the project's schema, plus an index on (board, period, score DESC) created here.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.boards.memory import Board, Boards  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402

__all__ = ["main"]

BOARD, PERIOD = "points", "2026-W45"
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def standings(employees: int, rng: random.Random) -> list[tuple[int, int, str]]:
    """(employee, score, reached_at) rows: lognormal scores, so most employees share a few low scores."""
    return [
        (
            e,
            int(rng.lognormvariate(2.5, 1.4)),
            str(START + timedelta(seconds=rng.randrange(7 * 86_400))),
        )
        for e in range(1, employees + 1)
    ]


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    s = sorted(samples_ns)
    return s[len(s) // 2] / 1000, s[min(len(s) - 1, int(len(s) * 0.99))] / 1000


def timed(label: str, fn: Callable[[int], Any], who: list[int]) -> None:
    clock = time.perf_counter_ns
    samples = []
    for e in who:
        t = clock()
        fn(e)
        samples.append(clock() - t)
    p50, p99 = percentiles(samples)
    print(f"{label}: p50 {p50:,.1f} µs, p99 {p99:,.1f} µs")


def sql_database(rows: list[tuple[int, int, str]]) -> Database:
    db = open_database(
        DatabaseConfig(url=f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-bench-')}/board.sqlite")
    )
    now = str(START)
    db.executemany(
        'INSERT INTO "employee" (id, external_id, name, team, department, locale, pilot_group, '
        "visibility, active, created_at) VALUES (?, ?, ?, '', '', '', 0, 'public', 1, ?)",
        [(e, f"e{e}", f"Employee {e}", now) for e, _, _ in rows],
    )
    db.executemany(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        [(BOARD, PERIOD, e, s, at) for e, s, at in rows],
    )
    # The schema has no score index on purpose (it would slow every standings upsert); the SQL way needs one.
    db.execute(
        'CREATE INDEX IF NOT EXISTS bench_standing_score ON "standing" '
        "(board, period, score DESC, reached_at, employee)"
    )
    db.execute("ANALYZE")
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument(
        "--sql-requests", type=int, default=1_000, help="fewer: a SQL rank takes milliseconds"
    )
    parser.add_argument("--team-size", type=int, default=2_000)
    parser.add_argument("--hidden", type=float, default=0.05, help="share of hidden employees")
    parser.add_argument("--batch", type=int, default=5_000, help="entries per apply() batch")
    args = parser.parse_args()
    n = args.employees
    k = f"{n // 1000}k" if n >= 1000 else str(n)
    rng = random.Random(7)
    rows = standings(n, rng)
    distinct = len({s for _, s, _ in rows})
    print(f"employees {n:,}, distinct scores {distinct:,}, python {sys.version.split()[0]}")

    # -- build ----------------------------------------------------------------------------------------------
    before = rss_mb()
    t = time.perf_counter()
    board = Board.from_rows(rows)
    print(f"board build (one sort), {k}: {(time.perf_counter() - t) * 1000:,.0f} ms")
    print(f"board memory, {k}: {rss_mb() - before:,.1f} MiB")
    t = time.perf_counter()
    one_by_one = Board()
    for e, s, at in rows:
        one_by_one.set(e, s, at)
    print(f"board build (set one by one), {k}: {(time.perf_counter() - t) * 1000:,.0f} ms")
    del one_by_one

    who = [rng.randrange(1, n + 1) for _ in range(args.requests)]

    def page(e: int) -> Any:
        return board.top(10), board.rank_of(e), board.around(e)

    timed(f"board top10+rank+around, {k}", page, who)
    timed(f"board rank_of, {k}", board.rank_of, who)

    # -- team filter ------------------------------------------------------------------------------------------
    team = frozenset(rng.sample(range(1, n + 1), args.team_size))
    members = sorted(team)
    team_who = [rng.choice(members) for _ in range(args.requests)]
    in_team = team.__contains__

    def team_page(keep: Any) -> Callable[[int], Any]:
        return lambda e: (board.top_where(10, keep), board.rank_where(e, keep))

    timed(
        f"board team top_where+rank_where, predicate, team {len(team):,}",
        team_page(in_team),
        team_who[: max(args.requests // 10, 1)],  # O(rank) per request: fewer of them
    )
    timed(
        f"board team top_where+rank_where, member set, team {len(team):,}",
        team_page(team),
        team_who,
    )

    hidden = frozenset(rng.sample(range(1, n + 1), int(n * args.hidden)))
    team_of = {e: ("T" if e in team else f"t{e % 50}") for e in range(1, n + 1)}
    before = rss_mb()
    t = time.perf_counter()
    boards = Boards(visible=lambda e: e not in hidden, team_of=team_of.get)
    boards.replace(BOARD, PERIOD, rows)
    print(
        f"Boards build (full + public + 51 team boards), {k}: "
        f"{(time.perf_counter() - t) * 1000:,.0f} ms, {rss_mb() - before:,.1f} MiB"
    )
    team_board = boards.team(BOARD, PERIOD, "T")
    public = boards.public(BOARD, PERIOD)
    assert team_board is not None and public is not None

    def team_board_page(e: int) -> Any:
        return team_board.top(10), team_board.rank_of(e), team_board.around(e)

    timed(f"team board top10+rank+around, team {len(team):,}", team_board_page, team_who)

    def not_hidden(e: int) -> bool:
        return e not in hidden

    def team_board_visible(e: int) -> Any:
        return team_board.top_where(10, not_hidden), team_board.rank_where(e, not_hidden)

    timed(
        f"team board top_where+rank_where (hidden filtered), team {len(team):,}",
        team_board_visible,
        team_who,
    )

    def public_page(e: int) -> Any:
        return public.top(10), public.rank_of(e), public.around(e)

    timed(f"public board top10+rank+around, {k}, {args.hidden:.0%} hidden", public_page, who)

    def hidden_by_predicate(e: int) -> Any:
        return board.top_where(10, not_hidden), board.rank_where(e, not_hidden)

    timed(
        f"board top_where+rank_where (hidden by predicate), {k}",
        hidden_by_predicate,
        who[: max(args.requests // 10, 1)],
    )

    # -- apply ------------------------------------------------------------------------------------------------
    later = START + timedelta(days=7)
    samples = []
    for b in range(20):
        deltas = {
            (BOARD, PERIOD, rng.randrange(1, n + 1)): [
                rng.randrange(1, 40),
                str(later + timedelta(seconds=b * 60 + i)),
            ]
            for i in range(args.batch)
        }
        deltas[(BOARD, "2026-11", 1)] = [5, str(later)]  # not loaded: skipped
        t0 = time.perf_counter_ns()
        boards.apply(deltas)
        samples.append(time.perf_counter_ns() - t0)
    p50, _ = percentiles(samples)
    print(
        f"Boards.apply {args.batch:,}-entry batch (full + public + team), {k}: "
        f"p50 {p50:,.0f} µs, max {max(samples) / 1000:,.0f} µs"
    )
    plain = Boards()
    plain.replace(BOARD, PERIOD, rows)
    samples = []
    for b in range(20):
        deltas = {
            (BOARD, PERIOD, rng.randrange(1, n + 1)): [
                rng.randrange(1, 40),
                str(later + timedelta(seconds=b)),
            ]
            for _ in range(args.batch)
        }
        t0 = time.perf_counter_ns()
        plain.apply(deltas)
        samples.append(time.perf_counter_ns() - t0)
    p50, _ = percentiles(samples)
    print(f"Boards.apply {args.batch:,}-entry batch (full board only), {k}: p50 {p50:,.0f} µs")

    # -- SQL ---------------------------------------------------------------------------------------------------
    t = time.perf_counter()
    db = sql_database(rows)
    print(f"SQLite bench database, {k} standings: built in {time.perf_counter() - t:,.1f} s")
    t = time.perf_counter()
    loaded = Boards()
    loaded.load(db, [PERIOD])
    print(f"Boards.load from SQLite, {k}: {(time.perf_counter() - t) * 1000:,.0f} ms")
    conn = db.conn
    top_sql = (
        'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ? '
        "ORDER BY score DESC, reached_at, employee LIMIT 10"
    )
    score_sql = 'SELECT score FROM "standing" WHERE board = ? AND period = ? AND employee = ?'
    rank_sql = 'SELECT COUNT(*) FROM "standing" WHERE board = ? AND period = ? AND score > ?'

    def sql_top(_: int) -> Any:
        return conn.execute(top_sql, (BOARD, PERIOD)).fetchall()

    def sql_rank(e: int) -> Any:
        (score,) = conn.execute(score_sql, (BOARD, PERIOD, e)).fetchone()
        return conn.execute(rank_sql, (BOARD, PERIOD, score)).fetchone()[0] + 1

    def sql_page(e: int) -> Any:
        return sql_top(e), sql_rank(e)

    sql_who = who[: args.sql_requests]
    timed(f"sql top10, {k}", sql_top, sql_who)
    timed(f"sql rank (COUNT of higher scores), {k}", sql_rank, sql_who)
    timed(f"sql top10+rank, {k}", sql_page, sql_who)
    db.close()
    print(f"peak RSS: {peak_rss_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
