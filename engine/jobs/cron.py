"""Periodic work of the scaled setup, run as RQ cron jobs on the normal ``plaudit worker`` processes.

Why jobs and not a loop of our own: ``plaudit cron`` runs RQ's :class:`rq.cron.CronScheduler`, which only
enqueues; any worker runs the job, RQ keeps its result or failure, and RQ's scheduler registry shows the
scheduler. Each job is idempotent and safe to run twice at once (two schedulers by mistake, a retried job):

* :func:`sweep_pending` (every minute): parked events whose employee the roster now knows go back to pending,
  then every shard with pending events is queued (:func:`engine.jobs.shards.sweep`): "retry parked events".
* :func:`reconcile_boards` (every 10 minutes): the Redis boards of the current and the previous day, week,
  month, quarter and all time are made equal to the standings again (a publish lost between commit and Redis).
* :func:`close_periods` (every 15 minutes): each period that ended more than a grace time ago gets a final
  reconcile and is marked closed, once (:func:`close_period`): a month's awards, rank badges and payouts.
* :func:`deliver_outbox` (every 5 seconds): the outbox messages due now go to their HR systems.

The job functions take only JSON-able arguments and find the database, rules and Redis themselves (the
worker's cached connection and rulebook, :class:`engine.jobs.shards.WorkerState`); the ``run_*`` functions do
the work with what they are given, for ``plaudit cron --once`` and tests.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import redis
from redis.exceptions import LockError
from rq.cron import CronJob, CronScheduler

from engine import clock
from engine.boards.redis import RedisBoards
from engine.defaults import BOARD_POINTS
from engine.jobs.shards import QUEUE_NAME, WorkerState, sweep
from engine.people.roster import unpark_events
from engine.rewards.badges import give_rank_badges
from engine.rewards.outbox import Connectors, deliver_due
from engine.rewards.payouts import close_due_payouts
from engine.scoring.rulesets import RuleBook
from engine.settings import settings
from engine.storage.database import Database
from rules import CompiledRules
from rules.periods import PERIOD_KINDS, period_end, period_kind, previous_period

__all__ = [
    "CLOSED_PERIODS_KEY",
    "close_period",
    "close_periods",
    "deliver_outbox",
    "reconcile_boards",
    "register_jobs",
    "run_close",
    "run_deliver",
    "run_once",
    "run_reconcile",
    "run_sweep",
    "sweep_pending",
    "unpark_known",
]

log = logging.getLogger("plaudit.cron")

#: The periods already closed: a Redis set, idempotent to add to, and rebuildable (a Redis that lost it closes
#: the ended periods again, which is one more final reconcile of each).
CLOSED_PERIODS_KEY = "plaudit:closed-periods"
#: One closer per period at a time (a redis-py lock, released by its owner only; expires if the owner died).
_CLOSING_KEY = "plaudit:closing:"
_CLOSING_LOCK_SECONDS = 600


# -- the work, with what it needs passed in ----------------------------------------------------------------
def unpark_known(db: Database) -> int:
    """Parked events whose employee the roster knows now go back to pending, on the employee's shard.

    A roster import unparks its own employees, but an event parked by a batch that read the roster just
    before the import committed stays parked until this runs. Refs are matched as scoring matches them
    (an ``@`` makes it an email), so an event that scoring would park again is left alone.
    """
    parked = "SELECT employee_ref FROM \"event\" WHERE status = 'parked'"
    by_id = db.query(
        f'SELECT id, external_id, email FROM "employee" WHERE external_id IN ({parked})'
    )
    by_email = db.query(f'SELECT id, external_id, email FROM "employee" WHERE email IN ({parked})')
    employees = {row[0]: row for row in by_id if "@" not in row[1]}
    employees.update((row[0], row) for row in by_email)
    if not employees:
        return 0
    with db.transaction():
        return unpark_events(db, [(int(i), ext, email) for i, ext, email in employees.values()])


def run_sweep(db: Database, connection: redis.Redis) -> dict[str, int]:
    """Retry parked events of now-known employees, then queue every shard with pending events."""
    unparked = unpark_known(db)
    queued = sweep(db, connection)
    if unparked or queued:
        log.info("sweep: %d parked event(s) unparked, %d shard(s) queued", unparked, queued)
    return {"unparked": unparked, "queued": queued}


def _recent_periods(rules: CompiledRules, now: datetime) -> list[str]:
    keys = rules.periods(now)
    out: list[str] = []
    for kind in PERIOD_KINDS:
        key = keys.of(kind)
        out.append(key)
        if kind != "all":
            out.append(previous_period(key, rules.timezone, rules.week_start))
    return out


def run_reconcile(
    db: Database,
    connection: redis.Redis,
    rules: CompiledRules | None,
    now: datetime | None = None,
    board: str = BOARD_POINTS,
) -> dict[str, Any]:
    """Reconcile the boards of the periods of ``now`` and the one before each (late events land there)."""
    if rules is None:
        return {"periods": [], "fixes": 0}
    periods = _recent_periods(rules, now or clock.now())
    fixes = RedisBoards(connection, ties=rules.ties).reconcile(db, periods, board)
    log.log(
        logging.WARNING if fixes else logging.INFO,
        "reconcile: %d fix(es) on the boards of %s",
        fixes,
        ", ".join(periods),
    )
    return {"periods": periods, "fixes": fixes}


def close_period(
    db: Database,
    connection: redis.Redis,
    rules: CompiledRules,
    period_key: str,
    board: str = BOARD_POINTS,
    now: datetime | None = None,
) -> bool:
    """Close one ended period: a final reconcile of its board, its awards, then the mark. True if this call
    closed it.

    Period-end work (awards, notifications) belongs here, between the reconcile and the mark, so a closer that
    dies midway leaves the period open and the next run does it all again: such work must be idempotent in
    the database. A lock per period keeps two closers from doing it at the same time. An award whose own
    grace (``grace_hours``) has not passed yet is left for a later run (:func:`run_close` tries again).
    """
    lock = connection.lock(
        f"{_CLOSING_KEY}{period_key}", timeout=_CLOSING_LOCK_SECONDS, blocking=False
    )
    if not lock.acquire():
        return False
    try:
        if connection.sismember(CLOSED_PERIODS_KEY, period_key):
            return False
        boards = RedisBoards(connection, ties=rules.ties)
        fixes = boards.reconcile(db, [period_key], board)
        _close_awards(db, boards, rules, now or clock.now(), period_key)
        _give_rank_badges(db, boards, rules, now or clock.now(), period_key)
        if period_kind(period_key) == "month":
            for payout in close_due_payouts(db, rules, now):
                log.info("payout %s of %s closed: %s", payout.reward, payout.period, payout.total)
        connection.sadd(CLOSED_PERIODS_KEY, period_key)
        log.info("closed period %s (%d board fix(es))", period_key, fixes)
        return True
    finally:
        with suppress(LockError):
            lock.release()


def _close_awards(
    db: Database,
    boards: RedisBoards,
    rules: CompiledRules,
    now: datetime,
    period_key: str | None = None,
) -> list[str]:
    """Close the awards that are due (of ``period_key`` only, or of any recent period); their rewards' points
    go to the Redis boards at once. Returns ``award:period`` of each award closed now."""
    from engine.rewards.awards import (
        close_due_awards,  # engine.rewards.awards uses this module's period functions
    )

    done = []
    for outcome in close_due_awards(db, rules, now, period_key):
        if outcome.deltas:
            boards.publish(db, outcome.deltas)
        done.append(f"{outcome.award}:{outcome.period}")
        log.info(
            "award %s of %s closed: %d result(s)",
            outcome.award,
            outcome.period,
            len(outcome.results),
        )
    return done


def _give_rank_badges(
    db: Database, boards: RedisBoards, rules: CompiledRules, now: datetime, period_key: str
) -> None:
    """The closed period's rank badges (top N); their bonus points go to the Redis boards at once."""
    deltas = give_rank_badges(db, rules, period_key, now)
    if deltas.deltas:
        boards.publish(db, deltas.deltas)


