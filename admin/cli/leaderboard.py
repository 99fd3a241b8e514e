"""``plaudit leaderboard``."""

from __future__ import annotations

import asyncio
from datetime import datetime

import click
from rich.table import Table

from admin.cli._common import console, ensure_rulebook, fail, open_db
from engine.boards.sql import PERIOD_NAMES, BoardRow, period_key, top
from engine.defaults import BOARD_POINTS

__all__ = ["leaderboard", "print_board"]


def print_board(rows: list[BoardRow], title: str) -> None:
    table = Table("rank", "employee", "name", "team", "points", title=title)
    for r in rows:
        table.add_row(str(r.rank), r.employee, r.name, r.team, str(r.score))
    console.print(table)
    if not rows:
        console.print("(nobody on this board yet)")


@click.command()
@click.option("--board", default=BOARD_POINTS, show_default=True)
@click.option(
    "--period",
    default="month",
    show_default=True,
    help=f"{', '.join(PERIOD_NAMES)}, or a key like 2026-W45.",
)
@click.option("--at", "at", help="A moment inside the period (ISO 8601; default now).")
@click.option("--team", help="Only this team's board.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.pass_context
def leaderboard(
    ctx: click.Context, board: str, period: str, at: str | None, team: str | None, limit: int
) -> None:
    """Top of a leaderboard."""
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    assert rules is not None
    try:
        moment = datetime.fromisoformat(at) if at else None
    except ValueError:
        fail(f"--at: expected an ISO 8601 date or time, got {at!r}")
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.timezone)
    key = period_key(rules, period, moment)
    rows = asyncio.run(top(key, team, limit, board))
    print_board(rows, f"{board}: {team or 'company'}, {key}")
