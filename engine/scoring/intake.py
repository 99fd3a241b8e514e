"""Event intake: canonical events into the inbox, exactly once per (source, external id).

Intake only checks and stores; scoring happens later in ``engine.scoring.score``. An event is checked against the
program's event types here so a tool hears about a wrong field at once (a 4xx naming it), not after the fact.
A rejected event is not stored: the tool fixes it and sends it again under the same id.

Near-duplicates (``dedupe:`` in rules.yaml, engine.scoring.near_duplicates): an event less than the window after
another of the same employee and key is answered as a repeated id is (the same share re-sent under new ids earns
once). It is stored all the same, and scoring marks it ``duplicate``: the events after it are compared with it.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, Literal

import msgspec

from engine import clock
from engine.defaults import BATCH_SIZE
from engine.people.directory import resolve_employees, shard_of
from engine.scoring.near_duplicates import Keyed, near_duplicates
from engine.settings import settings
from engine.storage.database import Database
from rules import CompiledRules

log = logging.getLogger("plaudit.intake")

__all__ = [
    "EVENT_COLUMNS",
    "EventOutcome",
    "IncomingEvent",
    "IntakeSummary",
    "IntakeWriter",
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
    #: The employee's shard, for accepted events: the scaled setup enqueues scoring per shard.
    shard: int | None = None


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


def _check(
    raw: Any, rules: CompiledRules | None, latest: datetime | None
) -> IncomingEvent | list[str]:
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
    elif latest is not None and event.occurred_at > latest:
        # Dated ahead of now it would sit on today's all-time board and in a period not yet played.
        problems.append(
            f"occurred_at: {event.occurred_at.isoformat()} is more than "
            f"{rules.program.max_future_minutes if rules else 0} minute(s) in the future"
        )
    for name in ("source", "id", "type", "employee"):
        if not getattr(event, name).strip():
            problems.append(f"{name}: must not be empty")
    if rules is not None and not problems:
        problems.extend(rules.validate_event(event.type, event.attributes))
    return problems or event


def _naming_themselves(
    rules: CompiledRules,
    fresh: dict[tuple[str, str], tuple[int, IncomingEvent]],
    refs: dict[tuple[str, str], str],
    ids: dict[str, int],
    db: Database,
    employee_ids: EmployeeIds | None,
) -> list[tuple[tuple[str, str], int, str]]:
    """``(key, index, field)`` of the events whose ``not_the_employee`` field names their own employee: the
    same ref, or another ref (their email for their id) of the same person on the roster."""
    named = {
        key: others
        for key, (_, ev) in fresh.items()
        if (others := rules.others_named(ev.type, ev.attributes))
    }
    if not named:
        return []
    wanted = {person for others in named.values() for _, person in others} - ids.keys()
    if wanted:
        more = (
            {ref: m.id for ref, m in resolve_employees(db, wanted).items()}
            if employee_ids is None
            else employee_ids(wanted)
        )
        ids = {**ids, **more}
    found = []
    for key, others in named.items():
        own = refs[key]
        for name, person in others:
            if person == own or (ids.get(person) is not None and ids.get(person) == ids.get(own)):
                found.append((key, fresh[key][0], name))
                break
    return found


def _ref(employee: str) -> str:
    """How an employee is stored on an event: the external id as given, an email in lower case."""
    employee = employee.strip()
    return employee.lower() if "@" in employee else employee


#: Employee ids by the refs tools use: the API answers from its in-memory directory, others ask the database.
EmployeeIds = Callable[[set[str]], dict[str, int]]


#: The columns intake writes for each event (in this order).
EVENT_COLUMNS = (
    "source",
    "external_id",
    "type",
    "employee_ref",
    "shard",
    "occurred_at",
    "received_at",
    "attributes",
    "status",
    "dedupe_key",
)

#: First key of the PostgreSQL advisory locks intake takes per dedupe key (an arbitrary constant of Plaudit's):
#: two API processes storing near-duplicates at the same moment decide one after the other.
DEDUPE_LOCK_SPACE = 0x5044

#: (source, external id) of an event in a batch: what exactly-once is about.
EventKey = tuple[str, str]


def _dedupe_keys(
    rules: CompiledRules,
    fresh: dict[EventKey, tuple[int, IncomingEvent]],
    refs: dict[EventKey, str],
) -> dict[EventKey, tuple[str, int]]:
    """``(dedupe key, window in minutes)`` of each event whose type has ``dedupe:``, in batch order.

    The key is a hash of the type, the employee ref as stored (trimmed, an email in lower case) and the key
    fields as scoring reads them (defaults filled in, person fields trimmed and case-folded, 1 and 1.0 one
    number). The ref, not the roster's id: the key does not change when the roster does, and an event may
    arrive before its employee.
    """
    specs = {name: t.dedupe for name, t in rules.event_types.items() if t.dedupe is not None}
    if not specs:
        return {}
    found: dict[EventKey, tuple[str, int]] = {}
    for key, (_, ev) in fresh.items():
        spec = specs.get(ev.type)
        if spec is None:
            continue
        attributes = rules.normalize(ev.type, ev.attributes)
        values = [_key_value(attributes.get(name)) for name in spec.key]
        text = msgspec.json.encode([ev.type, refs[key], values])
        found[key] = (hashlib.blake2b(text, digest_size=16).hexdigest(), spec.within_minutes)
    return found


def _key_value(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _near_duplicates(
    db: Database,
    fresh: dict[EventKey, tuple[int, IncomingEvent]],
    dedupe: dict[EventKey, tuple[str, int]],
) -> set[EventKey]:
    """The events of ``dedupe`` that are already near-duplicates (engine.scoring.near_duplicates). One look-up
    for the batch, in its transaction."""
    if db.dialect == "postgres":
        # Another process may be storing one of these keys right now: wait for it, then read what it stored.
        # (SQLite's BEGIN IMMEDIATE already lets one writer in at a time.) Sorted: no two wait on each other.
        locks = sorted({int(h[:8], 16) - 2**31 for h, _ in dedupe.values()})
        db.execute(
            "SELECT pg_advisory_xact_lock(?::int, k) FROM unnest(?::int[]) AS k",
            [DEDUPE_LOCK_SPACE, locks],
        )
    keys = list(dedupe)
    items = [
        Keyed(h, fresh[key][1].occurred_at, key[0], key[1], timedelta(minutes=minutes))
        for key, (h, minutes) in dedupe.items()
    ]
    return {keys[n] for n in near_duplicates(db, items)}


def accept_events(
    db: Database,
    raws: list[Any],
    rules: CompiledRules | None,
    first_index: int = 0,
    employee_ids: EmployeeIds | None = None,
) -> list[EventOutcome]:
    """Check and store one batch in one transaction; one bad event never blocks the good ones."""
    outcomes: list[EventOutcome | None] = [None] * len(raws)
    fresh: dict[EventKey, tuple[int, IncomingEvent]] = {}
    latest = (
        clock.now() + timedelta(minutes=rules.program.max_future_minutes)
        if rules is not None
        else None
    )
    for i, raw in enumerate(raws):
        checked = _check(raw, rules, latest)
        ident = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(checked, list):
            outcomes[i] = EventOutcome(first_index + i, ident, "rejected", tuple(checked))
        elif (key := (checked.source, checked.id)) in fresh:
            outcomes[i] = EventOutcome(first_index + i, checked.id, "duplicate")
        else:
            fresh[key] = (i, checked)

    # received_at doubles as this call's mark: rows that carry it after the insert are the ones it stored.
    now = db.ts(clock.now())
    shards = settings().shards
    refs = {key: _ref(ev.employee) for key, (_, ev) in fresh.items()}
    if employee_ids is None:
        ids = (
            {ref: m.id for ref, m in resolve_employees(db, set(refs.values())).items()}
            if refs
            else {}
        )
    else:
        ids = employee_ids(set(refs.values()))
    if rules is not None:
        for key, i, name in _naming_themselves(rules, fresh, refs, ids, db, employee_ids):
            ev = fresh.pop(key)[1]
            problem = f"attributes.{name}: names the employee themself ({ev.employee})"
            outcomes[i] = EventOutcome(first_index + i, ev.id, "rejected", (problem,))
    dedupe = _dedupe_keys(rules, fresh, refs) if rules is not None else {}
    by_key: dict[EventKey, tuple[Any, ...]] = {}
    for key, (_, ev) in fresh.items():
        employee_id = ids.get(refs[key])
        by_key[key] = (
            ev.source,
            ev.id,
            ev.type,
            refs[key],
            shard_of(employee_id, refs[key], shards),
            db.ts(ev.occurred_at),
            now,
            msgspec.json.encode(ev.attributes).decode(),
            "pending",
            dedupe[key][0] if key in dedupe else None,
        )
    with db.transaction():
        # Near-duplicates are answered as such but stored to be scored: the events after them are compared with
        # them too, and one that arrives late re-scores its employee like any other (scoring marks it).
        near = _near_duplicates(db, fresh, dedupe) if dedupe else set()
        rows = list(by_key.values())
        # Insert first and ask only if something was already there: the common case costs no look-up, and
        # ON CONFLICT keeps an event once even when another process stores it at the same moment.
        key = ("source", "external_id")
        mine: set[EventKey] | None = None
        if db.dialect == "postgres":
            inserted = db.insert_rows_returning(
                "event", EVENT_COLUMNS, rows, key, "source, external_id"
            )
            if len(inserted) != len(rows):
                mine = {(source, external_id) for source, external_id in inserted}
        elif db.insert_rows("event", EVENT_COLUMNS, rows, key) != len(rows):
            mine = set()
            by_source: dict[str, list[str]] = {}
            for source, ext_id in fresh:
                by_source.setdefault(source, []).append(ext_id)
            for source, external_ids in by_source.items():
                found = db.query_in(
                    'SELECT external_id FROM "event" WHERE source = ? AND received_at = ? AND external_id IN ({in})',
                    external_ids,
                    [source, now],
                )
                mine.update((source, r[0]) for r in found)
    for (key, (i, ev)), row in zip(fresh.items(), rows, strict=True):
        if mine is not None and key not in mine:  # stored before: a repeated id
            outcomes[i] = EventOutcome(first_index + i, ev.id, "duplicate")
        else:  # a near-duplicate is stored and scored (marked) like any other
            said: Literal["accepted", "duplicate"] = "duplicate" if key in near else "accepted"
            outcomes[i] = EventOutcome(first_index + i, ev.id, said, shard=row[4])
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
            outcomes.append(replace(o, index=lines[o.index]))
        summary.add(outcomes)
        if on_batch is not None:
            on_batch(len(batch))
    return summary


class IntakeWriter:
    """Group commit: one thread stores the inbox for a whole API process.

    Requests hand over their events and wait; the writer stores everything that queued meanwhile in one
    transaction and answers each request with its own outcomes. A thousand single-event webhooks a second
    then cost a few transactions, not a thousand, and never queue on SQLite's lock against each other.
    """

    def __init__(
        self,
        database_url: str | None,
        rules: Callable[[], CompiledRules | None],
        max_events: int = 5000,
        on_stored: Callable[[list[EventOutcome]], None] | None = None,
        write_lock: threading.Lock | None = None,
        employee_ids: EmployeeIds | None = None,
    ) -> None:
        self.employee_ids = employee_ids
        self.database_url = database_url
        #: Shared with the worker of the same process: waiting on it wakes at once, where SQLite's busy
        #: handler would sleep in steps of up to 100 ms.
        self.write_lock = write_lock or threading.Lock()
        self.rules = rules
        self.max_events = max_events
        self.on_stored = on_stored
        self._queue: queue.SimpleQueue[tuple[list[Any], Future[list[EventOutcome]]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="plaudit-intake", daemon=True)
        self._thread.start()

    def submit(self, events: list[Any]) -> Future[list[EventOutcome]]:
        future: Future[list[EventOutcome]] = Future()
        self._queue.put((events, future))
        return future

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        from engine.storage.database import DatabaseConfig, reconnected

        db: Database | None = None
        try:
            while (item := self._queue.get()) is not None:
                group = [item]
                size = len(item[0])
                while size < self.max_events:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        self._queue.put(None)
                        break
                    group.append(nxt)
                    size += len(nxt[0])
                try:  # PostgreSQL restarted: a new connection for this group
                    db = reconnected(db, DatabaseConfig(url=self.database_url, migrate=False))
                except (
                    Exception
                ) as exc:  # still down: these requests hear it (a 503), the next try again
                    self._fail(group, exc)
                    continue
                db.write_lock = self.write_lock
                self._store(db, group)
        finally:
            if db is not None:
                db.close()

    @staticmethod
    def _fail(group: list[tuple[list[Any], Future[list[EventOutcome]]]], exc: Exception) -> None:
        for _, future in group:
            future.set_exception(exc)

    def _store(
        self, db: Database, group: list[tuple[list[Any], Future[list[EventOutcome]]]]
    ) -> None:
        combined = [event for events, _ in group for event in events]
        try:
            outcomes = accept_events(db, combined, self.rules(), employee_ids=self.employee_ids)
        except Exception as exc:  # nothing was stored: every waiting request hears it
            self._fail(group, exc)
            return
        start = 0
        for events, future in group:
            mine = outcomes[start : start + len(events)]
            future.set_result([replace(o, index=o.index - start) for o in mine])
            start += len(events)
        if self.on_stored is not None:
            try:
                self.on_stored(outcomes)
            except Exception:  # the events are stored; a failing listener must not stop intake
                log.exception("intake listener failed")
