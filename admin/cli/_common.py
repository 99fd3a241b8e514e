"""What every command shares: the console, opening the database, progress bars, the rulebook."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine.clock import parse_instant
from engine.logs import configure_logging
from engine.scoring.rulesets import RuleBook, default_rules_path, load_rulebook, publish
from engine.settings import settings
from engine.storage.database import Database, DatabaseConfig, open_database
from rules import CompiledRules, RulesError, load_rules

if TYPE_CHECKING:
    import redis

__all__ = [
    "INSTANT",
    "MOMENT",
    "console",
    "ensure_rulebook",
    "err",
    "fail",
    "open_db",
    "progress",
    "redis_client",
    "rules_or_exit",
    "start_logging",
]

# soft_wrap: a FILE:LINE:COL message stays on one line when piped or read by tools.
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Instant(click.ParamType):
    """A date (to the end of that day, UTC) or an ISO instant, as an aware UTC datetime."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            at = parse_instant(text, "DATE")
        except ValueError:
            self.fail(
                f"expected a date like 2026-11-20 or an instant like 2026-11-20T18:00Z, got {text!r}"
            )
        # A bare date: the whole day.
        return at + timedelta(days=1, seconds=-1) if len(text) == 10 else at


INSTANT = _Instant()


class _Moment(click.ParamType):
    """An ISO instant with its UTC offset (``2026-12-01T02:00:00+01:00``), as an aware datetime: a moment to
    act at must not depend on the machine's zone."""

    name = "INSTANT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"expected an ISO 8601 instant, got {text!r}")
        if at.tzinfo is None:
            self.fail(f"give the UTC offset, e.g. {text}+00:00")
        return at


MOMENT = _Moment()


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    sys.exit(code)


def start_logging() -> None:
    """The logging of a long-running process (serve, worker, cron), from PLAUDIT_LOG_* (engine.logs)."""
    try:
        configure_logging()
    except ValueError as exc:
        fail(str(exc))


def redis_client(why: str) -> redis.Redis:
    """The scaled setup's Redis (``REDIS_URL``); without it, exit naming the variable and ``why`` it is needed."""
    import redis  # only here: every other command starts without it

    url = settings().redis_url
    if not url:
        fail(f"REDIS_URL is not set: {why}")
    return redis.Redis.from_url(url)


def open_db(ctx: click.Context) -> Database:
    """The database named by ``--db`` or ``DATABASE_URL`` (SQLite file by default), migrated."""
    return open_database(DatabaseConfig(url=ctx.obj.get("db") if ctx.obj else None))


def rules_or_exit(path: Path, run_tests: bool = True) -> CompiledRules:
    """Load and validate a rules file, or print every issue (``FILE:LINE:COL: …``) and exit 1."""
    try:
        return load_rules(path, run_tests=run_tests)
    except RulesError as exc:
        for issue in exc.issues:
            err.print(str(issue), markup=False)
        err.print(f"[red]{len(exc.issues)} problem(s) in {path}[/red]")
        sys.exit(1)
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")


def ensure_rulebook(db: Database) -> RuleBook:
    """The published rulesets; on a database with none, publish the default rules file first."""
    book = load_rulebook(db)
    if not book:
        path = default_rules_path()
        if not path.exists():
            fail(
                f"no ruleset published and no {path} to publish (set PLAUDIT_RULES or run in the project folder)"
            )
        rules = rules_or_exit(path)
        publish(db, rules, actor="plaudit (first run)")
        err.print(f"published {path} (version {rules.version}) as the first ruleset")
        book = load_rulebook(db)
    return book


@contextlib.contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (quiet when stderr is not a terminal)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
