"""``plaudit serve``, ``plaudit token`` and ``plaudit api-keys``: running the API and letting people in."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import click

from admin.cli._common import (
    INSTANT,
    console,
    ensure_rulebook,
    err,
    fail,
    open_db,
    start_logging,
)
from api.config import ApiConfig
from engine import clock
from engine.demo.seed import seed_demo
from engine.people.api_keys import SCOPES, create_key, list_keys, revoke_key

__all__ = ["api_keys", "serve", "token"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Seed a demo roster and a month of events first (once).")
@click.option(
    "--until",
    type=INSTANT,
    default=None,
    help="With --demo: the last day of its events (default: now).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, demo: bool, until: datetime | None) -> None:
    """Run the API with an in-process worker (the embedded default: SQLite, no other servers)."""
    import uvicorn

    from admin.pages import install_pages
    from api.app import create_app

    start_logging()
    try:
        config = ApiConfig.from_env(database_url=ctx.obj.get("db"))
    except ValueError as exc:
        fail(str(exc))
    db = open_db(ctx)
    book = ensure_rulebook(db)
    if demo and not db.query('SELECT COUNT(*) FROM "employee"')[0][0]:
        result = seed_demo(db, book, end=until)
        console.print(f"demo: {result.employees} employees, {result.scoring.scored} events scored")
    db.close()
    app = create_app(config, on_app_init=[install_pages])
    base = f"http://{host}:{port}"
    console.print(f"Plaudit on {base}  (API docs: {base}/schema, data: {base}/admin/)")
    if demo and not config.jwt_public_key:
        # Sign-in links valid for an hour: the embedded default's stand-in for the company's SSO.
        for who, role in (("E0001", "employee"), ("E0002", "hr")):
            link = f"{base}/login/token?token={_sign(config, who, role, timedelta(hours=1))}"
            console.print(f"sign in as {who} ({role}): {link}", soft_wrap=True)
    console.print(
        "sign-in links: `plaudit token E0001 --link` (or --role hr); HR accounts for /admin/: "
        "`plaudit hr add NAME`; tools: `plaudit api-keys create`"
    )
    # Logging is ours (engine.logs): uvicorn's lines go through it, and the access log is the app's own.
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None)


@click.command()
@click.argument("employee")
@click.option(
    "--role", type=click.Choice(["employee", "hr"]), default="employee", show_default=True
)
@click.option("--hours", default=12, show_default=True, type=click.IntRange(1, 24 * 30))
@click.option(
    "--link", is_flag=True, help="A sign-in link for the web pages (valid at most an hour)."
)
@click.pass_context
def token(ctx: click.Context, employee: str, role: str, hours: int, link: bool) -> None:
    """Print a signed token for an employee (the embedded default's stand-in for an identity provider)."""

    config = ApiConfig.from_env(database_url=ctx.obj.get("db"))
    if config.jwt_public_key:
        fail("tokens come from your identity provider here (PLAUDIT_JWT_PUBLIC_KEY is set)")
    if link:
        signed = _sign(config, employee, role, timedelta(minutes=min(hours * 60, 60)))
        console.print(f"{config.public_url}/login/token?token={signed}", soft_wrap=True)
    else:
        console.print(_sign(config, employee, role, timedelta(hours=hours)), soft_wrap=True)


def _sign(config: ApiConfig, subject: str, role: str, valid: timedelta) -> str:
    """A token as an identity provider would make it: ``roles`` a top-level claim."""
    import jwt

    now = clock.now()
    claims: dict[str, object] = {"sub": subject, "iat": now, "exp": now + valid, "roles": [role]}
    if config.jwt_issuer:
        claims["iss"] = config.jwt_issuer
    if config.jwt_audience:
        claims["aud"] = config.jwt_audience
    return jwt.encode(claims, config.jwt_secret or "", algorithm=config.jwt_algorithm)


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
