"""Published rulesets, and which one scores an event.

A published ruleset is immutable: its version names one content hash forever. Each event is scored by the
ruleset in effect at its ``occurred_at`` (the latest one whose ``effective`` date is not after it), so
publishing a new program never rewrites the past unless HR replays on purpose.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine import clock
from engine.errors import PlauditError
from engine.settings import settings
from engine.storage.audit import RULES_PUBLISHED, diff_counts, record, rules_diff
from engine.storage.database import Database
from rules import CompiledRules, load_rules, load_rules_text

__all__ = [
    "DEFAULT_ACTOR",
    "PublishError",
    "PublishedRules",
    "RuleBook",
    "default_rules_path",
    "load_rulebook",
    "publish",
]


class PublishError(PlauditError):
    """Publishing would change what a published version means."""


def default_rules_path() -> Path:
    """``PLAUDIT_RULES``, else ``rules.yaml`` in the working directory."""
    return settings().rules_path


@dataclass(frozen=True)
class RuleBook:
    """Every published ruleset, compiled once, ordered by the date it takes effect."""

    rulesets: tuple[CompiledRules, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [r.effective.astimezone(UTC) for r in self.rulesets])

    @property
    def current(self) -> CompiledRules | None:
        return self.rulesets[-1] if self.rulesets else None

    def for_time(self, occurred_at: datetime) -> CompiledRules | None:
        """The ruleset in effect at ``occurred_at``; None before the first one."""
        i = bisect.bisect_right(self._starts, occurred_at) - 1  # type: ignore[attr-defined]
        return self.rulesets[i] if i >= 0 else None

    def __bool__(self) -> bool:
        return bool(self.rulesets)


def load_rulebook(db: Database) -> RuleBook:
    """Compile every published ruleset (their own ``tests:`` passed when they were published)."""
    rows = db.query('SELECT text, version FROM "ruleset" ORDER BY effective, id')
    return RuleBook(
        tuple(
            load_rules_text(text, filename=f"ruleset {version}", run_tests=False)
            for text, version in rows
        )
    )


class PublishedRules:
    """The rulebook of a long-running process, compiled again only when a ruleset was published since.

    Publishing (API or CLI, any process) adds a row; counting rows is one cheap query, made per batch by
    workers and at most every ``check_every`` seconds by API processes (which ask per request).
    """

    def __init__(self, check_every: float = 0.0) -> None:
        self._book: RuleBook | None = None
        self._count = -1
        self._check_every = check_every
        self._checked = -math.inf

    def expire(self) -> None:
        """Look again on the next ``get``: this process just published."""
        self._checked = -math.inf

    def get(self, db: Database) -> RuleBook:
        now = time.monotonic()
        if self._book is not None and now - self._checked < self._check_every:
            return self._book
        count = db.query('SELECT COUNT(*) FROM "ruleset"')[0][0]
        if self._book is None or count != self._count:
            self._book, self._count = load_rulebook(db), count
        self._checked = now
        return self._book


#: Who publishes when a caller names nobody (scripts, tests, benchmarks): still a name in the audit log.
DEFAULT_ACTOR = "plaudit"


def publish(
    db: Database, rules: CompiledRules | str | Path, actor: str = DEFAULT_ACTOR
) -> tuple[CompiledRules, bool]:
    """Publish a validated program; returns it and whether it was new.

    Publishing the same version with the same content again is a no-op (nothing written, no audit entry), so
    scripts can publish on every start. Something new is recorded in the audit log in the same transaction
    as the ruleset row (action ``rules.published``, the diff against the previously current ruleset), so
    a publish that fails leaves neither. ``actor`` names who publishes; blank is a ValueError.
    """
    if not actor or not actor.strip():
        raise ValueError("publishing needs an actor (who publishes), for the audit log")
    if not isinstance(rules, CompiledRules):
        rules = load_rules(rules)
    with db.transaction():
        rows = db.query('SELECT content_hash FROM "ruleset" WHERE version = ?', [rules.version])
        if rows:
            if rows[0][0] != rules.content_hash:
                raise PublishError(
                    "program.version",
                    f"version {rules.version!r} is already published with other content; a published ruleset "
                    "is immutable: give the changed program a new program.version",
                    "conflict",
                )
            return rules, False
        # The ruleset that was current until now (as load_rulebook orders them): what HR changed from.
        previous = db.query(
            'SELECT version, text FROM "ruleset" ORDER BY effective DESC, id DESC LIMIT 1'
        )
        db.execute(
            'INSERT INTO "ruleset" (version, program_id, content_hash, effective, text, published_by, published_at) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                rules.version,
                rules.program_id,
                rules.content_hash,
                db.ts(rules.effective),
                rules.text,
                actor,
                db.ts(clock.now()),
            ],
        )
        old_version, old_text = previous[0] if previous else (None, "")
        diff = rules_diff(
            old_text,
            rules.text,
            f"ruleset {old_version}" if old_version else "(no ruleset)",
            f"ruleset {rules.version}",
        )
        added, removed = diff_counts(diff)
        was = f"was {old_version}" if old_version else "first ruleset"
        record(
            db,
            actor,
            RULES_PUBLISHED,
            rules.version,
            f"published {rules.version} ({was}): +{added} −{removed} lines",
            diff,
        )
    return rules, True
