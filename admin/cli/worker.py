"""``plaudit worker``, ``events retry|sweep``, ``leaderboards rebuild``: the scaled setup (RQ and Redis)."""

from __future__ import annotations

import click

from admin.cli._common import console, open_db, redis_client, start_logging

__all__ = ["events", "leaderboards", "worker"]

WHY_REDIS = "the scaled worker takes its jobs from Redis (the embedded default needs no worker)"


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts and tests).")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Score events from the RQ queue, shard by shard (run several, on several machines)."""
    from rq import Queue, SimpleWorker
    from rq.worker_registration import register

    from engine.jobs.reconnect import keep_running, when_back
    from engine.jobs.shards import QUEUE_NAME, sweep

    start_logging()
    connection = redis_client(WHY_REDIS)
    running: list[SimpleWorker] = []

    def back() -> None:
        """Redis back after an outage (maybe empty): queue the pending shards again at once, and register this
        worker again (RQ's worker rides out the outage but an empty Redis forgot it: /health, `rq info`)."""
        sweep(open_db(ctx), connection)
        for rq_worker in running:
            register(rq_worker)
            rq_worker.heartbeat()

    when_back(connection, back)

    def run() -> None:
        # Anything left pending by a crash (or queued in a Redis that restarted empty) is queued again
        # before this worker takes jobs.
        swept = sweep(open_db(ctx), connection)
        console.print(
            f"plaudit worker on {QUEUE_NAME!r}; {swept} shard(s) with pending events queued"
        )
        # SimpleWorker: jobs run in this process, which keeps its database connection and compiled rules
        # between jobs (a forking worker would pay for both on every job).
        # with_scheduler: retries waiting out their backoff (RQ's scheduled jobs) are queued again when due.
        rq_worker = SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
        running[:] = [rq_worker]
        rq_worker.work(burst=burst, with_scheduler=True)

    # Redis or PostgreSQL gone: wait for them and go on, never exit (engine.jobs.reconnect).
    keep_running("plaudit worker", run)


@click.group()
def events() -> None:
    """The scoring queue of the scaled setup."""


@events.command()
def retry() -> None:
    """Requeue every failed scoring job (the dead letters)."""
    from engine.jobs.shards import retry_failed

    console.print(f"{retry_failed(redis_client(WHY_REDIS))} failed job(s) requeued")


@events.command(name="sweep")
@click.pass_context
def sweep_command(ctx: click.Context) -> None:
    """Queue every shard with pending events (run it from cron every minute)."""
    from engine.jobs.shards import sweep

    console.print(f"{sweep(open_db(ctx), redis_client(WHY_REDIS))} shard(s) queued")


@click.group()
def leaderboards() -> None:
    """The Redis leaderboards of the scaled setup."""


@leaderboards.command()
@click.option(
    "--period", "periods", multiple=True, help="Only these period keys (default: every period)."
)
@click.pass_context
def rebuild(ctx: click.Context, periods: tuple[str, ...]) -> None:
    """Rewrite the Redis sorted sets from the standings (after Redis lost its data, or to be sure)."""
    from engine.boards.redis import RedisBoards
    from engine.scoring.rulesets import load_rulebook

    db = open_db(ctx)
    rules = load_rulebook(db).current
    boards = RedisBoards(
        redis_client(WHY_REDIS),
        ties=rules.ties if rules else "shared",
    )
    written = boards.rebuild(db, list(periods) or None)
    console.print(f"{written} leaderboard entries written to Redis")
