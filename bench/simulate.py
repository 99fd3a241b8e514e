"""Benchmark: simulating a draft program on the last 30 days of events, as HR does before publishing.

A generated company (engine/demo/) of ``--employees`` people sends about ``--events`` events over the 30
days before ``--now`` plus a few days before them (which the window must leave out); they go into a fresh
SQLite file through the ordinary intake and are scored, so the database looks like a running program's. Then
``simulate_recent`` runs the draft (the default rules.yaml with share points raised, a badge made easier and
the employee of the month made stricter) against the published rules: loading the window's events and the
roster, scoring both sides, badges, the top 10 and awards. Prints events, seconds, events/s and peak memory.
Not a test: run it by hand, e.g.

    .venv/bin/python bench/simulate.py --employees 3000 --events 100000
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.events import generate_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.insight.simulate import simulate_recent  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import import_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402
from rules import load_rules_text  # noqa: E402

__all__ = ["draft_text", "main"]

DAYS = 30
BEFORE = 3  # days of events before the window, which it must leave out


def draft_text(text: str) -> str:
    """The default program with changes a rules editor makes: every change must be one real replacement."""
    changes = [
        ("    points: 10\n", "    points: 15\n"),  # share
        ("tiers: {bronze: 5, silver: 15, gold: 30}", "tiers: {bronze: 3, silver: 10, gold: 20}"),
        ("min_active_days: 5", "min_active_days: 8"),
    ]
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.replace('version: "2026.11"', 'version: "2026.12-draft"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=3_000)
    parser.add_argument("--events", type=int, default=100_000, help="events in the window (about)")
    parser.add_argument(
        "--now", type=datetime.fromisoformat, default=datetime(2026, 12, 1, tzinfo=UTC)
    )
    parser.add_argument("--rounds", type=int, default=2, help="timed runs; the best is printed")
    args = parser.parse_args()
    now: datetime = args.now if args.now.tzinfo else args.now.replace(tzinfo=UTC)
    start = (now - timedelta(days=DAYS + BEFORE)).replace(hour=0, minute=0, second=0, microsecond=0)

    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    draft = load_rules_text(draft_text(text), run_tests=False)
    roster = generate_roster(args.employees, seed=5)
    days = DAYS + BEFORE + 1
    per_day = args.events / args.employees / DAYS
    events = list(
        generate_events(
            roster, start, days, seed=5, events_per_employee_per_day=per_day, duplicate_rate=0
        )
    )

    url = f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-bench-simulate-')}/bench.sqlite"
    db = open_database(DatabaseConfig(url=url))
    publish(db, load_rules_text(text, run_tests=False), actor="bench")
    book = load_rulebook(db)
    import_roster(db, [RosterRow.from_record(r) for r in roster])
    t = time.perf_counter()
    import_events(db, enumerate(events, 1), book.current, batch_size=1000)
    process_pending(db, book)
    prepared = time.perf_counter() - t
    total = db.query('SELECT COUNT(*) FROM "event"')[0][0]
    print(
        f"{args.employees:,} employees, {total:,} events stored and scored over {days} days "
        f"({prepared:.1f}s), SQLite; draft: share 10 -> 15 points, easier monthly-sharer, "
        "stricter employee of the month"
    )

    best = float("inf")
    sim = None
    for _ in range(max(1, args.rounds)):
        gc.collect()
        t = time.perf_counter()
        sim = simulate_recent(db, draft, DAYS, now)
        best = min(best, time.perf_counter() - t)
    assert sim is not None
    # Peak memory of one more run, traced (tracemalloc slows Python down, so it is not timed).
    gc.collect()
    tracemalloc.start()
    simulate_recent(db, draft, DAYS, now)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    outside = total - sim.events
    print(
        f"window: last {DAYS} days before {now:%Y-%m-%d}: {sim.events:,} events ({outside:,} older left out)"
    )
    print(
        f"simulation (load, both sides, badges, top 10, awards): {best:.2f}s, "
        f"{sim.events / best:,.0f} events/s (best of {args.rounds})"
    )
    print(
        f"peak memory of the simulation: {peak / 2**20:.1f} MiB traced; process peak RSS {rss:.0f} MiB"
    )
    print(
        f"points: published {sim.published.points:,}, draft {sim.draft.points:,}; "
        f"top-10 moves: {sum(1 for m in sim.top_diff() if m.move != 'same')}; "
        f"badge changes: {len(sim.badge_changes)}; award results: {len(sim.award_changes)} "
        f"({sum(1 for a in sim.award_changes if a.changed)} changed)"
    )
    db.close()


if __name__ == "__main__":
    main()
