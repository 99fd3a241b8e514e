"""Benchmark: a 100,000-row roster CSV imported from the file, as `plaudit roster import` does it.

Three runs on one database: the first import (everyone created), a dry run of the next file, and the next
file imported (10% moved team, 2% left: absent from the file, deactivated with --deactivate-missing). Prints
rows/s, seconds and the peak RSS. Target (issue 6): a 100,000-row import in at most 30 s. Not a test:

    .venv/bin/python bench/roster_import.py [--rows 100000] [--postgres]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import import_roster, plan_roster, read_roster  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402
from tests.servers import scratch_database  # noqa: E402

COLUMNS = ("external_id", "email", "given_name", "family_name", "team", "department", "locale")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def as_csv(records: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def timed(label: str, rows: int, work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    outcome = work()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s  {rows / seconds:>9,.0f} rows/s  {outcome}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="a real PostgreSQL on a free port")
    args = parser.parse_args()

    records = generate_roster(args.rows, seed=3)
    rng = random.Random(5)
    teams = sorted({r["team"] for r in records})
    following = []
    for r in records:
        if rng.random() < 0.02:
            continue  # left the company
        moved = dict(r)
        if rng.random() < 0.10:
            moved["team"] = rng.choice(teams)
        following.append(moved)
    folder = Path(tempfile.mkdtemp(prefix="plaudit-roster-"))
    first, second = folder / "employees.csv", folder / "employees-next.csv"
    first.write_text(as_csv(records), encoding="utf-8")
    second.write_text(as_csv(following), encoding="utf-8")
    print(f"{args.rows:,} rows, {first.stat().st_size / 1e6:.1f} MB of CSV")

    with scratch_database(args.postgres) as url:
        db = open_database(DatabaseConfig(url=url))
        print(f"database: {db.dialect}")

        def first_import() -> str:
            result = import_roster(db, first)
            return f"{result.created:,} created"

        def dry_run() -> str:
            plan = plan_roster(db, read_roster(second), deactivate_missing=True)
            return f"{len(plan.changed):,} to change, {len(plan.missing):,} to deactivate"

        def next_import() -> str:
            result = import_roster(db, second, deactivate_missing=True)
            return f"{result.updated:,} updated, {result.deactivated:,} deactivated"

        took = timed("first import (parse + create)", args.rows, first_import)
        timed("dry run of the next file (parse + diff)", len(following), dry_run)
        took_next = timed("next import (update + deactivate missing)", len(following), next_import)
        db.close()
    print(f"peak RSS {peak_rss_mb():.0f} MB")
    worst = max(took, took_next)
    print(
        f"target: a {args.rows:,}-row import in <= 30 s: {'met' if worst <= 30 else 'MISSED'} ({worst:.1f} s)"
    )


if __name__ == "__main__":
    main()
