"""Leaderboards in Redis sorted sets for the scaled setup: one ZSET per (board, period), members = employee ids.

Why Redis: several API processes and RQ workers on several machines share the boards, and a rank in SQL is a
COUNT of higher scores (5-12 ms at 100k employees). A ZSET answers top N, rank and around-me in O(log n).

Redis holds only what can be rebuilt: the ``standing`` table is the source of truth. Workers call
:meth:`RedisBoards.publish` after a batch's transaction commits; it writes ABSOLUTE scores read back from the
standings (ZADD, never ZINCRBY), so a publish retried, repeated or reordered cannot drift. Publishes of one
employee stay in order because workers are sharded per employee; anything else that slips through (a worker
killed between commit and publish, a lost Redis) is repaired by :meth:`RedisBoards.rebuild` (``plaudit
leaderboards rebuild``) or :meth:`RedisBoards.reconcile`.

The ZSET score encodes points and when they were reached (Redis scores are doubles: integers are exact up to
2**53): score = points * 2**31 + (2**31 - 1 - seconds since 2020-01-01 UTC of reached_at), so among equal
points the earlier reached_at sorts higher, as on the in-memory boards. Limits: reached_at is counted in whole
seconds from 2020-01-01 to 2088-01-19 (clamped outside; two employees who reached equal points within the same
second fall back to reverse lexicographic member order); points must lie in [-2**22, 2**22 - 1] (±4,194,304)
for the score to stay within 2**53. A score outside that range is written as points * 2**31 alone (exact,
still ordered and decodable, but without the time tie-break) and a warning is logged. The tie policies:

* ``shared`` ("1224", as :mod:`engine.boards.memory` and :mod:`engine.boards.sql`): rank = 1 + ZCOUNT of the
  scores at or above (points + 1) * 2**31, i.e. of strictly more points.
* ``earliest`` ("1234"): rank = position (ZREVRANK + 1).

Reads (:meth:`RedisBoards.top`, ``rank``, ``around``, ``page``) are each ONE round trip: a read-only Lua
script running ZREVRANGE / ZREVRANK / ZSCORE / ZCOUNT next to the data, because a shared rank needs the
member's score before its ZCOUNT and around-me needs its position before its ZREVRANGE, which plain pipelined
commands can only do in two round trips. Reads raise :class:`redis.RedisError` when Redis is unreachable; the
caller then answers from SQL with :func:`sql_top` / :func:`sql_rank`.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import redis

from engine.boards.memory import TIES
from engine.defaults import BOARD_POINTS
from engine.storage.database import Database

__all__ = [
    "EARLIEST_POINTS_MAX",
    "EARLIEST_POINTS_MIN",
    "PUBLIC",
    "REACHED_EPOCH",
    "RedisBoards",
    "Row",
    "sql_members",
    "sql_rank",
    "sql_team_totals",
    "sql_top",
    "team_view",
]

log = logging.getLogger(__name__)

#: Origin of the earliest policy's time tie-break: reached_at in whole seconds since then, 31 bits.
REACHED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_TIME_BITS = 31
_TIME_SPAN = 1 << _TIME_BITS  # score = points * _TIME_SPAN + (_TIME_SPAN - 1 - seconds)
_TIME_MAX = _TIME_SPAN - 1
_EXACT = 1 << 53  # doubles hold every integer in [-2**53, 2**53]
#: Points the earliest policy encodes exactly with its time tie-break: (points + 1) * 2**31 <= 2**53.
EARLIEST_POINTS_MAX = _EXACT // _TIME_SPAN - 1
EARLIEST_POINTS_MIN = -(_EXACT // _TIME_SPAN)

#: Members per ZADD when rebuilding or reconciling: large enough to amortize round trips, small enough not to
#: block Redis for long (10k members ≈ 10 ms of server time).
CHUNK = 10_000
#: How long a worker holds (and waits for) the lock that lets one process rebuild a missing board.
REBUILD_LOCK_SECONDS = 60

# Top ``n`` from ``offset`` of KEYS[1] (a board or one of its views), then the member's score and rank and
# the window around it, in one call. A member not in the view takes its score from KEYS[2] (the full board) and
# gets the rank it would have in the view: a hidden employee's place among the visible ones.
# ARGV: member ('' = none), n, offset, before (-1 = no window), after, shared ('1' or '0').
# Returns {top, top_first_rank, score, rank, window_start, window, window_first_rank, present}; absent parts
# are false (nil) or empty; present = whether the full board exists at all. Scores travel as Redis's own
# strings (%.17g: exact for doubles) to keep precision.
_PAGE_LUA = """
local key, member = KEYS[1], ARGV[1]
local n, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local before, after = tonumber(ARGV[4]), tonumber(ARGV[5])
local shared = ARGV[6] == '1'
local span = 2147483648
-- Entries ranked strictly ahead of a score: with shared ranks, those with more points.
local function ahead(score)
  if shared then
    local bound = (math.floor(tonumber(score) / span) + 1) * span
    return redis.call('ZCOUNT', key, string.format('%.17g', bound), '+inf')
  end
  return redis.call('ZCOUNT', key, '(' .. score, '+inf')
