"""Benchmark: the cost of order independence. The same demo events scored as they come in batches of 1,000, once
in time order and once with 5% of them held back and sent a while later (so they arrive earlier than events
already scored and re-score their employees), in the same run on SQLite. Prints events/s of both, the ratio,
the re-scored employees and the peak RSS; checks that both give the same totals.

    .venv/bin/python bench/arrival_order.py [--events 50000] [--late 0.05] [--behind 10] [--days 28]

A late event re-scores its employee from the start of its month (a checkpoint), so the cost depends on how much
of the employee's month was scored already: ``--days 90`` spreads the events over three months.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import clock  # noqa: E402
from engine.demo.events import the_first_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import accept_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def run(
    roster: list[dict[str, str]], batches: list[list[dict[str, Any]]]
) -> tuple[float, Database]:
    folder = Path(tempfile.mkdtemp(prefix="plaudit-order-"))
    db = open_database(DatabaseConfig(url=f"sqlite:///{folder}/o.sqlite"))
    publish(db, ROOT / "rules.yaml")
    book = load_rulebook(db)
    import_roster(db, [RosterRow.from_record(r) for r in roster])
    scoring = 0.0
    with clock.pinned(NOW, ticking=True):
        for batch in batches:
            accept_events(db, batch, book.current)
            t0 = time.perf_counter()
            process_pending(db, book)
            scoring += time.perf_counter() - t0
    return scoring, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--late", type=float, default=0.05, help="share of events sent late")
    parser.add_argument(
        "--behind",
        type=int,
        default=10,
        help="how many batches after its time a late event is sent",
    )
    parser.add_argument(
        "--days", type=int, default=28, help="days the events span, ending 2026-11-28"
    )
    args = parser.parse_args()
    roster = generate_roster(2000, seed=5)
    seen: set[tuple[str, str]] = set()
    events = []
    start = datetime(2026, 11, 29, tzinfo=UTC) - timedelta(days=args.days)
    for e in the_first_events(roster, args.events, start, args.days, 5):
        if (e["source"], e["id"]) not in seen:
            seen.add((e["source"], e["id"]))
            events.append(e)
    events.sort(key=lambda e: e["occurred_at"])
    rng = random.Random(5)
    late = {i for i in range(len(events)) if rng.random() < args.late}
    on_time = [e for i, e in enumerate(events) if i not in late]
    held = [e for i, e in enumerate(events) if i in late]
    in_order = [events[i : i + 1000] for i in range(0, len(events), 1000)]
    # Each late event is sent --behind batches after its time: later events of its employee are scored by then.
    mixed: list[list[dict[str, Any]]] = [
        on_time[i : i + 1000] for i in range(0, len(on_time), 1000)
    ]
    for n, chunk in enumerate(held[i : i + 50] for i in range(0, len(held), 50)):
        mixed[min(len(mixed) - 1, n * len(mixed) * 50 // max(len(held), 1) + args.behind)] += chunk
    ordered_s, ordered_db = run(roster, in_order)
    mixed_s, mixed_db = run(roster, mixed)
    total = 'SELECT SUM(points) FROM "ledger_entry"'
    same = ordered_db.query(total) == mixed_db.query(total)
    rescored = mixed_db.query(
        "SELECT COUNT(DISTINCT employee), COUNT(*) FROM \"ledger_entry\" WHERE kind = 'rescore'"
    )[0]
    print(
        f"{len(events)} events over {args.days} days, {len(held)} sent late ({args.late:.0%}) "
        f"{args.behind} batches after their time, batches of 1,000, SQLite"
    )
    print(f"in order:   {len(events) / ordered_s:>9,.0f} events/s scoring")
    print(f"5% late:    {len(events) / mixed_s:>9,.0f} events/s scoring "
          f"({rescored[0]} employees re-scored, {rescored[1]} rescore entries)")  # fmt: skip
    print(f"late / in order: {ordered_s / mixed_s:.0%}; same total points: {same}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not same:
        sys.exit("the late run's total differs from the in-order run's")


if __name__ == "__main__":
    main()
