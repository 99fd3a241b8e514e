"""``plaudit``: the command line for HR and operators.

Each module holds the commands of one noun (rules, events, roster, leaderboard, demo, db).
"""

from __future__ import annotations

import click

from admin.cli.awards import awards
from admin.cli.cron import cron
from admin.cli.db import db
from admin.cli.demo import demo
from admin.cli.employees import employees
from admin.cli.events import import_group, process, replay, simulate
from admin.cli.hr import hr
from admin.cli.leaderboard import leaderboard
from admin.cli.outbox import outbox, payouts
from admin.cli.review import review
from admin.cli.roster import roster
from admin.cli.rules import rules
from admin.cli.serve import api_keys, serve, token
from admin.cli.worker import events, leaderboards, worker

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="DATABASE_URL",
    help="Database URL (default: sqlite:///plaudit.sqlite).",
)
@click.pass_context
def main(ctx: click.Context, db_url: str | None) -> None:
    """Plaudit: points, badges and leaderboards for employee-advocacy programs."""
    ctx.obj = {"db": db_url}


for command in (
    rules,
    import_group,
    process,
    replay,
    simulate,
    roster,
    leaderboard,
    demo,
    db,
    serve,
    token,
    api_keys,
    worker,
    events,
    leaderboards,
    cron,
    awards,
    employees,
    outbox,
    payouts,
    review,
    hr,
):
    main.add_command(command)
