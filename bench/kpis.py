"""Benchmark: the program KPIs (engine/insight/kpis.py) of 12 months over a year of a generated program. Prints figures.

    .venv/bin/python bench/kpis.py [--employees 100000] [--events 2000000] [--runs 7] [--postgres]

The HR report asks for every period at once, so the figure is the time of one whole report (12 months by
default): p50 and p99 over ``--runs`` runs, after one warm-up. The data is a year of engine/demo's
stream stored as the inbox holds it (straight into the event table: scoring is not what is measured), the
roster created before the year with a few leavers and joiners during it, the stream's shoutouts as shoutout
rows, and points-board standings per month (lognormal scores for the month's active people).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.defaults import BOARD_POINTS  # noqa: E402
from engine.demo.events import generate_events  # noqa: E402
from engine.demo.roster import generate_roster  # noqa: E402
from engine.insight.kpis import compute_kpis, last_periods  # noqa: E402
from engine.people.directory import set_active  # noqa: E402
from engine.people.roster import RosterRow, import_roster  # noqa: E402
from engine.scoring.intake import EVENT_COLUMNS  # noqa: E402
from engine.scoring.rulesets import load_rulebook, publish  # noqa: E402
from engine.storage.database import Database, DatabaseConfig, open_database  # noqa: E402
from rules import CompiledRules  # noqa: E402
from rules.periods import period_start  # noqa: E402
from tests.servers import scratch_database  # noqa: E402

__all__ = ["main"]

#: The year: December 2025 to November 2026 in Amsterdam; the report is asked on its last day.
START = datetime(2025, 11, 30, 23, 0, tzinfo=UTC)
DAYS = 365
ASKED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHUNK = 20_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_roster(db: Database, employees: int, rng: random.Random) -> list[dict[str, str]]:
    """95% on the roster before the year, 5% joining in June; 3% leaving at a random day of it."""
    roster = generate_roster(employees, seed=11)
    rows = [RosterRow.from_record(r) for r in roster]
    cut = int(len(rows) * 0.95)
    import_roster(db, rows[:cut], now=START - timedelta(days=30))
    import_roster(db, rows[cut:], now=datetime(2026, 6, 1, tzinfo=UTC))
    ids = [eid for (eid,) in db.query('SELECT id FROM "employee" ORDER BY id')]
    leavers = rng.sample(ids, len(ids) * 3 // 100)
    with db.transaction():
        for day in range(0, DAYS, 7):  # a batch of leavers a week
            week = leavers[day // 7 :: DAYS // 7 + 1]
            set_active(db, week, False, START + timedelta(days=day + 3))
    return roster


def load_events(db: Database, roster: list[dict[str, str]], events: int) -> tuple[int, int]:
    """The stream into the event table as intake stores it (refs, times, JSON attributes), status done;
    its shoutouts also as shoutout rows. Returns (events stored, shoutouts)."""
    ids = dict(db.query('SELECT external_id, id FROM "employee"'))
    ids |= dict(db.query('SELECT email, id FROM "employee" WHERE email IS NOT NULL'))
    per_day = events / len(roster) / DAYS
    stream = islice(
        generate_events(
            roster, START, DAYS, seed=11, events_per_employee_per_day=per_day, source="bench"
        ),
        events,
    )
    encode = msgspec.json.Encoder().encode
    if db.dialect == "postgres":
        stamp = datetime.fromisoformat
    else:

        def stamp(text: str) -> str:
            return text.replace("T", " ", 1)

    shoutouts: list[tuple[int, int | None, str, str, str, str]] = []
    recipients: list[tuple[int, int]] = []
    stored = 0
    while chunk := list(islice(stream, CHUNK)):
        rows = []
        for e in chunk:
            # The stream's times are UTC ("…T09:14:22+00:00"): SQLite's stored form differs by the "T" only.
            at = stamp(e["occurred_at"])
            rows.append(
                (
                    e["source"],
                    e["id"],
                    e["type"],
                    e["employee"],
                    0,
                    at,
                    at,
                    encode(e["attributes"]).decode(),
                    "done",
                    None,
                )
            )
            if e["type"] == "shoutout_received" and (to := ids.get(e["employee"])) is not None:
                sid = len(shoutouts) + 1
                giver = ids.get(e["attributes"]["giver"])
                month = e["occurred_at"][:7]
                shoutouts.append((sid, giver, e["attributes"]["value"], "thanks", month, at))
                recipients.append((sid, to))
        with db.transaction():
            stored += db.insert_rows(
                "event",
                EVENT_COLUMNS,
                rows,
                ("source", "external_id"),
            )
    with db.transaction():
        db.insert_rows(
            "shoutout", ("id", "giver", "value", "message", "period", "created_at"), shoutouts
        )
        db.insert_rows("shoutout_recipient", ("shoutout", "employee"), recipients)
    return stored, len(shoutouts)


def load_standings(db: Database, rules: CompiledRules, rng: random.Random) -> int:
    """Points per month for about 40% of the roster each month: what the top contributors are read from."""
    ids = [eid for (eid,) in db.query('SELECT id FROM "employee"')]
    tz = rules.timezone
    rows = []
    for key in last_periods(rules, "month", 12, ASKED_AT):
        start = period_start(key, tz)
        for eid in rng.sample(ids, len(ids) * 2 // 5):
            reached = db.ts(start + timedelta(seconds=rng.randrange(28 * 86_400)))
            rows.append((BOARD_POINTS, key, eid, int(rng.lognormvariate(3.0, 1.2)) + 1, reached))
    with db.transaction():
        db.insert_rows("standing", ("board", "period", "employee", "score", "reached_at"), rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--period", default="month", choices=("week", "month", "quarter"))
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5, help="timed reports after one warm-up")
    parser.add_argument("--postgres", action="store_true", help="on a PostgreSQL started for it")
    args = parser.parse_args()
    rng = random.Random(7)

    with scratch_database(args.postgres) as url:
        db = open_database(DatabaseConfig(url=url))
        publish(db, ROOT / "rules.yaml")
        rules = load_rulebook(db).current
        assert rules is not None
        t0 = time.perf_counter()
        roster = load_roster(db, args.employees, rng)
        stored, shoutouts = load_events(db, roster, args.events)
        standings = load_standings(db, rules, rng)
        if db.dialect == "postgres":
            db.execute("VACUUM ANALYZE")
        print(
            f"database: {db.dialect}; {args.employees:,} employees, {stored:,} events, "
            f"{shoutouts:,} shoutouts, {standings:,} standings rows (loaded in {time.perf_counter() - t0:.0f} s)"
        )

        compute_kpis(
            db, rules, args.period, args.periods, at=ASKED_AT
        )  # warm-up: caches, first plans
        samples = []
        for _ in range(args.runs):
            t = time.perf_counter()
            report = compute_kpis(db, rules, args.period, args.periods, at=ASKED_AT)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        p50 = samples[len(samples) // 2]
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        last = report[-2] if len(report) > 1 else report[-1]
        print(
            f"periods: {len(report)} {args.period}s ({report[0].period} .. {report[-1].period}); "
            f"report p50 {p50:,.0f} ms, p99 {p99:,.0f} ms ({p50 / len(report):,.0f} ms a period)"
        )
        print(
            f"{last.period}: invited {last.invited:,}, accounts {last.accounts:,}, active {last.active:,}, "
            f"shares {last.shares:,}, reach {last.organic_reach:,}, engagement/share "
            f"{last.engagement_per_share:.2f}, referrals {last.referrals_submitted}/{last.referrals_hired}, "
            f"shoutouts {last.shoutouts_given:,}"
        )
        db.close()
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
