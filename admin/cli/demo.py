"""``plaudit demo``: a working program with demo data in one command."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import click

from admin.cli._common import INSTANT, console, ensure_rulebook, err, open_db
from admin.cli.leaderboard import print_board
from engine.boards.sql import period_key, top
from engine.demo.seed import seed_demo

__all__ = ["demo"]


@click.command()
@click.option("--employees", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--until", type=INSTANT, default=None, help="The last day of the demo's events (default: now)."
)
@click.pass_context
def demo(ctx: click.Context, employees: int, days: int, seed: int, until: datetime | None) -> None:
    """Generate a demo roster and a realistic month of events, score them, show the leaderboard."""
    db = open_db(ctx)
    book = ensure_rulebook(db)
    started = time.perf_counter()
    seen: dict[str, int] = {}

    def report(stage: str, n: int) -> None:
        seen[stage] = seen.get(stage, 0) + n
        if err.is_terminal:
            err.print(f"\r{stage}: {seen[stage]} events", end="")

    result = seed_demo(
        db, book, employees=employees, days=days, seed=seed, end=until, on_progress=report
    )
    if err.is_terminal:
        err.print()
    rules = book.current
    assert rules is not None
    console.print(
        f"demo: {result.employees} employees; {result.intake.accepted} events stored "
        f"({result.intake.duplicates} duplicates ignored), {result.scoring.scored} scored into "
        f"{result.scoring.entries} ledger entries and {result.scoring.badges} badges "
        f"in {time.perf_counter() - started:.1f}s ({db.url})"
    )
    for period in ("month", "all"):
        key = period_key(rules, period)
        print_board(asyncio.run(top(key, None, 10)), f"Leaderboard: company, {key}")
    console.print(
        "next: `plaudit leaderboard --period week --team Sales`, `plaudit rules explain EVENT.json`"
    )
