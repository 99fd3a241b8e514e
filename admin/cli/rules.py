"""``plaudit rules validate|explain|publish|history``."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from admin.cli._common import console, err, fail, open_db, rules_or_exit
from engine.scoring.rulesets import PublishError, default_rules_path, publish
from engine.storage.audit import RULES_PUBLISHED, recent

__all__ = ["rules"]

RULES_PATH = click.Path(dir_okay=False, path_type=Path)


@click.group()
def rules() -> None:
    """The incentive program (rules.yaml)."""


@rules.command()
@click.argument("path", type=RULES_PATH, required=False)
def validate(path: Path | None) -> None:
    """Check a rules file and run its tests: section; every problem as FILE:LINE:COL (exit 1)."""
    path = path or default_rules_path()
    compiled = rules_or_exit(path)
    checks = compiled.run_checks()
    console.print(
        f"{path}: program {compiled.program_id} version {compiled.version}: "
        f"{len(compiled.rule_ids)} rules, {len(checks)} tests passed"
    )


@rules.command()
@click.argument("event_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rules", "rules_path", type=RULES_PATH, help="Rules file (default: rules.yaml).")
def explain(event_file: Path, rules_path: Path | None) -> None:
    """Which rules an event matches, why the others do not, and the points (as a first event)."""
    compiled = rules_or_exit(rules_path or default_rules_path())
    try:
        raw = json.loads(event_file.read_text(encoding="utf-8"))
        etype, attributes = raw["type"], raw.get("attributes", {})
        occurred = datetime.fromisoformat(raw["occurred_at"])
    except (ValueError, KeyError, TypeError) as exc:
        fail(
            f"{event_file}: expected a JSON event with type, occurred_at (ISO with offset) and attributes ({exc})"
        )
        return
    if occurred.tzinfo is None:
        fail(f"{event_file}: occurred_at needs a time zone offset")
    problems = compiled.validate_event(etype, attributes)
    for p in problems:
        err.print(f"{event_file}: {p}", markup=False)
    if problems:
        sys.exit(1)
    attributes = compiled.normalize(etype, attributes)
    total = 0
    for ex in compiled.explain(etype, attributes, occurred):
        if ex.award is not None:
            total += ex.award.points
            console.print(
                f"[green]✓[/green] {ex.rule_id}: {ex.award.points} points: {'; '.join(ex.award.reasons)}"
            )
        else:
            console.print(f"[dim]✗ {ex.rule_id}: {ex.why}[/dim]")
    console.print(f"total: {total} points")


def _os_user() -> str:
    """The operating-system user running the command (the audit log's actor), or "unknown"."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no LOGNAME/USER (containers)
        return "unknown"


@rules.command(name="publish")
@click.argument("path", type=RULES_PATH, required=False)
@click.option(
    "--actor",
    help="Who publishes, kept with the ruleset and in the audit log (default: cli:<os user>).",
)
@click.pass_context
def publish_command(ctx: click.Context, path: Path | None, actor: str | None) -> None:
    """Publish a validated rules file as a new immutable version (recorded in the audit log)."""
    path = path or default_rules_path()
    compiled = rules_or_exit(path)
    db = open_db(ctx)
    actor = actor if actor is not None else f"cli:{_os_user()}"
    if not actor.strip():
        fail("--actor: name who publishes (the audit log keeps it)")
    try:
        _, new = publish(db, compiled, actor=actor)
    except PublishError as exc:
        fail(str(exc))
    version = compiled.version
    if not new:
        console.print(f"version {version} was already published")
        return
    console.print(f"published version {version}")
    for line in recent(db, 1, action=RULES_PUBLISHED, subject=version):
        console.print(f"audit: {line.summary} by {line.actor}", markup=False)


@rules.command(name="history")
@click.option("--diff", "version", metavar="VERSION", help="Print the stored diff of VERSION.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def history(ctx: click.Context, version: str | None, limit: int) -> None:
    """Who published which rules version when, newest first; --diff VERSION shows what it changed."""
    db = open_db(ctx)
    if version is not None:
        found = recent(db, 1, action=RULES_PUBLISHED, subject=version)
        if not found:
            fail(f"no published version {version!r} in the audit log (see `plaudit rules history`)")
        entry = found[0]
        err.print(
            f"{entry.summary} by {entry.actor} at {entry.at:%Y-%m-%d %H:%M:%S} UTC", markup=False
        )
        # Plain output: a diff is for reading and piping (`| less`, `> change.diff`), not for rich markup.
        click.echo(entry.detail or "(no changes)", nl=not entry.detail.endswith("\n"))
        return
    entries = recent(db, limit, action=RULES_PUBLISHED)
    if not entries:
        console.print("no rules published yet")
        return
    table = Table("published at (UTC)", "version", "actor", "summary", title="Rules history")
    for entry in entries:
        table.add_row(
            f"{entry.at:%Y-%m-%d %H:%M:%S}",
            escape(entry.subject),
            escape(entry.actor),
            escape(entry.summary),
        )
    console.print(table)
