"""Dispatch for the scaled setup: RQ jobs per shard, never per event.

Intake stores events with their employee's shard and enqueues one ``score_shard`` job for each shard that got
new events, unless one is already waiting (a Redis key per shard says so). A job scores its shard batch by batch
until nothing is pending, with a PostgreSQL advisory lock per shard, so however many ``plaudit worker``
processes run, one employee's events are scored by one of them at a time, in ``occurred_at`` order.

Nothing is lost when a worker dies: its transaction rolls back and the events stay pending. RQ retries failed
jobs with backoff and then keeps them in its failed-job registry (the dead letters: ``plaudit events retry``),
and ``sweep`` (run by each worker at start and by ``plaudit events sweep`` from cron) enqueues every shard that
still has pending events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue, Retry, Worker

from engine.defaults import BATCH_SIZE
from engine.scoring.rulesets import PublishedRules, RuleBook
from engine.scoring.score import process_batch
from engine.settings import settings
from engine.storage.database import Database, DatabaseConfig, open_database

__all__ = [
    "QUEUE_NAME",
    "DispatchConfig",
    "WorkerState",
    "enqueue_shards",
    "listening_workers",
    "retry_failed",
    "score_shard",
    "sweep",
]

log = logging.getLogger("plaudit.dispatch")

QUEUE_NAME = "plaudit"
_QUEUED_KEY = "plaudit:shard-queued:"


@dataclass(frozen=True)
class DispatchConfig:
    #: Backoff between tries of a failed job (seconds); after the last one it waits in the failed registry.
    retry_intervals: tuple[int, ...] = (5, 30, 120, 600)
    #: A queued mark expires, so a job lost with its worker (killed after taking the job, before starting it)
    #: blocks its shard no longer than this: less than one sweep interval. A second job for a shard is harmless.
    queued_mark_seconds: int = 20
    #: How long failed jobs (dead letters) are kept.
    failure_ttl_seconds: int = 30 * 24 * 3600


def listening_workers(connection: redis.Redis) -> int:
    """How many RQ workers listen on the scoring queue (their heartbeats in Redis): what /health reports."""
    return int(Worker.count(queue=Queue(QUEUE_NAME, connection=connection)))


def enqueue_shards(
    connection: redis.Redis, shards: Iterable[int], config: DispatchConfig | None = None
) -> int:
    """Enqueue ``score_shard`` for each shard with no job waiting yet; returns how many were enqueued."""
    config = config or DispatchConfig()
    queue = Queue(QUEUE_NAME, connection=connection)
    enqueued = 0
    for shard in sorted(set(shards)):
        if connection.set(f"{_QUEUED_KEY}{shard}", 1, nx=True, ex=config.queued_mark_seconds):
            queue.enqueue(
                score_shard,
                shard,
                retry=Retry(max=len(config.retry_intervals), interval=list(config.retry_intervals)),
                failure_ttl=config.failure_ttl_seconds,
                result_ttl=600,
                description=f"score shard {shard}",
            )
            enqueued += 1
    return enqueued


def sweep(db: Database, connection: redis.Redis) -> int:
    """Enqueue every shard that has pending events (after a crash, a Redis restart, a roster import)."""
    shards = [
        r[0] for r in db.query("SELECT DISTINCT shard FROM \"event\" WHERE status = 'pending'")
    ]
    return enqueue_shards(connection, shards)


def retry_failed(connection: redis.Redis) -> int:
    """Requeue every job in the failed registry (the dead letters); returns how many."""
    queue = Queue(QUEUE_NAME, connection=connection)
    registry = queue.failed_job_registry
    ids = registry.get_job_ids()
    for job_id in ids:
        registry.requeue(job_id)
    return len(ids)


class WorkerState:
    """What an RQ worker process keeps between jobs (the scoring job and the cron jobs alike): its database
    connection and the compiled rulebook."""

    db: Database | None = None
    rules = PublishedRules()

    @classmethod
    def get(cls) -> tuple[Database, RuleBook]:
        url = settings().database_url
        # A connection PostgreSQL dropped (a restart, a failover, pg_terminate_backend) stays broken: the
        # job that saw it failed and is retried; this opens a fresh one for it.
        if cls.db is None or cls.db.lost or (url and cls.db.url != url):
            cls.db, cls.rules = (
                open_database(DatabaseConfig(url=url, migrate=False)),
                PublishedRules(),
            )
        return cls.db, cls.rules.get(cls.db)


def score_shard(shard: int, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """The RQ job: score one shard until nothing is pending; publish each committed batch to Redis boards."""
    from rq import get_current_job

    from engine.boards.redis import RedisBoards

    job = get_current_job()
    connection = job.connection if job is not None else None
    if connection is not None:
        # From now on new events of this shard enqueue a new job: nothing that arrives while we work is missed.
        connection.delete(f"{_QUEUED_KEY}{shard}")
    db, book = WorkerState.get()
    boards = (
        RedisBoards(connection, ties=book.current.ties if book.current else "shared")
        if connection
        else None
    )
    totals = {"events": 0, "scored": 0, "parked": 0, "entries": 0}
    while True:
        result = process_batch(db, book, batch_size, shard=shard)
        if not result.events:
            break
        for key in totals:
            totals[key] += getattr(result, key)
        if boards is not None:
            try:
                boards.publish(db, result.deltas)
            except redis.RedisError:
                # Redis is only a cache of the standings: `plaudit leaderboards rebuild` or reconcile repairs it.
                log.warning(
                    "Redis boards not updated for shard %s; reconcile will repair them", shard
                )
    return totals
