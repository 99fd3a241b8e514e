"""In-memory leaderboards (engine.boards.memory): tie policies, updates, edges, filters, and agreement with SQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.boards.memory import Board, Boards, Entry
from engine.boards.standings import StandingDeltas
from engine.storage.database import DatabaseConfig, open_database

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ranks(entries: list[Entry]) -> list[tuple[int, int]]:
    return [(e.employee, e.rank) for e in entries]


def three_way_tie(ties: str = "shared") -> Board:
    b = Board(ties)
    b.set(1, 100, at(0))
    b.set(2, 90, at(5))  # reached 90 last of the three: third among equals
    b.set(3, 90, at(1))
    b.set(4, 90, at(1))  # same time as 3: the lower id first
    b.set(5, 80, at(0))
    return b


def test_shared_ranks_1224_with_three_way_tie() -> None:
    b = three_way_tie()
    assert ranks(b.top(10)) == [(1, 1), (3, 2), (4, 2), (2, 2), (5, 5)]
    assert [b.rank_of(e) for e in (1, 2, 3, 4, 5)] == [1, 2, 2, 2, 5]
    # A page starting inside the tie still gives the shared rank.
    assert ranks(b.top(2, offset=2)) == [(4, 2), (2, 2)]
    assert ranks(b.top(5, offset=4)) == [(5, 5)]
    assert b.top(3, offset=9) == []
    assert len(b) == 5


def test_earliest_ranks_are_positions() -> None:
    b = three_way_tie("earliest")
    assert ranks(b.top(10)) == [(1, 1), (3, 2), (4, 3), (2, 4), (5, 5)]
    assert [b.rank_of(e) for e in (1, 2, 3, 4, 5)] == [1, 4, 2, 3, 5]
    assert ranks(b.top(2, offset=2)) == [(4, 3), (2, 4)]


def test_unknown_tie_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="ties"):
        Board("dense")
    with pytest.raises(ValueError, match="ties"):
        Boards(ties="dense")


def test_negative_and_zero_scores() -> None:
    b = Board()
    b.set(1, -20, at(0))
    b.set(2, 0, at(0))
    b.set(3, 5, at(0))
    b.set(4, -20, at(-1))
    assert ranks(b.top(10)) == [(3, 1), (2, 2), (4, 3), (1, 3)]
    assert b.score_of(1) == -20
    assert b.score_of(2) == 0
    b.add(3, -30, at(9))  # an HR adjustment takes 3 below zero
    assert b.score_of(3) == -25
    assert b.rank_of(3) == 4
    assert b.top(1)[0] == Entry(2, 0, at(0), 1)


def test_set_is_idempotent() -> None:
    once, twice = Board(), Board()
    for b in (once, twice):
        b.set(1, 50, at(0))
        b.set(2, 40, at(0))
    once.set(2, 60, at(3))
    twice.set(2, 60, at(3))
    twice.set(2, 60, at(3))
    assert once.top(10) == twice.top(10)
    assert len(twice) == 2
    assert twice.rank_of(2) == 1


def test_add_accumulates_and_keeps_latest_time() -> None:
    b = Board()
    b.add(7, 10, at(5))
    b.add(
        7, 15, at(2)
    )  # an earlier event arriving late: the score counts, the time stays the latest
    b.add(8, 25, at(4))
    assert b.score_of(7) == 25
    assert b.top(10) == [Entry(8, 25, at(4), 1), Entry(7, 25, at(5), 1)]
    b.add(7, 1, at(6))
    assert ranks(b.top(10)) == [(7, 1), (8, 2)]


def test_remove_and_missing_employee() -> None:
    b = three_way_tie()
    b.remove(3)
    b.remove(3)  # removing twice is fine
    b.remove(99)
    assert ranks(b.top(10)) == [(1, 1), (4, 2), (2, 2), (5, 4)]
    assert b.rank_of(3) is None
    assert b.score_of(3) is None
    assert b.around(3) == []
    assert b.entry_of(3) is None
    assert b.entry_of(5) == Entry(5, 80, at(0), 4)
    assert 4 in b
    assert 3 not in b


def test_around_in_the_middle_and_at_both_edges() -> None:
    b = Board()
    for e in range(1, 11):  # 1 leads with 100, 10 is last with 10
        b.set(e, 110 - 10 * e, at(e))
    assert [x.employee for x in b.around(5)] == [3, 4, 5, 6, 7]
    assert [x.employee for x in b.around(1)] == [1, 2, 3]
    assert [x.employee for x in b.around(2, before=3, after=1)] == [1, 2, 3]
    assert [x.employee for x in b.around(10)] == [8, 9, 10]
    assert [x.employee for x in b.around(9, before=0, after=5)] == [9, 10]
    assert [x.rank for x in b.around(10)] == [8, 9, 10]
    single = Board()
    single.set(42, 1, at(0))
    assert ranks(single.around(42)) == [(42, 1)]


def test_around_inside_a_tie_gives_the_shared_rank() -> None:
    b = three_way_tie()
    assert ranks(b.around(4, before=1, after=1)) == [(3, 2), (4, 2), (2, 2)]
    assert ranks(b.around(5, before=1, after=0)) == [(2, 2), (5, 5)]


def test_top_where_and_rank_where_with_a_filter() -> None:
    b = Board()
    scores = {1: 100, 2: 90, 3: 90, 4: 80, 5: 70, 6: 70, 7: 60}
    for e, s in scores.items():
        b.set(e, s, at(e))
    team = {2, 3, 5, 6, 7}
    for keep in (team.__contains__, team, frozenset(team)):
        assert ranks(b.top_where(10, keep)) == [(2, 1), (3, 1), (5, 3), (6, 3), (7, 5)]
        assert ranks(b.top_where(3, keep)) == [(2, 1), (3, 1), (5, 3)]
        assert [b.rank_where(e, keep) for e in (2, 3, 5, 6, 7)] == [1, 1, 3, 3, 5]
        # An employee outside the filter (e.g. hidden) still learns the rank they would have.
        assert b.rank_where(4, keep) == 3
        assert b.rank_where(99, keep) is None
        assert b.top_where(0, keep) == []
    assert b.top_where(5, set()) == []
    assert b.rank_where(7, set()) == 1
    hidden = {1, 3}
    assert ranks(b.top_where(4, lambda e: e not in hidden)) == [(2, 1), (4, 2), (5, 3), (6, 3)]

    earliest = Board("earliest")
    for e, s in scores.items():
        earliest.set(e, s, at(e))
    for keep in (team.__contains__, team):
        assert ranks(earliest.top_where(10, keep)) == [(2, 1), (3, 2), (5, 3), (6, 4), (7, 5)]
        assert [earliest.rank_where(e, keep) for e in (2, 3, 5, 6, 7, 4)] == [1, 2, 3, 4, 5, 3]


def test_collection_filter_falls_back_to_member_scan() -> None:
    """A small team at the bottom of a big board: the walk gives up and the members' keys are used."""
    b = Board()
    for e in range(1000):
        b.set(e, 10_000 - e, at(0))
    team = {997, 998, 999, 5}
    assert ranks(b.top_where(3, team)) == [(5, 1), (997, 2), (998, 3)]
    assert b.rank_where(999, team) == 4
    assert b.rank_where(999, team.__contains__) == 4


