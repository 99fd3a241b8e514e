"""Redis sorted-set leaderboards (engine.boards.redis) against a real redis-server and real databases.

The standings are written as the engine writes them (StandingDeltas in a transaction); the ZSETs must then
equal the standings whatever the order, repetition or loss of publishes, and rank like engine.boards.memory.Board.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.boards.memory import Board, Boards
from engine.boards.redis import (
    EARLIEST_POINTS_MAX,
    EARLIEST_POINTS_MIN,
    PUBLIC,
    RedisBoards,
    sql_rank,
    sql_top,
    team_view,
)
from engine.boards.standings import StandingDeltas
from engine.defaults import ALL_TIME
from engine.storage.database import Database, DatabaseConfig, open_database
from tests.redis_server import started_server

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
WEEK = "2026-W45"
EMPLOYEES = 12


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def add_employees(db: Database, n: int = EMPLOYEES) -> None:
    db.executemany(
        'INSERT INTO "employee" (id, external_id, name, team, department, locale, pilot_group, '
        "visibility, active, created_at) VALUES (?, ?, ?, 't', '', '', ?, 'public', ?, ?)",
        [(i, f"e{i}", f"Employee {i}", False, True, db.ts(T0)) for i in range(1, n + 1)],
    )


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(DatabaseConfig(url=f"sqlite:///{tmp_path / 'plaudit.sqlite'}"))
    add_employees(db)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def boards(redis_url: str) -> Iterator[RedisBoards]:
    rb = RedisBoards.from_url(redis_url)
    try:
        yield rb
    finally:
        rb.client.close()


def commit(db: Database, batch: list[tuple[int, int, int]]) -> StandingDeltas:
    """Score ``(employee, points, minute)`` entries as one batch in the week and all time, as the engine does."""
    deltas = StandingDeltas()
    for employee, points, minute in batch:
        deltas.add(employee, (WEEK,), points, db.ts(at(minute)))
    with db.transaction():
        deltas.write(db)
    return deltas


def standings(db: Database, period: str, board: str = "points") -> dict[int, int]:
    rows = db.query(
        'SELECT employee, score FROM "standing" WHERE board = ? AND period = ?', (board, period)
    )
    return {int(e): int(s) for e, s in rows}


def zset(rb: RedisBoards, period: str, board: str = "points") -> dict[int, int]:
    pairs = rb.client.zrange(rb.key(board, period), 0, -1, withscores=True)
    return {int(m): rb.decode(s) for m, s in pairs}


def ranks(rows: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    return [(e, r) for e, _, r in rows]


# -- publish ---------------------------------------------------------------------------------------------------
def test_publish_writes_the_standings_of_the_batch(
    sqlite_db: Database, boards: RedisBoards
) -> None:
    first = commit(sqlite_db, [(1, 10, 0), (2, 5, 1), (1, 7, 2), (3, -4, 3)])
    assert boards.publish(sqlite_db, first.deltas) == 6  # 3 employees x (week, all)
    second = commit(sqlite_db, [(2, 20, 4), (4, 1, 5)])
    assert boards.publish(sqlite_db, second.deltas) == 4
    for period in (WEEK, ALL_TIME):
        assert zset(boards, period) == standings(sqlite_db, period) == {1: 17, 2: 25, 3: -4, 4: 1}


def test_publishing_twice_is_publishing_once(sqlite_db: Database, boards: RedisBoards) -> None:
    deltas = commit(sqlite_db, [(1, 10, 0), (2, 5, 1)]).deltas
    boards.publish(sqlite_db, deltas)
    once = zset(boards, WEEK)
    boards.publish(sqlite_db, deltas)  # a retried job: absolute scores, no drift
    assert zset(boards, WEEK) == once == {1: 10, 2: 5}


def test_reordered_publishes_give_the_same_zset(sqlite_db: Database, boards: RedisBoards) -> None:
    a = commit(sqlite_db, [(1, 10, 0), (2, 5, 1)]).deltas
    b = commit(sqlite_db, [(1, 3, 2), (3, 8, 3)]).deltas
    boards.publish(sqlite_db, b)  # the later batch's publish lands first
    boards.publish(sqlite_db, a)
    assert zset(boards, WEEK) == standings(sqlite_db, WEEK) == {1: 13, 2: 5, 3: 8}


def test_publish_removes_a_key_without_standing(sqlite_db: Database, boards: RedisBoards) -> None:
    deltas = commit(sqlite_db, [(1, 10, 0), (2, 5, 1)]).deltas
    boards.publish(sqlite_db, deltas)
    sqlite_db.execute('DELETE FROM "standing" WHERE employee = 2')
    assert boards.publish(sqlite_db, deltas) == 2
    assert zset(boards, WEEK) == {1: 10}
    assert boards.publish(sqlite_db, {}) == 0


def test_a_publish_waiting_for_another_rebuild_is_not_lost(
    sqlite_db: Database, boards: RedisBoards
) -> None:
    """Two workers find a board missing at once. The one that rebuilds took its snapshot before the other's
    batch committed; its RENAME must not erase that batch (seen in a 2-worker storm: 6 members missing)."""
    commit(sqlite_db, [(1, 10, 0)])
    lock = boards.client.lock(f"{boards.key('points', WEEK)}|rebuilding", timeout=30)
    assert lock.acquire(
        blocking=False
    )  # the first worker is rebuilding from a snapshot without employee 2
    snapshot = {"1": boards.encode(10, sqlite_db.ts(at(0)))}
    fresh = commit(sqlite_db, [(2, 5, 1)]).deltas
    waiting = threading.Thread(target=boards.publish, args=(sqlite_db, fresh))
    waiting.start()
    time.sleep(0.3)
    assert waiting.is_alive(), "the second worker must wait for the first one's rebuild"
    boards.client.zadd(boards.key("points", WEEK), snapshot)  # the first worker's RENAME lands
    lock.release()
    waiting.join(timeout=10)
    assert zset(boards, WEEK) == standings(sqlite_db, WEEK) == {1: 10, 2: 5}


# -- ranks and reads -------------------------------------------------------------------------------------------
def tie_board(db: Database, rb: RedisBoards) -> None:
    # 1: 100; 2, 3, 4: 90 (a three-way tie; 3 and 4 reached it first); 5: 80.
    deltas = commit(db, [(1, 100, 0), (2, 90, 5), (3, 90, 1), (4, 90, 2), (5, 80, 0)]).deltas
    rb.publish(db, deltas)


def test_shared_ranks_1224_with_a_three_way_tie(sqlite_db: Database, boards: RedisBoards) -> None:
    tie_board(sqlite_db, boards)
    top = boards.top("points", WEEK, 10)
    # Among equal scores, who reached the score first comes first (3, 4, 2), as in memory and SQL.
    assert top == [(1, 100, 1), (3, 90, 2), (4, 90, 2), (2, 90, 2), (5, 80, 5)]
    assert [boards.rank("points", WEEK, e) for e in (1, 2, 3, 4, 5)] == [
        (1, 100),
        (2, 90),
        (2, 90),
        (2, 90),
        (5, 80),
    ]
    # A page starting inside the tie keeps the shared rank.
    assert boards.top("points", WEEK, 2, offset=2) == [(4, 90, 2), (2, 90, 2)]
    assert boards.top("points", WEEK, 5, offset=4) == [(5, 80, 5)]
    assert boards.top("points", WEEK, 3, offset=9) == []
    assert boards.rank("points", WEEK, 99) is None
    assert boards.rank("points", "2030-W01", 1) is None
    # The SQL fallback gives the same page.
    assert sql_top(sqlite_db, "points", WEEK, 10) == top
    assert [sql_rank(sqlite_db, "points", WEEK, e) for e in (1, 2, 5, 99)] == [
        (1, 100),
        (2, 90),
        (5, 80),
        None,
    ]


def test_around_and_page(sqlite_db: Database, boards: RedisBoards) -> None:
    tie_board(sqlite_db, boards)
    assert boards.around("points", WEEK, 3) == [(1, 100, 1), (3, 90, 2), (4, 90, 2), (2, 90, 2)]
    assert boards.around("points", WEEK, 1, before=2, after=1) == [(1, 100, 1), (3, 90, 2)]
    assert boards.around("points", WEEK, 5, before=1, after=2) == [(2, 90, 2), (5, 80, 5)]
    assert boards.around("points", WEEK, 99) == []
    top, mine, near = boards.page("points", WEEK, 2, n=2)
    assert top == [(1, 100, 1), (3, 90, 2)]
    assert mine == (2, 90)
    assert near == [(3, 90, 2), (4, 90, 2), (2, 90, 2), (5, 80, 5)]
    assert boards.page("points", WEEK, 99, n=1) == ([(1, 100, 1)], None, [])


def test_earliest_policy_orders_equal_points_by_reached_at(
    sqlite_db: Database, redis_url: str
) -> None:
    rb = RedisBoards.from_url(redis_url, ties="earliest")
    tie_board(sqlite_db, rb)
    assert rb.top("points", WEEK, 10) == [
        (1, 100, 1),
        (3, 90, 2),
        (4, 90, 3),
        (2, 90, 4),
        (5, 80, 5),
    ]
    assert rb.rank("points", WEEK, 2) == (4, 90)
    assert rb.top("points", WEEK, 2, offset=2) == [(4, 90, 3), (2, 90, 4)]
    assert rb.around("points", WEEK, 4, before=1, after=1) == [(3, 90, 2), (4, 90, 3), (2, 90, 4)]
    # Same board in memory with the same policy: same order (no two share a second here).
    board = Board("earliest")
    for e, s, t in sqlite_db.query(
        'SELECT employee, score, reached_at FROM "standing" WHERE period = ?', (WEEK,)
    ):
        board.set(e, s, t)
    assert [(x.employee, x.score, x.rank) for x in board.top(10)] == rb.top("points", WEEK, 10)
    assert [sql_rank(sqlite_db, "points", WEEK, e, ties="earliest") for e in (3, 4, 2)] == [
        (2, 90),
        (3, 90),
        (4, 90),
    ]
    assert ranks(sql_top(sqlite_db, "points", WEEK, 10, ties="earliest")) == ranks(
        rb.top("points", WEEK, 10)
    )


def test_earliest_encoding_limits_and_negatives(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    rb = RedisBoards.from_url(redis_url, ties="earliest")
    t = at(0)
    for points in (0, 1, -1, -250, EARLIEST_POINTS_MAX, EARLIEST_POINTS_MIN):
        score = rb.encode(points, t)
        assert abs(score) <= 2**53
        assert float(score) == score  # exact as a Redis double
        assert rb.decode(float(score)) == points
    # Earlier wins among equal points, for negative points too; more points always win.
    assert rb.encode(-5, at(0)) > rb.encode(-5, at(1)) > rb.encode(-6, at(-10_000))
    assert rb.encode(3, datetime(2019, 6, 1, tzinfo=UTC)) == rb.encode(
        3, datetime(2020, 1, 1, tzinfo=UTC)
    )
    # Outside ±2**22: points only (no tie-break), still decodable and ordered.
    big = EARLIEST_POINTS_MAX + 1
    with caplog.at_level("WARNING", logger="engine.boards.redis"):
        assert rb.encode(big, at(0)) == rb.encode(big, at(5)) == big * 2**31
    assert "outside" in caplog.text
    assert rb.decode(float(rb.encode(big, at(0)))) == big
    assert rb.decode(float(rb.encode(-big - 1, at(0)))) == -big - 1
    assert rb.encode(big, at(0)) > rb.encode(big - 1, at(0))


def test_negative_scores(sqlite_db: Database, redis_url: str) -> None:
    for ties in ("shared", "earliest"):
        rb = RedisBoards.from_url(redis_url, ties=ties)
        rb.client.flushall()
        deltas = commit(sqlite_db, [(1, -20, 0), (2, 0, 1), (3, 5, 2), (4, -20, 3)]).deltas
        rb.publish(sqlite_db, deltas)
        sqlite_db.execute('DELETE FROM "standing"')
        assert zset(rb, WEEK) == {1: -20, 2: 0, 3: 5, 4: -20}
        top = rb.top("points", WEEK, 10)
        if ties == "shared":
            assert top == [(3, 5, 1), (2, 0, 2), (1, -20, 3), (4, -20, 3)]
        else:
            assert top == [(3, 5, 1), (2, 0, 2), (1, -20, 3), (4, -20, 4)]
        assert rb.rank("points", WEEK, 4) == ((3, -20) if ties == "shared" else (4, -20))


def test_unknown_tie_policy_is_refused(redis_url: str) -> None:
    with pytest.raises(ValueError, match="ties"):
        RedisBoards.from_url(redis_url, ties="dense")


# -- rebuild and reconcile -------------------------------------------------------------------------------------
def test_rebuild_equals_the_standings_and_drops_stale_members(
    sqlite_db: Database, boards: RedisBoards
) -> None:
    commit(sqlite_db, [(e, e * 3 % 7 - 2, e) for e in range(1, EMPLOYEES + 1)])
    sqlite_db.execute(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        ("referrals", WEEK, 1, 50, sqlite_db.ts(T0)),
    )
    boards.client.zadd(boards.key("points", WEEK), {999: 1000, 1: 12345})  # stale
    boards.client.zadd(boards.key("points", "2026-W01"), {5: 1})  # a period without standings
    assert boards.rebuild(sqlite_db) == 2 * EMPLOYEES  # every period of the points board
    for period in (WEEK, ALL_TIME):
        assert zset(boards, period) == standings(sqlite_db, period)
    assert boards.rebuild(sqlite_db, [WEEK], board="referrals") == 1
    assert zset(boards, WEEK, board="referrals") == {1: 50}
    assert boards.rebuild(sqlite_db, ["2026-W01"]) == 0
    assert not boards.client.exists(boards.key("points", "2026-W01"))
    assert boards.client.ttl(boards.key("points", WEEK)) == -1  # the temporary key's TTL is gone
    assert boards.client.keys("*rebuild*") == []


def test_rebuild_chunks_large_boards(sqlite_db: Database, boards: RedisBoards) -> None:
    n = 25_000
    sqlite_db.executemany(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        [("points", "big", e, e % 1000, sqlite_db.ts(at(e % 60))) for e in range(1, n + 1)],
    )
    assert boards.rebuild(sqlite_db, ["big"]) == n
    assert boards.client.zcard(boards.key("points", "big")) == n
    assert boards.rank("points", "big", 999) == (1, 999)


def test_reconcile_fixes_a_tampered_zset(sqlite_db: Database, boards: RedisBoards) -> None:
    deltas = commit(sqlite_db, [(e, 10 * e, e) for e in range(1, 6)]).deltas
    boards.publish(sqlite_db, deltas)
    assert boards.reconcile(sqlite_db, [WEEK, ALL_TIME]) == 0
    key = boards.key("points", WEEK)
    boards.client.zincrby(key, 7, 3)  # drift
    boards.client.zadd(key, {4242: 1})  # a stranger
    boards.client.zrem(key, 5)  # a lost member
    assert boards.reconcile(sqlite_db, [WEEK, ALL_TIME]) == 3
    assert zset(boards, WEEK) == standings(sqlite_db, WEEK)
    assert boards.reconcile(sqlite_db, [WEEK]) == 0


def test_redis_restart_loses_the_boards_and_rebuild_restores_them(sqlite_db: Database) -> None:
    server = started_server()
    try:
        rb = RedisBoards.from_url(server.url)
        tie_board(sqlite_db, rb)
        before = rb.page("points", WEEK, 3)
        server.restart()  # same port, empty (no persistence), the Lua script unloaded
        assert rb.top("points", WEEK, 10) == []
        assert rb.rank("points", WEEK, 3) is None
        assert rb.rebuild(sqlite_db) == 10
        assert rb.page("points", WEEK, 3) == before
        server.stop()
        with pytest.raises(redis.RedisError):  # the caller falls back to SQL
            rb.top("points", WEEK, 10)
        assert sql_rank(sqlite_db, "points", WEEK, 3) == before[1]
    finally:
        server.close()


# -- PostgreSQL ------------------------------------------------------------------------------------------------
def test_publish_and_rebuild_on_postgres(postgres_url: str, redis_url: str) -> None:
    db = open_database(DatabaseConfig(url=postgres_url))
    try:
        add_employees(db)
        for ties in ("shared", "earliest"):
            rb = RedisBoards.from_url(redis_url, ties=ties)
            rb.client.flushall()
            db.execute('DELETE FROM "standing"')
            deltas = commit(db, [(1, 100, 0), (2, 90, 5), (3, 90, 1), (4, -3, 2)]).deltas
            assert rb.publish(db, deltas) == 8
            assert rb.publish(db, deltas) == 8
            assert zset(rb, WEEK) == standings(db, WEEK) == {1: 100, 2: 90, 3: 90, 4: -3}
            expected = (
                [(1, 1), (2, 2), (3, 2), (4, 4)]
                if ties == "shared"
                else [(1, 1), (3, 2), (2, 3), (4, 4)]
            )
            assert sorted(ranks(rb.top("points", WEEK, 10))) == sorted(expected)
            rb.client.zadd(rb.key("points", WEEK), {77: 5})
            rb.client.delete(rb.key("points", ALL_TIME))
            assert rb.rebuild(db) == 8
            for period in (WEEK, ALL_TIME):
                assert zset(rb, period) == standings(db, period)
            assert sql_rank(db, "points", WEEK, 3, ties=ties) == rb.rank("points", WEEK, 3)
    finally:
        db.close()


# -- property: publish after every batch keeps Redis equal to the standings and to the in-memory board -----
batch_strategy = st.lists(
    st.tuples(
        st.integers(1, EMPLOYEES),
        st.integers(-60, 60),
        st.integers(0, 30),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(batch_strategy, min_size=1, max_size=6))
def test_property_publish_keeps_redis_equal_to_standings(
    sqlite_db: Database, redis_url: str, batches: list[list[tuple[int, int, int]]]
) -> None:
    # Function-scoped fixtures are shared by the examples: each example starts from empty standings and Redis.
    rb = RedisBoards.from_url(redis_url)
    rb.client.flushall()
    sqlite_db.execute('DELETE FROM "standing"')
    memory = Board("shared")
    for batch in batches:
        deltas = commit(sqlite_db, batch).deltas
        rb.publish(sqlite_db, deltas)
        for (_, period, employee), (points, reached) in deltas.items():
            if period == WEEK:
                memory.add(employee, points, reached)
        for period in (WEEK, ALL_TIME):
            assert zset(rb, period) == standings(sqlite_db, period)
        expected = {(x.employee, x.score, x.rank) for x in memory}
        assert set(rb.top("points", WEEK, EMPLOYEES)) == expected
        for employee in range(1, EMPLOYEES + 1):
            mine = rb.rank("points", WEEK, employee)
            rank = memory.rank_of(employee)
            assert mine == (None if rank is None else (rank, memory.score_of(employee)))
            assert sql_rank(sqlite_db, "points", WEEK, employee) == mine
    rb.client.close()


# -- views: the public board and team boards -------------------------------------------------------------------
def set_people(db: Database, people: dict[int, tuple[str, str, bool]]) -> None:
    """(team, visibility, active) per employee id."""
    for employee, (team, visibility, active) in people.items():
        db.execute(
            'UPDATE "employee" SET team = ?, visibility = ?, active = ? WHERE id = ?',
            (team, visibility, active, employee),
        )


def memory_views(db: Database, period: str) -> dict[str | None, dict[int, int]]:
    """The views as engine.boards.memory.Boards files them: the oracle the Redis views must equal."""
    people = {
        int(i): (team, visibility, bool(active))
        for i, team, visibility, active in db.query(
            'SELECT id, team, visibility, active FROM "employee"'
        )
    }
    boards = Boards(
        visible=lambda e: people[e][2] and people[e][1] == "public",
        team_of=lambda e: people[e][0] if people[e][2] and people[e][0] else None,
    )
    boards.load(db, [period])
    views: dict[str | None, dict[int, int]] = {
        None: {e.employee: e.score for e in boards.get("points", period) or []},
        PUBLIC: {e.employee: e.score for e in boards.public("points", period) or []},
    }
    for team in {t for t, _, _ in people.values() if t}:
        members = boards.team("points", period, team)
        if members is not None and len(members):
            views[team_view(team)] = {e.employee: e.score for e in members}
    return views


def redis_views(rb: RedisBoards, period: str) -> dict[str | None, dict[int, int]]:
    prefix = rb.key("points", period)
    out: dict[str | None, dict[int, int]] = {}
    for key in rb.client.scan_iter(match=f"{prefix}*"):
        name = key.decode()
        if name == rb.views_key("points", period):
            continue
        view = None if name == prefix else name[len(prefix) + 1 :]
        out[view] = {int(m): rb.decode(s) for m, s in rb.client.zrange(key, 0, -1, withscores=True)}
    return out


PEOPLE = {
    1: ("Sales", "public", True),
    2: ("Sales", "hidden", True),
    3: ("Sales", "team", True),
    4: ("Marketing", "public", True),
    5: ("Marketing", "public", False),  # left the company: on no view
    6: ("", "public", True),  # no team yet
}


def test_views_equal_the_in_memory_boards(sqlite_db: Database, boards: RedisBoards) -> None:
    set_people(sqlite_db, PEOPLE)
    boards.publish(sqlite_db, commit(sqlite_db, [(e, 10 * e, e) for e in PEOPLE]).deltas)
    boards.publish(sqlite_db, commit(sqlite_db, [(2, 5, 9), (6, 1, 9)]).deltas)
    assert redis_views(boards, WEEK) == memory_views(sqlite_db, WEEK)
    assert set(redis_views(boards, WEEK)[PUBLIC]) == {1, 4, 6}
    # Someone changes their mind and moves team: refresh re-files them on every board they are on.
    set_people(sqlite_db, {1: ("Marketing", "hidden", True), 2: ("Sales", "public", True)})
    boards.refresh(sqlite_db, 1)
    boards.refresh(sqlite_db, 2)
    assert redis_views(boards, WEEK) == memory_views(sqlite_db, WEEK)
    assert redis_views(boards, ALL_TIME) == memory_views(sqlite_db, ALL_TIME)
    assert boards.reconcile(sqlite_db, [WEEK, ALL_TIME]) == 0


def test_reconcile_and_rebuild_repair_the_views(sqlite_db: Database, boards: RedisBoards) -> None:
    set_people(sqlite_db, PEOPLE)
    boards.publish(sqlite_db, commit(sqlite_db, [(e, 10 * e, e) for e in PEOPLE]).deltas)
    # A roster change nobody told Redis about: 3 moved to Marketing, 4 went hidden; and a stray member.
    set_people(sqlite_db, {3: ("Marketing", "team", True), 4: ("Marketing", "hidden", True)})
    boards.client.zadd(boards.key("points", WEEK, PUBLIC), {99: 1})
    assert (
        boards.reconcile(sqlite_db, [WEEK]) == 4
    )  # 3 out of Sales, 3 into Marketing, 4 and 99 out
    assert redis_views(boards, WEEK) == memory_views(sqlite_db, WEEK)
    # Sales loses its last member: rebuild deletes the now empty view rather than leaving it stale.
    set_people(sqlite_db, {1: ("Marketing", "public", True), 2: ("Marketing", "hidden", True)})
    boards.rebuild(sqlite_db, [WEEK])
    assert redis_views(boards, WEEK) == memory_views(sqlite_db, WEEK)
    assert team_view("Sales") not in redis_views(boards, WEEK)


def test_view_page_ranks_a_hidden_employee_where_they_would_stand(
    sqlite_db: Database, boards: RedisBoards
) -> None:
    set_people(sqlite_db, PEOPLE)
    boards.publish(sqlite_db, commit(sqlite_db, [(e, 10 * e, e) for e in PEOPLE]).deltas)
    # Public view: 6 (60), 4 (40), 1 (10). Hidden 2 (20) would be third, ahead of 1.
    top, mine, near = boards.page("points", WEEK, 2, 10, view=PUBLIC)
    assert top == [(6, 60, 1), (4, 40, 2), (1, 10, 3)]
    assert mine == (3, 20) and near == []
    assert sql_top(sqlite_db, "points", WEEK, 10, public=True) == top
    assert sql_rank(sqlite_db, "points", WEEK, 2, public=True) == mine
    # A board Redis does not hold is absent (ask SQL), not empty.
    assert boards.page("points", "2030-W01", 2, view=PUBLIC) is None


def test_publish_rebuilds_a_board_redis_lost_rather_than_writing_part_of_it(
    sqlite_db: Database, boards: RedisBoards
) -> None:
    set_people(sqlite_db, PEOPLE)
    boards.publish(sqlite_db, commit(sqlite_db, [(e, 10 * e, e) for e in PEOPLE]).deltas)
    boards.client.flushall()  # Redis restarted without its data
    boards.publish(sqlite_db, commit(sqlite_db, [(1, 5, 20)]).deltas)  # one employee's batch
    assert redis_views(boards, WEEK) == memory_views(sqlite_db, WEEK)
    assert len(redis_views(boards, WEEK)[None]) == len(PEOPLE)
