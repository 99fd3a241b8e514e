"""Generate a synthetic program for the benchmarks: a roster CSV and an events JSONL file. Prints figures.

    python bench/generate.py --employees 100000 --days 30 --events 1000000 --out bench/out/

Writes `<out>/roster.csv` (the columns of the roster import) and `<out>/events.jsonl` (one canonical event a
line, as the batch API and `plaudit import events` take them), exactly `--events` lines including the retried
duplicates and the late deliveries. The events-per-employee-per-day rate is chosen to reach `--events`
within the window; the stream is cut at exactly that count.

Two passes over the same (deterministic) stream: the first only generates, so the figure printed is the
generator's own rate (engine/demo/events.py aims at 300,000 events/s or more); the second encodes and writes.
`--no-measure` skips the first.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.demo.events import generate_events  # noqa: E402
from engine.demo.roster import ROSTER_COLUMNS, generate_roster  # noqa: E402

__all__ = ["main"]

BATCH = 500  # small batches: events die young, so the garbage collector stays cheap
HEADROOM = 1.01  # generate slightly more than asked, then cut at exactly --events


def _encoder():
    """msgspec when installed (a project dependency, ~10x faster), else the standard library's json."""
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency of plaudit
        import json

        return lambda event: (json.dumps(event, ensure_ascii=False) + "\n").encode()
    encode = msgspec.json.Encoder().encode
    return lambda event: encode(event) + b"\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1_000, help="roster size (default 1000)")
    parser.add_argument("--days", type=int, default=30, help="length of the window in days")
    parser.add_argument("--events", type=int, default=None, help="exact number of event lines")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="output directory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=datetime(2026, 11, 2, tzinfo=UTC),
        help="first day (ISO 8601, default 2026-11-02, UTC when no offset is given)",
    )
    parser.add_argument("--duplicate-rate", type=float, default=0.01)
    parser.add_argument("--late-rate", type=float, default=0.02)
    parser.add_argument("--source", default="bench")
    parser.add_argument("--no-measure", action="store_true", help="skip the generation-only pass")
    args = parser.parse_args(argv)
    if args.employees < 1 or args.days < 1:
        parser.error("--employees and --days must be at least 1")
    events = args.events if args.events is not None else args.employees * args.days
    if events < 0:
        parser.error("--events must not be negative")
    # The stream holds about unique * (1 + duplicate_rate) lines; aim a little above, cut at exactly `events`.
    rate = events * HEADROOM / (args.employees * args.days * (1 + args.duplicate_rate))

    args.out.mkdir(parents=True, exist_ok=True)
    roster_path = args.out / "roster.csv"
    events_path = args.out / "events.jsonl"

    t0 = time.perf_counter()
    roster = generate_roster(args.employees, seed=args.seed)
    t_roster = time.perf_counter() - t0
    with roster_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(ROSTER_COLUMNS))
        writer.writeheader()
        writer.writerows(roster)
    print(f"roster: {len(roster):,} employees in {t_roster:.2f} s -> {roster_path}")

    def stream():
        return itertools.islice(
            generate_events(
                roster,
                args.start,
                args.days,
                seed=args.seed,
                events_per_employee_per_day=rate,
                duplicate_rate=args.duplicate_rate,
                late_rate=args.late_rate,
                source=args.source,
            ),
            events,
        )

    if not args.no_measure:
        w0, c0 = time.perf_counter(), time.process_time()
        generated = sum(1 for _ in stream())
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(
            f"generation: {generated:,} events ({rate:.3f} per employee per day) in {wall:.2f} s: "
            f"{generated / max(wall, 1e-9):,.0f} events/s (cpu {cpu:.2f} s: "
            f"{generated / max(cpu, 1e-9):,.0f} events/s)"
        )

    encode = _encoder()
    w0 = time.perf_counter()
    count = 0
    events_iter = stream()
    with events_path.open("wb") as fh:
        while batch := list(itertools.islice(events_iter, BATCH)):
            fh.write(b"".join(map(encode, batch)))
            count += len(batch)
    wall = time.perf_counter() - w0
    print(
        f"events: {count:,} written in {wall:.2f} s (generate + encode + write): "
        f"{count / max(wall, 1e-9):,.0f} events/s -> {events_path}"
    )
    if count < events:
        print(f"  note: the window produced only {count:,} of {events:,} events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
