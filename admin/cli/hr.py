"""``plaudit hr``: HR accounts for the HR pages and Piccolo Admin (/admin/), passwords stored hashed."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from admin.cli._common import console, fail, open_db
from engine.storage.tables import HrSession, HrUser

__all__ = ["hr"]


@click.group()
def hr() -> None:
    """HR accounts: sign in at /login and /admin/ with a password."""


@hr.command(name="add")
@click.argument("username")
@click.option("--email", default="", help="An employee's email: their own board and profile too.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
@click.pass_context
def add(ctx: click.Context, username: str, email: str, password_stdin: bool) -> None:
    """Create an HR account (asks for its password)."""
    open_db(ctx).close()  # the schema, and Piccolo pointed at this database
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)

    async def create() -> None:
        if await HrUser.exists().where(HrUser.username == username):
            fail(f"an HR account {username!r} exists already")
        await HrUser.create_user(
            username=username, password=password, email=email, active=True, admin=True
        )

    try:
        asyncio.run(create())
    except ValueError as exc:  # Piccolo's password and email checks
        fail(f"password: {exc}" if "assword" in str(exc) else str(exc))
    console.print(f"HR account {username!r} created")


@hr.command(name="list")
@click.pass_context
def list_accounts(ctx: click.Context) -> None:
    """The HR accounts."""
    open_db(ctx).close()
    rows: list[dict[str, Any]] = asyncio.run(
        HrUser.select(HrUser.username, HrUser.email, HrUser.active, HrUser.last_login).run()
    )
    for row in rows:
        state = "active" if row["active"] else "disabled"
        console.print(
            f"{row['username']}\t{row['email'] or '-'}\t{state}\t{row['last_login'] or '-'}"
        )


@hr.command(name="remove")
@click.argument("username")
@click.pass_context
def remove(ctx: click.Context, username: str) -> None:
    """Delete an HR account and sign it out of /admin/."""
    open_db(ctx).close()

    async def delete() -> bool:
        user = await HrUser.objects().where(HrUser.username == username).first()
        if user is None:
            return False
        await HrSession.delete().where(HrSession.user_id == user.id)
        await user.remove()
        return True

    if not asyncio.run(delete()):
        fail(f"no HR account {username!r}")
    console.print(f"HR account {username!r} removed")