def _periods_of(db: Database, board: str) -> list[str]:
    # A loose index scan over standing_key (board, period, employee): one probe per distinct period instead
    # of reading every standing row, on SQLite and PostgreSQL alike.
    rows = db.query(
        'WITH RECURSIVE p(period) AS (SELECT (SELECT period FROM "standing" WHERE board = ? '
        'ORDER BY period LIMIT 1) UNION ALL SELECT (SELECT s.period FROM "standing" s '
        "WHERE s.board = ? AND s.period > p.period ORDER BY s.period LIMIT 1) FROM p "
        "WHERE p.period IS NOT NULL) SELECT period FROM p WHERE period IS NOT NULL",
        (board, board),
    )
    return [r[0] for r in rows]


def run_close(
    db: Database,
    connection: redis.Redis,
    rules: CompiledRules | None,
    now: datetime | None = None,
    grace_seconds: int | None = None,
    board: str = BOARD_POINTS,
) -> dict[str, Any]:
    """Close every period with standings that ended more than ``grace_seconds`` before ``now`` and is not
    closed yet, oldest first, then any award that is due (its own grace may be longer); returns the keys
    closed by this run."""
    if rules is None:
        return {"closed": []}
    now = now or clock.now()
    grace = timedelta(
        seconds=settings().close_grace_seconds if grace_seconds is None else grace_seconds
    )
    closed = {
        m.decode() if isinstance(m, bytes) else m for m in connection.smembers(CLOSED_PERIODS_KEY)
    }
    due: list[tuple[datetime, str]] = []
    for key in _periods_of(db, board):
        if key in closed or key == "all":
            continue
        try:
            end = period_end(key, rules.timezone, rules.week_start)
        except ValueError:
            log.warning("close: standing period %r is not a period key; left open", key)
            continue
        if end is not None and end + grace <= now:
            due.append((end, key))
    done = [key for _, key in sorted(due) if close_period(db, connection, rules, key, board, now)]
    if done:
        log.info("close: %d period(s) closed: %s", len(done), ", ".join(done))
    # Awards with a grace longer than the periods': their period is marked closed before they are due.
    # Logged, not returned: the job's result stays the periods it closed.
    _close_awards(db, RedisBoards(connection, ties=rules.ties), rules, now)
    return {"closed": done}


