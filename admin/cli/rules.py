"""``plaudit rules validate|explain|publish``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from admin.cli._common import console, err, fail, open_db, rules_or_exit
from engine.rulebook import PublishError, default_rules_path, publish

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


@rules.command(name="publish")
@click.argument("path", type=RULES_PATH, required=False)
@click.option("--actor", default="cli", help="Who publishes (kept with the ruleset).")
@click.pass_context
def publish_command(ctx: click.Context, path: Path | None, actor: str) -> None:
    """Publish a validated rules file as a new immutable version."""
    path = path or default_rules_path()
    compiled = rules_or_exit(path)
    db = open_db(ctx)
    try:
        _, new = publish(db, compiled, actor=actor)
    except PublishError as exc:
        fail(str(exc))
    version = compiled.version
    console.print(
        f"published version {version}" if new else f"version {version} was already published"
    )
