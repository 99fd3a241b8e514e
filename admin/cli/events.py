"""``plaudit import events``, ``process``, ``replay`` and ``simulate``."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.table import Table

from admin.cli._common import console, ensure_rulebook, err, fail, open_db, progress, rules_or_exit
from engine import clock
from engine.insight.simulate import (
    PastEvent,
    Placement,
    Simulation,
    events_from_db,
    facts_from_db,
    simulate_recent,
)
from engine.insight.simulate import simulate as run_simulation
from engine.scoring.intake import import_events, read_jsonl
from engine.scoring.replay import replay as replay_events
from engine.scoring.rulesets import load_rulebook
from engine.scoring.score import ProcessResult, process_pending
from engine.storage.database import Database

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


def _placements(places: tuple[Placement, ...] | None) -> str:
    if places is None:
        return "(not in this program)"
    if not places:
        return "nobody eligible"
    return ", ".join(
        f"{p.employee} ({p.metric})" + (" shortlisted" if p.status == "shortlisted" else "")
        for p in places
    )


def _print_simulation(sim: Simulation) -> None:
    old, new = sim.published, sim.draft
    if sim.window_start is not None and sim.window_end is not None:
        console.print(
            f"window: {sim.window_start:%Y-%m-%d %H:%M} → {sim.window_end:%Y-%m-%d %H:%M} UTC "
            "(counters, caps and badge progress start empty at its first event on both sides)"
        )
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

    def place(rank: int | None, points: int) -> str:
        return f"{rank} ({points})" if rank is not None else "-"

    top = Table(
        "employee",
        "draft rank (points)",
        "published rank (points)",
        "move",
        title=f"Top {sim.top_n}: draft beside published",
    )
    for m in sim.top_diff():
        top.add_row(
            m.employee,
            place(m.draft_rank, m.draft_points),
            place(m.published_rank, m.published_points),
            m.label,
        )
    console.print(top)

    if sim.badge_changes:
        badges = Table(
            "badge",
            "published",
            "draft",
            "gained",
            "lost",
            "examples",
            title="Badge changes (employees earning it in the window)",
        )
        for c in sim.badge_changes:
            examples = "; ".join(
                part
                for part in (
                    f"+ {', '.join(c.gained_examples)}" if c.gained_examples else "",
                    f"− {', '.join(c.lost_examples)}" if c.lost_examples else "",
                )
                if part
            )
            badges.add_row(
                c.label, str(c.published), str(c.draft), f"+{c.gained}", f"−{c.lost}", examples
            )
        console.print(badges)
    else:
        console.print("Badge changes: none (the same badges would be earned under both)")

    shown = [a for a in sim.award_changes if a.scope == "company" or a.changed]
    if shown:
        awards = Table("award", "period", "scope", "published", "draft", "", title="Award changes")
        for change in shown:
            awards.add_row(
                change.name,
                change.period + (" (partly in window)" if change.partial else ""),
                change.team if change.scope == "team" else change.scope,
                _placements(change.published),
                _placements(change.draft),
                "changed" if change.changed else "same",
            )
        console.print(awards)
    unchanged = sum(1 for a in sim.award_changes if a.scope != "company" and not a.changed)
    if unchanged:
        console.print(f"{unchanged} team award results unchanged (not shown)")
    if not sim.award_changes:
        console.print("Award changes: no award period in the window")
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
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Only the events of the last N days (default: all of them).",
)
@click.option(
    "--top",
    "top_n",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Top N to compare.",
)
@click.pass_context
def simulate(
    ctx: click.Context, rules_path: Path, events_path: Path | None, days: int | None, top_n: int
) -> None:
    """Dry run of a draft program on past events beside the published one; writes nothing.

    Shows per-rule totals, the biggest changes per employee, the top N of each side, the badges people would
    earn or miss and the award winners of each period in the window.
    """
    # A draft's own tests may describe the old points: report them, but simulate anyway.
    draft = rules_or_exit(rules_path, run_tests=False)
    for check in draft.run_checks():
        if not check.ok:
            err.print(
                f"{rules_path}:{check.line}: test {check.name!r} fails: {check.message}",
                markup=False,
            )
    db = open_db(ctx)
    now = clock.now()
    since = now - timedelta(days=days) if days else None
    if events_path is None and days:
        sim = simulate_recent(db, draft, days, now, top_n=top_n)
    else:
        events = _events_from_file(events_path) if events_path else events_from_db(db)
        if since is not None:
            events = [e for e in events if since <= e.occurred_at < now]
        sim = run_simulation(
            draft,
            events,
            load_rulebook(db),
            top_n=top_n,
            facts=facts_from_db(db, since),
            since=since,
            until=now if since is not None else None,
        )
    _print_simulation(sim)
