"""Event intake: canonical events into the inbox, exactly once per (source, external id).

Intake only checks and stores; scoring happens later in ``engine.process``. An event is checked against the
program's event types here so a tool hears about a wrong field at once (a 4xx naming it), not after the fact.
A rejected event is not stored: the tool fixes it and sends it again under the same id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

import msgspec

from engine.database import Database
from engine.defaults import BATCH_SIZE
from rules import CompiledRules

__all__ = [
    "EventOutcome",
    "IncomingEvent",
    "IntakeSummary",
    "accept_events",
    "import_events",
    "read_jsonl",
]


class IncomingEvent(msgspec.Struct, forbid_unknown_fields=True):
    """An event as tools send it after source mapping (the batch API and JSONL files use this shape)."""

    source: str
    id: str
    type: str
    employee: str  # the employee's external id or email
    occurred_at: datetime
    attributes: dict[str, Any] = {}


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event: ``accepted``, ``duplicate`` (already known, no effect) or ``rejected``."""

    index: int
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    errors: tuple[str, ...] = ()


@dataclass
class IntakeSummary:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    #: The first rejections, each naming the event's position (a JSONL line number for files).
    rejections: list[EventOutcome] = field(default_factory=list)

    def add(self, outcomes: list[EventOutcome], keep: int = 100) -> None:
        for o in outcomes:
            if o.status == "accepted":
                self.accepted += 1
            elif o.status == "duplicate":
                self.duplicates += 1
            else:
                self.rejected += 1
                if len(self.rejections) < keep:
                    self.rejections.append(o)


def _check(raw: Any, rules: CompiledRules | None) -> IncomingEvent | list[str]:
    try:
        event = msgspec.convert(raw, IncomingEvent, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says "... - at `$.occurred_at`"; name the field the way a person reads it.
        return [str(exc).replace("`$.", "`")]
    problems: list[str] = []
    if event.occurred_at.tzinfo is None:
        problems.append(
            "occurred_at: needs a time zone offset, e.g. 2026-11-03T09:14:22+01:00 or …Z"
        )
    for name in ("source", "id", "type", "employee"):
        if not getattr(event, name).strip():
            problems.append(f"{name}: must not be empty")
    if rules is not None and not problems:
        problems.extend(rules.validate_event(event.type, event.attributes))
    return problems or event


def accept_events(
    db: Database, raws: list[Any], rules: CompiledRules | None, first_index: int = 0
) -> list[EventOutcome]:
    """Check and store one batch in one transaction; one bad event never blocks the good ones."""
    outcomes: list[EventOutcome | None] = [None] * len(raws)
    fresh: dict[tuple[str, str], tuple[int, IncomingEvent]] = {}
    for i, raw in enumerate(raws):
        checked = _check(raw, rules)
        ident = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(checked, list):
            outcomes[i] = EventOutcome(first_index + i, ident, "rejected", tuple(checked))
        elif (key := (checked.source, checked.id)) in fresh:
            outcomes[i] = EventOutcome(first_index + i, checked.id, "duplicate")
        else:
            fresh[key] = (i, checked)

    now = db.ts(datetime.now(UTC))
    with db.transaction():
        by_source: dict[str, list[str]] = {}
        for source, ext_id in fresh:
            by_source.setdefault(source, []).append(ext_id)
        known: set[tuple[str, str]] = set()
        for source, ids in by_source.items():
            rows = db.query_in(
                'SELECT external_id FROM "event" WHERE source = ? AND external_id IN ({in})',
                ids,
                [source],
            )
            known.update((source, r[0]) for r in rows)
        rows_to_insert = []
        for key, (i, ev) in fresh.items():
            if key in known:
                outcomes[i] = EventOutcome(first_index + i, ev.id, "duplicate")
                continue
            outcomes[i] = EventOutcome(first_index + i, ev.id, "accepted")
            ref = ev.employee.strip()
            rows_to_insert.append(
                (
                    ev.source,
                    ev.id,
                    ev.type,
                    ref.lower() if "@" in ref else ref,
                    db.ts(ev.occurred_at),
                    now,
                    msgspec.json.encode(ev.attributes).decode(),
                    "pending",
                )
            )
        # ON CONFLICT: another process may have stored the same event since our look-up; it stays once.
        db.executemany(
            'INSERT INTO "event" (source, external_id, type, employee_ref, occurred_at, received_at, '
            "attributes, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (source, external_id) DO NOTHING",
            rows_to_insert,
        )
    return [o for o in outcomes if o is not None]


def read_jsonl(lines: Iterable[str | bytes]) -> Iterator[Any]:
    """Decode JSON lines; a line that is not JSON yields an error string in its place, blank lines are skipped."""
    decoder = msgspec.json.Decoder()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, decoder.decode(line)
        except msgspec.DecodeError as exc:
            yield number, f"line {number}: not valid JSON ({exc})"


def import_events(
    db: Database,
    numbered: Iterable[tuple[int, Any]],
    rules: CompiledRules | None,
    batch_size: int = BATCH_SIZE,
    on_batch: Any = None,
) -> IntakeSummary:
    """Store ``(line number, event)`` pairs batch by batch; rejections name their line."""
    summary = IntakeSummary()
    it = iter(numbered)
    while batch := list(islice(it, batch_size)):
        outcomes: list[EventOutcome] = []
        good: list[Any] = []
        lines: list[int] = []
        for number, raw in batch:
            if isinstance(raw, str):
                outcomes.append(EventOutcome(number, None, "rejected", (raw,)))
            else:
                good.append(raw)
                lines.append(number)
        for o in accept_events(db, good, rules):
            outcomes.append(EventOutcome(lines[o.index], o.id, o.status, o.errors))
        summary.add(outcomes)
        if on_batch is not None:
            on_batch(len(batch))
    return summary
