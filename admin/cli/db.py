"""``plaudit db migrate``."""

from __future__ import annotations

import click

from admin.cli._common import console
from engine.storage.database import DatabaseConfig, open_database

__all__ = ["db"]


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create or update the schema (Piccolo migrations)."""
    database = open_database(DatabaseConfig(url=ctx.obj.get("db"), migrate=False))
    printed = database.migrate()
    console.print(printed.strip() or "schema up to date", markup=False)
