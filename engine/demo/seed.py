"""Demo data: a generated roster and a realistic stretch of events, scored, for a first look at Plaudit."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from engine import clock
from engine.defaults import SOURCE_DEMO
from engine.demo.events import generate_events
from engine.demo.roster import generate_roster
from engine.people.roster import RosterRow, import_roster
from engine.scoring.intake import IntakeSummary, import_events
from engine.scoring.rulesets import RuleBook
from engine.scoring.score import ProcessResult, process_pending
from engine.storage.database import Database

__all__ = ["DemoResult", "seed_demo"]


@dataclass
class DemoResult:
    employees: int
    intake: IntakeSummary
    scoring: ProcessResult


def seed_demo(
    db: Database,
    book: RuleBook,
    employees: int = 300,
    days: int = 30,
    seed: int = 7,
    end: datetime | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> DemoResult:
    """Generate ``days`` of events ending at ``end`` (default: now) for ``employees`` people, and score them.

    Running it again adds nothing: the generator is seeded, so the same events arrive under the same ids.
    """
    end = end or clock.now()
    start = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    roster = generate_roster(employees, seed=seed)
    rows = [
        replace(RosterRow.from_record(r), joined_at=_joined(r["external_id"], start, seed))
        for r in roster
    ]
    import_roster(db, rows, now=start)
    events = (
        (i, e)
        for i, e in enumerate(
            generate_events(roster, start, days, seed=seed, source=SOURCE_DEMO), start=1
        )
        if datetime.fromisoformat(e["occurred_at"]) <= end
    )
    report = on_progress or (lambda stage, n: None)
    intake = import_events(db, events, book.current, on_batch=lambda n: report("import", n))
    scoring = process_pending(db, book, on_batch=lambda r: report("score", r.events))
    return DemoResult(len(rows), intake, scoring)


def _joined(external_id: str, start: datetime, seed: int) -> datetime:
    """A launch in waves over the two weeks before the first event: the KPIs' "invited" has a history."""
    days = random.Random(f"{seed}-{external_id}").randint(1, 14)
    return (start - timedelta(days=days)).replace(hour=9)
