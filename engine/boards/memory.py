"""In-memory leaderboards for the embedded default: top N, rank of one employee and around-me in O(log n).

Why: the API answers "top 10 + my rank + my neighbours" within 5 ms p99 at 100,000 employees. In SQL the top
10 is cheap but a rank is a COUNT of higher scores (5-12 ms, growing with the rank), so each live board and
period is kept here as an order-statistics structure: a ``SortedList`` of keys ``(-score, reached_at,
employee)`` plus a dict employee -> key. Rank, neighbours and updates are bisections in microseconds.

SQL stays the source of truth: :meth:`Boards.load` fills a board from the ``standing`` table, and the
in-process worker hands every committed batch's :class:`~engine.boards.standings.StandingDeltas` to
:meth:`Boards.apply`. Losing this cache loses nothing; loading it again repairs any drift.

A load must not fall between a commit and its ``apply``: the standings it reads would hold the batch already
and ``apply`` would count it twice (or a board installed after the ``apply`` would miss it). So whoever commits
standings holds :attr:`Boards.writing` from before the commit until after ``apply``, and a load holds it too.

Ranking: higher score first; among equal scores, earlier ``reached_at`` first, then lower employee id.
``ties="shared"`` is standard competition ranking ("1224": equals share the rank of the first of them, as
:mod:`engine.boards.sql` ranks in SQL); ``ties="earliest"`` gives unique ranks by position ("1234").

Filtered views (a team, everyone but hidden employees) come in two forms:

* ``Board.top_where`` / ``Board.rank_where`` with a predicate walk from the top: cost grows with how far down
  the walk goes. Given a collection of ids instead (a team's member set), they cost at most O(team size).
* :class:`Boards` keeps a ``public`` board (only employees ``visible()`` accepts) and, given ``team_of``, one
  board per team, updated with the full board (same key tuples, so the extra memory is pointers): every
  company or team view is then O(log n) too.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import Any

from sortedcontainers import SortedList

from engine.defaults import BOARD_POINTS
from engine.storage.database import Database

__all__ = ["TIES", "Board", "Boards", "Entry", "Keep"]

#: Tie policies: ``shared`` ranks 1224, ``earliest`` ranks 1234 (earlier reached_at first, then employee id).
TIES = ("shared", "earliest")

#: A filter for the ``*_where`` methods: a predicate on employee ids, or a collection of the ids to keep
#: (a collection lets the board choose the cheaper of walking from the top and scanning the members).
Keep = Callable[[int], bool] | Collection[int]

# A key sorts like the board: (-score, reached_at, employee). Unique per employee, so positions are exact.
Key = tuple[int, Any, int]
_EMPLOYEE = itemgetter(2)


@dataclass(frozen=True, slots=True)
class Entry:
    """One employee on a board, with the rank the board's tie policy gives."""

    employee: int
    score: int
    #: When the score was reached (a datetime or the database's text form); earlier wins among equal scores.
    reached_at: Any
    rank: int


