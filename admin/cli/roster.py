"""``plaudit roster import``."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli._common import console, err, open_db
from engine.roster import RosterError, import_roster

__all__ = ["roster"]


@click.group()
def roster() -> None:
    """Who is in the program."""


@roster.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, path: Path) -> None:
    """Create or update employees from a CSV file (all or nothing; bad rows named by line)."""
    db = open_db(ctx)
    try:
        result = import_roster(db, path)
    except RosterError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        err.print(f"[red]{len(exc.problems)} problem(s); nothing was imported[/red]")
        raise SystemExit(1) from None
    console.print(
        f"{result.created} employees created, {result.updated} updated; "
        f"{result.unparked} parked events back to pending (run `plaudit process`)"
    )