def test_iteration_is_a_snapshot_in_board_order() -> None:
    b = three_way_tie()
    assert [e.employee for e in b] == [1, 3, 4, 2, 5]


def _apply_ops(board: Board, model: dict[int, tuple[int, int]], ops: list[tuple]) -> None:
    for op, employee, value, when in ops:
        if op == "set":
            board.set(employee, value, when)
            model[employee] = (value, when)
        elif op == "add":
            board.add(employee, value, when)
            old = model.get(employee)
            model[employee] = (value, when) if old is None else (old[0] + value, max(old[1], when))
        else:
            board.remove(employee)
            model.pop(employee, None)


OPS = st.lists(
    st.tuples(
        st.sampled_from(["set", "add", "add", "remove"]),
        st.integers(0, 30),
        st.integers(-5, 5),  # small range: many ties, negatives and zero
        st.integers(0, 6),
    ),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(ops=OPS, ties=st.sampled_from(["shared", "earliest"]), team=st.sets(st.integers(0, 30)))
def test_property_matches_a_sorted_model(ops: list[tuple], ties: str, team: set[int]) -> None:
    board = Board(ties)
    model: dict[int, tuple[int, int]] = {}
    _apply_ops(board, model, ops)
    order = sorted(model, key=lambda e: (-model[e][0], model[e][1], e))
    assert [e.employee for e in board.top(len(model) + 5)] == order
    assert len(board) == len(model)
    for pos, e in enumerate(order, 1):
        higher = sum(1 for s, _ in model.values() if s > model[e][0])
        assert board.rank_of(e) == (1 + higher if ties == "shared" else pos)
        assert board.score_of(e) == model[e][0]
        window = board.around(e, 2, 2)
        assert [x.employee for x in window] == order[max(pos - 3, 0) : pos + 2]
        assert all(x.rank == board.rank_of(x.employee) for x in window)
    kept = [e for e in order if e in team]
    for keep in (team, team.__contains__):
        got = board.top_where(len(kept) + 1, keep)
        assert [x.employee for x in got] == kept
        for x in got:
            higher = sum(1 for k in kept if model[k][0] > x.score)
            assert x.rank == (1 + higher if ties == "shared" else kept.index(x.employee) + 1)
            assert board.rank_where(x.employee, keep) == x.rank


@settings(max_examples=100, deadline=None)
@given(ops=OPS, hidden=st.sets(st.integers(0, 30)), teams=st.integers(1, 4))
def test_property_boards_views_follow_apply(ops: list[tuple], hidden: set[int], teams: int) -> None:
    """Public and team views kept by Boards equal filtering the full board, after any sequence of batches."""
    boards = Boards(visible=lambda e: e not in hidden, team_of=lambda e: f"t{e % teams}")
    boards.replace("points", "p", [(1, 3, 0), (2, 3, 1), (30, -1, 2)])
    boards.apply({("points", "other", 1): [5, 0]})  # not loaded: ignored
    assert boards.get("points", "other") is None
    for op, employee, value, when in ops:
        if op == "remove":
            continue  # standings rows are never deleted by a batch
        boards.apply({("points", "p", employee): [value, when]})
    full = boards.get("points", "p")
    public = boards.public("points", "p")
    assert full is not None and public is not None
    assert public.top(100) == full.top_where(100, lambda e: e not in hidden)
    for t in range(teams):
        team = boards.team("points", "p", f"t{t}")
        expect = full.top_where(100, lambda e, t=t: e % teams == t)
        assert (team.top(100) if team else []) == expect
    # An employee unhides and changes team: refresh re-files them everywhere.
    if hidden:
        moved = min(hidden)
        hidden.discard(moved)
        boards.refresh(moved)
        assert public.top(100) == full.top_where(100, lambda e: e not in hidden)


def test_boards_apply_uses_standing_deltas_and_only_loaded_boards() -> None:
    boards = Boards(ties="shared")
    boards.replace("points", "2026-W45", [(1, 10, "2026-11-02 08:00:00+00:00")])
    deltas = StandingDeltas()
    deltas.add(1, ("2026-11-03", "2026-W45"), 5, "2026-11-03 09:00:00+00:00")
    deltas.add(2, ("2026-11-03", "2026-W45"), 20, "2026-11-03 10:00:00+00:00")
    boards.apply(dict(deltas.deltas))
    board = boards.get("points", "2026-W45")
    assert board is not None
    assert board.top(5) == [
        Entry(2, 20, "2026-11-03 10:00:00+00:00", 1),
        Entry(1, 15, "2026-11-03 09:00:00+00:00", 2),
    ]
    assert boards.get("points", "all") is None  # "all" was in the deltas but never loaded
    assert boards.public("points", "2026-W45") is board  # no visible(): one board serves both
    assert boards.loaded() == [("points", "2026-W45")]
    boards.drop("points", "2026-W45")
    assert boards.get("points", "2026-W45") is None


def test_boards_team_views_and_refresh() -> None:
    team_of = {1: "a", 2: "b", 3: "a", 4: None}
    hidden = {3}
    boards = Boards(visible=lambda e: e not in hidden, team_of=team_of.get)
    boards.replace("points", "all", [(1, 10, 0), (2, 30, 0), (3, 20, 0), (4, 5, 0)])
    a = boards.team("points", "all", "a")
    assert a is not None
    assert ranks(a.top(10)) == [(3, 1), (1, 2)]  # team boards hold every member ...
    assert ranks(a.top_where(10, lambda e: e not in hidden)) == [(1, 1)]  # ... the page filters
    public = boards.public("points", "all")
    assert public is not None
    assert ranks(public.top(10)) == [(2, 1), (1, 2), (4, 3)]
    assert public.rank_of(3) is None
    full = boards.get("points", "all")
    assert (
        full is not None and full.rank_of(3) == 2
    )  # the hidden employee still sees their own rank
    boards.apply({("points", "all", 5): [7, 1]})  # a new employee, no team
    assert boards.team("points", "all", "c") is None
    team_of[1], hidden = "b", set()
    boards.visible = lambda e: True
    boards.refresh(1)
    boards.refresh(3)
    b = boards.team("points", "all", "b")
    assert b is not None
    assert ranks(b.top(10)) == [(2, 1), (1, 2)]
    assert ranks(a.top(10)) == [(3, 1)]
    assert ranks(public.top(10)) == [(2, 1), (3, 2), (1, 3), (5, 4), (4, 5)]


def test_load_from_sqlite_matches_sql_order(tmp_path: Path) -> None:
    db = open_database(DatabaseConfig(url=f"sqlite:///{tmp_path}/x.sqlite"))
    try:
        n = 300
        db.executemany(
            'INSERT INTO "employee" (id, external_id, name, team, department, locale, pilot_group, '
            "visibility, active, created_at) VALUES (?, ?, ?, 't', '', '', 0, 'public', 1, ?)",
            [(i, f"e{i}", f"Employee {i}", db.ts(T0)) for i in range(1, n + 1)],
        )
        rows = [
            # Many ties (score from a small range), negatives, and equal times among some of the tied.
            ("points", "2026-W45", i, (i * 37) % 23 - 5, db.ts(at((i * 11) % 7)))
            for i in range(1, n + 1)
        ]
        rows += [("points", "2026-11", i, i, db.ts(at(0))) for i in range(1, 50)]
        rows += [("other", "2026-W45", i, 1000 + i, db.ts(at(0))) for i in range(1, 50)]
        db.executemany(
            'INSERT INTO "standing" (board, period, employee, score, reached_at) '
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        boards = Boards()
        boards.replace("points", "2026-W45", [(1, 10**6, "z")])  # load replaces what is there
        boards.load(db, ["2026-W45", "2026-11"])
        board = boards.get("points", "2026-W45")
        assert board is not None and len(board) == n
        expected = db.query(
            'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ? '
            "ORDER BY score DESC, reached_at, employee",
            ("points", "2026-W45"),
        )
        got = board.top(n)
        assert [(e.employee, e.score, e.reached_at) for e in got] == [tuple(r) for r in expected]
        for e in got[:: n // 30]:
            (higher,) = db.query(
                'SELECT COUNT(*) FROM "standing" WHERE board = ? AND period = ? AND score > ?',
                ("points", "2026-W45", e.score),
            )[0]
            assert e.rank == board.rank_of(e.employee) == higher + 1
        month = boards.get("points", "2026-11")
        assert month is not None and len(month) == 49 and month.top(1)[0].employee == 49
        assert boards.get("other", "2026-W45") is None
    finally:
        db.close()


def _standings_db(tmp_path: Path, scores: dict[int, int]):
    db = open_database(DatabaseConfig(url=f"sqlite:///{tmp_path}/w.sqlite"))
    db.executemany(
        'INSERT INTO "employee" (id, external_id, name, team, department, locale, pilot_group, '
        "visibility, active, created_at) VALUES (?, ?, ?, 't', '', '', 0, 'public', 1, ?)",
        [(i, f"e{i}", f"Employee {i}", db.ts(T0)) for i in scores],
    )
    db.executemany(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        [("points", "all", e, s, db.ts(T0)) for e, s in scores.items()],
    )
    return db


def test_a_load_waits_for_a_committed_batch_to_be_applied(tmp_path: Path) -> None:
    """A board read between a commit and its apply would count the batch twice: the load must wait."""
    db = _standings_db(tmp_path, {1: 10, 2: 20})
    reader = open_database(DatabaseConfig(url=f"sqlite:///{tmp_path}/w.sqlite", migrate=False))
    boards = Boards()
    committed, loaded = threading.Event(), threading.Event()

    def load() -> None:
        committed.wait(5)
        boards.ensure(reader, "points", "all")
        loaded.set()

    loader = threading.Thread(target=load)
    loader.start()
    try:
        with boards.writing:  # what the worker holds around a batch
            deltas = StandingDeltas()
            deltas.add(1, (), 15, db.ts(at(5)))
            with db.transaction():
                deltas.write(db)
            committed.set()
            # The commit is visible in SQL, the boards have not applied it: a load now would see it.
            assert not loaded.wait(0.3), "the board was loaded between a commit and its apply"
            boards.apply(dict(deltas.deltas))  # not loaded yet: skipped; the load reads it from SQL
        assert loaded.wait(5)
    finally:
        loader.join(5)
        reader.close()
        db.close()
    board = boards.get("points", "all")
    assert board is not None
    assert [(e.employee, e.score) for e in board.top(5)] == [(1, 25), (2, 20)]


def test_concurrent_first_readers_load_a_board_once(tmp_path: Path) -> None:
    db = _standings_db(tmp_path, {i: i for i in range(1, 200)})
    boards = Boards()
    calls = 0
    replace = boards.replace

    def counted(*args: object) -> None:
        nonlocal calls
        calls += 1
        time.sleep(0.05)  # a slow load, so the other readers arrive while it runs
        replace(*args)  # type: ignore[arg-type]

    boards.replace = counted  # type: ignore[method-assign]
    url = f"sqlite:///{tmp_path}/w.sqlite"
    readers = [open_database(DatabaseConfig(url=url, migrate=False)) for _ in range(4)]
    threads = [threading.Thread(target=boards.ensure, args=(r, "points", "all")) for r in readers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    for r in readers:
        r.close()
    db.close()
    assert calls == 1
    board = boards.get("points", "all")
    assert board is not None and len(board) == 199


def test_keep_loads_the_current_periods_and_forgets_the_others(tmp_path: Path) -> None:
    db = _standings_db(tmp_path, {1: 10, 2: 20})
    db.executemany(
        'INSERT INTO "standing" (board, period, employee, score, reached_at) VALUES (?, ?, ?, ?, ?)',
        [("points", "2026-W48", 1, 5, db.ts(T0)), ("points", "2026-W47", 2, 7, db.ts(T0))],
    )
    boards = Boards(visible=lambda e: e != 2)
    boards.load(db, ["2026-W47"])  # last week, looked at once
    boards.keep(db, ["2026-W48", "all"])
    assert sorted(boards.loaded()) == [("points", "2026-W48"), ("points", "all")]
    full, public, _ = boards.views(lambda: db, "points", "all")
    assert [e.employee for e in full.top(5)] == [2, 1] and [e.employee for e in public.top(5)] == [
        1
    ]
    # A past period asked for again is loaded again, with its public view (never the full board in its place).
    full, public, _ = boards.views(lambda: db, "points", "2026-W47")
    assert [e.employee for e in full.top(5)] == [2] and public.top(5) == []
    db.close()