class Board:
    """One board and period (e.g. points / 2026-W45) for everyone; filtered views for teams.

    Thread-safe: the in-process worker may apply a batch while the API reads. Every ``reached_at`` on one
    board must be of one comparable type (all datetimes, or all the database's text form).
    """

    __slots__ = ("_keys", "_lock", "_shared", "_sorted", "ties")

    def __init__(self, ties: str = "shared") -> None:
        if ties not in TIES:
            raise ValueError(f"ties: expected one of {', '.join(TIES)}, got {ties!r}")
        self.ties = ties
        self._shared = ties == "shared"
        self._sorted: SortedList = SortedList()
        self._keys: dict[int, Key] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, Any]], ties: str = "shared") -> Board:
        """A board from ``(employee, score, reached_at)`` rows: one sort instead of n insertions.

        A repeated employee keeps its last row (as successive :meth:`set` calls would).
        """
        board = cls(ties)
        keys = {employee: (-score, reached_at, employee) for employee, score, reached_at in rows}
        board._keys = keys
        board._sorted = SortedList(keys.values())
        return board

    # -- changes ------------------------------------------------------------------------------------------
    def set(self, employee: int, score: int, reached_at: Any) -> None:
        """Set an absolute score; the same call twice has the effect of once."""
        with self._lock:
            self._store(employee, (-score, reached_at, employee))

    def add(self, employee: int, delta: int, reached_at: Any) -> None:
        """``score += delta`` and ``reached_at = max(...)``, as the SQL upsert of the standings does."""
        with self._lock:
            self._add(employee, delta, reached_at)

    def remove(self, employee: int) -> None:
        """Take an employee off the board; a missing one is not an error (removal is idempotent)."""
        with self._lock:
            self._discard(employee)

    # Unlocked helpers, also used by Boards to file one key tuple in several boards.
    def _store(self, employee: int, key: Key) -> None:
        old = self._keys.get(employee)
        if old == key:
            return
        if old is not None:
            self._sorted.remove(old)
        self._sorted.add(key)
        self._keys[employee] = key

    def _add(self, employee: int, delta: int, reached_at: Any) -> Key:
        old = self._keys.get(employee)
        if old is None:
            key = (-delta, reached_at, employee)
        else:
            key = (old[0] - delta, reached_at if reached_at > old[1] else old[1], employee)
        self._store(employee, key)
        return key

    def _discard(self, employee: int) -> None:
        old = self._keys.pop(employee, None)
        if old is not None:
            self._sorted.remove(old)

    # -- reads --------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, employee: object) -> bool:
        return employee in self._keys

    def score_of(self, employee: int) -> int | None:
        key = self._keys.get(employee)
        return None if key is None else -key[0]

    def entry_of(self, employee: int) -> Entry | None:
        """The employee's own line (score, reached_at, rank), or None when not on the board."""
        with self._lock:
            key = self._keys.get(employee)
            return None if key is None else Entry(employee, -key[0], key[1], self._rank(key))

    def rank_of(self, employee: int) -> int | None:
        """Rank per the tie policy, O(log n); None when the employee is not on the board."""
        with self._lock:
            key = self._keys.get(employee)
            return None if key is None else self._rank(key)

    def rank_if(self, score: int, reached_at: Any, employee: int) -> int:
        """The rank someone not on this board would have with this score: a hidden employee's place among
        the visible ones, O(log n)."""
        with self._lock:
            return self._rank((-score, reached_at, employee))

    def _rank(self, key: Key) -> int:
        # (-score,) sorts before every key with that score: its insertion point counts the higher scores.
        probe = (key[0],) if self._shared else key
        return self._sorted.bisect_left(probe) + 1

    def top(self, n: int, offset: int = 0) -> list[Entry]:
        """``n`` entries from position ``offset`` (0 = the leader), O(log n + n)."""
        with self._lock:
            return self._entries(max(offset, 0), max(offset, 0) + max(n, 0))

    def around(self, employee: int, before: int = 2, after: int = 2) -> list[Entry]:
        """The employee with up to ``before`` entries above and ``after`` below, O(log n).

        At the edges of the board the window is cut, not shifted: the leader gets ``after + 1`` entries.
        Empty when the employee is not on the board.
        """
        with self._lock:
            key = self._keys.get(employee)
            if key is None:
                return []
            at = self._sorted.bisect_left(key)
            return self._entries(max(at - max(before, 0), 0), at + max(after, 0) + 1)

    def _entries(self, start: int, stop: int) -> list[Entry]:
        keys = self._sorted[start:stop]
        if not keys:
            return []
        out: list[Entry] = []
        # Only the first entry needs a bisection: after it, a new score's rank is its position.
        rank = self._rank(keys[0])
        prev = keys[0][0]
        for pos, key in enumerate(keys, start + 1):
            if key[0] != prev or not self._shared:
                rank, prev = pos, key[0]
            out.append(Entry(key[2], -key[0], key[1], rank))
        return out

    def __iter__(self) -> Iterator[Entry]:
        """Every entry in board order (a snapshot: safe while the board changes)."""
        with self._lock:
            entries = self._entries(0, len(self._sorted))
        return iter(entries)

    # -- filtered views -----------------------------------------------------------------------------------
    def top_where(self, n: int, keep: Keep) -> list[Entry]:
        """The first ``n`` kept entries, ranked among the kept ones only (per the tie policy).

        With a predicate this walks from the top: O(position of the n-th kept entry), so cheap for filters
        that keep most employees (everyone but the hidden) and up to O(board) for a small, low-ranked team.
        With a collection of ids the walk stops after ``len(keep)`` steps and the members' own keys are
        taken instead: O(min(walk, team size · log n)).
        """
        if n <= 0:
            return []
        members: Collection[int] | None
        test: Callable[[int], bool]
        if isinstance(keep, Collection):
            members, test = keep, keep.__contains__
        else:
            members, test = None, keep
        budget = len(members) if members is not None else -1
        with self._lock:
            picked: list[Key] = []
            for step, key in enumerate(self._sorted):
                if members is not None and step == budget:
                    keys = self._keys
                    picked = heapq.nsmallest(n, (keys[e] for e in members if e in keys))
                    break
                if test(key[2]):
                    picked.append(key)
                    if len(picked) == n:
                        break
        out: list[Entry] = []
        prev: Entry | None = None
        for pos, key in enumerate(picked, 1):
            # All kept entries with a higher score come before this one, so the position is the rank
            # unless it ties the previous kept entry (shared policy).
            rank = prev.rank if self._shared and prev and prev.score == -key[0] else pos
            prev = Entry(key[2], -key[0], key[1], rank)
            out.append(prev)
        return out

    def rank_where(self, employee: int, keep: Keep) -> int | None:
        """The employee's rank among the kept ones (counting the employee even if ``keep`` rejects them).

        So a hidden employee still learns the rank they would have on their team's board. None when not on
        the board. With a predicate: O(employee's position) calls of ``keep``; with a collection of ids:
        O(min(position, team size)).
        """
        with self._lock:
            key = self._keys.get(employee)
            if key is None:
                return None
            bound: tuple[Any, ...] = (key[0],) if self._shared else key
            above = self._sorted.bisect_left(bound)  # entries ranked strictly ahead of the employee
            if isinstance(keep, Collection) and len(keep) < above:
                keys = self._keys
                return 1 + sum(
                    1
                    for e in keep
                    if e != employee and (k := keys.get(e)) is not None and k < bound
                )
            test = keep.__contains__ if isinstance(keep, Collection) else keep
            # map() keeps the walk in C but for the predicate itself: ~2x a generator expression.
            return 1 + sum(map(bool, map(test, map(_EMPLOYEE, islice(self._sorted, above)))))


