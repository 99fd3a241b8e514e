"""``plaudit employees erase``: GDPR erasure (pseudonymization) of one employee."""

from __future__ import annotations

import click

from admin.cli._common import console, fail, open_db

__all__ = ["employees"]


@click.group()
def employees() -> None:
    """The people in the program."""


@employees.command()
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.pass_context
def erase(ctx: click.Context, ref: str, yes: bool) -> None:
    """Erase an employee's personal data (external id or email); their points stay, under a pseudonym."""
    from engine.people.erasure import ErasureError, erase_employee

    if not yes and not click.confirm(
        f"Erase the personal data of {ref}? This cannot be undone", default=False
    ):
        fail("nothing erased")
    try:
        result = erase_employee(open_db(ctx), ref)
    except ErasureError as exc:
        fail(str(exc))
    console.print(
        f"{ref} is now {result.pseudonym}: {result.events} event(s) re-pointed, "
        f"{result.shoutouts} shoutout message(s) removed, {result.badges} badge(s) revoked; "
        "points and totals unchanged. Running API processes see it at their next roster reload."
    )
