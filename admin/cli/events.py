"""``plaudit import events``, ``process``, ``replay`` and ``simulate``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from admin.cli._common import console, ensure_rulebook, err, fail, open_db, progress, rules_or_exit
from engine.database import Database
from engine.intake import import_events, read_jsonl
from engine.process import ProcessResult, process_pending
from engine.replay import replay as replay_events
from engine.rulebook import load_rulebook
from engine.simulate import PastEvent, Simulation, events_from_db
from engine.simulate import simulate as run_simulation

__all__ = ["import_group", "process", "replay", "simulate"]

EVENTS_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


@click.group(name="import")
def import_group() -> None:
    """Bring data in from files."""


@import_group.command(name="events")
@click.argument("path", type=EVENTS_FILE)
@click.pass_context
def import_events_command(ctx: click.Context, path: Path) -> None:
    """Store canonical events from a JSON Lines file (one event per line) in the inbox."""
    db = open_db(ctx)
    book = ensure_rulebook(db)
    started = time.perf_counter()
    with path.open("rb") as f, progress("importing", _count_lines(path)) as advance:
        summary = import_events(db, read_jsonl(f), book.current, on_batch=advance)
    seconds = time.perf_counter() - started
    for o in summary.rejections:
        err.print(f"{path}:{o.index}: {'; '.join(o.errors)}", markup=False)
    if summary.rejected > len(summary.rejections):
        err.print(f"… and {summary.rejected - len(summary.rejections)} more rejected lines")
    console.print(
        f"{summary.accepted} accepted, {summary.duplicates} duplicates, {summary.rejected} rejected "
        f"in {seconds:.1f}s; run `plaudit process` to score them"
    )
    if summary.rejected:
        raise SystemExit(1)


def _pending(db: Database) -> int:
    return db.query('SELECT COUNT(*) FROM "event" WHERE status = ?', ["pending"])[0][0]


def _report(result: ProcessResult, seconds: float) -> None:
    rate = result.events / seconds if seconds > 0 else 0.0
    console.print(
        f"{result.scored} events scored ({result.entries} ledger entries, {result.points} points), "
        f"{result.parked} parked (unknown employee), {result.skipped} skipped; "
        f"{seconds:.1f}s, {rate:,.0f} events/s"
    )


@click.command()
@click.pass_context
def process(ctx: click.Context) -> None:
    """Score every pending event."""
    db = open_db(ctx)
    book = ensure_rulebook(db)
    started = time.perf_counter()
    with progress("scoring", _pending(db)) as advance:
        result = process_pending(db, book, on_batch=lambda r: advance(r.events))
    _report(result, time.perf_counter() - started)


@click.command()
@click.pass_context
def replay(ctx: click.Context) -> None:
    """Rebuild ledger entries, standings and counters from the events (adjustments are kept)."""
    db = open_db(ctx)
    book = ensure_rulebook(db)
    total = db.query(
        'SELECT COUNT(*) FROM "event" WHERE status IN (?, ?, ?)', ["done", "parked", "pending"]
    )[0][0]
    started = time.perf_counter()
    with progress("replaying", total) as advance:
        result = replay_events(db, book, on_batch=lambda r: advance(r.events))
    _report(result, time.perf_counter() - started)


def _events_from_file(path: Path) -> list[PastEvent]:
    from datetime import datetime

    seen: set[tuple[str, str]] = set()
    out: list[PastEvent] = []
    with path.open("rb") as f:
        for number, raw in read_jsonl(f):
            try:
                if isinstance(raw, str):
                    raise ValueError(raw)
                key = (str(raw.get("source", "")), str(raw["id"]))
                occurred = datetime.fromisoformat(raw["occurred_at"])
                if occurred.tzinfo is None:
                    raise ValueError("occurred_at needs a time zone offset")
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    PastEvent(
                        str(raw["employee"]),
                        str(raw["type"]),
                        occurred,
                        raw.get("attributes") or {},
                    )
                )
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                fail(f"{path}:{number}: {exc}")
    return out


def _print_simulation(sim: Simulation) -> None:
    old, new = sim.published, sim.draft
    console.print(
        f"{sim.events} events; points: published {old.points}, draft {new.points} ({new.points - old.points:+d})"
    )
    rules_table = Table(
        "rule", "published", "draft", "change", "cap hits (pub → draft)", title="Per rule"
    )
    for rule in sorted(set(old.by_rule) | set(new.by_rule) | set(old.cap_hits) | set(new.cap_hits)):
        a, b = old.by_rule[rule], new.by_rule[rule]
        rules_table.add_row(
            rule, str(a), str(b), f"{b - a:+d}", f"{old.cap_hits[rule]} → {new.cap_hits[rule]}"
        )
    console.print(rules_table)
    changes = Table(
        "employee", "published", "draft", "change", title="Biggest changes per employee"
    )
    for emp, a, b in sim.biggest_changes():
        changes.add_row(emp, str(a), str(b), f"{b - a:+d}")
    console.print(changes)
    top = Table("rank", "published", "draft", title="Top 10")
    old_top, new_top = old.top(), new.top()

    def cell(rows: list[tuple[str, int]], i: int) -> str:
        return f"{rows[i][0]} ({rows[i][1]})" if i < len(rows) else ""

    for i in range(max(len(old_top), len(new_top))):
        top.add_row(str(i + 1), cell(old_top, i), cell(new_top, i))
    console.print(top)
    for side, totals in (("published", old), ("draft", new)):
        for reason, n in totals.not_scored.most_common(5):
            console.print(f"{side}: {n} events not scored: {reason}", markup=False)


@click.command()
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The draft rules file.",
)
@click.option(
    "--events",
    "events_path",
    type=EVENTS_FILE,
    help="JSON Lines events (default: the events in the database).",
)
@click.pass_context
def simulate(ctx: click.Context, rules_path: Path, events_path: Path | None) -> None:
    """Dry run of a draft program on past events beside the published one; writes nothing."""
    # A draft's own tests may describe the old points: report them, but simulate anyway.
    draft = rules_or_exit(rules_path, run_tests=False)
    for check in draft.run_checks():
        if not check.ok:
            err.print(
                f"{rules_path}:{check.line}: test {check.name!r} fails: {check.message}",
                markup=False,
            )
    db = open_db(ctx)
    book = load_rulebook(db)
    events = _events_from_file(events_path) if events_path else events_from_db(db)
    _print_simulation(run_simulation(draft, events, book))
