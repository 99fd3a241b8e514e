"""Benchmark: intake + scoring into the embedded SQLite database, then a full replay.

Prints events/s for import, process and replay, and the peak RSS. Not a test: run it by hand, e.g.

    .venv/bin/python bench/scoring.py --employees 10000 --events 1000000
    DATABASE_URL=postgresql://… .venv/bin/python bench/scoring.py --events 200000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.defaults import BATCH_SIZE  # noqa: E402
from engine.demo.events import the_first_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import import_events  # noqa: E402
from engine.scoring.replay import replay  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--intake-batch", type=int, default=1000, help="events per intake request")
    parser.add_argument(
        "--batch", type=int, default=BATCH_SIZE, help="events per scoring transaction"
    )
    parser.add_argument("--no-replay", action="store_true")
    args = parser.parse_args()

    url = (
        os.environ.get("DATABASE_URL")
        or f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-bench-')}/bench.sqlite"
    )
    db = open_database(DatabaseConfig(url=url))
    publish(db, ROOT / "rules.yaml")
    book = load_rulebook(db)

    roster = generate_roster(args.employees, seed=11)
    import_roster(db, [RosterRow.from_record(r) for r in roster])
    stream = the_first_events(roster, args.events, datetime(2026, 10, 1, tzinfo=UTC), args.days, 11)
    numbered = enumerate(stream, start=1)

    t0 = time.perf_counter()
    intake = import_events(db, numbered, book.current, batch_size=args.intake_batch)
    t1 = time.perf_counter()
    result = process_pending(db, book, batch_size=args.batch)
    t2 = time.perf_counter()
    print(
        f"database: {db.dialect}; {args.employees} employees; {intake.accepted} events ({intake.duplicates} duplicates)"
    )
    print(
        f"import:  {intake.accepted + intake.duplicates:>9} events in {t1 - t0:6.1f}s = {(intake.accepted + intake.duplicates) / (t1 - t0):>9,.0f} events/s"
    )
    print(
        f"process: {result.events:>9} events in {t2 - t1:6.1f}s = {result.events / (t2 - t1):>9,.0f} events/s ({result.entries} ledger entries)"
    )
    print(f"import + process: {(intake.accepted + intake.duplicates) / (t2 - t0):,.0f} events/s")
    if not args.no_replay:
        t3 = time.perf_counter()
        again = replay(db, book)
        t4 = time.perf_counter()
        print(
            f"replay:  {again.events:>9} events in {t4 - t3:6.1f}s = {again.events / (t4 - t3):>9,.0f} events/s"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