class Boards:
    """All live boards of a process, keyed by (board, period), with their public and per-team views.

    * :meth:`get` is everyone (an employee's own rank, whatever their visibility).
    * :meth:`public` holds only employees ``visible()`` accepts (none given: the same board as :meth:`get`).
    * :meth:`team` (when ``team_of`` is given) holds the members of one team, every visibility: a team page
      filters hidden members with ``top_where``, cheap on a board of team size.

    ``visible`` and ``team_of`` are read when a board is loaded and when an employee's score changes; call
    :meth:`refresh` when an employee's visibility or team changes otherwise.
    """

    def __init__(
        self,
        ties: str = "shared",
        visible: Callable[[int], bool] | None = None,
        team_of: Callable[[int], str | None] | None = None,
    ) -> None:
        if ties not in TIES:
            raise ValueError(f"ties: expected one of {', '.join(TIES)}, got {ties!r}")
        self.ties = ties
        self.visible = visible
        self.team_of = team_of
        self._all: dict[tuple[str, str], Board] = {}
        self._public: dict[tuple[str, str], Board] = {}
        self._teams: dict[tuple[str, str], dict[str, Board]] = {}
        # Serializes writers (load, apply, refresh) so the views of one board never diverge.
        self._write = threading.Lock()
        #: Held from a commit that changes standings until its deltas are applied, and by a load: a board is
        #: read either before such a commit or after its apply, never between (see the module's docstring).
        self.writing = threading.RLock()

    def load(self, db: Database, periods: Iterable[str], board: str = BOARD_POINTS) -> None:
        """Read each period's standings (one SELECT per period) and replace what is loaded for it.

        The new boards are built aside and swapped in, so readers see the old or the new, never a mix. Each
        period is read under :attr:`writing`: a batch committing meanwhile waits for it (about a second at
        100,000 employees).
        """
        for period in periods:
            with self.writing:
                rows = db.query(
                    'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ?',
                    (board, period),
                )
                self.replace(board, period, rows)

    def replace(self, board: str, period: str, rows: Iterable[tuple[int, int, Any]]) -> None:
        """Install a board from ``(employee, score, reached_at)`` rows (what :meth:`load` does per period)."""
        full = Board.from_rows(((int(e), int(s), at) for e, s, at in rows), self.ties)
        public = full
        if self.visible is not None:
            visible = self.visible
            public = Board(self.ties)
            public._keys = {e: k for e, k in full._keys.items() if visible(e)}
            public._sorted = SortedList(public._keys.values())
        teams: dict[str, Board] = {}
        if self.team_of is not None:
            members: dict[str, dict[int, Key]] = {}
            team_of = self.team_of
            for e, k in full._keys.items():
                team = team_of(e)
                if team is not None:
                    members.setdefault(team, {})[e] = k
            for team, keys in members.items():
                teams[team] = b = Board(self.ties)
                b._keys = keys
                b._sorted = SortedList(keys.values())
        with self._write:
            self._all[board, period] = full
            self._public[board, period] = public
            self._teams[board, period] = teams

    def apply(self, deltas: dict[tuple[str, str, int], list[Any]]) -> None:
        """Apply a committed batch's ``StandingDeltas.deltas``: ``(board, period, employee) -> [points, at]``.

        Only boards already loaded change; a period nobody asked about stays in SQL until loaded. Deltas add
        up (unlike the absolute ``set``), so call this exactly once per batch, after its transaction commits: a
        rolled-back batch must not reach the cache. If in doubt, :meth:`load` again.
        """
        visible, team_of = self.visible, self.team_of
        with self._write:
            for (board, period, employee), (points, at) in deltas.items():
                full = self._all.get((board, period))
                if full is None:
                    continue
                with full._lock:
                    key = full._add(employee, points, at)
                public = self._public[board, period]
                if public is not full:
                    with public._lock:
                        if visible is None or visible(employee):
                            public._store(employee, key)
                        else:
                            public._discard(employee)
                if team_of is not None:
                    team = team_of(employee)
                    if team is not None:
                        self._file_in_team(board, period, team, employee, key)

    def _file_in_team(self, board: str, period: str, team: str, employee: int, key: Key) -> None:
        teams = self._teams[board, period]
        b = teams.get(team)
        if b is None:
            teams[team] = b = Board(self.ties)
        with b._lock:
            b._store(employee, key)

    def refresh(self, employee: int) -> None:
        """Re-file an employee after their visibility or team changed (O(teams) per loaded board)."""
        with self._write:
            for (board, period), full in self._all.items():
                key = full._keys.get(employee)
                public = self._public[board, period]
                if public is not full and self.visible is not None:
                    with public._lock:
                        if key is not None and self.visible(employee):
                            public._store(employee, key)
                        else:
                            public._discard(employee)
                if self.team_of is None:
                    continue
                team = self.team_of(employee)
                for name, b in self._teams[board, period].items():
                    if name != team and employee in b:
                        with b._lock:
                            b._discard(employee)
                if key is not None and team is not None:
                    self._file_in_team(board, period, team, employee, key)

    def ensure(self, db: Database, board: str, period: str) -> Board:
        """The full board, loaded from the standings on first use (once, however many ask at the same time)."""
        full = self._all.get((board, period))
        if full is None:
            with self.writing:
                full = self._all.get((board, period))
                if full is None:
                    self.load(db, [period], board)
                    full = self._all[board, period]
        return full

    def views(
        self, db: Callable[[], Database], board: str, period: str
    ) -> tuple[Board, Board, dict[str, Board]]:
        """Everyone, the public view and the team boards of one period, read together (a :meth:`drop` in
        between cannot pair the full board with no public view); loaded on first use from ``db()``."""
        key = (board, period)
        while True:
            with self._write:
                if key in self._all:
                    return self._all[key], self._public[key], self._teams[key]
            self.ensure(db(), board, period)

    def keep(self, db: Database, periods: Iterable[str], board: str = BOARD_POINTS) -> None:
        """Hold these periods' boards: load the ones not loaded yet (so their first reader does not wait) and
        forget every other period (yesterday's day board, a past month someone looked at), which would
        otherwise stay in memory for the life of the process; SQL answers for them when asked again."""
        wanted = list(periods)
        for period in wanted:
            self.ensure(db, board, period)
        for key in self.loaded():
            if key[1] not in wanted:
                self.drop(*key)

    def clear(self) -> None:
        """Forget every board: the next request loads from SQL (after a replay or a CLI run elsewhere)."""
        with self._write:
            self._all.clear()
            self._public.clear()
            self._teams.clear()

    def drop(self, board: str, period: str) -> None:
        """Forget a board (e.g. yesterday's day board); its standings stay in SQL."""
        with self._write:
            self._all.pop((board, period), None)
            self._public.pop((board, period), None)
            self._teams.pop((board, period), None)

    def loaded(self) -> list[tuple[str, str]]:
        """The (board, period) pairs held in memory."""
        return list(self._all)

    def get(self, board: str, period: str) -> Board | None:
        """Everyone on the board (None when not loaded: ask SQL, or load it)."""
        return self._all.get((board, period))

    def public(self, board: str, period: str) -> Board | None:
        """Only the employees ``visible()`` accepts: the company board as others see it."""
        return self._public.get((board, period))

    def team(self, board: str, period: str, team: str) -> Board | None:
        """One team's members (needs ``team_of``); None when the board is not loaded or the team never scored."""
        teams = self._teams.get((board, period))
        return None if teams is None else teams.get(team)