def run_once(
    db: Database, connection: redis.Redis, book: RuleBook, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """The jobs one after the other, in this process (``plaudit cron --once``)."""
    rules = book.current
    return {
        "sweep_pending": run_sweep(db, connection),
        "reconcile_boards": run_reconcile(db, connection, rules, now),
        "close_periods": run_close(db, connection, rules, now),
        "deliver_outbox": run_deliver(db, rules),
    }


#: The connectors of this process (their HTTP clients keep connections open between jobs).
_connectors = Connectors()


def run_deliver(db: Database, rules: CompiledRules | None) -> dict[str, Any]:
    """Send what the outbox has due now."""
    if rules is None:
        return {}
    return asdict(deliver_due(db, rules, _connectors))


# -- the RQ jobs ---------------------------------------------------------------------------------------------
_clients: dict[str, redis.Redis] = {}


def _context() -> tuple[Database, RuleBook, redis.Redis]:
    """The worker's database and rulebook (kept between jobs) and the job's own Redis connection; outside a
    job (a script), the Redis of ``REDIS_URL``."""
    from rq import get_current_job

    db, book = WorkerState.get()
    job = get_current_job()
    if job is not None:
        return db, book, job.connection
    url = settings().redis_url
    if not url:
        raise RuntimeError(
            "REDIS_URL is not set: the periodic jobs work on the scaled setup's Redis"
        )
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url)
    return db, book, _clients[url]


def _instant(now: str | None) -> datetime | None:
    if now is None:
        return None
    at = datetime.fromisoformat(now)
    if at.tzinfo is None:
        raise ValueError(f"now must name its UTC offset, got {now!r}")
    return at


def sweep_pending() -> dict[str, int]:
    """RQ job: retry parked events whose employee is known now, queue every shard with pending events."""
    db, _, connection = _context()
    return run_sweep(db, connection)


def reconcile_boards(now: str | None = None) -> dict[str, Any]:
    """RQ job: repair the Redis boards of the current and previous periods (``now``: an ISO instant)."""
    db, book, connection = _context()
    return run_reconcile(db, connection, book.current, _instant(now))


def close_periods(now: str | None = None, grace_seconds: int | None = None) -> dict[str, Any]:
    """RQ job: close the periods that ended more than the grace time ago (``now``: an ISO instant)."""
    db, book, connection = _context()
    return run_close(db, connection, book.current, _instant(now), grace_seconds)


def deliver_outbox() -> dict[str, Any]:
    """RQ job: send the outbox messages that are due (several at once are safe: each claims its own)."""
    db, book, _ = _context()
    return run_deliver(db, book.current)


def register_jobs(scheduler: CronScheduler) -> list[CronJob]:
    """Register the jobs on the ``plaudit`` queue at their intervals (``Settings.intervals``).

    A job waits in the queue at most one interval (``ttl``): when workers are down, runs do not pile up, the
    next one does the same work.
    """
    every = settings().intervals
    return [
        scheduler.register(
            func,
            QUEUE_NAME,
            interval=every[func.__name__],
            ttl=every[func.__name__],
            result_ttl=max(every[func.__name__] * 2, 600),
            failure_ttl=7 * 24 * 3600,
        )
        for func in (sweep_pending, reconcile_boards, close_periods, deliver_outbox)
    ]
