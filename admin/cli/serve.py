"""``plaudit serve``, ``plaudit token`` and ``plaudit api-keys``: running the API and letting people in."""

from __future__ import annotations

import time

import click

from admin.cli._common import console, ensure_rulebook, err, fail, open_db
from engine.apikeys import SCOPES, create_key, list_keys, revoke_key
from engine.demo import seed_demo

__all__ = ["api_keys", "serve", "token"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Seed a demo roster and a month of events first (once).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo: bool) -> None:
    """Run the API with an in-process worker (the embedded default: SQLite, no other servers)."""
    import uvicorn

    from api.app import create_app
    from api.config import ApiConfig

    try:
        config = ApiConfig.from_env(database_url=ctx.obj.get("db"))
    except ValueError as exc:
        fail(str(exc))
    db = open_db(ctx)
    book = ensure_rulebook(db)
    if demo and not db.query('SELECT COUNT(*) FROM "employee"')[0][0]:
        result = seed_demo(db, book)
        console.print(f"demo: {result.employees} employees, {result.scoring.scored} events scored")
    db.close()
    app = create_app(config)
    console.print(f"Plaudit on http://{host}:{port}  (API docs: http://{host}:{port}/schema)")
    console.print(
        "a token to try it: `plaudit token E0001` (or --role hr); tools: `plaudit api-keys create`"
    )
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


@click.command()
@click.argument("employee")
@click.option(
    "--role", type=click.Choice(["employee", "hr"]), default="employee", show_default=True
)
@click.option("--hours", default=12, show_default=True, type=click.IntRange(1, 24 * 30))
@click.pass_context
def token(ctx: click.Context, employee: str, role: str, hours: int) -> None:
    """Print a signed token for an employee (the embedded default's stand-in for an identity provider)."""
    from datetime import UTC, datetime, timedelta

    from litestar.security.jwt import Token

    from api.config import ApiConfig

    config = ApiConfig.from_env(database_url=ctx.obj.get("db"))
    if config.jwt_public_key:
        fail("tokens come from your identity provider here (PLAUDIT_JWT_PUBLIC_KEY is set)")
    claims = Token(
        sub=employee, exp=datetime.now(UTC) + timedelta(hours=hours), extras={"roles": [role]}
    )
    if config.jwt_issuer:
        claims.iss = config.jwt_issuer
    if config.jwt_audience:
        claims.aud = config.jwt_audience
    console.print(claims.encode(config.jwt_secret or "", config.jwt_algorithm))


@click.group(name="api-keys")
def api_keys() -> None:
    """Keys for tools and HR scripts (stored hashed; shown once)."""


@api_keys.command(name="create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES), required=True)
@click.pass_context
def create_command(ctx: click.Context, name: str, scopes: tuple[str, ...]) -> None:
    """Create a key and print it once."""
    created = create_key(open_db(ctx), name, list(scopes), created_by="cli")
    err.print(
        f"key {created.info.prefix}… ({', '.join(created.info.scopes)}); store it now, it is not shown again:"
    )
    console.print(created.key)


@api_keys.command(name="list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    for info in list_keys(open_db(ctx)):
        state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
        console.print(f"{info.id}\t{info.prefix}…\t{info.name}\t{','.join(info.scopes)}\t{state}")


@api_keys.command(name="revoke")
@click.argument("key_id", type=int)
@click.pass_context
def revoke_command(ctx: click.Context, key_id: int) -> None:
    if not revoke_key(open_db(ctx), key_id):
        fail(f"no API key {key_id}")
    console.print(f"key {key_id} revoked at {time.strftime('%Y-%m-%d %H:%M')}")
