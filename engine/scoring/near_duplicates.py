"""Near-duplicates (``dedupe:`` in rules.yaml): the same share re-sent under new ids earns once.

An event whose type declares ``dedupe: {key: [...], within_minutes: N}`` is a near-duplicate when another stored
event of the same employee and key values sorts before it (``occurred_at``, then source and id) and occurred less
than N minutes before it. Near-duplicates are stored too, with status ``duplicate``, because they count as the
"other event" for the ones after them: 10:00, 10:08 and 10:16 with a 10-minute window keep only 10:00.

Why this rule and not "within N minutes of the last one kept": it depends only on the set of events, never on
the order they arrive in, and it only ever adds duplicates. Intake answers "duplicate" when it can already tell
(final, as an event that arrives later can only add more); scoring decides the rest, and an earlier share that
arrives late turns the shares after it into duplicates by re-scoring its employee (engine.scoring.rescore).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from engine.storage.database import Database
from rules import CompiledRules

__all__ = ["Keyed", "near_duplicates", "reason"]


class Keyed(NamedTuple):
    """An event with a dedupe key: the key, when it occurred, its identity, and its type's window."""

    key: str
    at: datetime
    source: str
    external_id: str
    window: timedelta

    @classmethod
    def of(
        cls, rules: CompiledRules, etype: str, key: str | None, at: datetime, source: str, ext: str
    ) -> Keyed | None:
        """A stored event's key with its type's window under ``rules``; None without either."""
        spec = rules.event_types[etype].dedupe if key is not None else None
        if spec is None or key is None:
            return None
        return cls(key, at, source, ext, timedelta(minutes=spec.within_minutes))


def reason(window: timedelta) -> str:
    return f"near-duplicate: the same key less than {window.total_seconds() / 60:g} minutes earlier"


def near_duplicates(db: Database, items: Sequence[Keyed]) -> set[int]:
    """Indexes of ``items`` that are near-duplicates of a stored event or of another item. One query."""
    if not items:
        return set()
    widest = max(i.window for i in items)
    start = min(i.at for i in items) - widest
    end = max(i.at for i in items)
    others: defaultdict[str, set[tuple[datetime, str, str]]] = defaultdict(set)
    for key, at, source, external in db.query_in(
        'SELECT dedupe_key, occurred_at, source, external_id FROM "event" '
        "WHERE occurred_at > ? AND occurred_at <= ? AND dedupe_key IN ({in})",
        sorted({i.key for i in items}),
        [db.ts(start), db.ts(end)],
    ):
        others[key].add((db.read_ts(at), source, external))
    for i in items:
        others[i.key].add((i.at, i.source, i.external_id))
    found = set()
    for n, i in enumerate(items):
        me = (i.at, i.source, i.external_id)
        if any(o < me and i.at - o[0] < i.window for o in others[i.key]):
            found.add(n)
    return found
