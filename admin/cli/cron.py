"""``plaudit cron``: the periodic jobs of the scaled setup (sweep, reconcile, close periods) on RQ's scheduler."""

from __future__ import annotations

from datetime import datetime

import click

from admin.cli._common import MOMENT, console, err, fail, open_db, redis_client, start_logging

__all__ = ["cron"]


def _print_once(results: dict[str, dict]) -> None:
    swept, reconciled, closed = (
        results["sweep_pending"],
        results["reconcile_boards"],
        results["close_periods"],
    )
    console.print(
        f"sweep_pending: {swept['unparked']} parked event(s) unparked, {swept['queued']} shard(s) queued"
    )
    console.print(
        f"reconcile_boards: {reconciled['fixes']} fix(es) on {len(reconciled['periods'])} board(s)"
        + (f" ({', '.join(reconciled['periods'])})" if reconciled["periods"] else "")
    )
    keys = closed["closed"]
    console.print(
        f"close_periods: {len(keys)} period(s) closed" + (f": {', '.join(keys)}" if keys else "")
    )


@click.command()
@click.option(
    "--once",
    is_flag=True,
    help="Run the three jobs once in this process, print what they did, and exit.",
)
@click.option(
    "--now",
    "now",
    type=MOMENT,
    help="With --once: act as if it were this ISO instant, e.g. 2026-12-01T02:00:00+01:00.",
)
@click.option(
    "--logging-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    help="The scheduler's log level.",
)
@click.pass_context
def cron(ctx: click.Context, once: bool, now: datetime | None, logging_level: str) -> None:
    """Queue the periodic jobs on RQ's scheduler: sweep (1 min), reconcile (10 min), close periods (15 min).

    Run ONE per deployment; `plaudit worker` processes run the jobs. Intervals: PLAUDIT_SWEEP_INTERVAL,
    PLAUDIT_RECONCILE_INTERVAL, PLAUDIT_CLOSE_INTERVAL (seconds); grace before a period closes:
    PLAUDIT_CLOSE_GRACE_SECONDS (default 3600).
    """
    from engine.jobs.cron import register_jobs, run_once
    from engine.settings import settings

    start_logging()
    connection = redis_client("plaudit cron queues its jobs in the scaled setup's Redis")
    if once:
        from engine.scoring.rulesets import load_rulebook

        db = open_db(ctx)
        _print_once(run_once(db, connection, load_rulebook(db), now))
        return
    if now:
        fail("--now only applies with --once")

    from rq.cron import CronScheduler

    others = [s.name for s in CronScheduler.all(connection)]
    if others:
        err.print(
            f"[yellow]warning:[/yellow] another cron scheduler is running ({', '.join(others)}): the jobs "
            "are harmless twice, but one per deployment is enough"
        )
    from engine.jobs.reconnect import keep_running

    def run() -> None:
        scheduler = CronScheduler(connection=connection, logging_level=logging_level.upper())
        register_jobs(scheduler)
        every = ", ".join(
            f"{name} every {seconds}s" for name, seconds in settings().intervals.items()
        )
        console.print(f"plaudit cron {scheduler.name}: {every}")
        scheduler.start()

    # Redis restarted: wait for it and schedule again, never exit (engine.jobs.reconnect).
    keep_running("plaudit cron", run)
