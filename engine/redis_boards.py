"""Leaderboards in Redis sorted sets for the scaled setup: one ZSET per (board, period), members = employee ids.

Why Redis: several API processes and RQ workers on several machines share the boards, and a rank in SQL is a
COUNT of higher scores (5-12 ms at 100k employees). A ZSET answers top N, rank and around-me in O(log n).

Redis holds only what can be rebuilt: the ``standing`` table is the source of truth. Workers call
:meth:`RedisBoards.publish` after a batch's transaction commits; it writes ABSOLUTE scores read back from the
standings (ZADD, never ZINCRBY), so a publish retried, repeated or reordered cannot drift. Publishes of one
employee stay in order because workers are sharded per employee; anything else that slips through (a worker
killed between commit and publish, a lost Redis) is repaired by :meth:`RedisBoards.rebuild` (``plaudit
leaderboards rebuild``) or :meth:`RedisBoards.reconcile`.

Tie policies, encoded in the ZSET score (Redis scores are doubles: integers are exact up to 2**53):

* ``shared`` ("1224", as :mod:`engine.boards` and :mod:`engine.leaderboard`): score = points, exact for any
  value the standings' integer column holds. Rank = 1 + ZCOUNT of strictly higher scores. Equal scores are
  listed in Redis's own order: ZREVRANGE gives equal scores in REVERSE lexicographic order of the member
  string ("9" before "10" before "1"), not by reached_at as the in-memory boards do. Ranks are unaffected.
* ``earliest`` ("1234"): score = points * 2**31 + (2**31 - 1 - seconds since 2020-01-01 UTC of reached_at),
  so among equal points the earlier reached_at sorts higher. Limits: reached_at is counted in whole seconds
  from 2020-01-01 to 2088-01-19 (clamped outside; two employees who reached equal points within the same
  second fall back to reverse lexicographic member order); points must lie in [-2**22, 2**22 - 1]
  (±4,194,304) for the score to stay within 2**53. A score outside that range is written as points * 2**31
  alone (exact, still ordered and decodable, but without the time tie-break) and a warning is logged.
  Rank = position (ZREVRANK + 1).

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

from engine.boards import TIES
from engine.database import Database
from engine.defaults import BOARD_POINTS

__all__ = [
    "EARLIEST_POINTS_MAX",
    "EARLIEST_POINTS_MIN",
    "REACHED_EPOCH",
    "RedisBoards",
    "sql_rank",
    "sql_top",
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

# Top ``n`` from ``offset``, then the member's score and rank and the window around it, in one call.
# ARGV: member ('' = none), n, offset, before (-1 = no window), after, shared ('1' or '0').
# Returns {top, top_first_rank, score, rank, window_start, window, window_first_rank}; absent parts are
# false (nil) or empty. Scores travel as Redis's own strings (%.17g: exact for doubles) to keep precision.
_PAGE_LUA = """
local key, member = KEYS[1], ARGV[1]
local n, offset = tonumber(ARGV[2]), tonumber(ARGV[3])
local before, after = tonumber(ARGV[4]), tonumber(ARGV[5])
local shared = ARGV[6] == '1'
local function first_rank(pos, score)
  if shared then return redis.call('ZCOUNT', key, '(' .. score, '+inf') + 1 end
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
  end
