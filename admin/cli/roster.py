"""``plaudit roster import``."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import click

from admin.cli._common import console, ensure_rulebook, err, open_db
from engine.people.roster import RosterError, RosterPlan, import_roster, plan_roster, read_roster

__all__ = ["roster"]


@click.group()
def roster() -> None:
    """Who is in the program."""


@roster.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Show who would be created or changed; write nothing."
)
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="The file is the whole roster: deactivate active employees it does not name.",
)
@click.pass_context
def import_command(ctx: click.Context, path: Path, dry_run: bool, deactivate_missing: bool) -> None:
    """Create, update or deactivate employees from a CSV file (all or nothing; bad rows named by line).

    An ``active`` column of no deactivates: they stop earning and leave the boards; their history stays.
    """
    db = open_db(ctx)
    rules = ensure_rulebook(db).current
    # joined_on dates are days of the program's calendar.
    zone = rules.timezone if rules is not None else UTC
    try:
        rows = read_roster(path, timezone=zone)
        if dry_run:
            _show_plan(plan_roster(db, rows, deactivate_missing=deactivate_missing))
            return
        result = import_roster(db, rows, deactivate_missing=deactivate_missing)
    except RosterError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        err.print(f"[red]{len(exc.problems)} problem(s); nothing was imported[/red]")
        raise SystemExit(1) from None
    console.print(
        f"{result.created} employees created, {result.updated} updated "
        f"({result.deactivated} deactivated, {result.reactivated} reactivated); "
        f"{result.unparked} parked events back to pending (run `plaudit process`)"
    )


def _show_plan(plan: RosterPlan, shown: int = 20) -> None:
    for external_id in plan.created[:shown]:
        console.print(f"+ {external_id}", markup=False)
    for external_id, columns in list(plan.changed.items())[:shown]:
        console.print(f"~ {external_id}: {', '.join(columns)}", markup=False)
    for external_id in plan.missing[:shown]:
        console.print(f"- {external_id}: not in the file, deactivated", markup=False)
    more = sum(max(len(part) - shown, 0) for part in (plan.created, plan.changed, plan.missing))
    if more:
        console.print(f"… and {more} more")
    missing = f", {len(plan.missing)} to deactivate" if plan.missing else ""
    console.print(
        f"dry run: {len(plan.created)} to create, {len(plan.changed)} to change{missing}, "
        f"{plan.unchanged} unchanged; nothing was written"
    )
