"""Benchmark: what badge evaluation costs the scoring engine, with the default program's badges.

The same events are scored twice in this run, into two fresh SQLite files: by rules.yaml as it is and by
rules.yaml without its `badges:` and `awards:` sections. Prints events/s of each and the difference (the issue
asks for at most 20%). Not a test: run it by hand, e.g.

    .venv/bin/python bench/badge_scoring.py --employees 10000 --events 200000
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.events import generate_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import import_events  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.scoring.score import process_pending  # noqa: E402
from engine.storage.database import DatabaseConfig, open_database  # noqa: E402
from rules import load_rules_text  # noqa: E402


def without_badges(text: str) -> str:
    """rules.yaml minus its top-level badges: and awards: sections."""
    return re.sub(r"^(badges|awards):\n(?:(?:[ #].*)?\n)*", "", text, flags=re.M)


def run(text: str, events: list, roster: list) -> tuple[float, int]:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='plaudit-bench-badges-')}/bench.sqlite"
    db = open_database(DatabaseConfig(url=url))
    publish(db, load_rules_text(text, run_tests=False))
    book = load_rulebook(db)
    import_roster(db, [RosterRow.from_record(r) for r in roster])
    import_events(db, enumerate(events, 1), book.current, batch_size=1000)
    t = time.perf_counter()
    result = process_pending(db, book)
    elapsed = time.perf_counter() - t
    db.close()
    return result.events / elapsed, result.badges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    text = (ROOT / "rules.yaml").read_text()
    plain = without_badges(text)
    assert "badges:" not in plain and load_rules_text(plain, run_tests=False).badges == ()
    roster = generate_roster(args.employees, seed=11)
    per_day = args.events / args.employees / args.days * 1.05
    stream = generate_events(
        roster,
        datetime(2026, 10, 1, tzinfo=UTC),
        args.days,
        seed=11,
        events_per_employee_per_day=per_day,
    )
    events = list(islice(stream, args.events))
    badges = len(load_rules_text(text, run_tests=False).badges)
    # Alternated, best of --rounds each: the machine is shared, so a single pair would mostly measure noise.
    base = with_badges = 0.0
    earned = 0
    for _ in range(args.rounds):
        base = max(base, run(plain, events, roster)[0])
        rate, earned = run(text, events, roster)
        with_badges = max(with_badges, rate)
    print(f"{len(events):,} events, {args.employees:,} employees, SQLite")
    print(f"process without badges: {base:>9,.0f} events/s")
    print(
        f"process with {badges} badges:  {with_badges:>9,.0f} events/s ({earned:,} badge tiers earned)"
    )
    print(f"badge evaluation costs {100 * (1 - with_badges / base):.1f}% of throughput")


if __name__ == "__main__":
    main()