end
local function first_rank(pos, score)
  if shared then return ahead(score) + 1 end
  return pos + 1
end
local top, top_rank = {}, false
if n > 0 then
  top = redis.call('ZREVRANGE', key, offset, offset + n - 1, 'WITHSCORES')
  if #top > 0 then top_rank = first_rank(offset, top[2]) end
end
local score, rank, start, window, window_rank = false, false, false, {}, false
if member ~= '' then
  score = redis.call('ZSCORE', key, member)
  if score then
    local pos = redis.call('ZREVRANK', key, member)
    rank = first_rank(pos, score)
    if before >= 0 then
      start = math.max(pos - before, 0)
      window = redis.call('ZREVRANGE', key, start, pos + after, 'WITHSCORES')
      window_rank = first_rank(start, window[2])
    end
  elseif KEYS[2] ~= key then
    score = redis.call('ZSCORE', KEYS[2], member)
    if score then rank = ahead(score) + 1 end
  end
end
return {top, top_rank, score, rank, start, window, window_rank, redis.call('EXISTS', KEYS[2])}
"""

#: An entry as the API shows it: (employee_id, score, rank).
Row = tuple[int, int, int]

#: The view of everyone whose visibility is public (and who is active): the company board as others see it.
PUBLIC = "public"


def team_view(team: str) -> str:
    """The view of one team's active members, every visibility (the page filters hidden ones)."""
    return f"team:{team}"


def _views(active: Any, visibility: str, team: str) -> list[str]:
    """The views an employee belongs on, as engine.boards.memory.Boards files them (``visible`` and ``team_of``)."""
    if not active:
        return []
    views = [PUBLIC] if visibility == "public" else []
    if team:
        views.append(team_view(team))
    return views


#: An absent board reads as empty.
_EMPTY: tuple[list[Row], None, list[Row]] = ([], None, [])