end
return {top, top_rank, score, rank, start, window, window_rank}
"""

#: An entry as the API shows it: (employee_id, score, rank).
Row = tuple[int, int, int]


class RedisBoards:
    """Leaderboards in Redis sorted sets: one ZSET per (board, period), members = employee ids.

    Written after the database commit with ABSOLUTE scores read from the standings (ZADD, never ZINCRBY), so a
    retried or reordered write cannot drift; the tie policy is encoded in the ZSET score.
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
        client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=5.0)
        return cls(client, ties)

    def key(self, board: str, period: str) -> str:
        """The ZSET of one board and period, e.g. ``plaudit:board:points:2026-W45``."""
        return f"{self.prefix}{board}:{period}"

    # -- score encoding -----------------------------------------------------------------------------------
    def encode(self, points: int, reached_at: Any) -> int:
        """The ZSET score of ``points`` reached at ``reached_at`` (a datetime or the database's text form)."""
        points = int(points)
        if self._shared:
            return points
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
        return value if self._shared else value // _TIME_SPAN

    # -- writes -------------------------------------------------------------------------------------------
    def publish(self, db: Database, deltas: dict[tuple[str, str, int], list[Any]]) -> int:
        """After a batch committed: write the absolute standings of exactly the deltas' keys; returns members
        written.

        One SELECT per (board, period) reads the scores back (the deltas alone would need ZINCRBY, which
        drifts on a retry), then ONE pipeline carries one ZADD per ZSET with all its members. A key without a
        standing row (its batch rolled back, or the standing was deleted) is removed. Idempotent.
        """
        employees_of: dict[tuple[str, str], list[int]] = defaultdict(list)
        for board, period, employee in deltas:
            employees_of[board, period].append(employee)
        pipe = self.client.pipeline(transaction=False)
        written = 0
        for (board, period), employees in employees_of.items():
            rows = db.query_in(
                'SELECT employee, score, reached_at FROM "standing" '
                "WHERE board = ? AND period = ? AND employee IN ({in})",
                employees,
                prefix=(board, period),
            )
            key = self.key(board, period)
            scores = {int(e): self.encode(s, at) for e, s, at in rows}
            for chunk in _chunks(list(scores.items()), CHUNK):
                pipe.zadd(key, dict(chunk))
            gone = [e for e in employees if e not in scores]
            if gone:
                pipe.zrem(key, *gone)
            written += len(scores)
        if len(pipe):
            pipe.execute()
        return written

    def rebuild(
        self, db: Database, periods: Iterable[str] | None = None, board: str = BOARD_POINTS
    ) -> int:
        """Replace the ZSETs of ``periods`` (all periods of ``board`` when None) from the standings; returns
        members written.

        Each ZSET is filled aside under a temporary key (ZADDs of 10k members, pipelined) and RENAMEd over
        the live one, so readers see the old board or the new, never a half-built one. The temporary key
        expires after an hour in case this process dies midway; the rename and PERSIST run in one MULTI.
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
            rows = db.query(
                'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ?',
                (board, period),
            )
            key = self.key(board, period)
            if not rows:
                self.client.delete(key)
                continue
            temp = f"{key}:rebuild:{uuid.uuid4().hex}"
            fill = self.client.pipeline(transaction=False)
            for chunk in _chunks(rows, CHUNK):
                fill.zadd(temp, {int(e): self.encode(s, at) for e, s, at in chunk})
            fill.expire(temp, 3600)
            fill.execute()
            swap = self.client.pipeline(transaction=True)
            swap.rename(temp, key)
            swap.persist(key)  # RENAME carries the temporary key's TTL over
            swap.execute()
            written += len(rows)
        return written

    def reconcile(self, db: Database, periods: Iterable[str], board: str = BOARD_POINTS) -> int:
        """Make the ZSETs of ``periods`` equal the standings again; returns the fixes made (members added,
        changed or removed).

        The ZSET is read before the standings, so a publish landing in between is seen as a difference and
        written with the newer standing. A commit after the standings were read can still be overwritten
        by an older score; its own publish (or the next reconcile) repairs that.
        """
        fixes = 0
        for period in periods:
            key = self.key(board, period)
            actual = {
                int(m): int(float(s)) for m, s in self.client.zrange(key, 0, -1, withscores=True)
            }
            rows = db.query(
                'SELECT employee, score, reached_at FROM "standing" WHERE board = ? AND period = ?',
                (board, period),
            )
            expected = {int(e): self.encode(s, at) for e, s, at in rows}
            wrong = [(e, s) for e, s in expected.items() if actual.get(e) != s]
            stray = [e for e in actual if e not in expected]
            pipe = self.client.pipeline(transaction=False)
            for chunk in _chunks(wrong, CHUNK):
                pipe.zadd(key, dict(chunk))
            for chunk in _chunks(stray, CHUNK):
                pipe.zrem(key, *chunk)
            if len(pipe):
                pipe.execute()
            fixes += len(wrong) + len(stray)
        return fixes

    # -- reads --------------------------------------------------------------------------------------------
    def top(self, board: str, period: str, n: int, offset: int = 0) -> list[Row]:
        """``n`` entries from position ``offset`` (0 = the leader): ``[(employee_id, score, rank)]``."""
        return self.page(board, period, None, n, offset=offset, before=-1)[0]

    def rank(self, board: str, period: str, employee: int) -> tuple[int, int] | None:
        """``(rank, score)`` of one employee per the tie policy; None when not on the board."""
        return self.page(board, period, employee, 0, before=-1)[1]

    def around(
        self, board: str, period: str, employee: int, before: int = 2, after: int = 2
    ) -> list[Row]:
        """The employee with up to ``before`` entries above and ``after`` below; cut (not shifted) at the
        edges, as :meth:`engine.boards.Board.around`. Empty when the employee is not on the board."""
        return self.page(board, period, employee, 0, before=before, after=after)[2]

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
    ) -> tuple[list[Row], tuple[int, int] | None, list[Row]]:
        """What a board page shows, in ONE round trip: (top ``n``, the employee's (rank, score) or None,
        the entries around the employee). ``before=-1`` skips the window."""
        reply = self._page_script(
            keys=[self.key(board, period)],
            args=[
                "" if employee is None else int(employee),
                max(n, 0),
                max(offset, 0),
                before,
                max(after, 0),
                "1" if self._shared else "0",
            ],
        )
        top, top_rank, score, rank, start, window, window_rank = reply
        mine = None if score is None else (int(rank), self.decode(score))
        return (
            self._rows(top, max(offset, 0), top_rank),
            mine,
            self._rows(window, start, window_rank),
        )

    def _rows(self, flat: Sequence[Any], start: int | None, first_rank: int | None) -> list[Row]:
        """``[member, score, member, score, …]`` from position ``start`` as ranked rows."""
        if not flat or start is None or first_rank is None:
            return []
        out: list[Row] = []
        rank = int(first_rank)
        prev = flat[1]
        for i in range(0, len(flat), 2):
            member, score = flat[i], flat[i + 1]
            # After the first entry a rank is its position, unless it ties the one above (shared policy).
            if i and (not self._shared or score != prev):
                rank = start + i // 2 + 1
            prev = score
            out.append((int(member), self.decode(score), rank))
        return out


# -- SQL fallback ---------------------------------------------------------------------------------------------
def sql_top(db: Database, board: str, period: str, n: int, ties: str = "shared") -> list[Row]:
    """The top ``n`` from the standings when Redis is down: ``[(employee_id, score, rank)]``.

    Fast with an index on (board, period, score DESC). Equal scores come by reached_at, then employee id
    (Redis lists them in reverse member order instead: only the order within a shared rank differs).
    """
    rows = db.query(
        'SELECT employee, score FROM "standing" WHERE board = ? AND period = ? '
        "ORDER BY score DESC, reached_at, employee LIMIT ?",
        (board, period, max(n, 0)),
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
    db: Database, board: str, period: str, employee: int, ties: str = "shared"
) -> tuple[int, int] | None:
    """``(rank, score)`` from the standings when Redis is down; None when not on the board.

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
    if ties == "shared":
        ahead = db.query(
            'SELECT COUNT(*) FROM "standing" WHERE board = ? AND period = ? AND score > ?',
            (board, period, score),
        )
    else:
        ahead = db.query(
            'SELECT COUNT(*) FROM "standing" WHERE board = ? AND period = ? AND (score > ? OR '
            "(score = ? AND (reached_at < ? OR (reached_at = ? AND employee < ?))))",
            (board, period, score, score, reached_at, reached_at, employee),
        )
    return int(ahead[0][0]) + 1, int(score)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