class RedisBoards:
    """Leaderboards in Redis sorted sets: per (board, period) the full ZSET, its ``public`` view and one view
    per team, members = employee ids.

    Written after the database commit with ABSOLUTE scores read from the standings (ZADD, never ZINCRBY), so a
    retried or reordered write cannot drift; the tie policy is encoded in the ZSET score. A board is either
    complete in Redis or absent: :meth:`publish` rebuilds a board it finds missing (Redis restarted empty),
    and readers answer an absent board from SQL.
    """

    def __init__(
        self, client: redis.Redis, ties: str = "shared", prefix: str = "plaudit:board:"
    ) -> None:
        if ties not in TIES:
            raise ValueError(f"ties: expected one of {', '.join(TIES)}, got {ties!r}")
        self.client = client
        self.ties = ties
        self.prefix = prefix
        self._shared = ties == "shared"
        # EVALSHA; on NOSCRIPT (a restarted Redis) redis-py loads the script and retries once.
        self._page_script = client.register_script(_PAGE_LUA)

    @classmethod
    def from_url(cls, url: str, ties: str = "shared") -> RedisBoards:
        """Boards on the Redis at ``url`` (``REDIS_URL``), with short timeouts so a dead Redis is noticed
        quickly and the API can fall back to SQL."""
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2.0)
        return cls(client, ties)

    def key(self, board: str, period: str, view: str | None = None) -> str:
        """The ZSET of one board and period (``plaudit:board:points:2026-W45``) or of one of its views
        (``…:2026-W45:public``, ``…:2026-W45:team:Sales``)."""
        base = f"{self.prefix}{board}:{period}"
        return base if view is None else f"{base}:{view}"

    # -- score encoding -----------------------------------------------------------------------------------
    def encode(self, points: int, reached_at: Any) -> int:
        """The ZSET score of ``points`` reached at ``reached_at`` (a datetime or the database's text form)."""
        points = int(points)
        if not EARLIEST_POINTS_MIN <= points <= EARLIEST_POINTS_MAX:
            log.warning(
                "leaderboard score %d is outside ±2**22: stored without its reached_at tie-break",
                points,
            )
            return points * _TIME_SPAN
        seconds = int((Database.read_ts(reached_at) - REACHED_EPOCH).total_seconds())
        return points * _TIME_SPAN + (_TIME_MAX - min(max(seconds, 0), _TIME_MAX))

    def decode(self, score: float | bytes | str) -> int:
        """Points back from a ZSET score (floor division: the time part is never negative)."""
        value = int(float(score))
        return value // _TIME_SPAN

    # -- writes -------------------------------------------------------------------------------------------
    def _expected(
        self,
        db: Database,
        board: str,
        period: str,
        employees: Sequence[int] | None = None,
        people: dict[int, tuple[Any, str, str]] | None = None,
    ) -> tuple[dict[str | None, dict[int, int]], list[int]]:
        """What the ZSETs of one board and period hold per the standings: ``{view: {member: score}}`` (view
        None is the full board), for ``employees`` only when given (their ``people``: (active, visibility,
        team), read once per batch by :meth:`publish`); and those of ``employees`` without a standing."""
        if employees is None:
            rows = db.query(
                "SELECT s.employee, s.score, s.reached_at, e.active, e.visibility, e.team "
                'FROM "standing" s LEFT JOIN "employee" e ON e.id = s.employee '
                "WHERE s.board = ? AND s.period = ?",
                (board, period),
            )
        else:
            # No join here: PostgreSQL plans one over the whole employee table (30 ms at 100k employees).
            people = people or {}
            rows = [
                (e, score, at, *people.get(int(e), (None, "", "")))
                for e, score, at in db.query_in(
                    'SELECT employee, score, reached_at FROM "standing" '
                    "WHERE board = ? AND period = ? AND employee IN ({in})",
                    employees,
                    prefix=(board, period),
                )
            ]
        views: dict[str | None, dict[int, int]] = {None: {}}
        for employee, score, reached_at, active, visibility, team in rows:
            encoded = self.encode(score, reached_at)
            views[None][int(employee)] = encoded
            for view in _views(active, visibility, team):
                views.setdefault(view, {})[int(employee)] = encoded
        gone = [] if employees is None else [e for e in employees if e not in views[None]]
        return views, gone

    @staticmethod
    def _people(db: Database, employees: Iterable[int]) -> dict[int, tuple[Any, str, str]]:
        """(active, visibility, team) of some employees: which views they belong on."""
        return {
            int(i): (active, visibility, team)
            for i, active, visibility, team in db.query_in(
                'SELECT id, active, visibility, team FROM "employee" WHERE id IN ({in})',
                sorted(set(employees)),
            )
        }

    def publish(self, db: Database, deltas: dict[tuple[str, str, int], list[Any]]) -> int:
        """After a batch committed: write the absolute standings of exactly the deltas' keys; returns members
        written.

        One SELECT per (board, period) reads the scores back (the deltas alone would need ZINCRBY, which
        drifts on a retry), then ONE pipeline carries the ZADDs of every ZSET. A key without a standing row
        (its batch rolled back, or the standing was deleted) is removed. A board absent from Redis is rebuilt
        whole instead (by one process at a time), so Redis never holds a partial board. Idempotent.
        """
        employees_of: dict[tuple[str, str], list[int]] = defaultdict(list)
        for board, period, employee in deltas:
            employees_of[board, period].append(employee)
        if not employees_of:
            return 0
        check = self.client.pipeline(transaction=False)
        for board, period in employees_of:
            check.exists(self.key(board, period))
        present = check.execute()
        pipe = self.client.pipeline(transaction=False)
        written = 0
        people: dict[int, tuple[Any, str, str]] | None = None
        for ((board, period), employees), exists in zip(employees_of.items(), present, strict=True):
            rebuilt = None if exists else self._rebuild_once(db, board, period)
            if rebuilt is not None:
                written += rebuilt
                continue
            if people is None:
                people = self._people(db, (e for _, _, e in deltas))
            views, gone = self._expected(db, board, period, employees, people)
            for view, scores in views.items():
                for chunk in _chunks(list(scores.items()), CHUNK):
                    pipe.zadd(self.key(board, period, view), dict(chunk))
            pipe.sadd(self.views_key(board, period), *(self.key(board, period, v) for v in views))
            # Not (or no longer) public: out of the public view. A team move is repaired by `refresh`.
            hidden = [e for e in employees if e not in views.get(PUBLIC, {})]
            if hidden:
                pipe.zrem(self.key(board, period, PUBLIC), *hidden)
            if gone:
                pipe.zrem(self.key(board, period), *gone)
            written += len(views[None])
        if len(pipe):
            pipe.execute()
        return written

    def _rebuild_once(self, db: Database, board: str, period: str) -> int | None:
        """Rebuild a missing board under a lock (members written); None when another process rebuilt it
        meanwhile.

        Without the lock two workers could both rebuild, and the slower RENAME would put an older snapshot
        over a newer one, dropping the members the other committed in between. A worker that waited writes
        its own members afterwards with ZADD, read after its commit, so it is never older than the rebuild.
        """
        with self.client.lock(
            f"{self.key(board, period)}|rebuilding",
            timeout=REBUILD_LOCK_SECONDS,
            blocking_timeout=REBUILD_LOCK_SECONDS,
        ):
            if self.client.exists(self.key(board, period)):
                return None
            return self.rebuild(db, [period], board)

    def views_key(self, board: str, period: str) -> str:
        """A SET of the view keys written for a board and period, so rebuild and reconcile find views the
        roster no longer has (a team whose last member left) without scanning the keyspace."""
        return f"{self.key(board, period)}|views"

    def _written_views(self, board: str, period: str) -> set[str]:
        members: set[bytes] = self.client.smembers(self.views_key(board, period))  # type: ignore[assignment]  # the stub: sync or async
        return {k.decode() for k in members}

    def rebuild(
        self, db: Database, periods: Iterable[str] | None = None, board: str = BOARD_POINTS
    ) -> int:
        """Replace the ZSETs of ``periods`` (all periods of ``board`` when None) from the standings; returns
        members written.

        Each ZSET is filled aside under a temporary key (ZADDs of 10k members, pipelined) and RENAMEd over
        the live one, all views of a period in one MULTI, so readers see the old board or the new, never a
        half-built one. The temporary keys expire after an hour in case this process dies midway. A publish
        racing a rebuild can still be overwritten by its older snapshot; ``publish`` serialises its own
        rebuilds (``_rebuild_once``), and reconcile repairs the rest.
        """
        if periods is None:
            periods = [
                p
                for (p,) in db.query(
                    'SELECT DISTINCT period FROM "standing" WHERE board = ?', (board,)
                )
            ]
        written = 0
        for period in periods:
            views, _ = self._expected(db, board, period)
            keys = {self.key(board, period, view): scores for view, scores in views.items()}
            live = {k for k, scores in keys.items() if scores}
            stale = (self._written_views(board, period) | {self.key(board, period, PUBLIC)}) - live
            fill = self.client.pipeline(transaction=False)
            swap = self.client.pipeline(transaction=True)
            token = uuid.uuid4().hex
            for key, scores in keys.items():
                if not scores:
                    stale.add(key)
                    continue
                temp = f"{key}:rebuild:{token}"
                for chunk in _chunks(list(scores.items()), CHUNK):
                    fill.zadd(temp, dict(chunk))
                fill.expire(temp, 3600)
                swap.rename(temp, key)
                swap.persist(key)  # RENAME carries the temporary key's TTL over
            if stale:
                swap.delete(*stale)
            swap.delete(self.views_key(board, period))
            if live:
                swap.sadd(self.views_key(board, period), *live)
            fill.execute()
            swap.execute()
            written += len(views[None])
        return written

    def reconcile(self, db: Database, periods: Iterable[str], board: str = BOARD_POINTS) -> int:
        """Make the ZSETs of ``periods`` (and their views) equal the standings again; returns the fixes made
        (members added, changed or removed).

        The ZSETs are read before the standings, so a publish landing in between is seen as a difference and
        written with the newer standing. A commit after the standings were read can still be overwritten
        by an older score; its own publish (or the next reconcile) repairs that.
        """
        fixes = 0
        for period in periods:
            keys = [self.key(board, period), self.key(board, period, PUBLIC)]
            keys += sorted(self._written_views(board, period) - set(keys))
            read = self.client.pipeline(transaction=False)
            for key in keys:
                read.zrange(key, 0, -1, withscores=True)
            actual = {
                key: {int(m): int(float(s)) for m, s in members}
                for key, members in zip(keys, read.execute(), strict=True)
            }
            views, _ = self._expected(db, board, period)
            expected = {self.key(board, period, view): scores for view, scores in views.items()}
            pipe = self.client.pipeline(transaction=False)
            for key in set(actual) | set(expected):
                want, have = expected.get(key, {}), actual.get(key, {})
                wrong = [(e, s) for e, s in want.items() if have.get(e) != s]
                stray = [e for e in have if e not in want]
                for chunk in _chunks(wrong, CHUNK):
                    pipe.zadd(key, dict(chunk))
                for chunk in _chunks(stray, CHUNK):
                    pipe.zrem(key, *chunk)
                fixes += len(wrong) + len(stray)
            pipe.sadd(self.views_key(board, period), *expected)
            pipe.execute()
        return fixes

    def refresh(self, db: Database, employee: int) -> None:
        """Re-file an employee in the views of every board they are on, after their visibility or team
        changed: out of every view written for that board, into the right ones."""
        rows = db.query(
            'SELECT s.board, s.period, s.score, s.reached_at, e.active, e.visibility, e.team FROM "standing" s '
            'JOIN "employee" e ON e.id = s.employee WHERE s.employee = ?',
            (employee,),
        )
        read = self.client.pipeline(transaction=False)
        for board, period, *_ in rows:
            read.smembers(self.views_key(board, period))
        pipe = self.client.pipeline(transaction=False)
        for (board, period, score, reached_at, active, visibility, team), written in zip(
            rows, read.execute(), strict=True
        ):
            full = self.key(board, period)
            for key in {k.decode() for k in written} - {full}:
                pipe.zrem(key, employee)
            views = [self.key(board, period, v) for v in _views(active, visibility, team)]
            encoded = self.encode(score, reached_at)
            for key in views:
                pipe.zadd(key, {str(employee): encoded})
            if views:
                pipe.sadd(self.views_key(board, period), *views)
        if len(pipe):
            pipe.execute()

    # -- reads --------------------------------------------------------------------------------------------
    def top(self, board: str, period: str, n: int, offset: int = 0) -> list[Row]:
        """``n`` entries from position ``offset`` (0 = the leader): ``[(employee_id, score, rank)]``."""
        return (self.page(board, period, None, n, offset=offset, before=-1) or _EMPTY)[0]

    def rank(self, board: str, period: str, employee: int) -> tuple[int, int] | None:
        """``(rank, score)`` of one employee per the tie policy; None when not on the board."""
        return (self.page(board, period, employee, 0, before=-1) or _EMPTY)[1]

    def around(
        self, board: str, period: str, employee: int, before: int = 2, after: int = 2
    ) -> list[Row]:
        """The employee with up to ``before`` entries above and ``after`` below; cut (not shifted) at the
        edges, as :meth:`engine.boards.memory.Board.around`. Empty when the employee is not on the board."""
        return (self.page(board, period, employee, 0, before=before, after=after) or _EMPTY)[2]

    def page(
        self,
        board: str,
        period: str,
        employee: int | None,
        n: int = 10,
        *,
        offset: int = 0,
        before: int = 2,
        after: int = 2,
        view: str | None = None,
    ) -> tuple[list[Row], tuple[int, int] | None, list[Row]] | None:
        """What a board page shows, in ONE round trip: (top ``n``, the employee's (rank, score) or None, the
        entries around the employee), of one ``view`` (None: the full board). ``before=-1`` skips the window.
        None when the board is absent from Redis (ask SQL). An employee not in the view gets the rank they
        would have in it, and no window."""
        reply = self._page_script(
            keys=[self.key(board, period, view), self.key(board, period)],
            args=[
                "" if employee is None else int(employee),
                max(n, 0),
                max(offset, 0),
                before,
                max(after, 0),
                "1" if self._shared else "0",
            ],
        )
        top, top_rank, score, rank, start, window, window_rank, present = reply
        if not present:
            return None
        mine = None if score is None else (int(rank), self.decode(score))
        return (
            self._rows(top, max(offset, 0), top_rank),
            mine,
            self._rows(window, start, window_rank),
        )

    def members(self, board: str, period: str, view: str) -> list[tuple[int, int, int]] | None:
        """Every member of a (small) view as ``(employee, points, order)``, ``order`` sorting like reached_at
        (earlier first; the score's time part), or None when the board is absent from Redis
        (ask SQL). One round trip."""
        pipe = self.client.pipeline(transaction=False)
        pipe.exists(self.key(board, period))
        pipe.zrange(self.key(board, period, view), 0, -1, withscores=True)
        present, members = pipe.execute()
        if not present:
            return None
        span = _TIME_SPAN
        return [(int(m), (score := int(s)) // span, -(score % span)) for m, s in members]

    def _rows(self, flat: Sequence[Any], start: int | None, first_rank: int | None) -> list[Row]:
        """``[member, score, member, score, …]`` from position ``start`` as ranked rows."""
        if not flat or start is None or first_rank is None:
            return []
        out: list[Row] = []
        rank = int(first_rank)
        prev = self.decode(flat[1])
        for i in range(0, len(flat), 2):
            member, points = flat[i], self.decode(flat[i + 1])
            # After the first entry a rank is its position, unless it ties the one above (shared policy).
            if i and (not self._shared or points != prev):
                rank = start + i // 2 + 1
            prev = points
            out.append((int(member), points, rank))
        return out


# -- SQL fallback ---------------------------------------------------------------------------------------------
_FROM = (
    'FROM "standing" s JOIN "employee" e ON e.id = s.employee WHERE s.board = ? AND s.period = ?'
)
_PUBLIC = " AND e.active = ? AND e.visibility = 'public'"


def sql_top(
    db: Database, board: str, period: str, n: int, ties: str = "shared", public: bool = False
) -> list[Row]:
    """The top ``n`` from the standings when Redis is down: ``[(employee_id, score, rank)]``; with
    ``public``, the public view (active employees whose visibility is public) ranked among themselves.

    Fast with an index on (board, period, score DESC). Equal scores come by reached_at, then employee id
    (Redis lists them in reverse member order instead: only the order within a shared rank differs).
    """
    rows = db.query(
        f"SELECT s.employee, s.score {_FROM}{_PUBLIC if public else ''} "
        "ORDER BY s.score DESC, s.reached_at, s.employee LIMIT ?",
        (board, period, *((True,) if public else ()), max(n, 0)),
    )
    out: list[Row] = []
    prev: int | None = None
    rank = 0
    for pos, (employee, score) in enumerate(rows, 1):
        if ties != "shared" or score != prev:
            rank, prev = pos, score
        out.append((int(employee), int(score), rank))
    return out


def sql_rank(
    db: Database,
    board: str,
    period: str,
    employee: int,
    ties: str = "shared",
    public: bool = False,
) -> tuple[int, int] | None:
    """``(rank, score)`` from the standings when Redis is down; None when not on the board. With ``public``,
    the rank among the public view (the place a hidden employee would have).

    A COUNT of the entries ranked ahead: milliseconds at 100k employees, acceptable as a fallback only. For
    ``earliest``, entries with equal score and reached_at count by lower employee id (Redis: by whole
    seconds, then reverse member order), so such exact ties may rank differently.
    """
    found = db.query(
        'SELECT score, reached_at FROM "standing" WHERE board = ? AND period = ? AND employee = ?',
        (board, period, employee),
    )
    if not found:
        return None
    score, reached_at = found[0]
    where = f"{_FROM}{_PUBLIC if public else ''}"
    visible = (True,) if public else ()
    if ties == "shared":
        ahead = db.query(
            f"SELECT COUNT(*) {where} AND s.score > ?", (board, period, *visible, score)
        )
    else:
        ahead = db.query(
            f"SELECT COUNT(*) {where} AND (s.score > ? OR (s.score = ? AND (s.reached_at < ? OR "
            "(s.reached_at = ? AND s.employee < ?))))",
            (board, period, *visible, score, score, reached_at, reached_at, employee),
        )
    return int(ahead[0][0]) + 1, int(score)


def sql_members(db: Database, board: str, period: str, team: str) -> list[tuple[int, int, Any]]:
    """A team view from the standings when Redis is down: ``(employee, points, reached_at)``."""
    return [
        (int(e), int(s), at)
        for e, s, at in db.query(
            f"SELECT s.employee, s.score, s.reached_at {_FROM} AND e.active = ? AND e.team = ?",
            (board, period, True, team),
        )
    ]


def sql_team_totals(db: Database, board: str, period: str) -> dict[str, int]:
    """Points per team (active members, every visibility): one GROUP BY, for the teams board."""
    return {
        team: int(total)
        for team, total in db.query(
            f"SELECT e.team, SUM(s.score) {_FROM} AND e.active = ? AND e.team <> '' GROUP BY e.team",
            (board, period, True),
        )
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
